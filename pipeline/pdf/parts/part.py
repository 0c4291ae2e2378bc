"""One part of a book laid out in parts (a day, or the front matter), written as a PDF of its own.

Two things WeasyPrint 70 does for a whole document are left to the merge (``merge``),
through two wrappers around its PDF writer (in ``pipeline.pdf.weasyprint_internals``), active
only while a part is written:

- **links to other parts**: WeasyPrint drops a link whose anchor is in no page of the document
  ("No anchor #x"); a part keeps its links to the book's other parts, which the merged name
  tree resolves;
- **fonts**: a part embeds no subset of the book's own fonts (the cuts of
  ``pipeline.pdf.print_fonts`` and the user's ``fonts/``): it reports which glyphs it set in
  each (widths, text), and the merge embeds each font once, cut to the glyphs of every part.
  A font the book did not bring (a bitmap emoji font, a fallback) is embedded by the part as
  usual.

The part's tagged structure is repaired here (``pipeline.pdf.tags``), its structure IDs and its
footnotes' destinations made unique in the book by the part's name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.pdf.weasyprint_format import FOOTNOTE_DEST, FontUse
from pipeline.pdf.weasyprint_internals import writing_part

if TYPE_CHECKING:
    from weasyprint import Document


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

    with contextlib.ExitStack() as stack:
        used = stack.enter_context(writing_part(anchors, font_sources(fonts)))
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
