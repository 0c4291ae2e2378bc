"""Which headings are chapters (days) and which are talks: the reading of a notes file.

How the notes are understood (the README's "Writing notes" says the same to users):
- The title is the front matter's, else the first H1 that is not a day marker, else the first
  heading of a file that has no H1 (see metadata.py for the front matter).
- Day markers (`DAY 1`, `2일차`, `첫째 날`, a date...) at any heading level make that level the
  chapter level: every heading there is a chapter, a day or another section (소개, 후기) in its
  place. Without day markers the whole notes are one implicit day.
- Talks are the repeating unit under a chapter. By default the chapter's subheadings, each
  weighed by evidence (talks.py): a heading of time slots or times of day (`09:50 ~ 10:45`,
  `오전`) is a group whose subheadings are the talks; a wrapper (`## 세션 요약`) holds the talks
  one level down; a bare time slot takes its title from the line under it; a heading holding a
  schedule table, a list of `발표자 / 제목` items or bold title lines holds its talks in
  those (units.py). Once talks sit inside such a holder, the headings beside it are sections.
- A title that names its speaker (`(by 이름)`) makes the notes one talk; front-matter keys
  (`talks`, `single_talk`) settle any reading the evidence gets wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline.model import Person
from pipeline.read import recognise
from pipeline.read.blocks import Block, Node, build_tree
from pipeline.read.markdown import Footnotes
from pipeline.read.notes import Notes
from pipeline.read.programmes import units_for
from pipeline.read.recognise import TALK_WORDS, drop_numbering, split_time
from pipeline.read.speakers import split_title
from pipeline.read.talks import (
    find_speakers,
    is_non_talk,
    is_time_slot,
    is_wrapper,
    time_slot_title,
)
from pipeline.read.units import Unit, enough


def part_node(part: Notes, blocks: list[Block]) -> Node:
    """A chapter file of a report folder: its single top heading, or a chapter named after it."""
    tree = build_tree(blocks)
    if len(tree.children) == 1 and not tree.content:
        return tree.children[0]
    title = str(part.front_matter.get("title") or part.path.stem)
    heading = Token("heading_open", "h1", 1, map=[0, 1])
    inline = Token("inline", "", 0, content=title, children=[Token("text", "", 0, content=title)])
    synthetic = Block(
        [heading, inline, Token("heading_close", "h1", -1)],
        part,
        blocks[0].footnotes if blocks else Footnotes(""),
    )
    return Node(synthetic, 1, tree.content, tree.children)


@dataclass
class Draft:
    """A chapter, talk or section before ids are known.

    A talk that is not a heading of its own (a list item, a table row, a bold line) has a
    ``title``, a ``line`` and its own ``blocks``; a heading's talk takes them from its node.
    """

    node: Node
    kind: str  # day, section, implicit (a chapter); talk, section (an entry)
    entries: list[Draft] = field(default_factory=list)
    slot: str | None = None
    own_content_only: bool = False
    id: str = ""
    title: str | None = None
    people: tuple[Person, ...] = ()
    blocks: list[Block] | None = None
    line: int | None = None
    rule: str = "heading"
    skip: int = 0  # leading blocks of the node that gave the title or speaker
    consumed: list[Block] = field(default_factory=list)
    confidence: float = 1.0


@dataclass
class NotesOutline:
    """The notes' outline: decides which headings are chapters and which entries are talks."""

    root: Node
    year: int | None
    chapter_level: int | None
    files_are_chapters: bool = False
    forced_unit: str | None = None  # the front matter's `talks:` setting
    forced_days: bool = False  # the front matter's `days:` setting: every chapter is a day
    named: dict[str, str] = field(default_factory=dict)  # the front matter's `headings:`
    named_found: set[str] = field(default_factory=set)  # those read as it says
    event_words: frozenset[str] = frozenset()  # the report title's words: they name the event
    drafts: list[Draft] = field(default_factory=list)  # the chapters, once read
    talk_titles: set[str] = field(default_factory=set)

    def chapters(self) -> list[Draft]:
        self.drafts = self.read_chapters()
        for chapter in self.drafts:
            rate(chapter.entries)
        return self.drafts

    def units_found(self) -> dict[str, int]:
        """How many talks each rule found: the repeating unit of these notes, and the rest."""
        counts: dict[str, int] = {}
        for chapter in self.drafts:
            for entry in chapter.entries:
                if entry.kind == "talk":
                    rule = entry.rule.split(" (")[0].split(";")[0]
                    counts[rule] = counts.get(rule, 0) + 1
        return counts

    def read_chapters(self) -> list[Draft]:
        if self.files_are_chapters:
            return [self.chapter(node) for node in self.root.children]
        if self.chapter_level is None:
            if not self.root.children and not self.find_units(self.root.content):
                implicit = Node(None, 0, self.root.content)
                self.root.content = []
                return [Draft(implicit, "implicit")] if implicit.content else []
            implicit = Node(None, 0, [], self.root.children)
            entries = self.container(implicit, self.root.content)
            used = {id(b) for e in entries for b in (*(e.blocks or ()), *e.consumed)}
            self.root.content = [b for b in self.root.content if id(b) not in used]
            return [Draft(implicit, "implicit", entries)]
        return list(self.walk(self.root.children))

    def walk(self, nodes: list[Node]) -> Iterable[Draft]:
        assert self.chapter_level is not None
        for node in nodes:
            if node.level < self.chapter_level:
                yield Draft(node, "section", own_content_only=True)
                yield from self.walk(node.children)
            else:
                yield self.chapter(node)

    def chapter(self, node: Node) -> Draft:
        marker = recognise.day_marker(node.title, self.year, anywhere=True)
        kind = "day" if marker or self.forced_days else "section"
        entries = self.container(node, node.content)  # a day's own text may hold its talks
        used = {id(b) for e in entries for b in (*(e.blocks or ()), *e.consumed)}
        node.content = [b for b in node.content if id(b) not in used]
        return Draft(node, kind, entries)

    # the talks of a chapter ------------------------------------------------------------------
    def container(self, node: Node, loose: list[Block], slot: str | None = None) -> list[Draft]:
        """The entries under ``node``: its subheadings, read by evidence, and the talks that
        ``loose`` blocks (the chapter's own text) hold."""
        if self.forced_unit and self.forced_unit.startswith("level "):
            return self.by_level(node, int(self.forced_unit.split()[1]), slot)
        node.children = lift_numbered(node.children)
        drafts = self.unit_drafts(node, loose, slot)
        holders: set[int] = set()
        per_child: list[list[Draft]] = []
        for child in node.children:
            entries = self.child_entries(child, node.children, slot)
            if entries is not None:
                holders.add(id(child))
                per_child.append(entries)
            else:
                per_child.append([self.heading_entry(child, slot)])
        units = {normal(d.title or ""): d for d in drafts} | {
            normal(e.title or ""): e for group in per_child for e in group if e.blocks is not None
        }
        for child, entries in zip(node.children, per_child, strict=True):
            if holders and id(child) not in holders:
                entries = [e if normal(e.title or "") in units else self.demote(e) for e in entries]
            drafts.extend(entries)
            if len(entries) == 1 and entries[0].kind == "talk" and entries[0].blocks is None:
                drafts.extend(self.heading_entry(n, slot) for n in self.lift_named_talks(child))
        return merge_programme(drafts)

    def lift_named_talks(self, talk: Node) -> list[Node]:
        """The headings inside a talk's notes that the front matter names talks, taken out
        of it to follow it; each takes what comes after it in the talk as its own parts."""
        lifted = []
        while path := self.path_to_named_talk(talk):
            named = path[-1]
            for parent, child in reversed(list(zip(path, path[1:], strict=False))):
                index = parent.children.index(child)  # what follows, level by level upwards
                named.children += parent.children[index + 1 :]
                del parent.children[index + (child is not named) :]
            lifted.append(named)
        return lifted

    def path_to_named_talk(self, node: Node) -> list[Node]:
        """``node`` and its descendants down to the first one named a talk (empty: none)."""
        for child in node.children:
            if self.named.get(normal(child.title)) == "talk":
                return [node, child]
            if below := self.path_to_named_talk(child):
                return [node, *below]
        return []

    def child_entries(
        self, child: Node, siblings: list[Node], slot: str | None
    ) -> list[Draft] | None:
        """A child that holds talks (a group, a wrapper, units in its text), or None."""
        if normal(child.title) in self.named:
            return None  # the front matter says what it is
        if child.children and recognise.is_group(child.title):
            drafts = (
                [Draft(child, "section", slot=slot, own_content_only=True)] if child.content else []
            )
            return drafts + self.container(child, [], slot=child.title)
        if is_wrapper(child, siblings):  # its heading stays, as a section before its talks
            own = [Draft(child, "section", slot=slot, own_content_only=True)]
            return own + self.container(child, [], slot)
        units = self.new_units(self.find_units(child.content))
        if enough(units) and not child.children:
            used = {id(b) for u in units for b in (*u.blocks, *u.consumed)}
            drafts = [self.unit_draft(child, unit, slot) for unit in units]
            if (
                units[0].rule == "rule block"
                and child.content
                and units[0].blocks[0] is child.content[0]
            ):
                # the run right under the heading is the heading's own talk
                first = drafts[0]
                first.title = first.title or drop_numbering(split_title(child.title)[0])
                first.line = child.heading.line if child.heading else first.line
                first.node = child
            leftover = [b for b in child.content if id(b) not in used]
            if leftover or drafts[0].node is child:  # a heading emptied of its units goes
                drafts.insert(
                    0,
                    Draft(
                        child,
                        "section",
                        slot=slot,
                        blocks=leftover,
                        line=child.heading.line if child.heading else None,
                    ),
                )
            return drafts
        return None

    def unit_drafts(self, node: Node, loose: list[Block], slot: str | None) -> list[Draft]:
        units = self.new_units(self.find_units(loose)) if loose else []
        if not enough(units):
            return []
        return [self.unit_draft(node, unit, slot) for unit in units]

    def find_units(self, blocks: list[Block]) -> list[Unit]:
        """Talks in a run of blocks, unless the front matter says they are headings."""
        if self.forced_unit in ("heading", "time slot"):
            return []
        return units_for(blocks, self.forced_unit)

    def by_level(self, node: Node, level: int, slot: str | None) -> list[Draft]:
        """`talks: "###"`: the headings at that level are the talks, but for those whose
        words make them sections (`소개`, `출처`); those above it are sections."""
        drafts: list[Draft] = []
        for child in node.children:
            if child.level < level or (is_time_slot(child.title) and child.children):
                # above the level, or a bare time slot (`### 09:50 ~ 10:45`) over its talks
                drafts.append(Draft(child, "section", slot=slot, own_content_only=True))
                drafts.extend(self.by_level(child, level, slot))
            else:
                draft = self.heading_entry(child, slot)
                if draft.rule != FRONT_MATTER_HEADING:
                    words = split_time(child.title)[1]
                    if draft.kind == "section" and not recognise.is_section(
                        words, self.event_words
                    ):
                        draft.kind, draft.title = "talk", drop_numbering(child.title)
                    draft.rule = "heading (front matter: talks)"
                drafts.append(draft)
        return drafts

    def new_units(self, units: list[Unit]) -> list[Unit]:
        """Units whose talk was not listed before (`## 참석한 세션` repeats the programme)."""
        fresh = [u for u in units if normal(u.title) not in self.talk_titles]
        return fresh if enough(fresh) else []

    def unit_draft(self, node: Node, unit: Unit, slot: str | None) -> Draft:
        if unit.kind == "talk":
            self.talk_titles.add(normal(unit.title))
        return Draft(
            node,
            unit.kind,
            slot=unit.slot or slot,
            title=unit.title,
            people=unit.people,
            blocks=unit.blocks,
            line=unit.line,
            rule=unit.rule,
            consumed=unit.consumed,
        )

    def heading_entry(self, node: Node, slot: str | None) -> Draft:
        """A subheading on its own: a talk, a time slot's talk, or a section."""
        named = self.named.get(normal(node.title))  # the front matter says what it is
        if named:
            self.named_found.add(normal(node.title))
        if named == "section":
            return Draft(node, "section", slot=slot, rule=FRONT_MATTER_HEADING)
        if named is None:
            if self.forced_unit in UNITS_BESIDE_HEADINGS:
                return Draft(node, "section", slot=slot)
            if is_time_slot(node.title) and not node.children and (found := time_slot_title(node)):
                title, people, used = found
                self.talk_titles.add(normal(title))
                return Draft(
                    node,
                    "talk",
                    slot=node.title,
                    title=title,
                    people=people,
                    rule="time slot",
                    skip=used,
                )
            if self.forced_unit == "time slot":
                return Draft(node, "section", slot=slot)
        people, where = find_speakers(node)
        weak = where in (
            "",
            "first bullet",
            "line under the heading",
            "first line under it",
            "mentioned in the text",
        )
        if named is None and weak and is_non_talk(node, self.event_words):
            return Draft(node, "section", slot=slot)  # `## 행사 소개`: its words outweigh a name
        time, heading = split_time(node.title)
        title = drop_numbering(split_title(heading)[0])
        slot = time or slot
        self.talk_titles.add(normal(title))
        rule = f"heading; speaker: {where}" if where else "heading"
        return Draft(
            node,
            "talk",
            slot=slot,
            title=title,
            people=people,
            rule=FRONT_MATTER_HEADING if named else rule,
            skip=1 if where == "line under the heading" else 0,
        )

    def demote(self, draft: Draft) -> Draft:
        """Beside a heading that holds the talks, another heading is a section, unless it names
        a speaker or calls itself a talk (`키노트`)."""
        if draft.kind != "talk" or draft.people or draft.rule == FRONT_MATTER_HEADING:
            return draft
        if TALK_WORDS.search(draft.node.title):
            return draft
        draft.kind = "section"
        draft.title = None
        return draft


