"""Every glyph the PDF shows resolves the way the PDF specification says: code -> CID -> glyph.

ISO 32000-2, 9.7: a Type0 font's encoding CMap turns the codes of the content streams into
CIDs (``Identity-H``: the two-byte code is the CID); the descendant CIDFont turns a CID into a
glyph of its font program: for ``CIDFontType2`` (TrueType) through ``/CIDToGIDMap``, for
``CIDFontType0`` with a CID-keyed CFF through the CFF's charset, which lists the CID of every
glyph (9.7.4.2). poppler and PDFium take the code for a glyph id and hide a wrong charset;
MuPDF and pdf.js follow the specification and drew no Hangul when the cut fonts kept their
original CIDs. This test reads the embedded fonts with fontTools and follows every code used;
for a letter (Latin or Hangul) it also checks that the glyph reached is the one the font's
cmap gives the character that ``/ToUnicode`` says the code stands for.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream, IndirectObject

from pipeline.pdf import print_fonts
from tests.conftest import DATA, SAMPLE, build_pdf

# notes -> the fonts they use: the sample three (Myeongjo, Gothic, bold Gothic), the fixture
# seven (Myeongjo and Gothic and mono, each also bold; colour emoji, a TrueType CIDFont)
NOTES = {SAMPLE: 3, DATA / "pdf-viewers.md": 7}
IDENTITY = ("/Identity-H", "/Identity-V")
TEXT_OPERATORS = (b"Tj", b"'", b'"', b"TJ")
pytestmark = pytest.mark.slow  # each test builds PDFs
LETTER = re.compile("[A-Za-z\uac00-\ud7a3]")  # a Latin letter or a Hangul syllable


def used_codes(reader: PdfReader) -> dict[int, set[bytes]]:
    """The strings each font (by object number) shows, from every page and form XObject."""
    used: dict[int, set[bytes]] = defaultdict(set)
    for page in reader.pages:
        _collect(page.get_contents(), page["/Resources"], reader, used, set())
    return used


def _collect(
    stream: Any, resources: Any, reader: PdfReader, used: dict[int, set[bytes]], seen: set[int]
) -> None:
    if stream is None:
        return
    resources = resources.get_object() if resources is not None else {}
    fonts = resources.get("/Font", {})
    xobjects = resources.get("/XObject", {})
    font = None
    for operands, operator in ContentStream(stream, reader).operations:
        if operator == b"Tf":
            reference = fonts.raw_get(operands[0])
            assert isinstance(reference, IndirectObject), "fonts are shared objects"
            font = reference.idnum
        elif operator in TEXT_OPERATORS:
            assert font is not None, "text shown before a font is set"
            strings = operands[-1] if operator == b"TJ" else [operands[-1]]
            used[font].update(s.original_bytes for s in strings if hasattr(s, "original_bytes"))
        elif operator == b"Do":
            reference = xobjects.raw_get(operands[0])
            form = reference.get_object()
            if form.get("/Subtype") == "/Form" and reference.idnum not in seen:
                seen.add(reference.idnum)
                _collect(form, form.get("/Resources", resources), reader, used, seen)


def unresolved(reader: PdfReader) -> Iterator[str]:
    """A message for every code whose glyph cannot be found, following the specification, or
    is not the glyph of the character the code stands for (``/ToUnicode``) in the font's cmap."""
    for number, strings in used_codes(reader).items():
        font = reader.get_object(number)
        name = font.get("/BaseFont")
        assert font["/Subtype"] == "/Type0", f"{name}: WeasyPrint writes Type0 fonts"
        assert font["/Encoding"] in IDENTITY, f"{name}: encoding {font['/Encoding']}"
        cids = {int.from_bytes(s[i : i + 2], "big") for s in strings for i in range(0, len(s), 2)}
        assert all(len(s) % 2 == 0 for s in strings), f"{name}: Identity-H codes are 2 bytes"
        descendant = font["/DescendantFonts"][0].get_object()
        program = font_program(descendant)
        glyphs = glyph_of_cid(descendant, program)
        characters = to_unicode(font)
        cmap = program.getBestCmap() if "cmap" in program else {}
        for cid in sorted(cids):  # Identity-H: the code is the CID
            glyph = glyphs(cid)
            text = characters.get(cid, "")
            # Letters have one glyph each; digits, spaces and punctuation have alternates
            # (proportional, tabular) that the cmap does not list, "fi" is a ligature.
            expected = cmap.get(ord(text)) if LETTER.fullmatch(text) else None
            if glyph is None:
                yield f"{name}: CID {cid} ({text}) has no glyph"
            elif glyph == 0:
                yield f"{name}: CID {cid} ({text}) is .notdef"
            elif expected is not None and glyph != program.getGlyphID(expected):
                yield f"{name}: CID {cid} is the glyph of another character than {text}"


