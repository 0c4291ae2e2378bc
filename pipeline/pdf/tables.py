"""Programme tables sized to their content, measured with the report's fonts before layout.

WeasyPrint 70's automatic table layout shares a table's width out by each column's longest
content and, with ``overflow-wrap: anywhere`` in the cells, squeezed short columns until a
time or a word broke (``14:00~14`` / ``:10``, ``Slid`` / ``e``; issue 25). print.css now
keeps every cell's words whole (``overflow-wrap: normal``; Hangul words hold together by their
joiners), so that a column is never narrower than its longest unbreakable unit. What is left
is decided here, per table, from the widths of its text shaped with the report's own fonts
(HarfBuzz, as Pango shapes it):

- the table fits at its natural widths: nothing to do;
- it fits when the short columns (times, names, links) get their whole width and the columns
  of running text share the rest: those widths go to a ``<colgroup>`` (per cent of the text
  block); WeasyPrint still never makes a column narrower than its longest unit;
- it does not fit: smaller type (``table-small``, 85 %); then the longest text column's words
  may also break at allowed points (after ``/ . ? & = - _ ,`` and before ``(``, never between
  letters, syllables or digits), then the next longest column's too, and so on; then the
  table becomes a list of records (``table-records``: each row a block, each cell after its
  header as a label).

The text block's width per paper size is print.css's and print.html.j2's (``TEXT_WIDTH``,
checked against a laid-out PDF by tests/test_tables.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml.html import HtmlElement

from pipeline.config import Settings
from pipeline.font_faces import FontFace, require_face
from pipeline.pdf.linebreak import HANGUL, WORD_JOINER, ZERO_WIDTH_SPACE
from pipeline.table_cells import keep_times, label_cells, own_rows, row_cells

MM = 72 / 25.4  # points in a millimetre
# The text block's width (paper width less the side margins of print.css and print.html.j2).
TEXT_WIDTH = {"A4": 166.0 * MM, "A5": 116.0 * MM, "B5": 132.0 * MM, "Letter": 171.9 * MM}
FONT_SIZE = 8.8  # pt, print.css `table`
SMALL = 0.85  # `table.table-small`: 7.5pt
PADDING = 4.0 * MM  # a cell's left and right padding (2 mm each)
INDENT = {"li": 6.0 * MM, "blockquote": 5.0 * MM + 2.0}  # .prose ul/ol padding, blockquote's
SAFETY = 1.02  # HarfBuzz measures as Pango lays out; a little room for rounding
IMAGE_MIN = 20.0 * MM  # a picture in a cell shrinks to its column, down to this
BLOCK = frozenset("p div ul ol li dl dt dd blockquote pre figure h1 h2 h3 h4 h5 h6".split())
SKIP = frozenset("script style".split())
CODE = frozenset("code kbd samp".split())
CODE_SIZE = {"code": 0.88}
SANS = frozenset({"em"})  # print.css sets em in the sans face
BOLD = frozenset({"strong", "b", "th"})
# Where a line may break: spaces and zero-width spaces, not the no-break space (U+00A0).
UNIT = re.compile(f"[^ \t\n\r\f\v\u3000{ZERO_WIDTH_SPACE}]+")
# Allowed points inside a long word of the text column that must break (the second fallback).
BREAK_AFTER = "/.?&=-_,"
BREAK_BEFORE = "("


@dataclass(frozen=True)
class Style:
    """How a run of a cell's text is set: a font role, bold or not, and a size factor."""

    role: str  # body, heading, code
    bold: bool
    size: float = 1.0


@dataclass(frozen=True)
class Column:
    """A column's narrowest width (its longest unbreakable unit) and its widest (its longest
    line), in points at the table's type size, padding included."""

    narrowest: float
    widest: float
    text: int = 0  # characters of running text in the column: which column breaks first


@dataclass(frozen=True)
class TablePlan:
    """What a table needs to fit the text block."""

    widths: tuple[float, ...] = ()  # per cent of the table's width, one per column; () = auto
    small: bool = False
    broken: tuple[int, ...] = ()  # the columns whose long words break at allowed points
    records: bool = False


class Measure:
    """Text widths in the report's fonts (points at 1 pt), cached per text and style."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.faces: dict[tuple[str, bool], FontFace] = {}

    def width(self, text: str, style: Style) -> float:
        """The advance width of ``text`` in ``style`` at 1 pt."""
        key = (style.role, style.bold)
        if key not in self.faces:
            fonts, folder = self.settings.fonts, self.settings.fonts_dir
            self.faces[key] = require_face(fonts, style.role, folder, bold=style.bold)
        face = self.faces[key]
        return _advance(face.path, face.index, text) * style.size


@lru_cache(maxsize=8)
def _font(path: Path, index: int) -> tuple[object, int]:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    return hb.Font(face), face.upem


@lru_cache(maxsize=65536)
def _advance(path: Path, index: int, text: str) -> float:
    import uharfbuzz as hb

    font, upem = _font(path, index)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    advance: int = sum(position.x_advance for position in buffer.glyph_positions)
    return advance / upem


def fit_tables(root: HtmlElement, settings: Settings) -> None:
    """Keep times whole, label cells and plan every table of ``root`` (see the module)."""
    tables = root.xpath("//table")
    if not tables:
        return
    measure = Measure(settings)
    for table in tables:
        keep_times(table)
        label_cells(table)
        if table.xpath(".//table"):
            continue  # a table of tables: its inner tables are planned
        apply_plan(table, plan_table(table, available_width(table, settings.paper), measure))


def available_width(table: HtmlElement, paper: str) -> float:
    """The width a table may take, in points: the text block less its containers' indents."""
    width = TEXT_WIDTH.get(paper, TEXT_WIDTH["A4"])
    for ancestor in table.iterancestors():
        if ancestor.tag in ("td", "th"):
            width -= PADDING
        width -= INDENT.get(ancestor.tag, 0.0)
    return width