FRONT_MATTER_HEADING = "heading (front matter: headings)"

# Talk units that are not headings: where the front matter names one, headings are sections.
UNITS_BESIDE_HEADINGS = frozenset(
    "bold line|list item|numbered item|table row|rule block|html table row|timetable line|"
    "template tag".split("|")
)


def lift_numbered(children: list[Node]) -> list[Node]:
    """Numbered headings are siblings whatever their level: `## 2.` then `### 3.` (a level
    typed wrong) is talk 3 after talk 2, not a part of it, when the next sibling goes on
    from 4 or later."""
    numbers = [recognise.running_number(child.title) for child in children]
    if sum(1 for n in numbers if n is not None) < 2:
        return children
    lifted: list[Node] = []
    for index, child in enumerate(children):
        lifted.append(child)
        expected = (numbers[index] or 0) + 1
        following = next((n for n in numbers[index + 1 :] if n is not None), None)
        current = child
        while numbers[index] is not None and (following is None or following > expected):
            nested = next(
                (c for c in current.children if recognise.running_number(c.title) == expected),
                None,
            )
            if nested is None:
                break
            current.children.remove(nested)
            lifted.append(nested)
            current, expected = nested, expected + 1
    return lifted


def merge_programme(drafts: list[Draft]) -> list[Draft]:
    """A programme (a schedule table, a list) before the notes of its talks lists each talk
    twice: the talk is its heading; the programme's row only lends it a speaker."""
    headings = {normal(d.title or ""): d for d in drafts if d.kind == "talk" and d.blocks is None}
    kept = []
    for draft in drafts:
        twin = headings.get(normal(draft.title or "")) if draft.blocks is not None else None
        if twin is not None and draft.kind == "talk" and draft.rule != "rule block":
            twin.people = twin.people or draft.people
            twin.slot = twin.slot or draft.slot
            continue
        kept.append(draft)
    return kept


# How sure a talk is, by the rule that found it: a schedule row or a list item with a speaker
# is plainly a talk; an untitled block between rules is a guess.
RULE_CONFIDENCE = {
    "table row": 0.9,
    "list item": 0.85,
    "time slot": 0.85,
    "bold line": 0.8,
    "heading": 0.75,
    "single talk": 0.75,
    "rule block": 0.55,
}


def rate(entries: list[Draft]) -> None:
    """Each talk's confidence: its rule's, more with a speaker, less without one where the
    talks beside it name theirs; 1.0 where the front matter said how to read the notes."""
    talks = [e for e in entries if e.kind == "talk"]
    named = sum(1 for t in talks if t.people)
    for talk in talks:
        if "front matter" in talk.rule:
            talk.confidence = 1.0
            continue
        score = RULE_CONFIDENCE.get(talk.rule.split(";")[0].split(" (")[0], 0.7)
        if talk.people:
            score += 0.1
        elif named * 2 >= len(talks) > 1:
            score -= 0.2
        talk.confidence = round(min(score, 1.0), 2)


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def normal(title: str) -> str:
    return "".join(ch for ch in title.casefold() if ch.isalnum())
