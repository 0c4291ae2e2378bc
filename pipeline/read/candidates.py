"""The readings a notes file could be given, and what each one looks like.

Every reading is what one front-matter line asks for (`talks: "###"`, `talks: list item`,
`days: "#"`, `single_talk: true`) or the reader's own default, so the line that selects a
reading is always known and `invoke outline` can show it. A reading is made by the same
reader as the build (structure only: nothing is rendered), and described by features that
can be stated without looking at any labelled file: how many talks, how alike they are, how
many name a speaker, how much of the notes they cover, whether their titles look like titles.
Which reading wins is not decided here: ``ranking.py`` scores the features with the weights
``invoke train`` learned from the labelled notes.
"""

from __future__ import annotations

import functools
import json
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.model import Metadata
from pipeline.read import recognise
from pipeline.read.blocks import Block, build_tree
from pipeline.read.notes import Notes
from pipeline.read.reading import UNITS, read_structure
from pipeline.read.speakers import split_title
from pipeline.read.structure import Draft, normal

READING_KEYS = ("talks", "days", "single_talk")
DAY_LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Candidate:
    """One way to read the notes: the front-matter keys that ask for it (none: the default)."""

    keys: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return ", ".join(f"{k}: {v}" for k, v in self.keys) or "default"

    @property
    def line(self) -> str:
        """The front-matter line that selects this reading."""
        parts = []
        for key, value in self.keys:
            if isinstance(value, bool):
                parts.append(f"{key}: {'true' if value else 'false'}")
            elif isinstance(value, dict):  # `headings: {"next 2023": talk}`
                named = ", ".join(
                    f"{json.dumps(k, ensure_ascii=False)}: {v}" for k, v in value.items()
                )
                parts.append(f"{key}: {{{named}}}")
            elif value.startswith("#"):
                parts.append(f'{key}: "{value}"')
            else:
                parts.append(f"{key}: {value}")
        return "\n".join(parts)

    def applied(self, notes: Notes) -> Notes:
        return replace(notes, front_matter={**notes.front_matter, **dict(self.keys)})


@dataclass
class Talk:
    """A talk of a reading, as the scorer sees it."""

    title: str
    line: int
    speakers: int
    rule: str
    words: int  # what it holds
    level: int
    end: int  # its last line


@dataclass
class CandidateReading:
    """What a candidate gives: its talks, its chapters and its features."""

    candidate: Candidate
    talks: list[Talk]
    days: int
    single_talk: bool
    section_titles: frozenset[str] = frozenset()  # headings this reading makes sections
    features: dict[str, float] = field(default_factory=dict)


def candidates_for(notes: Notes, blocks: list[Block]) -> list[Candidate]:
    """The readings worth weighing for these notes: the default, one talk, each heading level
    the notes use, each unit whose shape the notes hold, each day level the notes use."""
    if len(blocks) > MOST_BLOCKS_WEIGHED:
        return [Candidate()]
    levels = sorted({b.heading_level for b in blocks if b.heading_level})
    kinds = {b.tokens[0].type for b in blocks}
    found: list[Candidate] = [Candidate(), Candidate((("single_talk", True),))]
    found += [Candidate((("talks", "#" * level),)) for level in levels]
    found += [Candidate((("talks", unit),)) for unit in UNITS if shaped(unit, kinds, notes.text)]
    found += [Candidate((("days", "#" * level),)) for level in levels if level in DAY_LEVELS]
    return found


# Each reading costs a pass over the notes: notes longer than a book (a 10 MB file of 1,120
# days took 23 s to weigh) are read the reader's own way; a front-matter line still chooses.
MOST_BLOCKS_WEIGHED = 20_000

# What a unit needs to be found at all: the kinds of block it reads, or text it looks for.
UNIT_NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "heading": (frozenset({"heading_open"}), ""),
    "time slot": (frozenset({"heading_open"}), ":"),
    "bold line": (frozenset({"paragraph_open"}), "**"),
    "list item": (frozenset({"bullet_list_open", "ordered_list_open"}), ""),
    "numbered item": (frozenset({"ordered_list_open"}), ""),
    "table row": (frozenset({"table_open"}), ""),
    "rule block": (frozenset({"hr"}), ""),
    "html table row": (frozenset({"html_block"}), "<tr"),
    "timetable line": (frozenset({"paragraph_open"}), ":"),
    "template tag": (frozenset(), "{"),
}


