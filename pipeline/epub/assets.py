"""The EPUB's resources besides its documents: the cover image, font subsets, stylesheets.

Fonts are the PDF's roles (``config.FontRoles``), each face cut to exactly the characters it
sets in this book (``ebook.Ebook.text``) with hb-subset; ``fonts.css`` is generated to name them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.dates import cover_year, korean_dates
from pipeline.epub import cover as cover_module
from pipeline.epub.cover import SIZE, CoverFonts, CoverText, draw_cover
from pipeline.epub.documents import Ebook
from pipeline.errors import ContentError
from pipeline.font_faces import (
    FontFace,
    family_stacks,
    find_face,
    font_media_type,
    require_face,
    subset_font,
)
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.templates import environment

COVERS_KEPT = 16  # generated covers kept in <out>/.cache/covers/
FONTS_KEPT = 32  # font subsets kept in <out>/.cache/ebook-fonts/
COVER_CHIPS = 8  # days shown one by one on the cover; more are summed up (as print-cover.html.j2)
# (face key, role, bold, CSS family, weight): a face is embedded only if the book uses it.
FACES = (
    ("body", "body", False, "Report Serif", "normal"),
    ("body-bold", "body", True, "Report Serif", "bold"),
    ("heading", "heading", True, "Report Sans", "bold"),
    ("code", "code", False, "Report Mono", "normal"),
)


@dataclass(frozen=True)
class EmbeddedFont:
    family: str
    weight: str
    href: str
    media_type: str
    data: bytes

    @property
    def format(self) -> str:
        return "opentype" if self.media_type == "font/otf" else "truetype"


def make_cover(report: Report, settings: Settings) -> tuple[str, bytes]:
    """The front matter's cover image, or a generated one: (href in the book, bytes)."""
    cover = report.meta.cover  # checked when the notes were read (metadata.read_cover)
    if cover is not None:
        suffix = cover.suffix.lower().replace(".jpeg", ".jpg")
        try:
            return f"images/cover{suffix}", cover.read_bytes()
        except OSError as err:
            raise ContentError(
                report.source.path,
                report.source.line,
                f'cover "{cover}" cannot be read: {err.strerror}',
                "put the image next to the notes, or fix the path",
            ) from err
    authors = report.meta.authors
    text = CoverText(
        report.meta.title,
        report.meta.subtitle,
        korean_dates(report.meta.dates) or cover_year(report),
        " · ".join(part for part in (report.meta.venue, ", ".join(authors)) if part),
        cover_chips(report),
    )
    emoji = find_face(settings.fonts.emoji, settings.fonts_dir)
    fonts = CoverFonts(face(settings, "heading", bold=True), face(settings, "heading"), emoji)
    return "images/cover.png", cached_cover(text, fonts, settings)


def cover_chips(report: Report) -> tuple[str, ...]:
    """A chip per day while they fit on the cover (as in print); more, summed up in one."""
    chapters = report.chapters
    if len(chapters) <= COVER_CHIPS:
        return tuple(
            f"{c.label} · {c.talk_count}개 세션" if c.talk_count else c.label for c in chapters
        )
    days = sum(1 for chapter in chapters if chapter.kind == "day")
    talks = sum(chapter.talk_count for chapter in chapters)
    return (f"{days}일 · {talks}개 세션" if days else f"{talks}개 세션",)


def cached_cover(text: CoverText, fonts: CoverFonts, settings: Settings) -> bytes:
    """The generated cover, drawn once for what it shows: its text, fonts and colour (drawing
    and compressing the 1600x2560 PNG is a third of a small book's EPUB)."""
    key = cover_key(text, fonts, settings.accent)
    folder = settings.cache_dir / "covers"
    return _cached(
        folder, f"{key}.png", COVERS_KEPT, lambda: draw_cover(text, fonts, settings.accent)
    )


def cover_key(text: CoverText, fonts: CoverFonts, accent: str) -> str:
    """A hash of everything the cover shows, and of the code that draws it."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((text, accent, SIZE)).encode())
    for found in (fonts.title, fonts.text, fonts.emoji):
        if found is not None:
            stat = found.path.stat()
            digest.update(f"{found.path}|{found.index}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    digest.update(Path(cover_module.__file__ or "").read_bytes())
    return digest.hexdigest()


def face(settings: Settings, role: str, *, bold: bool = False) -> FontFace:
    return require_face(settings.fonts, role, settings.fonts_dir, bold=bold)


def embed_fonts(text: dict[str, str], settings: Settings) -> list[EmbeddedFont]:
    """Subsets of each face to exactly the characters it sets in this book."""
    fonts: list[EmbeddedFont] = []
    regular = {role: face(settings, role) for role in ("body", "code")}
    for key, role, bold, family, weight in FACES:
        chars = text[key]
        if not chars.strip():
            continue
        found = face(settings, role, bold=bold)
        if key == "body-bold" and (found.path, found.index) == (
            regular["body"].path,
            regular["body"].index,
        ):
            continue  # no bold face: the reading system emboldens the regular one
        data = cached_subset(found, chars, settings)
        media_type = font_media_type(data)
        suffix = ".otf" if media_type == "font/otf" else ".ttf"
        fonts.append(EmbeddedFont(family, weight, f"fonts/{key}{suffix}", media_type, data))
    return fonts


def cached_subset(found: FontFace, chars: str, settings: Settings) -> bytes:
    """``found`` cut to ``chars``, cut once for the same face and characters (``invoke watch``
    rebuilds the same book again and again)."""
    stat = found.path.stat()
    key = hashlib.blake2b(
        f"{found.path}|{found.index}|{stat.st_size}|{stat.st_mtime_ns}|{chars}".encode(),
        digest_size=20,
    ).hexdigest()
    return _cached(
        settings.cache_dir / "ebook-fonts",
        f"{key}.font",
        FONTS_KEPT,
        lambda: subset_font(found.path, found.index, chars),
    )


def _cached(folder: Path, name: str, kept: int, make: Callable[[], bytes]) -> bytes:
    """The bytes kept in ``folder/name``, or made, kept (with at most ``kept`` others)."""
    path = folder / name
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = make()
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)[: -kept or None]:
        old.unlink(missing_ok=True)

    def write(target: Path) -> None:
        target.write_bytes(data)

    write_atomically(path, write)
    return data


def stylesheets(
    settings: Settings, ebook: Ebook, fonts: list[EmbeddedFont]
) -> list[tuple[str, bytes]]:
    """fonts.css (generated: the subsets), ebook.css (styles/), code.css (Pygments classes)."""
    stacks = family_stacks(settings.fonts, "Report")
    fonts_css = (
        environment(settings).get_template("ebook-fonts.css.j2").render(faces=fonts, stacks=stacks)
    )
    sheets = [
        ("styles/fonts.css", fonts_css.encode("utf-8")),
        ("styles/ebook.css", (settings.styles_dir / "ebook.css").read_bytes()),
    ]
    if ebook.has_code:
        sheets.append(("styles/code.css", code_css().encode("utf-8")))
    return sheets


def code_css() -> str:
    """Pygments' default style (WCAG AA contrast), without bold and italic: Hangul in comments
    must not be slanted, and the mono face is embedded in one weight."""
    from pygments.formatters import HtmlFormatter

    rules = HtmlFormatter(style="default").get_style_defs(".highlight").splitlines()
    kept = []
    for rule in rules:
        if not rule.startswith(".highlight"):
            continue
        for declaration in ("font-weight: bold", "font-style: italic"):
            rule = rule.replace(f"{declaration}; ", "").replace(declaration, "")
        kept.append(rule)
    return "\n".join(kept) + "\n"
