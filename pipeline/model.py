"""The report model: Report > Chapter > Talk. Plain frozen data, no I/O.

A chapter is a conference day (``DAY 1``, ``2일차``, a date) or another top-level section of
the notes (소개, 스폰서 세션, 후기) kept in its place. A chapter's entries are talks, or
non-talk sections (점심, 느낌) that sit beside the talks at the same heading level.
HTML held by the model (``intro_html``, ``body_html``...) is sanitised, format-neutral
HTML: the writers adapt it (footnotes, line breaking, XHTML) for their own output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Source:
    """Where something was written: a notes file and a 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Image:
    """An image the notes refer to; ``src`` is what the report's HTML says in ``<img src>``.

    ``path`` is the file to embed: a local image inside the content folder (``src`` is then
    relative to the content root), or a fetched remote image's cached copy (``src`` is its
    URL). Without a path the image is remote and shown as a captioned link.
    """

    src: str
    alt: str
    source: Source
    path: Path | None = None

    @property
    def is_remote(self) -> bool:
        return self.path is None


@dataclass(frozen=True)
class Talk:
    """A talk (or a non-talk section at the talk level) with its speaker, abstract and body."""

    id: str
    title: str
    source: Source
    kind: Literal["talk", "section"] = "talk"
    speaker: str | None = None
    slot: str | None = None  # the time slot or time-of-day group it was listed under
    abstract_html: str = ""
    body_html: str = ""


@dataclass(frozen=True)
class Chapter:
    """A conference day, or another top-level section of the notes."""

    id: str
    title: str
    source: Source
    kind: Literal["day", "section"] = "day"
    number: int | None = None  # DAY n
    date: dt.date | None = None
    subtitle: str = ""  # what a day heading says besides `DAY n` and its date
    intro_html: str = ""
    talks: tuple[Talk, ...] = ()

    @property
    def label(self) -> str:
        """What a contents list shows: ``DAY 1`` for days, the title for other chapters."""
        if self.kind == "day" and self.number is not None:
            return f"DAY {self.number}"
        return self.title


@dataclass(frozen=True)
class Metadata:
    """What the front matter (or the notes themselves) say about the report."""

    title: str
    subtitle: str = ""
    dates: tuple[dt.date, ...] = ()
    venue: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    lang: str = "ko"
    cover: Path | None = None


@dataclass(frozen=True)
class Report:
    """A whole conference report, as read from one notes file or one report folder."""

    name: str  # output file stem, e.g. "deview-2023"
    meta: Metadata
    source: Source
    intro_html: str = ""
    chapters: tuple[Chapter, ...] = ()
    images: tuple[Image, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # hand-written anchor -> model id
    settings: dict[str, Any] = field(default_factory=dict)  # front matter overrides, checked
    content_root: Path = Path(".")

    @property
    def talks(self) -> tuple[Talk, ...]:
        return tuple(talk for chapter in self.chapters for talk in chapter.talks)