def shaped(unit: str, kinds: set[str], text: str) -> bool:
    """Whether the notes hold the kind of block ``unit`` is read from (a cheap test, so that
    large notes are not read once per unit they cannot hold)."""
    needed_kinds, needed_text = UNIT_NEEDS.get(unit, (frozenset(), ""))
    if needed_kinds and not needed_kinds & kinds:
        return False
    return needed_text.lower() in text.lower() if needed_text else True


def read_candidate(
    notes: Notes,
    blocks: list[Block],
    candidate: Candidate,
    name: str,
    content_root: Path,
    meta: Metadata,
) -> CandidateReading:
    """The structure ``candidate`` gives the notes (nothing rendered); ``meta``: the notes'
    metadata, read once for every reading."""
    root = build_tree(blocks)
    structure = read_structure(candidate.applied(notes), root, name, content_root, meta)
    drafts = (
        structure.single_talk_drafts() if structure.single_talk else structure.layout.chapters()
    )
    entries = [entry for chapter in drafts for entry in chapter.entries]
    sections = [d.node for d in drafts if d.kind != "day"] + [
        e.node for e in entries if e.kind == "section" and e.blocks is None
    ]
    return CandidateReading(
        candidate,
        [talk_of(entry) for entry in entries if entry.kind == "talk"],
        days=sum(1 for d in drafts if d.kind == "day"),
        single_talk=structure.single_talk,
        section_titles=frozenset(normal(heading_title(n.title)) for n in sections if n.heading),
    )


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def heading_title(text: str) -> str:
    """A heading's text as a talk title: without its time, numbering and speaker."""
    return recognise.drop_numbering(split_title(recognise.split_time(text)[1])[0])


def talk_of(draft: Draft) -> Talk:
    node = draft.node
    if draft.title is not None:
        title = draft.title
    else:
        title = heading_title(node.title)
    line = draft.line or (node.heading.line if node.heading else 0)
    blocks = draft.blocks if draft.blocks is not None else node.blocks()[1 if node.heading else 0 :]
    words = sum(len(t.content.split()) for b in blocks for t in b.tokens if t.type == "inline")
    end = max((b.tokens[0].map[1] for b in blocks if b.tokens[0].map), default=line)
    return Talk(title, line, len(draft.people), draft.rule, words, node.level, max(end, line))


def read_candidates(
    notes: Notes, blocks: list[Block], name: str, content_root: Path, meta: Metadata
) -> list[CandidateReading]:
    """Every candidate reading of the notes, with its features; ``meta``: their metadata."""
    readings: list[CandidateReading] = []
    seen: dict[tuple[tuple[str, int], ...], CandidateReading] = {}
    for candidate in candidates_for(notes, blocks):
        if dict(candidate.keys).get("single_talk") and readings and readings[0].days:
            continue  # notes that mark their days cover an event, not one talk
        reading = read_candidate(notes, blocks, candidate, name, content_root, meta)
        signature = tuple((t.title, t.line) for t in reading.talks) + ((str(reading.days), 0),)
        if candidate.keys and (signature in seen or not reading.talks):
            continue  # nothing new to choose, or no talks at all: not a reading of a programme
        seen[signature] = reading
        readings.append(reading)
    shape = Shape(
        lines=max(1, notes.text.count("\n") + 1),
        headings=sum(1 for b in blocks if b.heading_level),
        most=max((len(r.talks) for r in readings), default=0),
        headings_at=dict(Counter(b.heading_level for b in blocks if b.heading_level)),
        under_a_heading=right_under_a_heading(blocks),
        default_spans=tuple(sorted((t.line, t.end) for t in readings[0].talks)) if readings else (),
    )
    for reading in readings:
        reading.features = features(reading, shape)
    return readings


def right_under_a_heading(blocks: list[Block]) -> frozenset[int]:
    """The lines of blocks whose previous block (rules aside) is a heading."""
    found = set()
    previous: Block | None = None
    for block in blocks:
        if block.tokens[0].type == "hr":
            continue
        if previous is not None and previous.heading_level:
            found.add(block.line)
        previous = block
    return frozenset(found)


