"""Report -> print HTML -> PDF through WeasyPrint, with a URL fetcher locked to our own files."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline.config import Settings
from pipeline.dates import build_time, cover_year, korean_dates
from pipeline.errors import ContentError
from pipeline.fonts import check_harfbuzz_subset, resolve_fonts
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.print_fonts import cut_fonts, font_configuration, print_families
from pipeline.print_html import adapt_document
from pipeline.render import environment

if TYPE_CHECKING:
    from weasyprint import Document
    from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)

TEMPLATE = "print.html.j2"
STYLESHEET = "print.css"
VARIANTS = {"ua": "pdf/ua-1", "a": "pdf/a-3b", "plain": None}


@dataclass(frozen=True)
class PrintJob:
    """What WeasyPrint is given: the print HTML and the cut fonts (in their own folder)."""

    html: str
    fonts: tuple[Path, ...]
    folder: Path


def prepare_pdf(report: Report, settings: Settings) -> PrintJob:
    """Everything before WeasyPrint: checks, the print HTML, the font cuts. `invoke build`
    does this while a second process imports WeasyPrint (half a second)."""
    check_size(report)
    check_harfbuzz_subset()
    html = render_pdf_html(report, settings)
    css = "".join(p.read_text(encoding="utf-8") for p in settings.styles_dir.glob("print*.css"))
    folder = Path(tempfile.mkdtemp(prefix="report-fonts-"))
    return PrintJob(html, cut_fonts(settings, html, css, folder), folder)


def write_pdf(
    report: Report, settings: Settings, out_dir: Path, job: PrintJob | None = None
) -> Path:
    """Write ``out_dir/<report.name>.pdf`` (through a temporary file) and return its path."""
    return write_pdf_pages(report, settings, out_dir, job)[0]


def write_pdf_pages(
    report: Report, settings: Settings, out_dir: Path, job: PrintJob | None = None
) -> tuple[Path, int]:
    """``write_pdf``, also saying how many pages were written."""
    document = render_pdf(report, settings, job)
    variant = VARIANTS[settings.pdf_variant]

    def write(path: Path) -> None:
        document.write_pdf(str(path), pdf_variant=variant)

    return write_atomically(out_dir / f"{report.name}.pdf", write), len(document.pages)


# WeasyPrint lays a whole document out in memory, and its time grows faster than the text:
# 1 MB of notes (810 pages) took 95 s and 860 MB here. Larger notes are refused up front.
MAX_TEXT = 600_000  # characters of report HTML, about 1.1 MB of notes or 900 pages


def check_size(report: Report) -> None:
    size = len(report.intro_html) + sum(
        len(chapter.intro_html)
        + sum(len(t.abstract_html) + len(t.body_html) for t in chapter.talks)
        for chapter in report.chapters
    )
    if size > MAX_TEXT:
        raise ContentError(
            report.source.path,
            None,
            f"too large for one PDF ({size // 1000:,}k characters of text; at most "
            f"{MAX_TEXT // 1000:,}k, about 900 pages)",
            "split the notes into several reports (one notes file per day or per track); "
            "the EPUB has no such limit",
        )


def render_pdf(report: Report, settings: Settings, job: PrintJob | None = None) -> Document:
    """Lay the report out with WeasyPrint: an inspectable document, not yet written."""
    job = job or prepare_pdf(report, settings)
    import_weasyprint()
    from weasyprint import HTML

    document = HTML(
        string=job.html,
        base_url=_content_root(report).as_uri() + "/",
        url_fetcher=locked_fetcher(report, settings),
    )
    return document.render(
        font_config=font_configuration(job.fonts, job.folder),
        pdf_variant=VARIANTS[settings.pdf_variant],
    )


def import_weasyprint() -> None:
    """Import WeasyPrint (0.4 s: done only when we render) without ctypes' library search.

    WeasyPrint tries several names for each C library, the Linux soname among them; each
    name that does not load makes ``ctypes.util.find_library`` run ldconfig, gcc and ld,
    54 processes and a quarter of a second on a machine with a compiler. The sonames load
    directly, so the search is skipped, and used only if the libraries are not found without it.
    """
    import ctypes.util

    if "weasyprint" in sys.modules:
        return
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "could not import" notice
            import weasyprint  # noqa: F401
    except OSError:
        pass  # not found by soname (not Linux?): import again below, with the search
    finally:
        ctypes.util.find_library = search
    import weasyprint  # noqa: F401, F811


def render_pdf_html(report: Report, settings: Settings) -> str:
    """The HTML that WeasyPrint lays out: the print template, adapted for WeasyPrint."""
    resolve_fonts(settings.fonts, settings.fonts_dir)  # a missing font fails before any work
    template = environment(settings.styles_dir).get_template(TEMPLATE)
    html = template.render(
        report=report,
        settings=settings,
        fonts=print_families(settings),
        stylesheet=(settings.styles_dir / STYLESHEET).resolve().as_uri(),
        stamp=build_stamp(report),
        dates=korean_dates(report.meta.dates, weekdays=True),
        year=cover_year(report),
        cover_src=_cover_src(report),
        chapter_dates={
            c.id: korean_dates((c.date,), weekdays=True)
            for c in report.chapters
            if c.date and not _names_date(c.title, c.date)
        },
        authors=report.meta.authors,
    )
    return adapt_document(html, report)


def _names_date(title: str, date: dt.date) -> bool:
    """Whether a chapter title already says its date (``2024년 10월 26일``, ``2024-10-26``)."""
    compact = title.replace(" ", "")
    return date.isoformat() in title or f"{date.month}월{date.day}일" in compact


def build_stamp(report: Report) -> str:
    """The PDF's creation and modification date (see ``dates.build_time``)."""
    moment = build_time(report)
    if moment is None:
        return ""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.date().isoformat()


def _cover_src(report: Report) -> str:
    """The front matter's cover image as a URL the locked fetcher serves, or ``""``."""
    cover = report.meta.cover
    if cover is None:
        return ""
    path = cover.resolve()
    if not path.is_file() or not path.is_relative_to(_content_root(report)):
        log.warning('%s: cover image "%s" not found in the content folder', report.source, cover)
        return ""
    return path.as_uri()


def _content_root(report: Report) -> Path:
    """Local images' ``src`` is relative to the content root (see ``model.Image``)."""
    root = report.content_root
    return (root if root.is_absolute() else Path.cwd() / root).resolve()


def allowed_roots(report: Report, settings: Settings) -> tuple[Path, ...]:
    """The only folders WeasyPrint may read from: the notes' content root, styles/, fonts/."""
    folders = (_content_root(report), settings.styles_dir, settings.fonts_dir)
    return tuple(folder.resolve() for folder in folders)


def locked_fetcher(report: Report, settings: Settings) -> URLFetcher:
    """A WeasyPrint URL fetcher that reads files under :func:`allowed_roots` and nothing else."""
    from weasyprint.urls import URLFetcher

    roots = allowed_roots(report, settings)
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
