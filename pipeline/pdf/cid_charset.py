"""Give a cut CID-keyed CFF font the identity charset (CID = glyph id) a PDF reader relies on.

WeasyPrint embeds a CFF font as a ``CIDFontType0`` whose codes are glyph ids (``Identity-H``),
so a reader maps each code to a CID and looks the CID up in the font's charset. Noto CJK's
charset is the identity, but hb-subset renumbers the glyphs of a cut and keeps their original
CIDs: glyph 3 becomes CID 4, and MuPDF and pdf.js (which follow the charset, as the PDF
specification says) draw nothing, while poppler and PDFium (which use the code as glyph id)
hide the fault. The charset is rewritten in place: an identity charset in the same format is
never longer than the one it replaces, so no offset in the font moves. Rewriting it with
fontTools costs about 40 ms a face (decompiling and compiling the CFF); this costs none.
See the CFF specification (Adobe TN 5176), "Charsets" and "Top DICT".
"""

from __future__ import annotations

import struct

ROS = (12, 30)  # the Top DICT operator that makes a CFF font CID-keyed
CHARSET = 15
CHARSTRINGS = 17


def identity_charset(otf: bytes) -> bytes:
    """``otf`` with the charset of its CID-keyed CFF table made the identity (CID = glyph id).
    Fonts with TrueType outlines, or a name-keyed CFF, are returned as they are."""
    data = bytearray(otf)
    start = _cff_offset(data)
    if start is None:
        return otf
    cff = memoryview(data)[start:]
    top = _read_dict(_index_entry(cff, _skip_index(cff, cff[2])))  # header, Name INDEX, Top DICT
    if ROS not in top:
        return otf
    charset = int(top[CHARSET][0])
    (glyphs,) = struct.unpack_from(">H", cff, int(top[CHARSTRINGS][0]))
    old_size = _charset_size(cff, charset, glyphs)
    identity = _identity(cff[charset], glyphs)
    if len(identity) > old_size:  # cannot happen for a well-formed charset; never overwrite
        raise ValueError("the font's charset is shorter than an identity charset")
    cff[charset : charset + len(identity)] = identity
    return bytes(data)


def _cff_offset(data: bytearray) -> int | None:
    (tables,) = struct.unpack_from(">H", data, 4)
    for record in range(12, 12 + 16 * tables, 16):
        if data[record : record + 4] == b"CFF ":
            return int(struct.unpack_from(">I", data, record + 8)[0])
    return None


def _index_bounds(cff: memoryview, position: int) -> tuple[int, list[int]]:
    """An INDEX at ``position``: where its data starts (minus one) and its offsets."""
    (count,) = struct.unpack_from(">H", cff, position)
    if count == 0:
        return position + 2, [1]
    size = cff[position + 2]
    first = position + 3
    offsets = [
        int.from_bytes(cff[first + i * size : first + (i + 1) * size], "big")
        for i in range(count + 1)
    ]
    return first + (count + 1) * size - 1, offsets


def _skip_index(cff: memoryview, position: int) -> int:
    base, offsets = _index_bounds(cff, position)
    return base + offsets[-1]


def _index_entry(cff: memoryview, position: int) -> memoryview:
    base, offsets = _index_bounds(cff, position)
    return cff[base + offsets[0] : base + offsets[1]]


def _read_dict(data: memoryview) -> dict[int | tuple[int, int], list[float]]:
    """A CFF DICT: operator -> operands."""
    entries: dict[int | tuple[int, int], list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:  # an operator
            operator: int | tuple[int, int] = b0
            i += 1
            if b0 == 12:
                operator = (12, data[i])
                i += 1
            entries[operator] = operands
            operands = []
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", data, i + 1)[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", data, i + 1)[0])
            i += 5
        elif b0 == 30:  # a real number: nibbles up to an 0xf nibble; its value is not needed
            i += 1
            while data[i] & 0x0F != 0x0F and data[i] >> 4 != 0x0F:
                i += 1
            i += 1
            operands.append(0.0)
        elif b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif b0 <= 250:
            operands.append((b0 - 247) * 256 + data[i + 1] + 108)
            i += 2
        else:
            operands.append(-(b0 - 251) * 256 - data[i + 1] - 108)
            i += 2
    return entries


def _charset_size(cff: memoryview, position: int, glyphs: int) -> int:
    """Bytes of the charset at ``position`` (every glyph but .notdef is covered)."""
    form = cff[position]
    if form == 0:
        return 1 + 2 * (glyphs - 1)
    range_size = 3 if form == 1 else 4
    covered, size = 0, 1
    while covered < glyphs - 1:
        left_at = position + size + 2
        left = cff[left_at] if form == 1 else struct.unpack_from(">H", cff, left_at)[0]
        covered += left + 1
        size += range_size
    return size


def _identity(form: int, glyphs: int) -> bytes:
    """An identity charset in ``form`` (0, 1 or 2): glyph ``g`` is CID ``g``."""
    if form == 0:
        return bytes([0]) + b"".join(struct.pack(">H", cid) for cid in range(1, glyphs))
    out = bytearray([form])
    first = 1
    while first < glyphs:
        left = min(glyphs - first - 1, 255 if form == 1 else 0xFFFF)
        out += struct.pack(">HB" if form == 1 else ">HH", first, left)
        first += left + 1
    return bytes(out)
