"""The shape of the print book, decided from the model before anything is laid out.

A layout made for a two-day conference with seven talks wastes pages on anything else: a
contents page listing one entry, an opener that repeats the contents, a page for a line of
introduction. So the report's size and shape choose one of three layouts (README, "The shape
of the PDF"; pictures in docs/layouts.png):

- **article**: the notes of one talk. The cover, then the talk: its title block (title,
  speaker, abstract) opens the first page of text. No contents, no opener.
- **compact**: at most ``FEW_TALKS`` talks, over one day or several. The cover, then a
  contents block at the top of the first page of text, each day's heading over its talks,
  one day running on after the other. No opener page.
- **book**: more talks than that. A contents page; when two or more days have talks, each
  opens on a page of its own (its opener lists its talks). The opener of the only day would
  repeat the contents page, so one day gets none.

Everything without an opener page runs on after what precedes it: a chapter without talks
(소개, 후기) starts on the page where the last one ended, and an introduction shares its page
with what follows. In A5, a size printed as a booklet, an opener always starts a right-hand
page (print.html.j2; the left-hand page left blank before it shows only its page number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.model import Chapter, Report

# More talks than this get a contents page and, over several days, opener pages: a contents
# block of more entries would take most of the first page (each entry is a line or two), and
# openers for fewer talks would be pages of little more than a heading.
FEW_TALKS = 6


@dataclass(frozen=True)
class BookShape:
    """What the print book holds besides the text: contents, openers; and why."""

    kind: Literal["article", "compact", "book"]
    contents: Literal["none", "block", "page"]
    openers: frozenset[str]  # the ids of the chapters that open on a page of their own
    reason: str

    def opens_page(self, chapter: Chapter) -> bool:
        return chapter.id in self.openers

    def describe(self) -> str:
        """``book (2 days with talks): a contents page, an opener page for each day``."""
        contents = {
            "none": "no contents",
            "block": "a contents block on the first page of text",
            "page": "a contents page",
        }[self.contents]
        openers = (
            f"an opener page for each of {len(self.openers)} chapters"
            if self.openers
            else "no opener page"
        )
        return f"{self.kind} ({self.reason}): {contents}, {openers}"


def plan_layout(report: Report) -> BookShape:
    """The layout that fits the report's size and shape (see the module's docstring)."""
    if report.reading is not None and report.reading.single_talk:
        return BookShape("article", "none", frozenset(), "the notes of one talk")
    days = [chapter for chapter in report.chapters if chapter.talk_count]
    talks = sum(chapter.talk_count for chapter in report.chapters)
    if talks <= FEW_TALKS:
        return BookShape("compact", "block", frozenset(), f"{_count(talks, 'talk')}")
    if len(days) >= 2:
        openers = frozenset(chapter.id for chapter in report.chapters if chapter.talks)
        return BookShape("book", "page", openers, f"{talks} talks, {len(days)} days")
    return BookShape("book", "page", frozenset(), f"{talks} talks, one day")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
