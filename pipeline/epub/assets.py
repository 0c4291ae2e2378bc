"""The EPUB's resources besides its documents: the cover image, font subsets, stylesheets.

Fonts are the PDF's roles (``config.FontRoles``), each face cut to exactly the characters it
sets in this book (``ebook.Ebook.text``) with hb-subset; ``fonts.css`` is generated to name them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.dates import cover_year, korean_dates
from pipeline.epub.cover import CoverFonts, CoverText, draw_cover
from pipeline.epub.documents import Ebook
from pipeline.errors import ContentError
from pipeline.fonts import (
    FontFace,
    find_face,
    font_media_type,
    require_face,
    subset_font,
)
from pipeline.model import Report
from pipeline.render import environment

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
        tuple(
            f"{c.label} · {c.talk_count}개 세션" if c.talk_count else c.label
            for c in report.chapters[:8]
        ),
    )
    emoji = find_face(settings.fonts.emoji, settings.fonts_dir)
    fonts = CoverFonts(face(settings, "heading", bold=True), face(settings, "heading"), emoji)
    return "images/cover.png", draw_cover(text, fonts, settings.accent)


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
        data = subset_font(found.path, found.index, chars)
        media_type = font_media_type(data)
        suffix = ".otf" if media_type == "font/otf" else ".ttf"
        fonts.append(EmbeddedFont(family, weight, f"fonts/{key}{suffix}", media_type, data))
    return fonts


def stylesheets(
    settings: Settings, ebook: Ebook, fonts: list[EmbeddedFont]
) -> list[tuple[str, bytes]]:
    """fonts.css (generated: the subsets), ebook.css (styles/), code.css (Pygments classes)."""
    roles = settings.fonts
    stacks = {
        "body": ["Report Serif", roles.body, roles.emoji],
        "heading": ["Report Sans", roles.heading, roles.emoji],
        "code": ["Report Mono", roles.code, roles.emoji],
    }
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
