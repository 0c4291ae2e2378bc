"""Table cells as a programme reads them, for every output (print, EPUB, preview).

A programme table holds times (``14:00~14:10``, ``09:30 - 10:40``), names and titles. A reader
expects a time range on one line and a word never broken inside (issue 25). Two things here
are the same for every format:

- ``keep_times``: the spaces inside a time range become no-break spaces, so that ``09:30 -
  10:40`` breaks nowhere (``14:00~14:10`` has no break opportunity already);
- ``label_cells``: each body cell carries its column's header text as ``data-label``, which a
  table shown as a list of records prints before the cell (print.css, ebook.css).

- ``prepare_table`` (EPUB and preview, whose browsers keep Korean words whole with ``word-break:
  keep-all``): both of the above, a URL written in a cell breaks only after ``/ . ? & =``
  (``<wbr>``), and a table too wide for a narrow screen at its narrowest (``NARROW``) is marked
  ``table-wide``: on a narrow screen ebook.css and preview.css show it as a list of records;
  one too wide for any screen (``TOO_WIDE``) is ``table-records`` everywhere.

The rows of a table are its own: a table nested in a cell is left to itself.
"""

from __future__ import annotations

import re
from unicodedata import east_asian_width

import lxml.html
from lxml.html import HtmlElement

NO_BREAK_SPACE = "\u00a0"
# A time, or a range of two: 9:30, 14:00~14:10, 09:30 - 10:40, 13:00 ～ 14:00.
TIME_RANGE = re.compile(
    r"(?<![\d:])\d{1,2}:\d{2}(?:\s*[~\u301c\uff5e\-\u2013\u2014]\s*\d{1,2}:\d{2})?"
)
SPACE = re.compile(r"\s")
VERBATIM = frozenset("pre code kbd samp script style".split())
# A table whose longest units add up to more than this (in ems) is shown as records on a
# narrow screen (a phone: about 20 to 30 ems), more than ``TOO_WIDE`` always (a tablet's
# column, the preview's 44 rem measure less margins).
NARROW = 22.0
TOO_WIDE = 40.0
CELL_PADDING = 1.0  # em, a cell's left and right padding in ebook.css and preview.css
LATIN_WIDTH = 0.6  # em, about the advance of a Latin letter or digit in a serif face
URL_BREAKS = "/.?&="
BREAK_ALL = frozenset({"missing-image", "remote-image"})  # classes whose text breaks anywhere
URL_PARTS = re.compile(r"(?<=[/.?&=])(?![/.?&=])")


