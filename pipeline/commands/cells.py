"""Words broken inside a table cell of a built PDF (issue 25), for ``invoke check`` and tests.

A tagged PDF (the default ``ua`` variant, and ``a``) says which text belongs to which table
cell: each ``TD``/``TH`` structure element lists its marked-content ids, and pdfplumber gives
each character its id. So the lines of every cell are read as laid out (footnote calls and
footnotes, ``Reference`` and ``Note``, left out) and each line break is compared with the
notes' cells: where the notes write the two pieces as one word, the line broke inside it. A
break after ``/ . ? & = - _ ,`` or before ``(`` (a URL's or a long name's allowed points) is
no fault, nor is a break inside a unit wider than the page's longest line of text (the last
resort).
A time or time range (``13:00 ~ 14:00``) split across lines is reported too, even at its
spaces. An untagged PDF (``--variant plain``) has no cells to read: nothing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from unicodedata import east_asian_width

import lxml.html

from pipeline.model import Report
from pipeline.table_cells import TIME_RANGE

CELL = frozenset({"TD", "TH"})
ASIDE = frozenset({"Reference", "Note"})  # footnote calls and the footnotes themselves
INVISIBLE = dict.fromkeys(map(ord, "\u2060\u200b\u00ad"), None) | {0xA0: " "}
ALLOWED_AFTER = "/.?&=-_,"
ALLOWED_BEFORE = "("
BASELINE = 2.0  # points: characters this close to a line's baseline are on that line


@dataclass(frozen=True)
class CellText:
    """The lines of one table cell as a PDF shows them."""

    page: int
    lines: tuple[str, ...]
    room: int = 10**6  # the page's longest line of text, in half-em units (see ``_width``)


def pdf_cells(path: Path) -> list[CellText]:
    """Every table cell of a tagged PDF, its lines as laid out, in reading order."""
    import pdfplumber

    cells: list[CellText] = []
    with pdfplumber.open(path) as pdf:
        chars: dict[int, list[dict[str, Any]]] = {}
        room: dict[int, int] = {}
        for node in _cell_nodes(pdf.structure_tree):
            number = node.get("page_number")
            ids = set(_marked_ids(node))
            if number is None or not ids:
                continue
            if number not in chars:
                page = pdf.pages[number - 1]
                chars[number] = page.chars
                text = (page.extract_text() or "").translate(INVISIBLE).splitlines()
                room[number] = max((_width(line) for line in text), default=0)
            mine = [char for char in chars[number] if char.get("mcid") in ids]
            lines = _lines(mine)
            if lines:
                cells.append(CellText(number, tuple(lines), room[number]))
    return cells


def notes_cells(report: Report) -> list[str]:
    """The text of every table cell the notes write, single-spaced (a ``<br>`` is a space)."""
    cells = []
    for html in report.html_parts():
        if "<t" not in html:
            continue
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        for br in root.iter("br"):
            br.tail = " " + (br.tail or "")
        for cell in root.iter("td", "th"):
            text = " ".join(unescape(cell.text_content()).translate(INVISIBLE).split())
            if text:
                cells.append(text)
    return cells


def broken_cell_words(cells: list[CellText], notes: list[str]) -> list[tuple[int, str]]:
    """(page, ``piece|piece``) for each line break inside a word of a cell."""
    text = " " + " \n ".join(notes) + " "
    found = []
    for cell in cells:
        for line, following in zip(cell.lines, cell.lines[1:], strict=False):
            before, after = line.split(), following.split()
            if not before or not after:
                continue
            head, tail = before[-1], after[0]
            in_number = head[-1] in ".,:" and head[-2:-1].isdigit() and tail[0].isdigit()
            if (head[-1] in ALLOWED_AFTER or tail[0] in ALLOWED_BEFORE) and not in_number:
                continue
            if _width(head + tail) > cell.room:
                continue  # a unit longer than the page's longest line: the last resort
            if _written_as_one(before, after, text):
                found.append((cell.page, f"{head}|{tail}"))
    return found


def split_times(cells: list[CellText]) -> list[tuple[int, str]]:
    """(page, ``13:00 ~|14:00``) for each time or time range of a cell that is not on one
    line: a programme's times never break, not even at their spaces."""
    found = []
    for cell in cells:
        text = " ".join(cell.lines)
        ends: list[int] = []  # where each line ends in ``text``
        for line in cell.lines:
            ends.append((ends[-1] + 1 if ends else 0) + len(line))
        for match in TIME_RANGE.finditer(text):
            cut = next((end for end in ends if match.start() < end < match.end()), None)
            if cut is not None:
                piece = match.group()
                at = cut - match.start()
                found.append((cell.page, f"{piece[:at]}|{piece[at:].lstrip()}"))
    return found


def _written_as_one(before: list[str], after: list[str], text: str) -> bool:
    """Whether the notes write the last piece of ``before`` and the first of ``after`` as
    one word: joined they occur in a cell, spaced they do not (more words around decide when
    both occur)."""
    for reach in range(max(len(before), len(after))):
        left, right = before[-1 - reach : -1], after[1 : 1 + reach]
        joined = " ".join([*left, before[-1] + after[0], *right])
        spaced = " ".join([*left, before[-1], after[0], *right])
        one, two = joined in text, spaced in text
        if one != two:
            return one
        if not one:
            return False
    return False


def _width(text: str) -> int:
    """How wide ``text`` prints, in half-em units (Hangul and Hanja are a full em)."""
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def _cell_nodes(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The table cells under ``nodes``; a cell that holds a table stands for its cells."""
    for node in nodes:
        if node.get("type") in CELL and not _holds_table(node):
            yield node
        else:
            yield from _cell_nodes(node.get("children", []))


def _holds_table(node: dict[str, Any]) -> bool:
    return any(
        child.get("type") == "Table" or _holds_table(child) for child in node.get("children", [])
    )


def _marked_ids(node: dict[str, Any]) -> Iterator[int]:
    if node.get("type") in ASIDE:
        return
    yield from node.get("mcids") or []
    for child in node.get("children", []):
        yield from _marked_ids(child)


def _lines(chars: list[dict[str, Any]]) -> list[str]:
    """Characters grouped into lines by their baseline, each line's words spaced as laid out."""
    rows: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda char: -char["matrix"][5]):  # top line first
        if rows and abs(rows[-1][0]["matrix"][5] - char["matrix"][5]) <= BASELINE:
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda char: char["x0"])
        pieces = [row[0]["text"]]
        for previous, char in zip(row, row[1:], strict=False):
            if char["x0"] - previous["x1"] > 0.15 * char["size"]:
                pieces.append(" ")
            pieces.append(char["text"])
        line = " ".join("".join(pieces).translate(INVISIBLE).split())
        if line:
            lines.append(line)
    return lines