def to_unicode(font: Any) -> dict[int, str]:
    """The font's ``/ToUnicode`` CMap: code -> text (bfchar and bfrange entries)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    hexes = r"<([0-9A-Fa-f]+)>\s*"
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(hexes * 2, block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, start in re.findall(hexes * 3, block):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                first = bytes.fromhex(start).decode("utf-16-be")
                mapping[code] = first[:-1] + chr(ord(first[-1]) + offset)
    return mapping


def font_program(cidfont: Any) -> TTFont:
    """The embedded font program of a CIDFont (TrueType, or OpenType with CFF outlines)."""
    descriptor = cidfont["/FontDescriptor"].get_object()
    key = "/FontFile2" if cidfont["/Subtype"] == "/CIDFontType2" else "/FontFile3"
    stream = descriptor[key].get_object()
    assert key == "/FontFile2" or stream["/Subtype"] == "/OpenType", "WeasyPrint embeds OpenType"
    return TTFont(io.BytesIO(stream.get_data()))


def glyph_of_cid(cidfont: Any, font: TTFont) -> Any:
    """CID -> glyph id in the embedded font program (``None``: no such glyph)."""
    if cidfont["/Subtype"] == "/CIDFontType2":
        count = font["maxp"].numGlyphs
        mapping = cidfont.get("/CIDToGIDMap", "/Identity")
        if mapping == "/Identity":
            table = None
        else:
            data = mapping.get_object().get_data()
            table = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]

        def truetype(cid: int) -> int | None:
            glyph = cid if table is None else (table[cid] if cid < len(table) else 0)
            return glyph if glyph < count else None

        return truetype
    assert cidfont["/Subtype"] == "/CIDFontType0"
    top = font["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):  # name-keyed: the CID is the glyph id (9.7.4.2)
        count = len(top.charset)
        return lambda cid: cid if cid < count else None
    # CID-keyed: the charset gives each glyph's CID (fontTools names them "cid01234")
    by_cid = {0: 0}
    for glyph, glyph_name in enumerate(top.charset[1:], start=1):
        by_cid[int(glyph_name.removeprefix("cid"))] = glyph
    return by_cid.get


@pytest.mark.parametrize("variant", ["ua", "a", "plain"])
def test_every_code_resolves_to_a_glyph(variant: str, tmp_path: Path) -> None:
    for notes, fonts in NOTES.items():
        reader = PdfReader(build_pdf(notes, tmp_path, pdf_variant=variant))
        used = used_codes(reader)
        assert len(used) == fonts and sum(len(s) for s in used.values()) > 50
        assert list(unresolved(reader)) == []


def test_the_old_cut_fonts_do_not_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cut fonts before the fix kept the original CIDs in their charset: almost every code
    (a new glyph id) names a CID the font does not have, or a different glyph."""
    monkeypatch.setattr(print_fonts, "identity_charset", lambda otf: otf)
    reader = PdfReader(build_pdf(SAMPLE, tmp_path, pdf_variant="ua"))
    problems = list(unresolved(reader))
    assert len(problems) > 100
    assert {p.split(":")[0].split("+")[1] for p in problems} >= {
        "Noto-Serif-CJK-KR-Print",
        "Noto-Sans-CJK-KR-Print",
    }