def level_covered(talks: list[Talk], shape: Shape) -> float:
    """Of the headings at the levels the reading's heading talks use, the share that are
    talks: a reading that makes a few headings of a level talks and leaves their siblings is
    reading words, not the notes' structure."""
    from_headings = [t for t in talks if t.rule.startswith(("heading", "time slot"))]
    at_levels = sum(shape.headings_at.get(level, 0) for level in {t.level for t in from_headings})
    return len(from_headings) / at_levels if at_levels else 0.0


@dataclass(frozen=True)
class Shape:
    """What every reading of one file is measured against."""

    lines: int
    headings: int
    most: int  # the most talks any reading found
    headings_at: dict[int, int]  # how many headings each level has
    under_a_heading: frozenset[int]  # lines of blocks that come right after a heading
    default_spans: tuple[tuple[int, int], ...]  # the reader's own talks: first and last lines

    def inside_a_default_talk(self, line: int) -> bool:
        """Whether ``line`` is within a talk of the reader's own reading, past its start."""
        return any(start < line <= end for start, end in self.default_spans)


TIME = re.compile(r"\d{1,2}:\d{2}")
SENTENCE_END = re.compile(r"(다|요|죠|음|함)[.!]?$")


def features(reading: CandidateReading, shape: Shape) -> dict[str, float]:
    """What a reading looks like, in numbers a linear model can weigh."""
    talks = reading.talks
    n = len(talks)
    most = shape.most
    out: dict[str, float] = {
        "bias": 1.0,
        "default": float(not reading.candidate.keys),
        "single talk": float(reading.single_talk),
        "no talks": float(n == 0),
        "one talk": float(n == 1),
        "log talks": math.log1p(n),
        "share of most talks": n / most if most else 0.0,
        "days": float(min(reading.days, 5)) / 5,
    }
    if not talks:
        return out
    titles = [t.title for t in talks]
    lengths = [len(t) for t in titles]
    words = [t.words for t in talks]
    span = (max(t.line for t in talks) - min(t.line for t in talks) + 1) / shape.lines
    lines = {t.line for t in talks}
    min_level = min(t.level for t in talks)
    from_headings = sum(1 for t in talks if t.rule.startswith(("heading", "time slot")))
    out |= {
        "with speaker": sum(1 for t in talks if t.speakers) / n,
        "empty title": sum(1 for t in titles if not t.strip()) / n,
        "section-like title": sum(1 for t in titles if recognise.is_section(t)) / n,
        "talk-word title": sum(1 for t in titles if recognise.TALK_WORDS.search(t)) / n,
        "time in title": sum(1 for t in titles if TIME.search(t)) / n,
        "sentence title": sum(1 for t in titles if SENTENCE_END.search(t.strip())) / n,
        "repeated title": 1 - len(set(titles)) / n,
        "log title length": math.log1p(statistics.median(lengths)),
        # with its square, the model learns the length titles have (no threshold set by hand)
        "log title length squared": math.log1p(statistics.median(lengths)) ** 2 / 10,
        "log words held": math.log1p(statistics.median(words)),
        "empty talks": sum(1 for w in words if w == 0) / n,
        "uneven size": (statistics.pstdev(words) / (statistics.mean(words) or 1)) / 3,
        "span": span,
        "mixed rules": float(len({t.rule.split(";")[0].split(" (")[0] for t in talks}) > 1),
        "mixed levels": float(len({t.level for t in talks}) > 1),
        # a talk whose title heads a section elsewhere: its notes are cut from it
        "title heads a section": sum(1 for t in titles if normal(t) in reading.section_titles) / n,
        "inside default talks": sum(1 for x in lines if shape.inside_a_default_talk(x)) / n,
        "headings made talks": from_headings / shape.headings if shape.headings else 0.0,
        "log lines per talk": math.log1p(shape.lines / n) / 5,
        "level covered": level_covered(talks, shape),
        # how many of the notes' heading levels lie above the talks': parts sit deep
        "levels above": sum(1 for level in shape.headings_at if level < min_level) / 3,
        # a talk that opens another heading's section, nothing between: a subtitle, a lead
        "right under a heading": sum(1 for x in lines if x in shape.under_a_heading) / n,
    }
    for rule in (
        "heading",
        "list item",
        "table row",
        "bold line",
        "time slot",
        "rule block",
        "html table row",
        "timetable line",
        "template tag",
    ):
        out[f"unit {rule}"] = sum(1 for t in talks if t.rule.startswith(rule)) / n
    return out
