"""The reading of a whole notes file: its title, the event's dates, the chapter level, whether
it is the notes of one talk, and the front-matter keys that settle what the evidence cannot.

Front-matter keys (all optional; reported by `invoke outline`):
- ``talks``: where the talks are: a heading level (`"###"`), or `heading`, `time slot`,
  `bold line`, `list item`, `table row`;
- ``days``: the heading level of the days (`"#"`, `"##"`...), for day headings that do not
  read as days (`## 오전반`);
- ``single_talk``: `true` when the notes cover one talk, `false` when a title naming a speaker
  still heads a whole conference;
- ``headings``: headings named by their text, each a `talk` or a `section`, for the few
  headings any reading gets wrong (`headings: {next 2023: talk, 간단한 내용 정리: section}`):
  a section keeps its subheadings, a talk nested in another talk's notes becomes the next talk.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from markdown_it.token import Token

from pipeline.model import Metadata, Person, Reading, ReadingChoice
from pipeline.read import recognise
from pipeline.read.blocks import Block, Node
from pipeline.read.event_dates import (
    dates_in_text,
    fits_title,
    front_matter_event_dates,
    is_blog_post,
    title_year,
)
from pipeline.read.markdown import inline_text
from pipeline.read.metadata import TEMPLATE_EXPRESSION, left_out, read_metadata
from pipeline.read.notes import Notes
from pipeline.read.speakers import LABELLED, speaker_line, split_title
from pipeline.read.structure import Draft, NotesOutline, normal
from pipeline.read.talks import find_speakers, is_non_talk
from pipeline.read.units import bold_only

UNITS = (
    "heading",
    "time slot",
    "bold line",
    "list item",
    "numbered item",
    "table row",
    "rule block",
    "html table row",
    "timetable line",
    "template tag",
)
LEVEL = re.compile(r"^(#{1,6})$")


@dataclass
class Hints:
    """The front matter's say on the reading."""

    talks: str | None = None  # a unit of UNITS, or "level N"
    days: int | None = None
    single_talk: bool | None = None
    headings: dict[str, str] = field(default_factory=dict)  # normal(heading) -> talk, section


def read_hints(notes: Notes) -> Hints:
    """The reading keys of the front matter (each already checked by ``usable_hints``)."""
    data = notes.front_matter
    hints = Hints()
    if "talks" in data:
        value = str(data["talks"]).strip()
        hints.talks = f"level {len(value)}" if LEVEL.match(value) else value.replace("_", " ")
    if "days" in data:
        hints.days = len(str(data["days"]).strip())
    if "single_talk" in data:
        hints.single_talk = bool(data["single_talk"])
    if "headings" in data:
        hints.headings = {
            normal(str(k)): str(v).strip().lower() for k, v in data["headings"].items()
        }
    return hints


HEADING_KINDS = ("talk", "section")


def usable_hints(notes: Notes) -> Notes:
    """The notes without the reading keys whose values cannot be understood: each is left
    out with a warning naming its line (an error with --strict), and the notes are read as
    if it were not there."""
    data = notes.front_matter
    problems = {}
    if "talks" in data:
        value = str(data["talks"]).strip()
        if not (LEVEL.match(value) or value.replace("_", " ") in UNITS):
            units = ", ".join(UNITS)
            problems["talks"] = f'write a heading level such as "###", or one of: {units}'
    if "days" in data and not LEVEL.match(str(data["days"]).strip()):
        problems["days"] = 'write the heading level of the days, such as "##"'
    if "single_talk" in data and not isinstance(data["single_talk"], bool):
        problems["single_talk"] = "write true or false"
    headings = data.get("headings")
    if "headings" in data and not (
        isinstance(headings, dict)
        and headings
        and all(
            str(v).strip().lower() in HEADING_KINDS and k is not None and normal(str(k))
            for k, v in headings.items()
        )
    ):
        problems["headings"] = (
            "name each heading by its text and say talk or section, on one line:"
            ' headings: {"next 2023": talk, "행사 소개": section}'
        )
    for key, hint in problems.items():
        left_out(notes, key, f'"{data[key]}" is not understood', hint)
    if not problems:
        return notes
    return replace(notes, front_matter={k: v for k, v in data.items() if k not in problems})