def prepare_page_tables(page: str) -> str:
    """An HTML page with ``prepare_table`` applied to each of its tables (the preview)."""
    if "<table" not in page:
        return page
    root = lxml.html.document_fromstring(page)
    for table in root.iter("table"):
        prepare_table(table)
    return str(lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>"))


def prepare_table(table: HtmlElement) -> None:
    """A table for a browser's screen (EPUB, preview): see the module."""
    keep_times(table)
    label_cells(table)
    width = narrowest_width(table)
    if width > NARROW:
        classes = table.get("class", "").split()
        extra = ["table-wide", "table-records"] if width > TOO_WIDE else ["table-wide"]
        table.set("class", " ".join([*classes, *extra]))
    for link in table.xpath(".//td//a[@href] | .//th//a[@href]"):
        if len(link) == 0 and (link.text or "").strip().startswith(("http://", "https://")):
            _break_url(link)


def narrowest_width(table: HtmlElement) -> float:
    """About how wide (in ems) the table is at its narrowest: each column as wide as its
    longest unit (a word, a time range, a URL's part between ``/ . ? & =``), plus padding."""
    columns: dict[int, float] = {}
    for row in own_rows(table):
        for index, cell in enumerate(row_cells(row)):
            if cell.get("colspan", "1").strip() not in ("", "1"):
                continue
            words = re.split("[ \t\n\r\f\v\u3000]+", keep_time_ranges(_unbreakable_text(cell)))
            units = [
                part
                for word in words
                for part in (URL_PARTS.split(word) if word.startswith("http") else [word])
            ]
            longest = max((_ems(unit) for unit in units), default=0.0)
            columns[index] = max(columns.get(index, 0.0), longest)
    return sum(columns.values()) + CELL_PADDING * len(columns)


def _unbreakable_text(element: HtmlElement) -> str:
    """The text of a cell, without an image's path or address: ebook.css and preview.css
    break those anywhere (``word-break: break-all``)."""
    pieces = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            pass
        elif BREAK_ALL & set(child.get("class", "").split()):
            pieces.append(" ")
        else:
            pieces.append(_unbreakable_text(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


def _ems(text: str) -> float:
    return sum(1.0 if east_asian_width(char) in "WF" else LATIN_WIDTH for char in text)


def _break_url(link: HtmlElement) -> None:
    """A ``<wbr>`` after each ``/ . ? & =`` (a run counts as one) of a link's URL text."""
    text = link.text or ""
    pieces: list[str] = [""]
    for index, char in enumerate(text):
        pieces[-1] += char
        following = text[index + 1 : index + 2]
        if char in URL_BREAKS and following and following not in URL_BREAKS:
            pieces.append("")
    link.text = pieces[0]
    for piece in pieces[1:]:
        wbr = link.makeelement("wbr", {})
        wbr.tail = piece
        link.append(wbr)


def own_rows(table: HtmlElement) -> list[HtmlElement]:
    """The table's rows, in order, without those of a table nested in one of its cells."""
    return [row for row in table.iter("tr") if _owner(row) is table]


def row_cells(row: HtmlElement) -> list[HtmlElement]:
    """The cells (``td`` and ``th``) of a row."""
    return [cell for cell in row if cell.tag in ("td", "th")]


def header_row(table: HtmlElement) -> HtmlElement | None:
    """The row that names the columns: the table head's last row, else a first row of only
    header cells (an HTML table without ``<thead>``); none when that row spans columns."""
    rows = own_rows(table)
    head = [row for row in rows if row.getparent() is not None and row.getparent().tag == "thead"]
    row = head[-1] if head else (rows[0] if rows else None)
    if row is None or not (cells := row_cells(row)):
        return None
    if not head and not all(cell.tag == "th" for cell in cells):
        return None
    # a row across the columns (a day's title) names none of them
    if any(cell.get("colspan", "1").strip() not in ("", "1") for cell in cells):
        return None
    return row


def label_cells(table: HtmlElement) -> None:
    """Each body cell gets its column's header text as ``data-label`` (when it has one)."""
    header = header_row(table)
    if header is None:
        return
    labels = [" ".join(cell.text_content().split()) for cell in row_cells(header)]
    for row in own_rows(table):
        if row is header:
            continue
        for index, cell in enumerate(row_cells(row)):
            if index < len(labels) and labels[index]:
                cell.set("data-label", labels[index])


def keep_times(table: HtmlElement) -> None:
    """No line break inside a time range in any cell of ``table`` (nested tables included)."""
    for cell in table.iter("td", "th"):
        for element in cell.iter():
            if not isinstance(element.tag, str):
                continue
            if element.text and not _verbatim(element, cell):
                element.text = keep_time_ranges(element.text)
            parent = element.getparent()
            if element.tail and element is not cell and not _verbatim(parent, cell):
                element.tail = keep_time_ranges(element.tail)


def keep_time_ranges(text: str) -> str:
    """``text`` with the spaces inside each time range made no-break spaces."""
    return TIME_RANGE.sub(lambda match: SPACE.sub(NO_BREAK_SPACE, match.group()), text)


def _verbatim(element: HtmlElement | None, cell: HtmlElement) -> bool:
    """Whether ``element`` is code (or inside code) within ``cell``: code is kept as written."""
    while element is not None:
        if element.tag in VERBATIM:
            return True
        if element is cell:
            return False
        element = element.getparent()
    return False


def _owner(row: HtmlElement) -> HtmlElement | None:
    for ancestor in row.iterancestors():
        if ancestor.tag == "table":
            return ancestor
    return None
