"""The report model: Report > Chapter > Talk. Plain frozen data, no I/O.

A chapter is a conference day (``DAY 1``, ``2일차``, a date) or another top-level section of
the notes (소개, 스폰서 세션, 후기) kept in its place. A chapter's entries are talks, or
non-talk sections (점심, 느낌) that sit beside the talks at the same heading level.
HTML held by the model (``intro_html``, ``body_html``...) is sanitised, format-neutral
HTML: the writers adapt it (footnotes, line breaking, XHTML) for their own output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ContentError


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

    def read_bytes(self) -> bytes:
        """The image file's bytes (a local or fetched image), or a clear error."""
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as err:
            raise ContentError(
                self.source.path,
                self.source.line,
                f'image "{self.src}" cannot be read: {err.strerror}',
                "put the file next to the notes, or fix the path",
            ) from err


@dataclass(frozen=True)
class Person:
    """A speaker: a name as the notes write it, and the affiliation when they give one."""

    name: str
    affiliation: str = ""


def people_label(people: tuple[Person, ...]) -> str | None:
    """`정규돈 · 카카오`, `진겸, 김지훈 · Festa`: names, then an affiliation they share."""
    if not people:
        return None
    affiliations = {person.affiliation for person in people}
    if len(affiliations) == 1:
        (shared,) = affiliations
        names = ", ".join(person.name for person in people)
        return f"{names} · {shared}" if shared else names
    return ", ".join(f"{p.name} · {p.affiliation}" if p.affiliation else p.name for p in people)


@dataclass(frozen=True)
class Talk:
    """A talk (or a non-talk section at the talk level) with its speakers, abstract and body.

    ``recognised_by`` names the rule that found it (a heading, a time slot, a bold line, a
    list item, a table row...) and ``confidence`` how sure the reading of its chapter is.
    """

    id: str
    title: str
    source: Source
    kind: Literal["talk", "section"] = "talk"
    speakers: tuple[Person, ...] = ()
    slot: str | None = None  # the time slot or time-of-day group it was listed under
    abstract_html: str = ""
    body_html: str = ""
    recognised_by: str = "heading"
    confidence: float = 1.0

    @property
    def speaker(self) -> str | None:
        return people_label(self.speakers)


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
    def talk_count(self) -> int:
        """Talks only: the sections beside them (점심, 후기) are not sessions."""
        return sum(1 for talk in self.talks if talk.kind == "talk")

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
    post_date: dt.date | None = None  # a blog post's own date: never shown as the event's
    dates_source: str = ""  # where ``dates`` came from: front matter, day headings, text
    title_source: str = ""  # front matter, h1, first heading, file name


@dataclass(frozen=True)
class Reading:
    """How the talks of the notes were found: the repeating unit chosen, the readings it was
    weighed against (unit, score), and when two scored close, the setting that would settle it."""

    unit: str
    score: float
    alternatives: tuple[tuple[str, float], ...] = ()
    single_talk: bool = False
    overridden_by: str = ""  # the front-matter key that chose the reading, if one did
    unsure: bool = False
    hint: str = ""
    choices: tuple[ReadingChoice, ...] = ()  # the readings weighed, best first


@dataclass(frozen=True)
class ReadingChoice:
    """A reading that was weighed: the front-matter line that selects it ('' for the reader's
    own), the model's score, and its talks (title, line)."""

    line: str
    score: float
    talks: tuple[tuple[str, int], ...]


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
    reading: Reading | None = None
    # local files the notes name that were not there (shown as placeholders): the build cache
    # watches for them to appear
    missing_files: tuple[Path, ...] = ()

    @property
    def talks(self) -> tuple[Talk, ...]:
        return tuple(talk for chapter in self.chapters for talk in chapter.talks)

    def referenced_files(self) -> list[Path]:
        """The files the notes refer to and a build reads: images (or fetched copies), the
        cover."""
        files = [image.path for image in self.images if image.path is not None]
        if self.meta.cover is not None:
            files.append(self.meta.cover)
        return files

    def html_parts(self) -> Iterator[str]:
        """Every piece of HTML the report holds, in reading order."""
        yield self.intro_html
        for chapter in self.chapters:
            yield chapter.intro_html
            for talk in chapter.talks:
                yield talk.abstract_html
                yield talk.body_html