@dataclass
class Structure:
    """What the whole file says before its chapters are read."""

    notes: Notes
    meta: Metadata
    root: Node
    title_node: Node | None
    year: int | None
    layout: NotesOutline
    hints: Hints
    single_talk: bool
    speakers: tuple[Person, ...] = ()  # a single talk's, when its introduction names them

    def single_talk_drafts(self) -> list[Draft]:
        """One chapter holding one talk: everything but the sections beside it (References)."""
        implicit = Node(None, 0, [], [])
        title, people = split_title(self.meta.title)
        people = people or self.speakers
        title = introduced_title(self.root) or title
        title = re.sub(r"^\s*\[[^\]]+\]\s*", "", title)  # `[스프링캠프 2019] 제목`: the event
        talk_node = Node(self.title_node.heading if self.title_node else None, 1, self.root.content)
        sections = []
        for child in self.root.children:
            if is_non_talk(child):
                sections.append(Draft(child, "section"))
            else:
                talk_node.children.append(child)
        self.root.content = []
        line = self.title_node.heading.line if self.title_node and self.title_node.heading else 1
        talk = Draft(
            talk_node,
            "talk",
            title=title,
            people=people,
            blocks=talk_node.content + [b for c in talk_node.children for b in c.blocks()],
            line=line,
            rule="single talk",
        )
        return [Draft(implicit, "implicit", [talk, *sections])]

    def reading(
        self,
        layout: NotesOutline,
        choices: tuple[ReadingChoice, ...] = (),
    ) -> Reading:
        """How the talks were found; ``choices``: the readings the model chose among, best
        first (when there are some, the keys in force are the model's, not the notes')."""
        ranked = sorted(layout.units_found().items(), key=lambda item: -item[1])
        unit = "single talk" if self.single_talk else (ranked[0][0] if ranked else "none")
        overridden = (
            ""
            if choices
            else "single_talk"
            if self.hints.single_talk is not None
            else "talks"
            if self.hints.talks
            else "days"
            if self.hints.days
            else ""
        )
        unsure = len(ranked) > 1 and ranked[1][1] >= 2 and ranked[1][1] >= 0.75 * ranked[0][1]
        hint = ""
        if unsure and not overridden:
            first, second = ranked[0][0], ranked[1][0]
            hint = f"talks appear as {first} and {second}: set `talks: {first}` to keep one"
        return Reading(
            unit=unit,
            score=float(ranked[0][1]) if ranked else 0.0,
            alternatives=tuple((u, float(n)) for u, n in ranked[1:]),
            single_talk=self.single_talk,
            overridden_by=overridden,
            unsure=unsure,
            hint=hint,
            choices=choices,
        )


def promote_bold_days(blocks: list[Block]) -> list[Block]:
    """`**📅 Day 1 · 12/7(수)**` alone on its line opens a day in notes whose headings name no
    day (a Notion export): two or more such lines become headings, one level below the
    heading before them."""
    if any(b.heading_level and recognise.day_marker(b.text) for b in blocks):
        return blocks
    days = {
        index
        for index, block in enumerate(blocks)
        if block.tokens[0].type == "paragraph_open"
        and (text := bold_only(block.tokens[1]))
        and recognise.day_marker(text)
    }
    if len(days) < 2:
        return blocks
    promoted, level = [], 1
    for index, block in enumerate(blocks):
        if block.heading_level:
            level = block.heading_level
        if index not in days:
            promoted.append(block)
            continue
        text = bold_only(block.tokens[1]) or ""
        tag = f"h{min(6, level + 1)}"
        tokens = [
            Token("heading_open", tag, 1, map=block.tokens[0].map, markup="#"),
            Token("inline", "", 0, content=text, children=[Token("text", "", 0, content=text)]),
            Token("heading_close", tag, -1),
        ]
        promoted.append(Block(tokens, block.notes, block.footnotes))
    return promoted


