"""What the shelf knows of one report: a card, a page, a catalogue entry, search terms.

An entry is made once, when the report is added, from the same reading as its PDF (the
``Report``), and kept beside the report's files as ``entry.json``: the shelf's own pages are
made again from the entries alone, so adding one report never reads or rebuilds the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.dates import korean_dates
from pipeline.errors import ContentError
from pipeline.model import Report

FORMAT = 1  # entry.json's format: an entry of another format is made again from the outputs
# Windows refuses these names whatever the extension; a shelf may be synced there.
RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}
MAX_NAME = 60


def safe_name(name: str) -> str:
    """A file name safe on every file system a team may use (FAT, NTFS, APFS, ext4, buckets):
    lowercase ASCII letters, digits, ``-``, ``_`` and ``.``; a name that loses characters on the
    way (Hangul, spaces, ``:``) gets a short hash of the original, so two names stay two."""
    text = unicodedata.normalize("NFC", name).strip()
    safe = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.")[:MAX_NAME].strip("-.")
    if safe != text.lower() or not safe or safe.split(".")[0] in RESERVED:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).hexdigest()
        safe = f"{safe}-{digest}" if safe else f"r-{digest}"
    return safe


@dataclass(frozen=True)
class ShelfFile:
    """A file of a report on the shelf: its name in the report's folder, size and checksum."""

    href: str
    size: int
    sha256: str
    media_type: str
    pages: int | None = None

    @property
    def kilobytes(self) -> str:
        return f"{self.size / 1024:,.0f} KB"


@dataclass(frozen=True)
class ShelfTalk:
    id: str
    title: str
    speaker: str = ""
    kind: str = "talk"


@dataclass(frozen=True)
class ShelfDay:
    id: str
    label: str
    title: str
    date: str = ""
    talks: tuple[ShelfTalk, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One report on the shelf."""

    name: str  # the folder's name under reports/ (safe_name of the report's name)
    report: str  # the report's own name (its notes file's stem)
    title: str
    subtitle: str = ""
    dates: tuple[str, ...] = ()  # ISO dates of the event
    venue: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    lang: str = "ko"
    days: tuple[ShelfDay, ...] = ()
    files: dict[str, ShelfFile] = field(default_factory=dict)  # pdf, epub, web, cover
    added: str = ""  # when it came on the shelf, ISO 8601 UTC
    updated: str = ""  # when this build of it came on the shelf
    digest: str = ""  # of what it was made from: an unchanged report is not made again

    @property
    def id(self) -> str:
        """A stable identifier for the catalogue and the feed (Atom's id must never change)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"conference-report:{self.name}").urn

    @property
    def year(self) -> str:
        return self.dates[0][:4] if self.dates else ""

    @property
    def date_label(self) -> str:
        return korean_dates(tuple(dt.date.fromisoformat(d) for d in self.dates))

    @property
    def talk_count(self) -> int:
        return sum(1 for day in self.days for talk in day.talks if talk.kind == "talk")

    @property
    def talks(self) -> tuple[ShelfTalk, ...]:
        return tuple(talk for day in self.days for talk in day.talks if talk.kind == "talk")

    @property
    def summary(self) -> str:
        """One paragraph for a card's reader, the catalogue and the feed."""
        if self.description:
            return self.description
        parts = [self.date_label, self.venue, f"발표 {self.talk_count}개"]
        if self.authors:
            parts.append("정리: " + ", ".join(self.authors))
        return " · ".join(part for part in parts if part)

    def sort_key(self) -> tuple[str, str, str]:
        """Newest event first; reports without dates after those with, then by title."""
        return (self.dates[-1] if self.dates else "", self.updated, self.title)

    def search_record(self) -> dict[str, Any]:
        """What the index page's search looks through: titles, talks and speakers."""
        return {
            "name": self.name,
            "title": self.title,
            "year": self.year,
            "tags": list(self.tags),
            "talks": [[talk.id, talk.title, talk.speaker] for talk in self.talks],
        }

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, ensure_ascii=False, indent=1) + "\n"


def entry_from_report(report: Report, files: dict[str, ShelfFile], digest: str) -> Entry:
    """The shelf's view of a report read as for its PDF."""
    meta = report.meta
    days = tuple(
        ShelfDay(
            chapter.id,
            chapter.label,
            chapter.title,
            chapter.date.isoformat() if chapter.date else "",
            tuple(
                ShelfTalk(talk.id, talk.title, talk.speaker or "", talk.kind)
                for talk in chapter.talks
            ),
        )
        for chapter in report.chapters
    )
    return Entry(
        name=safe_name(report.name),
        report=report.name,
        title=meta.title,
        subtitle=meta.subtitle,
        dates=tuple(sorted(date.isoformat() for date in meta.dates)),
        venue=meta.venue,
        authors=meta.authors,
        tags=meta.tags,
        description=meta.description,
        lang=meta.lang,
        days=days,
        files=files,
        digest=digest,
    )


def read_entry(path: Path) -> Entry | None:
    """The entry kept at ``path``; None when there is none or it is of another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ContentError(
            path, None, f"the shelf's entry cannot be read: {err}", "add the report again"
        ) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    try:
        return Entry(
            **{
                **{key: data[key] for key in ("name", "report", "title")},
                **{
                    key: data.get(key, "")
                    for key in ("subtitle", "venue", "description", "added", "updated", "digest")
                },
                "lang": data.get("lang", "ko"),
                "dates": tuple(data.get("dates", ())),
                "authors": tuple(data.get("authors", ())),
                "tags": tuple(data.get("tags", ())),
                "days": tuple(
                    ShelfDay(
                        day["id"],
                        day["label"],
                        day["title"],
                        day.get("date", ""),
                        tuple(ShelfTalk(**talk) for talk in day.get("talks", ())),
                    )
                    for day in data.get("days", ())
                ),
                "files": {key: ShelfFile(**value) for key, value in data["files"].items()},
            }
        )
    except (KeyError, TypeError) as err:
        raise ContentError(
            path, None, f"the shelf's entry is incomplete: {err}", "add the report again"
        ) from err
