"""Talks that are not headings: the units a run of Markdown blocks repeats.

Notes list talks in many shapes besides headings. Each recogniser here is one small rule, in
the manner of markdown-it-py's rules: it reads a run of top-level blocks and returns the talks
it sees, or nothing when the shape is not there. Every recogniser asks for repetition (two
units or more) and for evidence in each unit (a speaker, a schedule column), so a stray list
or bold line is never taken for a talk.

- ``table_units``: a schedule table with a title column and a speaker column
  (`| 순번 | 세션 내용 | 발표자 |`); rows without a speaker, or naming a ceremony or a break,
  are sections.
- ``list_units``: list items `발표자(소속) / 제목` or `제목 - 발표자`, under optional bold
  track labels (`**Android**`), which become the talks' slots.
- ``bold_units``: paragraphs whose first line is only bold text, `**제목 - 발표자**` or
  `**제목**` with a speaker on the next line; each runs to the next one or the next rule.
- ``rule_units``: runs of blocks between `---` rules that each link a speaker's profile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline.model import Person
from pipeline.read import recognise
from pipeline.read.blocks import Block
from pipeline.read.markdown import inline_text
from pipeline.read.speakers import (
    LABELLED,
    mentioned_speaker,
    parse_people,
    speaker_line,
    split_outside_parens,
    split_title,
)


@dataclass
class Unit:
    """A talk (or a section beside talks) found inside a run of blocks."""

    title: str
    line: int
    rule: str
    people: tuple[Person, ...] = ()
    blocks: list[Block] = field(default_factory=list)  # what the unit holds, in order
    slot: str | None = None
    kind: str = "talk"  # or "section"
    consumed: list[Block] = field(default_factory=list)  # blocks that gave it (not shown again)
    labelled: bool = False  # a label named the speaker (`발표자: 이름`): a talk even alone


def find_units(blocks: list[Block]) -> list[Unit]:
    """The best of the recognisers' readings of ``blocks``: the one with most talks."""
    best: list[Unit] = []
    for recogniser in (table_units, list_units, bold_units, rule_units):
        units = recogniser(blocks)
        if enough(units) and talk_count(units) > talk_count(best):
            best = units
    return best


def talk_count(units: list[Unit]) -> int:
    return sum(1 for unit in units if unit.kind == "talk")


def enough(units: list[Unit]) -> bool:
    """Two talks make a repeating unit; one whose speaker a label names is a talk alone."""
    return talk_count(units) >= 2 or any(u.labelled and u.kind == "talk" for u in units)


# --- tables ---------------------------------------------------------------------------------

TITLE_HEADER = re.compile(r"세션|제목|발표|주제|내용|강연|title|session|talk|topic", re.I)
SPEAKER_HEADER = re.compile(r"발표자|연사|강연자|이름|speaker|presenter|name", re.I)


def table_units(blocks: list[Block]) -> list[Unit]:
    """Rows of a schedule table: a title column and a speaker column."""
    for block in blocks:
        if block.tokens[0].type != "table_open":
            continue
        rows = table_rows(block.tokens)
        if len(rows) < 3:
            continue
        header = [inline_text(cell) for cell in rows[0][1]]
        speaker_col = next((i for i, h in enumerate(header) if SPEAKER_HEADER.search(h)), None)
        title_col = next(
            (
                i
                for i, h in enumerate(header)
                if i != speaker_col and TITLE_HEADER.search(h) and not numbers_only(rows[1:], i)
            ),
            None,
        )
        if speaker_col is None or title_col is None:
            continue
        units = []
        for line, cells in rows[1:]:
            if title_col >= len(cells):
                continue
            title = cell_title(cells[title_col])
            people = (  # the column says these are people: names need no more evidence
                parse_people(raw_text(cells[speaker_col]), labelled=True)
                if speaker_col < len(cells)
                else ()
            )
            if not title:
                continue
            kind = "section" if not people or recognise.is_section(title) else "talk"
            units.append(Unit(title, line, "table row", people, kind=kind, consumed=[block]))
        if talk_count(units) >= 2:
            return units
    return []