def plan_table(table: HtmlElement, available: float, measure: Measure) -> TablePlan:
    """The widths and fallbacks that make ``table`` fit ``available`` points."""
    columns = measure_columns(table, measure, frozenset())
    if not columns:
        return TablePlan()
    plan = share_widths(columns, available)
    if plan is not None:
        return TablePlan(widths=plan)
    small = [_scaled(column, SMALL) for column in columns]
    plan = share_widths(small, available)
    if plan is not None:
        return TablePlan(widths=plan, small=True)
    # The longest text column's words break at allowed points; then the next longest's too.
    order = sorted(range(len(columns)), key=lambda index: (-columns[index].text, index))
    broken: list[int] = []
    for index in order:
        broken.append(index)
        measured = measure_columns(table, measure, frozenset(broken))
        plan = share_widths([_scaled(column, SMALL) for column in measured], available)
        if plan is not None:
            return TablePlan(widths=plan, small=True, broken=tuple(broken))
    return TablePlan(records=True)


def share_widths(columns: list[Column], available: float) -> tuple[float, ...] | None:
    """Per-cent widths: short columns get their widest line, the columns of running text share
    the rest (never below their narrowest unit). ``()`` when the
    natural widths fit; None when even the narrowest do not."""
    if sum(column.widest for column in columns) <= available:
        return ()
    if sum(column.narrowest for column in columns) > available:
        return None
    widths: dict[int, float] = {}
    left = available
    open_ = list(range(len(columns)))
    while open_:  # water-filling: a column narrower than an even share takes what it needs
        share = left / len(open_)
        short = [index for index in open_ if columns[index].widest <= share]
        if not short:
            break
        for index in short:
            widths[index] = columns[index].widest
            left -= columns[index].widest
            open_.remove(index)
    # The rest in proportion to the square roots of their widest lines, each at least its
    # narrowest unit: the widths that make the fewest lines in all (a column of widest line w
    # set x wide takes about w / x lines; the sum is least, for a given total, at x ~ sqrt(w)).
    while open_:
        total = sum(math.sqrt(columns[index].widest) for index in open_)
        shares = {index: left * math.sqrt(columns[index].widest) / total for index in open_}
        squeezed = [index for index in open_ if shares[index] < columns[index].narrowest]
        if not squeezed:
            widths.update(shares)
            break
        for index in squeezed:
            widths[index] = columns[index].narrowest
            left -= columns[index].narrowest
            open_.remove(index)
    total = sum(widths.values())
    return tuple(round(100 * widths[index] / total, 2) for index in range(len(columns)))


def measure_columns(table: HtmlElement, measure: Measure, broken: frozenset[int]) -> list[Column]:
    """Each column's narrowest and widest width; the cells of the ``broken`` columns measured
    as if their long words broke at the allowed points."""
    found: dict[int, Column] = {}
    for row in own_rows(table):
        for index, cell in enumerate(row_cells(row)):
            if cell.get("colspan", "1").strip() not in ("", "1"):
                continue  # a cell across columns (a day's title row) sets no column's width
            column = measure_cell(cell, measure, index in broken)
            old = found.get(index, Column(0.0, 0.0))
            found[index] = Column(
                max(old.narrowest, column.narrowest),
                max(old.widest, column.widest),
                old.text + column.text,
            )
    return [
        found.get(index, Column(PADDING, PADDING)) for index in range(max(found, default=-1) + 1)
    ]


def measure_cell(cell: HtmlElement, measure: Measure, broken: bool) -> Column:
    """A cell's longest unit and longest line, padding included."""
    narrowest = widest = 0.0
    characters = 0
    for line in cell_lines(cell):
        text = "".join(char for char, _ in line)
        characters += len(text.strip())
        if text == "\N{OBJECT REPLACEMENT CHARACTER}":  # a picture
            narrowest, widest = max(narrowest, IMAGE_MIN), max(widest, 3 * IMAGE_MIN)
            continue
        widest = max(widest, _width(line, measure))
        for unit in _units(line, broken):
            narrowest = max(narrowest, _width(unit, measure))
    return Column(
        narrowest * FONT_SIZE * SAFETY + PADDING, widest * FONT_SIZE * SAFETY + PADDING, characters
    )


