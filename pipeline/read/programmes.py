"""Programmes written outside Markdown's own structures: the candidate units that raw HTML
tables, plain-text timetables and blog-engine template tags make.

Each recogniser reads a run of top-level blocks and returns units (``units.Unit``), like the
recognisers of ``units.py``; they are weighed only as candidate readings (`talks: html table
row`, `talks: timetable line`, `talks: template tag`), never forced on the default reading.
What they know is general: a programme row has a time, a title and people; a timetable line
opens with a time; a template tag (`{% include profile.html heading="..." bold="..." %}`,
`{{< profile heading="..." >}}`) carries its talk in named attributes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

from markdown_it.token import Token

from pipeline.model import Person
from pipeline.read import recognise
from pipeline.read.blocks import Block
from pipeline.read.markdown import inline_text
from pipeline.read.shared_work import remembered
from pipeline.read.speakers import parse_people, speaker_line, split_title
from pipeline.read.units import (
    Unit,
    bold_only,
    enough,
    every_bold_line_units,
    find_units,
    later_lines,
    list_items,
    list_items_with_body,
    list_units,
    raw_text,
    rule_units,
    runs_between_rules,
    table_rows,
    table_units,
    talk_count,
)

# A label before a title that is not part of it: `(초청강연 1)`, `[Keynote]`, `【세션 2】`.
LEADING_LABEL = re.compile(r"^\s*[\[(（【][^\])）】]{1,14}[\])）】]\s*(?=\S)")
TRAILING_PEOPLE = re.compile(r"\s*[(\[（]((?:[^()\[\]（）]|[(（][^()（）]*[)）])+)[)\]）]\s*$")


def units_for(blocks: list[Block], unit: str | None = None) -> list[Unit]:
    """The talks ``blocks`` hold: the best of the reader's own recognisers, or the reading of
    the one ``unit`` a candidate (or the front matter) asks for, read more freely: a table by
    what its cells hold, every item of a list."""
    return remembered(("units", unit, len(blocks)), blocks, lambda: _units_for(blocks, unit))


def _units_for(blocks: list[Block], unit: str | None) -> list[Unit]:
    if unit is None:
        return find_units(blocks)
    recogniser = RECOGNISERS.get(unit)
    units = recogniser(blocks) if recogniser else []
    return units if enough(units) else []


def clean_title(text: str) -> str:
    """A title without the label, number or time a programme puts before it."""
    text = " ".join(text.split())
    time, text = recognise.split_time(text)
    text = LEADING_LABEL.sub("", text) if not time or LEADING_LABEL.match(text) else text
    return recognise.drop_numbering(text).strip(" -–—|:")


def people_in(text: str) -> tuple[Person, ...]:
    """The people a programme's cell or parenthesis names: `권영진 (KAIST)`, `임대현/이은성,
    NAVER Cloud`, `David McLaughlin - Global Programs Lead, Google Developers`."""
    text = " ".join(text.split())
    if not text:
        return ()
    found = speaker_line(text)
    if found:
        return found
    head = re.split(r"\s+[-–—|]\s+|,\s*", text, maxsplit=1)[0]
    names = [n for n in re.split(r"\s*[/&]\s*|\s*,\s*", head) if n]
    people = [p for n in names for p in speaker_line(n)]
    return tuple(people) if len(people) == len(names) else ()


def title_and_people(text: str) -> tuple[str, tuple[Person, ...]]:
    """`제목 (이름 - 소속)`, `제목 [이름/이름, 소속]`, `제목 by 이름` -> title, people."""
    if match := TRAILING_PEOPLE.search(text):
        people = people_in(match[1])
        if people:
            return clean_title(text[: match.start()]), people
    title, people = split_title(text)
    return clean_title(title), people


def source_lines(block: Block) -> tuple[str, ...]:
    """The block's lines as written in the notes."""
    first, last = block.tokens[0].map or (0, 0)
    return lines_of(block.notes.text)[first:last]


@lru_cache(maxsize=4)
def lines_of(text: str) -> tuple[str, ...]:
    """The notes' lines, split once (a block's lines are asked for block after block)."""
    return tuple(text.split("\n"))


# --- raw HTML tables ------------------------------------------------------------------------

ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr\s*>", re.I | re.S)
CELL = re.compile(r"<t([dh])\b([^>]*)>(.*?)(?=<t[dh]\b|</tr|$)", re.I | re.S)
TAG = re.compile(r"<[^>]+>")


def html_table_units(blocks: list[Block]) -> list[Unit]:
    """Rows of raw HTML tables: a time cell, a title cell and a cell of people. A row of one
    cell (`<th colspan="3">2월 18일</th>`) names the day or track of the rows under it."""
    units: list[Unit] = []
    slot: str | None = None
    for block in blocks:
        if block.tokens[0].type != "html_block" or "<tr" not in block.tokens[0].content.lower():
            continue
        text = block.tokens[0].content
        start = block.line
        for row in ROW.finditer(text):
            line = start + text.count("\n", 0, row.start())
            cells = [
                html.unescape(" ".join(TAG.sub(" ", c[2]).split())) for c in CELL.findall(row[1])
            ]
            cells = [c for c in cells if c]
            if len(cells) == 1:
                slot = cells[0]
                continue
            unit = row_unit(cells, line, slot, "html table row")
            if unit is not None:
                unit.consumed = [block]
                units.append(unit)
    return units


def row_unit(cells: list[str], line: int, slot: str | None, rule: str) -> Unit | None:
    """A programme row: the time, the people and, of the other cells, the longest: the title."""
    time = next((c for c in cells if recognise.split_time(c + " x")[0]), None)
    rest = [c for c in cells if c is not time]
    people: tuple[Person, ...] = ()
    for cell in rest[1:]:
        if found := people_in(cell):
            people = found
            rest.remove(cell)
            break
    if not rest:
        return None
    title, named = title_and_people(max(rest, key=len))
    people = people or named
    if not title:
        return None
    kind = "talk" if people and not recognise.is_section(title) else "section"
    return Unit(title, line, rule, people, slot=time or slot, kind=kind)


# --- plain-text timetables ------------------------------------------------------------------


def timetable_units(blocks: list[Block]) -> list[Unit]:
    """Paragraph lines that open with a time: `[12:50 ~ 13:30] 제목 (이름 - 소속)`; a short
    line without a time (`트랙 A`) names the track of the lines under it."""
    units: list[Unit] = []
    for block in blocks:
        if block.tokens[0].type != "paragraph_open":
            continue
        track: str | None = None
        for offset, raw in enumerate(source_lines(block)):
            text = raw.strip()
            time, rest = recognise.split_time(text)
            if not time:
                if text and len(text.split()) <= 3:
                    track = text
                continue
            title, people = title_and_people(rest)
            # as in a schedule table: a line that names nobody is a break, unless it says
            # it is a talk (`Keynote`)
            named = people or recognise.TALK_WORDS.search(title)
            kind = "talk" if named and not recognise.is_section(title) else "section"
            slot = f"{track} {time}" if track else time
            units.append(
                Unit(title, block.line + offset, "timetable line", people, slot=slot, kind=kind)
            )
        if any(u.line >= block.line for u in units):
            units[-1].consumed = [block]
    return units


# --- template tags --------------------------------------------------------------------------

TEMPLATE_TAG = re.compile(r"^\s*(\{%-?\s*include|\{\{<\s*\w+|\{\{%\s*\w+)", re.S)
ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.S)
TITLE_KEYS = ("heading", "title", "topic", "session", "talk", "name")
PEOPLE_KEYS = ("speaker", "speakers", "presenter", "author", "bold", "who", "by")


def template_units(blocks: list[Block]) -> list[Unit]:
    """Blog-engine tags that hold a talk in attributes: a title key and a people key."""
    units = []
    for block in blocks:
        text = "\n".join(source_lines(block))
        if not TEMPLATE_TAG.match(text):
            continue
        attributes = {m[1].lower(): m[2] or m[3] for m in ATTRIBUTE.finditer(text)}
        title = next((attributes[k] for k in TITLE_KEYS if attributes.get(k)), "")
        who = next((attributes[k] for k in PEOPLE_KEYS if attributes.get(k)), "")
        people = people_in(who) or parse_people(who, labelled=True) if who else ()
        if title:
            units.append(
                Unit(clean_title(title), block.line, "template tag", people, consumed=[block])
            )
    return units


# --- Markdown tables and lists, read by what their cells and items hold ---------------------


def table_by_content_units(blocks: list[Block]) -> list[Unit]:
    """A table's rows as a programme, its columns told by what they hold (a time, people,
    the longest text) when its header does not name them."""
    units = table_units(blocks)
    if enough(units):
        return units
    for block in blocks:
        if block.tokens[0].type != "table_open":
            continue
        found = []
        for line, cells in table_rows(block.tokens)[1:]:
            unit = row_unit([raw_text(c) for c in cells], line, None, "table row")
            if unit is not None:
                unit.consumed = [block]
                found.append(unit)
        if talk_count(found) >= 2:
            return found
    return []


def every_item_units(
    blocks: list[Block], kinds: tuple[str, ...] = ("bullet_list_open", "ordered_list_open")
) -> list[Unit]:
    """Each top-level item of a list (of the ``kinds`` given) a talk (`제목 by 이름`, `1.
    제목`), unless its words make it a section or it is only links; the list stays in the
    text, nothing is taken from it."""
    lists = [block for block in blocks if block.tokens[0].type in kinds]
    units = list_units(lists)
    if enough(units):
        return units
    found: list[Unit] = []
    for block in lists:
        for line, item, _ in list_items_with_body(block.tokens):
            text = inline_text(item)
            if not text.strip() or only_links(item) or is_task(item):
                continue  # nothing, a list of links, a to-do (`- [x] ...`): no talk
            if FIELD.match(text) or (found and speaker_line(text)):
                # `- 발표자 : 이름`, `- 발표자료 : URL`, or a name alone: a field of the talk
                # above, not a talk
                if found and not found[-1].people:
                    found[-1].people = speaker_line(FIELD.sub("", text)) or speaker_line(text)
                continue
            title, people = title_and_people(text)
            kind = "section" if recognise.is_section(title) else "talk"
            found.append(Unit(title, line, "list item", people, kind=kind))
    return found if talk_count(found) >= 2 else []


# `발표자 : 이름`, `일시: 2017년 8월 30일`: a short label and its value
FIELD = re.compile(r"^\s*[\w ]{1,8}?\s*[:：]\s*(?=\S)")


def is_task(item: Token) -> bool:
    """A task list's item (`- [x] 할 일`): its checkbox comes first."""
    children = item.children or ()
    first = children[0] if children else None
    return first is not None and first.type == "html_inline" and "checkbox" in first.content


def only_links(item: Token) -> bool:
    children = [c for c in item.children or () if not (c.type == "text" and not c.content.strip())]
    return bool(children) and children[0].type == "link_open"


def numbered_item_units(blocks: list[Block]) -> list[Unit]:
    """Each top-level item of a numbered list a talk: a bullet list between two numbered ones
    (sub-points indented too little to stay inside their item) holds no talk."""
    return every_item_units(blocks, ("ordered_list_open",))


def every_rule_block_units(blocks: list[Block]) -> list[Unit]:
    """Runs of blocks between `---` rules, each a talk when it opens with its header (a list
    `- 제목`, `- 발표자 : 이름`, or a bold line): its title the first line that is not a field
    (`일시: ...`, `발표자 : 이름`), its speaker the first other line that names one. A run
    that opens with prose (an introduction, a closing word), or whose title is a section's,
    is no talk."""
    units = rule_units(blocks)
    if enough(units):
        return units
    found = []
    for run in filter(None, runs_between_rules(blocks)):
        first = run[0].tokens
        if first[0].type in ("bullet_list_open", "ordered_list_open"):
            lines = [inline_text(item) for _, item in list_items(first)]
        elif first[0].type == "paragraph_open" and (bold := bold_only(first[1])):
            lines = [bold, *later_lines(first[1]).split("\n")]
        else:
            continue
        head = lines[:4]
        line = next((t for t in head if not FIELD.match(t)), "")
        title, people = title_and_people(line) if line else ("", ())
        others = [t for t in head if t is not line]
        people = people or next((p for t in others if (p := speaker_line(t))), ())
        if title and not recognise.is_section(title):
            found.append(Unit(title, run[0].line, "rule block", people, run))
    return found if talk_count(found) >= 2 else []


RECOGNISERS: dict[str, Callable[[list[Block]], list[Unit]]] = {
    "table row": table_by_content_units,
    "list item": every_item_units,
    "numbered item": numbered_item_units,
    "bold line": every_bold_line_units,
    "rule block": every_rule_block_units,
    "html table row": html_table_units,
    "timetable line": timetable_units,
    "template tag": template_units,
}