def table_rows(tokens: list[Token]) -> list[tuple[int, list[Token]]]:
    """(line, inline cells) of each row; a short row (`| | Coffee Break`) has fewer cells."""
    rows: list[tuple[int, list[Token]]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append(((token.map[0] + 1) if token.map else 0, []))
        elif token.type == "inline" and rows:
            rows[-1][1].append(token)
    return [(line, [c for c in cells]) for line, cells in rows]


def numbers_only(rows: list[tuple[int, list[Token]]], index: int) -> bool:
    """Whether column ``index`` holds only slot numbers (`1`, `2`, `-`): `세션 | 시간 | 주제`
    numbers its sessions in the first column and titles them in the third."""
    cells = [inline_text(cells[index]).strip() for _, cells in rows if index < len(cells)]
    return all(SLOT_NUMBER.match(cell) for cell in cells)


SLOT_NUMBER = re.compile(r"^[\d.\-–—#]*$")


def cell_title(cell: Token) -> str:
    """A title cell without its links to slides (`제목 ([PDF](...))`, `제목 [slides](...)`);
    a link that is the title itself (`React : [제목](영상)`) keeps its text."""
    parts: list[str] = []
    link: list[str] | None = None
    for child in cell.children or ():
        if child.type == "link_open":
            link = []
        elif child.type == "link_close" and link is not None:
            text = "".join(link)
            bracketed = "".join(parts).rstrip().endswith(("(", "（", "["))
            if not bracketed and not MATERIAL.match(text.strip()):
                parts.append(text)
            link = None
        elif child.type in ("text", "code_inline"):
            (parts if link is None else link).append(child.content)
    text = " ".join("".join(parts).split())
    return re.sub(r"\s*[(（\[]\s*[)）\]]\s*$", "", text).strip()


# A link's text that names material, not a talk: `[PDF]`, `[slides]`, `[발표자료]`, `[영상]`.
MATERIAL = re.compile(
    r"^(pdf|ppt|slides?|slideshare|video|youtube|link|발표\s*자료|자료|슬라이드|영상|동영상|링크)$",
    re.I,
)


def raw_text(token: Token) -> str:
    """An inline token's text with ``<br>`` kept as a line break (speaker cells)."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and re.match(r"<br", child.content, re.I)
        ):
            parts.append(" ")
    return " ".join("".join(parts).split())


# --- list items -----------------------------------------------------------------------------

SLASH = re.compile(r"\s+(?:/|→|->|⇒|=>)\s+")  # `이름(소속) / 제목`, `소속 이름 님 → 제목`


def list_units(blocks: list[Block]) -> list[Unit]:
    """Items `발표자(소속) / 제목` (or `제목 (발표자)`, `제목 - 발표자`) of lists, with the bold
    label before a list (`**Android**`) as the talks' track."""
    units: list[Unit] = []
    track: tuple[str, Block] | None = None
    for block in blocks:
        first = block.tokens[0]
        if first.type == "paragraph_open" and (label := bold_only(block.tokens[1])):
            track = (label, block)
            continue
        if first.type not in ("bullet_list_open", "ordered_list_open"):
            continue
        items = list_items_with_body(block.tokens)
        found = [
            item_unit(item, line, inside) or break_unit(item, line) for line, item, inside in items
        ]
        top_level = sum(1 for t in block.tokens if t.type == "list_item_open" and t.level == 1)
        if not any(found) or None in found or len(items) < top_level:
            continue  # an item that is neither a talk nor a break: not a programme
        programme = [u for u in found if u is not None]
        for unit in programme:
            unit.slot = unit.slot or (track[0] if track else None)
        programme[0].consumed = [block] + ([track[1]] if track else [])
        units += programme
    return units if talk_count(units) >= 2 or any(u.labelled for u in units) else []


def list_items(tokens: list[Token]) -> list[tuple[int, Token]]:
    """(line, inline) of each top-level item of a list block."""
    return [(line, inline) for line, inline, _ in list_items_with_body(tokens)]


def list_items_with_body(tokens: list[Token]) -> list[tuple[int, Token, list[str]]]:
    """(line, first inline, the texts of what the item holds below it) of each top-level
    item: a Notion toggle keeps its speaker (`발표자: 이름`) inside the item."""
    items: list[tuple[int, Token, list[str]]] = []
    depth = 0
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            depth += 1
            if depth == 1 and index + 2 < len(tokens) and tokens[index + 2].type == "inline":
                items.append(((token.map[0] + 1) if token.map else 0, tokens[index + 2], []))
                continue
        elif token.type == "list_item_close":
            depth -= 1
        if items and depth >= 1 and token.type == "inline" and token is not items[-1][1]:
            items[-1][2].append(inline_text(token))
    return items


def break_unit(item: Token, line: int) -> Unit | None:
    """A programme's item that is no talk: `13:00 개회식`, `14:50 ☕ 쉬는 시간`, `점심`."""
    time, text = recognise.split_time(inline_text(item))
    if time or recognise.is_section(text):
        return Unit(text, line, "list item", kind="section", slot=time)
    return None


def item_unit(item: Token, line: int, inside: Sequence[str] = ()) -> Unit | None:
    """A list item that is a talk: `이름(소속) / 제목`, `13:20 **제목** - 이름 (소속)`,
    `제목 (이름)`, or a title whose item holds `발표자: 이름` below it."""
    text = inline_text(item)
    if any(child.type == "link_open" for child in item.children or ()):
        return None  # a list of links: materials, not the programme
    time, text = recognise.split_time(text)
    found = bold_title(item, allow_time=True)
    if found is not None:  # `**제목** - 사회: 김태호 / 패널: ...` or `**제목** - 이름`
        title, rest = found
        rest = rest.strip(" -–—/|:")
        people = (mentioned_speaker(rest) or speaker_line(rest)) if rest else ()
        if people:
            return Unit(recognise.drop_numbering(title), line, "list item", people, slot=time)
    people = next((p for t in inside[:3] if LABELLED.match(t) and (p := speaker_line(t))), ())
    if people:  # a toggle: the title, then `발표자: 이름` inside
        return Unit(
            recognise.drop_numbering(text), line, "list item", people, slot=time, labelled=True
        )
    parts = split_outside_parens(text, SLASH)
    if len(parts) >= 2:
        people = parse_people(parts[0], vouched=True)
        if people:
            return Unit(
                recognise.drop_numbering(" / ".join(parts[1:]).strip()), line, "list item", people
            )
    title, people = split_title(text, vouched=True)
    if people:
        return Unit(recognise.drop_numbering(title), line, "list item", people, slot=time)
    return None


# --- bold lines -----------------------------------------------------------------------------


def bold_title(inline: Token, allow_time: bool = False) -> tuple[str, str] | None:
    """The bold text a paragraph's first line opens with, and the rest of that line
    (`**제목** (발표: 이름)` -> `제목`, `(발표: 이름)`), or None. ``allow_time``: a time
    may come first (`13:20 **제목** - 이름`)."""
    children = [c for c in first_line(inline) if not (c.type == "text" and not c.content.strip())]
    if (
        allow_time
        and children
        and children[0].type == "text"
        and recognise.split_time(children[0].content.strip() + " x")[0]
    ):
        children = children[1:]
    if not children or children[0].type != "strong_open":
        return None
    close = next((i for i, c in enumerate(children) if c.type == "strong_close"), None)
    if close is None or close < 2:
        return None
    inner, after = children[1:close], children[close + 1 :]
    if any(c.type in ("strong_open", "strong_close", "image", "link_open") for c in after):
        return None
    title = " ".join("".join(c.content for c in inner if c.type in ("text", "code_inline")).split())
    rest = " ".join("".join(c.content for c in after if c.type in ("text", "code_inline")).split())
    return (title, rest) if title else None


def bold_only(inline: Token) -> str | None:
    """The text of an inline token that is only bold text (its first line only)."""
    found = bold_title(inline)
    return found[0] if found and not found[1] else None


def first_line(inline: Token) -> list[Token]:
    line: list[Token] = []
    for child in inline.children or ():
        if child.type in ("softbreak", "hardbreak"):
            break
        line.append(child)
    return line


def later_lines(inline: Token) -> str:
    """The text after an inline token's first line break."""
    children = list(inline.children or ())
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            rest = Token("inline", "", 0, children=children[index + 1 :])
            return inline_text(rest)
    return ""


def bold_units(blocks: list[Block], every: bool = False) -> list[Unit]:
    """`**제목 - 발표자**`, `**제목** (발표: 이름)`, or `**제목**` with a speaker line under
    it: each a talk up to the next one or a rule. A bold section word between them
    (`**점심시간**`) is a section. ``every``: each paragraph that is only a bold line is a
    talk too, named speaker or not (the reading `talks: bold line` asks for)."""
    units: list[Unit] = []
    current: Unit | None = None
    skip: Block | None = None
    for index, block in enumerate(blocks):
        first = block.tokens[0]
        if block is skip:
            continue
        if first.type == "hr":
            current = None
            continue
        found = bold_title(block.tokens[1]) if first.type == "paragraph_open" else None
        if found is not None:
            text, rest = found
            title, people = split_title(text)
            title = recognise.drop_numbering(title)
            consumed = [block]
            if not people and rest:
                people = speaker_line(rest.strip(" -–—/|:"))
            if not people and not rest:
                following = later_lines(block.tokens[1])
                if not following and index + 1 < len(blocks):
                    next_block = blocks[index + 1]
                    if next_block.tokens[0].type == "paragraph_open":
                        following = inline_text(next_block.tokens[1])
                        if speaker_line(following):
                            consumed.append(next_block)
                            skip = next_block
                people = speaker_line(following) if following else ()
                for later in blocks[index + 1 : index + 3]:  # `발표는 ... **조은호**님.`
                    if (
                        people
                        or later.tokens[0].type != "paragraph_open"
                        or bold_title(later.tokens[1])  # the next talk's title
                    ):
                        break
                    people = mentioned_speaker(inline_text(later.tokens[1]))
            if recognise.is_section(title) and not rest:
                current = Unit(title, block.line, "bold line", kind="section", consumed=[block])
                units.append(current)
                continue
            if people or (not rest and (every or recognise.TALK_WORDS.search(title))):
                current = Unit(title, block.line, "bold line", people, consumed=consumed)
                units.append(current)
                continue
        if current is not None:
            current.blocks.append(block)
    # two talks that name their speakers make the repeating unit; keynotes ride along
    return units if every or sum(1 for u in units if u.people) >= 2 else []


def every_bold_line_units(blocks: list[Block]) -> list[Unit]:
    return bold_units(blocks, every=True)


# --- blocks between rules -------------------------------------------------------------------

# A link to a speaker's page: a profile on an event site, GitHub, Twitter, LinkedIn.
PROFILE = re.compile(
    r"/(?:speakers?|profiles?|people|members?)/(?P<a>[\w.-]+)/?$"
    r"|^https?://(?:www\.)?(?:github\.com|twitter\.com|x\.com|linkedin\.com/in)/(?P<b>[\w.-]+)/?$",
    re.I,
)


def rule_units(blocks: list[Block]) -> list[Unit]:
    """Runs of blocks between `---` rules, each naming its speaker (a profile link or a
    speaker line): one talk each, untitled unless a bold line or heading says more."""
    units = []
    for run in runs_between_rules(blocks):
        people = next((found for block in run if (found := run_speaker(block))), ())
        if run and people:
            title = next(
                (
                    t
                    for b in run[:2]
                    if b.tokens[0].type == "paragraph_open" and (t := bold_only(b.tokens[1]))
                ),
                "",
            )
            units.append(Unit(title, run[0].line, "rule block", people, run))
    return units if len(units) >= 2 else []


def runs_between_rules(blocks: list[Block]) -> list[list[Block]]:
    """The blocks between `---` rules, a run each (the first before any rule)."""
    runs: list[list[Block]] = [[]]
    for block in blocks:
        if block.tokens[0].type == "hr":
            runs.append([])
        else:
            runs[-1].append(block)
    return runs


def run_speaker(block: Block) -> tuple[Person, ...]:
    """A speaker a block names: a profile link's handle (`.../speaker/cwdoh`)."""
    for token in block.tokens:
        for child in token.children or ():
            href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
            if (match := PROFILE.search(href)) and (handle := match["a"] or match["b"]):
                return (Person(handle),)
    return ()
