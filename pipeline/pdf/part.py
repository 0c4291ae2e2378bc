"""One part of a book laid out in parts (a day, or the front matter), written as a PDF of its own.

Two things WeasyPrint 70 does for a whole document are left to the merge (``pipeline.pdf.merge``),
through two wrappers around its PDF writer, active only while a part is written:

- **links to other parts**: WeasyPrint drops a link whose anchor is in no page of the document
  ("No anchor #x"); a part keeps its links to the book's other parts, which the merged name
  tree resolves;
- **fonts**: a part embeds no subset of the book's own fonts (the cuts of ``pipeline.pdf.fonts``
  and the user's ``fonts/``): it reports which glyphs it set in each (widths, text), and the
  merge embeds each font once, cut to the glyphs of every part. A font the book did not bring
  (a bitmap emoji font, a fallback) is embedded by the part as usual.

The part's tagged structure is repaired here (``pipeline.pdf.tags``), its structure IDs and its
footnotes' destinations made unique in the book by the part's name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weasyprint import Document

_foreign: ContextVar[frozenset[str] | None] = ContextVar("foreign_anchors", default=None)
_sources: ContextVar[dict[str, Path] | None] = ContextVar("font_sources", default=None)
_used: ContextVar[dict[str, FontUse] | None] = ContextVar("font_uses", default=None)

# WeasyPrint's own destinations for footnotes (layout.LayoutContext.add_running_element):
# numbered from 0 in every document, so each part's are renamed.
FOOTNOTE_DEST = re.compile(r"(note|call)-\d+")


@dataclass
class FontUse:
    """What a part set in one of the book's fonts: what embedding it takes, and the glyphs."""

    name: str  # the PDF BaseFont, "KBTCEP+Noto-Serif-CJK-KR-Print"
    family: str
    source: str  # the digest of the font file's content (``font_sources``)
    index: int  # the face in it
    flags: int
    ascent: int
    descent: int
    italic_angle: int
    stemv: int
    stemh: int
    widths: dict[int, float] = field(default_factory=dict)
    to_unicode: dict[int, str] = field(default_factory=dict)
    missing: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PartPdf:
    """A part's PDF and what the merge needs of it."""

    name: str
    data: bytes
    pages: int
    fonts: dict[str, FontUse]  # by resource name (WeasyPrint's font hash)
    missing_alt: int


def write_part(
    document: Document,
    name: str,
    variant: str | None,
    titles: Mapping[str, str],
    anchors: frozenset[str],
    fonts: tuple[Path, ...],
) -> PartPdf:
    """The part ``name`` laid out as ``document``, written (see the module's docstring)."""
    import pikepdf

    from pipeline.pdf.tags import recording, repair_pdf

    _install()
    used: dict[str, FontUse] = {}
    with contextlib.ExitStack() as stack:
        stack.enter_context(_set(_foreign, anchors))
        stack.enter_context(_set(_sources, font_sources(fonts)))
        stack.enter_context(_set(_used, used))
        if variant is not None:
            stack.enter_context(recording())
        data = document.write_pdf(pdf_variant=variant)
    pages = len(document.pages)
    missing_alt = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if variant is not None:
            missing_alt = repair_pdf(pdf, titles, id_prefix=f"{name}:").images_without_alt
        _rename_footnotes(pdf, name)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return PartPdf(name, out.getvalue(), pages, used, missing_alt)


_digests: dict[tuple[str, int, int], str] = {}


def font_sources(files: tuple[Path, ...]) -> dict[str, Path]:
    """The book's font files by the digest of their content (what WeasyPrint reads of them):
    a part laid out in an earlier build names its fonts by content, not by path."""
    found = {}
    for path in files:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _digests:
            _digests[key] = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        found[_digests[key]] = path
    return found


@contextlib.contextmanager
def _set(variable: ContextVar[Any], value: Any) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def _install() -> None:
    """Wrap WeasyPrint's link resolution and font embedding (once per process)."""
    from weasyprint import pdf

    if getattr(pdf.resolve_links, "keeps_foreign", False):
        return
    resolve_links, build_fonts = pdf.resolve_links, pdf.build_fonts_dictionary

    def resolve(pages: list[Any]) -> Iterator[Any]:
        foreign = _foreign.get()
        if foreign is None:
            yield from resolve_links(pages)
            return
        # weasyprint.pdf.anchors.resolve_links, keeping links to the book's other parts
        seen: set[str] = set()
        paged: list[list[tuple[str, float, float]]] = []
        for page in pages:
            paged.append([])
            for anchor, (x, y, _, _) in page.anchors.items():
                if anchor not in seen:
                    paged[-1].append((anchor, x, y))
                    seen.add(anchor)
        for page, anchors in zip(pages, paged, strict=True):
            kept = [
                link
                for link in page.links
                if link[0] != "internal" or link[1] in seen or link[1] in foreign
            ]
            yield kept, anchors

    def build_fonts_dictionary(
        pdf_file: Any, fonts: dict[str, Any], compress: bool, subset: bool, options: Any
    ) -> Any:
        sources, used = _sources.get(), _used.get()
        if sources is None or used is None or not subset:
            return build_fonts(pdf_file, fonts, compress, subset, options)
        kept = {}
        for key, font in fonts.items():
            digest = hashlib.md5(font.file_content, usedforsecurity=False).hexdigest()
            if font.bitmap or font.used_in_forms or digest not in sources:
                kept[key] = font
                continue
            use = used.get(font.hash)
            if use is None:
                use = used[font.hash] = FontUse(
                    font.name.decode()[1:],
                    font.family,
                    digest,
                    font.index,
                    font.flags,
                    font.ascent,
                    font.descent,
                    font.italic_angle,
                    font.stemv,
                    font.stemh,
                )
            use.widths.update(font.widths)
            use.to_unicode.update(font.to_unicode)
            use.missing.update(font.missing)
        return build_fonts(pdf_file, kept, compress, subset, options)

    resolve.keeps_foreign = True  # type: ignore[attr-defined]
    pdf.resolve_links = resolve
    pdf.build_fonts_dictionary = build_fonts_dictionary


def _rename_footnotes(pdf: Any, name: str) -> None:
    """WeasyPrint's footnote destinations (``note-0``, ``call-0``) made unique in the book."""
    import pikepdf

    names = pdf.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None or "/Names" not in dests:
        return
    entries = list(dests.Names)
    renamed: dict[str, str] = {}
    pairs = []
    for key, value in zip(entries[::2], entries[1::2], strict=True):
        label = str(key)
        if FOOTNOTE_DEST.fullmatch(label):
            renamed[label] = f"{name}:{label}"
        pairs.append((renamed.get(label, label), value))
    if not renamed:
        return
    pairs.sort(key=lambda pair: pair[0])
    dests.Names = pikepdf.Array(
        [item for key, value in pairs for item in (pikepdf.String(key), value)]
    )
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            destination = annotation.get("/Dest")
            if isinstance(destination, pikepdf.String) and str(destination) in renamed:
                annotation.Dest = pikepdf.String(renamed[str(destination)])
