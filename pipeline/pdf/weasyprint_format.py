"""What WeasyPrint 70 and pydyf write, matched byte for byte or written again: the other half of
the seam around WeasyPrint (``weasyprint_internals`` holds its replacements and private names).

- **pydyf's content streams**: how a tagged run and an XObject's drawing are written, matched by
  the repairs of the tagged PDF (``pipeline.pdf.tags``); WeasyPrint's footnote destinations;
- **the font dictionaries**: a book laid out in parts embeds each of its fonts once, cut to the
  glyphs of every part (``pipeline.pdf.parts.merge``), written as WeasyPrint's
  ``pdf.fonts.build_fonts_dictionary`` writes it (a Type 0 font over a CID font, ``Identity-H``)
  from what each part set in it (:class:`FontUse`, gathered while the part is written). The cut
  is WeasyPrint's own (hb-subset keeping glyph ids, then dropping the empty glyphs after the last
  used), with uharfbuzz.

``tests/test_weasyprint_seam.py`` checks these against what the installed versions write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# pydyf writes each tagged run as "/Tag\n<</MCID n>>\nBDC\n"; WeasyPrint writes text in hex
# strings, so the pattern cannot occur inside a text run.
MARKED = re.compile(rb"/(\w+)\n<</MCID (\d+)>>\nBDC\n")
DRAWS = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC\n"
LAYOUT = b"/Artifact\n<</Type /Layout>>\nBDC\n"

# WeasyPrint's own destinations for footnotes (layout.LayoutContext.add_running_element):
# numbered from 0 in every document.
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


# The tables WeasyPrint drops from an embedded font (pdf/fonts.py, _harfbuzz_subset).
DROPPED: tuple[bytes, ...] = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB")
DROPPED += (b"JSTF", b"LTSH", b"PCLT", b"SVG ")
CMAP_HEAD = (
    b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
    b"<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
    b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n"
    b"<0000> <ffff>\nendcodespacerange\n"
)
CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"


def unite(uses: Iterable[FontUse]) -> FontUse:
    """One font's use in every part: the glyphs, widths and text of all of them."""
    uses = list(uses)
    first = uses[0]
    united = FontUse(
        first.name,
        first.family,
        first.source,
        first.index,
        first.flags,
        first.ascent,
        first.descent,
        first.italic_angle,
        first.stemv,
        first.stemh,
    )
    for use in uses:
        united.widths.update(use.widths)
        united.to_unicode.update(use.to_unicode)
        united.missing.update(use.missing)
    return united


def embed_font(pdf: Any, use: FontUse, sources: Mapping[str, Path]) -> Any:
    """The Type 0 font dictionary for ``use``, its objects added to ``pdf`` (pikepdf);
    ``sources``: the font files by digest (``part.font_sources``)."""
    import pikepdf

    data = cut(sources[use.source].read_bytes(), use.index, set(use.to_unicode), bool(use.missing))
    otf = data[:4] == b"OTTO"
    extra = {"Subtype": pikepdf.Name.OpenType} if otf else {"Length1": len(data)}
    font_file = pdf.make_stream(data, **extra)
    widths = use.widths
    max_x = max(widths.values()) if widths else 0
    flags = use.flags
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags += 1  # FixedPitch
    bbox = [0, use.descent, _number(max_x), use.ascent]
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name("/" + use.name),
            FontFamily=pikepdf.String(use.family),
            Flags=flags,
            FontBBox=pikepdf.Array(bbox),
            ItalicAngle=use.italic_angle,
            Ascent=use.ascent,
            Descent=use.descent,
            CapHeight=use.ascent,
            StemV=use.stemv,
            StemH=use.stemh,
            **{("FontFile3" if otf else "FontFile2"): font_file},
        )
    )
    runs: list[Any] = []
    current: list[Any] = []
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            current = []
            runs += [glyph, current]
        current.append(_number(widths[glyph]))
    cid_font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name("/CIDFontType0" if otf else "/CIDFontType2"),
            BaseFont=pikepdf.Name("/" + use.name),
            CIDSystemInfo=pikepdf.Dictionary(
                Registry=pikepdf.String("Adobe"),
                Ordering=pikepdf.String("Identity"),
                Supplement=0,
            ),
            CIDToGIDMap=pikepdf.Name.Identity,
            W=pikepdf.Array([pikepdf.Array(r) if isinstance(r, list) else r for r in runs]),
            FontDescriptor=descriptor,
        )
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/" + use.name),
        ToUnicode=pdf.make_stream(to_unicode_cmap(use.to_unicode)),
        DescendantFonts=pikepdf.Array([cid_font]),
    )
    font.Encoding = _encoding(pdf, use) if use.missing else pikepdf.Name("/Identity-H")
    return pdf.make_indirect(font)


def cut(data: bytes, index: int, glyphs: set[int], missing: bool) -> bytes:
    """``data``'s face cut to ``glyphs``, keeping their ids, as WeasyPrint 70 cuts it."""
    import uharfbuzz as hb

    if not glyphs:
        return data
    face = hb.Face(hb.Blob(data), index)
    dropped = {int.from_bytes(tag, "big") for tag in DROPPED}
    outline = hb.SubsetFlags.NOTDEF_OUTLINE if missing else hb.SubsetFlags.DEFAULT
    common = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE | outline

    def plan(kept: Iterable[int], flags: Any) -> Any:
        wanted = hb.SubsetInput()
        wanted.sets(hb.SubsetInputSets.GLYPH_INDEX).update(kept)
        wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(dropped)
        wanted.flags = common | flags
        return wanted

    kept = hb.subset(face, plan(sorted(glyphs), hb.SubsetFlags.RETAIN_GIDS))
    if kept is None:
        return data
    trimmed = hb.subset(kept, plan(range(max(glyphs) + 1), hb.SubsetFlags.NO_HINTING))
    return bytes((trimmed or kept).blob.data)


def to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    """The ToUnicode CMap WeasyPrint writes: glyph -> text, in batches of 100, in the order the
    glyphs were first set (text extraction tools read the first glyph of a space as *the* space)."""
    items = list(to_unicode.items())
    lines = [CMAP_HEAD]
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar\n".encode())
        for glyph, text in batch:
            lines.append(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>\n".encode())
        lines.append(b"endbfchar\n")
    lines.append(CMAP_TAIL)
    return b"".join(lines)


def _encoding(pdf: Any, use: FontUse) -> Any:
    """A CMap that maps the glyphs a font lacked to .notdef (WeasyPrint's ``WP-Encod-0``)."""
    import pikepdf

    lacking = set(use.missing.values())
    available = sorted(use.to_unicode)
    lines = [
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        b"3 dict dup begin\n/Registry (Adobe) def\n/Ordering (Identity) def\n/Supplement 0 def\n"
        b"end def\n/CMapName /WP-Encod-0 def\n/CMapType 1 def\n1 begincodespacerange\n"
        b"<0000> <ffff>\nendcodespacerange\n"
    ]
    for start in range(0, len(available), 100):
        batch = available[start : start + 100]
        lines.append(f"{len(batch)} begincidchar\n".encode())
        for glyph in batch:
            lines.append(f"<{glyph:04x}> {0 if glyph in lacking else glyph}\n".encode())
        lines.append(b"endcidchar\n")
    lines.append(CMAP_TAIL)
    return pdf.make_stream(
        b"".join(lines),
        Type=pikepdf.Name.CMap,
        CMapName=pikepdf.Name("/WP-Encod-0"),
        CIDSystemInfo=pikepdf.Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 6)
