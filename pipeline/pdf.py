"""Report -> print HTML -> PDF through WeasyPrint, with a URL fetcher locked to our own files."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline.config import Settings
from pipeline.fonts import check_harfbuzz_subset, project_font_files, resolve_fonts
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.print_html import adapt_document
from pipeline.render import environment

if TYPE_CHECKING:
    from weasyprint import Document
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)

TEMPLATE = "print.html.j2"
STYLESHEET = "print.css"
VARIANTS = {"ua": "pdf/ua-1", "a": "pdf/a-3b", "plain": None}
WEEKDAYS = "월화수목금토일"
# Emoji blocks: the emoji font is used for these only (it also has spaces and digits).
EMOJI_RANGES = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
EMOJI_CSS_RANGE = ", ".join(f"U+{a:X}-{b:X}" for a, b in EMOJI_RANGES) + ", U+200D, U+FE0F, U+20E3"
EMOJI = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in EMOJI_RANGES) + "]")


def write_pdf(report: Report, settings: Settings, out_dir: Path) -> Path:
    """Write ``out_dir/<report.name>.pdf`` (through a temporary file) and return its path."""
    document = render_pdf(report, settings)
    variant = VARIANTS[settings.pdf_variant]

    def write(path: Path) -> None:
        document.write_pdf(str(path), pdf_variant=variant)

    target = write_atomically(out_dir / f"{report.name}.pdf", write)
    log.info("wrote %s (%d pages)", target, len(document.pages))
    return target


def render_pdf(report: Report, settings: Settings) -> Document:
    """Lay the report out with WeasyPrint: an inspectable document, not yet written."""
    faces = resolve_fonts(settings.fonts, settings.fonts_dir)
    check_harfbuzz_subset()
    from weasyprint import HTML  # a 0.8 s import: only when we render

    fetcher = locked_fetcher(report, settings, extra=(faces["emoji"].path,))
    font_config = font_configuration(settings.fonts_dir)
    html = HTML(
        string=render_pdf_html(report, settings),
        base_url=_content_root(report).as_uri() + "/",
        url_fetcher=fetcher,
    )
    return html.render(
        font_config=font_config,
        pdf_variant=VARIANTS[settings.pdf_variant],
    )


def render_pdf_html(report: Report, settings: Settings) -> str:
    """The HTML that WeasyPrint lays out: the print template, adapted for WeasyPrint."""
    faces = resolve_fonts(settings.fonts, settings.fonts_dir)
    template = environment(settings.styles_dir).get_template(TEMPLATE)
    html = template.render(
        report=report,
        settings=settings,
        stylesheet=(settings.styles_dir / STYLESHEET).resolve().as_uri(),
        emoji_url=faces["emoji"].path.resolve().as_uri() if _has_emoji(report) else "",
        emoji_range=", ".join(f"U+{a:X}-{b:X}" for a, b in EMOJI_RANGES)
        + ", U+200D, U+FE0F, U+20E3",
        stamp=build_stamp(report),
        dates=format_dates(report.meta.dates),
        year=cover_year(report),
        chapter_dates={c.id: format_dates((c.date,)) for c in report.chapters if c.date},
        authors=report.meta.authors or ((settings.author,) if settings.author else ()),
    )
    return adapt_document(html, report)


def _has_emoji(report: Report) -> bool:
    """Whether any text of the report has emoji (only then is the emoji font loaded)."""
    texts = [report.meta.title, report.meta.subtitle, report.intro_html]
    for chapter in report.chapters:
        texts += [chapter.title, chapter.intro_html]
        texts += [
            t for talk in chapter.talks for t in (talk.title, talk.abstract_html, talk.body_html)
        ]
    return any(EMOJI.search(text) for text in texts)


def build_stamp(report: Report) -> str:
    """The PDF's date: ``SOURCE_DATE_EPOCH``, else the notes' last date; never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    dates = [*report.meta.dates, *(c.date for c in report.chapters if c.date)]
    return max(dates).isoformat() if dates else ""


def cover_year(report: Report) -> str:
    """The year the cover shows: the conference's, or one the title names (``DEVIEW 2023``)."""
    if report.meta.dates:
        return str(min(report.meta.dates).year)
    found = re.search(r"\b(19|20)\d\d\b", report.meta.title)
    return found.group(0) if found else ""


def format_dates(dates: tuple[dt.date, ...]) -> str:
    """Korean date line: ``2023년 2월 27일(월)``, a range as ``2023년 2월 27일(월)–28일(화)``."""
    if not dates:
        return ""
    first, last = min(dates), max(dates)

    def day(date: dt.date, with_year: bool, with_month: bool) -> str:
        text = f"{date.day}일({WEEKDAYS[date.weekday()]})"
        if with_month:
            text = f"{date.month}월 {text}"
        return f"{date.year}년 {text}" if with_year else text

    if first == last:
        return day(first, True, True)
    new_year = last.year != first.year
    new_month = new_year or last.month != first.month
    return f"{day(first, True, True)} – {day(last, new_year, new_month)}"


def _content_root(report: Report) -> Path:
    """Local images' ``src`` is relative to the content root (see ``model.Image``)."""
    root = report.content_root
    return (root if root.is_absolute() else Path.cwd() / root).resolve()


def allowed_roots(report: Report, settings: Settings) -> tuple[Path, ...]:
    """The only folders WeasyPrint may read from: the notes' content root, styles/, fonts/."""
    folders = (_content_root(report), settings.styles_dir, settings.fonts_dir)
    return tuple(folder.resolve() for folder in folders)


def locked_fetcher(report: Report, settings: Settings, extra: tuple[Path, ...] = ()) -> URLFetcher:
    """A WeasyPrint URL fetcher reading files under :func:`allowed_roots` (and ``extra`` files)."""
    from weasyprint.urls import URLFetcher

    roots = allowed_roots(report, settings) + tuple(path.resolve() for path in extra)
    # Remote images fetched by the reading stage (opt-in) are served from their cached copy.
    fetched = {image.src: image.path for image in report.images if image.path is not None}

    class LockedFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            cached = fetched.get(url)
            if parts.scheme in ("http", "https") and cached is not None:
                return super().fetch(cached.resolve().as_uri(), headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused to fetch {url}: only the project's own files are read")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise ValueError(f"refused to read {path}: outside the content, styles and fonts")
            return super().fetch(path.as_uri(), headers)

    return LockedFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def font_configuration(fonts_dir: Path) -> FontConfiguration:
    """WeasyPrint's fontconfig set-up, plus the files in ``fonts/`` under their family names.

    Registering the files with fontconfig (rather than ``@font-face url()``) makes every face of a
    ``.ttc`` reachable by its family name; ``url()`` would give face 0 (Japanese in Noto CJK).
    """
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    files = project_font_files(fonts_dir)
    if files:
        _add_font_files(config, files)
    return config


def _add_font_files(config: FontConfiguration, files: tuple[Path, ...]) -> None:
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2

    for path in files:
        if not fontconfig.FcConfigAppFontAddFile(config._config, os.fsencode(path)):
            log.warning("fontconfig could not read %s", path)
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