def read_structure(
    notes: Notes, root: Node, fallback: str, content_root: Path, meta: Metadata | None = None
) -> Structure:
    """Title, dates, single talk and the layout of ``root``'s chapters. ``meta``: the notes'
    metadata as another reading of the same notes read it (the reading keys do not change it;
    reading it again would warn again about the same front matter)."""
    hints = read_hints(notes)
    front_title = str(notes.front_matter.get("title") or "").strip()
    title_node, title_source = find_title(root, front_title)
    if title_node is not None:
        root = drop_title(
            root, title_node, keep_heading=title_source == "h1 under the front matter title"
        )
    h1 = (
        title_node.title
        if title_node is not None and title_source != "h1 under the front matter title"
        else ""
    )
    if meta is None:
        meta = read_metadata(notes, h1, fallback=fallback, content_root=content_root)
        if not meta.subtitle or meta.subtitle == (title_node.title if title_node else None):
            meta = replace(meta, subtitle=str(notes.front_matter.get("subtitle") or "").strip())
        meta = replace(
            meta, title_source="front matter" if front_title else title_source or "file name"
        )
        meta = with_event_dates(meta, notes, root)
    year = meta.dates[0].year if meta.dates else title_year(meta.title)
    level = hints.days or chapter_level(root, year)
    layout = NotesOutline(
        root=root,
        year=year,
        chapter_level=level,
        forced_unit=hints.talks,
        forced_days=hints.days is not None,
        named=hints.headings,
        event_words=frozenset(re.findall(r"\w+", meta.title.lower())),
    )
    single = hints.single_talk
    speakers = introduced_speakers(root) if level is None else ()
    if single is None:
        single = level is None and bool(split_title(meta.title)[1] or speakers)
    return Structure(notes, meta, root, title_node, year, layout, hints, single, speakers)


INFO = re.compile(r"정보|info|개요|소개|about", re.I)
TITLE_LABEL = re.compile(
    r"^\s*(?:제목|주제|세션|발표\s*제목|title|session|talk)\s*[:：]\s*(?P<t>\S.*)$", re.I
)


def introduction_lines(root: Node) -> list[str]:
    """The lines before the first heading, and of a first heading that gives information
    (`## 발표 정보`): where the notes of one talk say what it was and who gave it."""
    blocks = list(root.content)
    if root.children and INFO.search(root.children[0].title):
        blocks += root.children[0].content
    lines = []
    for block in blocks:
        if block.tokens[0].type in ("paragraph_open", "bullet_list_open", "ordered_list_open"):
            lines += [inline_text(t) for t in block.tokens if t.type == "inline"]
    return lines


def introduced_title(root: Node) -> str | None:
    """`- 제목: 트랜잭션 경계, 다시 생각하기` in the introduction."""
    return next(
        (m["t"].strip() for line in introduction_lines(root) if (m := TITLE_LABEL.match(line))),
        None,
    )


def introduced_speakers(root: Node) -> tuple[Person, ...]:
    """The notes of one talk often say who gave it before the first heading (`* 발표자 :
    NHN Cloud **염준혁**님`, or a `## 발표 정보` list); notes of a conference do not, or name
    speakers in headings."""
    lines = introduction_lines(root)
    named = [p for line in lines if LABELLED.match(line) and (p := speaker_line(line))]
    if len(named) != 1 or len(named[0]) > 3 or not root.children:
        return ()  # several named speakers, or no headings: a programme, not one talk
    found = named[0]
    if any(find_speakers(child)[0] for child in root.walk() if child.heading is not None):
        return ()  # the headings name speakers: talks of their own
    return found


def find_title(root: Node, front_title: str) -> tuple[Node | None, str]:
    """The heading that is the title, and which rule chose it."""
    h1s = [n for n in root.walk() if n.level == 1 and recognise.day_marker(n.title) is None]
    if front_title:
        if h1s and (
            normal(h1s[0].title) == normal(front_title) or TEMPLATE_EXPRESSION.search(h1s[0].title)
        ):
            return h1s[0], "h1"
        if len(h1s) == 1 and (
            (h1s[0] is root.children[0] and not root.content)
            or names_the_event(h1s[0].title, front_title)
        ):
            return h1s[0], "h1 under the front matter title"  # kept in the text
        return None, "front matter"
    if h1s:
        return h1s[0], "h1"
    first = root.children[0] if root.children else None
    if (
        first is not None
        and not root.content
        and recognise.day_marker(first.title) is None
        and not recognise.is_section(first.title)
    ):
        return first, "first heading"
    return None, ""


def names_the_event(heading: str, front_title: str) -> bool:
    """Whether the only H1 says what the front matter's title says, shorter or longer
    (`DEVIEW 2018` under `DEVIEW 2018 정리 및 후기`): it heads the notes, not a talk."""
    short, long = sorted((normal(heading), normal(front_title)), key=len)
    return len(short) >= 4 and short in long


def drop_title(root: Node, title: Node, keep_heading: bool = False) -> Node:
    """The title heading leaves the tree; what it held moves up in its place (with the heading
    itself when it is an H1 that differs from the front matter's title)."""

    def rebuild(node: Node) -> Node:
        children: list[Node] = []
        content = list(node.content)
        for child in node.children:
            if child is title:
                lifted = ([title.heading] if keep_heading and title.heading else []) + title.content
                (content if not children else children[-1].content).extend(lifted)
                children.extend(rebuild(grand) for grand in title.children)
            else:
                children.append(rebuild(child))
        return Node(node.heading, node.level, content, children)

    return rebuild(root)