Run = list[tuple[str, Style]]


def cell_lines(cell: HtmlElement) -> Iterator[Run]:
    """A cell's text as lines of styled characters: a ``<br>`` or a block starts a line; a
    picture is a line of one object character; footnotes (set at the page foot) are left out."""
    line: Run = []
    start = Style("heading", True) if cell.tag == "th" else Style("body", False)

    def visit(element: HtmlElement, style: Style) -> Iterator[Run]:
        nonlocal line
        if element.tag in CODE:
            style = Style("code", style.bold, CODE_SIZE.get(element.tag, 1.0))
        elif element.tag in SANS:
            style = Style("heading", style.bold, style.size)
        if element.tag in BOLD:
            style = Style(style.role, True, style.size)
        if element.tag in BLOCK or element.tag in ("br", "img"):
            if line:
                yield line
            line = []
        if element.tag == "img":
            yield [("\N{OBJECT REPLACEMENT CHARACTER}", style)]
        line += [(char, style) for char in (element.text or "") if char != WORD_JOINER]
        for child in element:
            if not isinstance(child.tag, str) or child.tag in SKIP:
                pass
            elif "footnote" in child.get("class", "").split():
                pass
            else:
                yield from visit(child, style)
            line += [(char, style) for char in (child.tail or "") if char != WORD_JOINER]
        if element.tag in BLOCK and line:
            yield line
            line = []

    yield from visit(cell, start)
    if any(not char.isspace() for char, _ in line):
        yield line


def _units(line: Run, broken: bool) -> Iterator[Run]:
    """The pieces of a line no line break may fall inside: words, time ranges (their spaces
    are no-break spaces), URL parts between ``/ . ? & =`` (zero-width spaces)."""
    text = "".join(char for char, _ in line)
    for match in UNIT.finditer(text):
        unit = line[match.start() : match.end()]
        if not broken:
            yield unit
            continue
        start = 0
        for cut in _allowed_breaks(match.group()):
            yield unit[start:cut]
            start = cut
        yield unit[start:]


def _allowed_breaks(word: str) -> list[int]:
    """Where a word may break as a last resort before the table becomes records: after
    ``/ . ? & = - _ ,`` and before ``(``, never inside a number (``3.14``, ``80,000``)."""
    cuts = []
    for index in range(1, len(word)):
        before, after = word[index - 1], word[index]
        if before.isdigit() and after.isdigit():
            continue
        if HANGUL.match(before) and HANGUL.match(after):
            continue
        if (before in BREAK_AFTER and after not in BREAK_AFTER) or after in BREAK_BEFORE:
            cuts.append(index)
    return cuts


def _width(run: Run, measure: Measure) -> float:
    total = 0.0
    start = 0
    for index in range(1, len(run) + 1):
        if index == len(run) or run[index][1] != run[start][1]:
            text = "".join(char for char, _ in run[start:index]).replace("\u00a0", " ")
            total += measure.width(text, run[start][1])
            start = index
    return total


def _scaled(column: Column, factor: float) -> Column:
    return Column(
        (column.narrowest - PADDING) * factor + PADDING,
        (column.widest - PADDING) * factor + PADDING,
        column.text,
    )


def apply_plan(table: HtmlElement, plan: TablePlan) -> None:
    """Write ``plan`` into the table: a ``<colgroup>``, classes, break points."""
    classes = table.get("class", "").split()
    if plan.records:
        classes.append("table-records")
    if plan.small:
        classes.append("table-small")
    if classes:
        table.set("class", " ".join(classes))
    if plan.widths:
        for old in table.findall("colgroup"):
            table.remove(old)
        group = table.makeelement("colgroup", {})
        for width in plan.widths:
            group.append(table.makeelement("col", {"style": f"width: {width}%"}))
        caption = table.find("caption")
        table.insert(0 if caption is None else 1, group)
    for row in own_rows(table) if plan.broken else ():
        for index, cell in enumerate(row_cells(row)):
            if index in plan.broken:
                _break_words(cell)


def _break_words(cell: HtmlElement) -> None:
    """A zero-width space at each allowed point of the cell's words (see ``_allowed_breaks``)."""
    for element in cell.iter():
        if not isinstance(element.tag, str) or "footnote" in element.get("class", "").split():
            continue
        if element.text:
            element.text = _breakable(element.text)
        if element.tail and element is not cell:
            element.tail = _breakable(element.tail)


def _breakable(text: str) -> str:
    pieces = []
    for word in re.split(r"(\s+)", text):
        clean = word.replace(WORD_JOINER, "")
        if not clean.strip() or len(clean) < 2:
            pieces.append(word)
            continue
        out = []
        seen = 0  # characters of the clean word passed
        cuts = set(_allowed_breaks(clean))
        for char in word:
            if char != WORD_JOINER:
                if seen in cuts:
                    out.append(ZERO_WIDTH_SPACE)
                seen += 1
            out.append(char)
        pieces.append("".join(out))
    return "".join(pieces)