def chapter_level(root: Node, year: int | None) -> int | None:
    """The level of the day headings: the first that reads as a day (`DAY 1`), or a level
    where several headings carry different full dates (`1회차 · 2024년 4월 3일`)."""
    levels = []
    dated: dict[int, set[dt.date]] = {}
    for node in root.walk():
        if node.heading is None:
            continue
        if recognise.day_marker(node.title, year):
            levels.append(node.level)
        elif (marker := recognise.day_marker(node.title, year, anywhere=True)) and marker.date:
            dated.setdefault(node.level, set()).add(marker.date)
    levels += [level for level, dates in dated.items() if len(dates) >= 2]
    return min(levels) if levels else None


def with_event_dates(meta: Metadata, notes: Notes, root: Node) -> Metadata:
    """``meta`` with the event's dates (and their source) apart from the post's date."""
    data = notes.front_matter
    # a blog engine's keys, or a date with a time of day (`2023-03-15T12:03:11Z`): a post's date
    blog = is_blog_post(data) or bool(re.search(r"\d[T ]\d{1,2}:\d{2}", str(data.get("date", ""))))
    front = meta.dates
    post: dt.date | None = None
    if blog and front and not any(key in data for key in ("dates", "start", "end", "event_date")):
        post, front = front[0], ()
    year = title_year(meta.title) or (post.year if post else None)
    headings = tuple(
        sorted(
            {
                marker.date
                for node in root.walk()
                if node.heading
                and (marker := recognise.day_marker(node.title, year, anywhere=True))
                and marker.date
            }
        )
    )
    front = tuple(front_matter_event_dates(data)) or front
    for dates, source in ((headings, "day headings"), (front, "front matter")):
        if dates and fits_title(dates, meta.title):
            return replace(meta, dates=dates, dates_source=source, post_date=post)
    labelled = tuple(dates_in_text(labelled_date_text(root), year))
    text = labelled or tuple(dates_in_text(preamble_text(root), year))
    if text and fits_title(text, meta.title):
        return replace(meta, dates=text, dates_source="text", post_date=post)
    return replace(meta, dates=(), dates_source="", post_date=post)


# What names the time of the event: a heading `## 일시`, a line `일시: ...`, `- 날짜 : ...`.
DATE_LABEL = re.compile(
    r"^\s*(?:[-*]\s*|\d+\.\s*)?(?:일시|날짜|일자|행사\s*일|when|date)\s*(?:[:：]|$)", re.I
)


def labelled_date_text(root: Node) -> str:
    """The text the notes label as the event's time, before the first talk: where it says
    the event took place on a day, other dates (a registration deadline) are not the event's."""
    parts = []
    for line in preamble_text(root).splitlines():
        if DATE_LABEL.match(line):
            parts.append(line)
    for child in root.children:
        if DATE_LABEL.match(recognise.strip_decoration(child.title)):
            parts += [block_text(b) for b in child.content]
    return TEMPLATE_EXPRESSION.sub(" ", "\n".join(parts))


# Lines that date the page, not the event: `Created: 2022년 12월 12일`, `작성일: ...`.
PAGE_DATE = re.compile(
    r"^\s*(?:created|updated|last\s+edited|posted|published|작성일?|수정일?|게시일?)\b", re.I
)


def preamble_text(root: Node) -> str:
    """The text before the first talk-like heading: the introduction and the sections that
    open the notes (개요, 일시), where notes say when the event took place; without the
    lines that date the page and without template expressions (`{% post_url 2023-04-30-x %}`)."""
    parts = [block_text(b) for b in root.content]
    for child in root.children:
        if not (is_non_talk(child) or re.search(r"일시|날짜|언제|when|date", child.title, re.I)):
            break
        parts += [block_text(b) for b in child.content]
    lines = "\n".join(parts).splitlines()
    text = "\n".join(line for line in lines if not PAGE_DATE.match(line))
    return TEMPLATE_EXPRESSION.sub(" ", text)


def block_text(block: Block) -> str:
    """A block's text, a line per inline (a list item, a paragraph)."""
    return "\n".join(inline_text(t) for t in block.tokens if t.type == "inline")
