"""Front matter -> Metadata: title, subtitle, dates, venue, authors, tags, description, cover."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from pipeline.errors import ContentError
from pipeline.model import Metadata
from pipeline.read.notes import Notes

TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def read_metadata(notes: Notes, h1_title: str, fallback: str, content_root: Path) -> Metadata:
    """Title: front matter, else the title heading, else the file name; the rest: front matter."""
    data = notes.front_matter
    h1 = "" if TEMPLATE_EXPRESSION.search(h1_title) else h1_title
    title = text(data.get("title")) or h1 or fallback
    subtitle = text(data.get("subtitle"))
    if not subtitle and h1 and h1 != title:
        subtitle = h1
    lang = text(data.get("lang") or data.get("language")) or "ko"
    if not LANG_TAG.match(lang):
        raise ContentError(
            notes.path,
            1,
            f'front matter lang "{lang}" is not a language tag',
            'use a BCP 47 tag such as "ko" or "en"',
        )
    return Metadata(
        title=title,
        subtitle=subtitle,
        dates=read_dates(notes.path, data),
        venue=text(data.get("venue") or data.get("location") or data.get("place")),
        authors=strings(data.get("authors") or data.get("author")),
        tags=strings(data.get("tags") or data.get("keywords")),
        description=plain_description(text(data.get("description") or data.get("summary"))),
        lang=lang,
        cover=read_cover(notes, content_root),
    )


DESCRIPTION_LIMIT = 300  # characters: what a library catalogue or a reader app shows


def plain_description(value: str) -> str:
    """A blog's `description` as the documents' metadata can hold it: plain text, without
    markup or template expressions, cut at a word near 300 characters."""
    value = TEMPLATE_EXPRESSION.sub("", value)
    value = re.sub(r"<[^>]*>", "", value)
    value = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", value)  # links and images: their text
    value = re.sub(r"(\*\*|__|\*|`|~~)", "", value)
    value = " ".join(value.split())
    if len(value) > DESCRIPTION_LIMIT:
        value = value[:DESCRIPTION_LIMIT].rsplit(" ", 1)[0].rstrip(" ,.") + "…"
    return value


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    return " ".join(str(value).split())


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in re.split(r"\s*,\s*", value)]
    if isinstance(value, dict):
        value = [value.get("name", "")]
    if not isinstance(value, list):
        value = [value]
    items = [text(v.get("name") if isinstance(v, dict) else v) for v in value]
    return tuple(dict.fromkeys(item for item in items if item))


def read_dates(path: Path, data: dict[str, Any]) -> tuple[dt.date, ...]:
    """`date`, `dates: [..]`, or `start`/`end` (`date_end`): YAML dates or ISO strings."""
    values: list[Any] = []
    if isinstance(data.get("dates"), list):
        values = list(data["dates"])
    elif isinstance(data.get("date"), list):  # date: [2024-01-01, 2024-01-02]
        values = list(data["date"])
    else:
        values = [data.get("date") or data.get("start"), data.get("end") or data.get("date_end")]
    dates = []
    for value in values:
        if value in (None, ""):
            continue
        if isinstance(value, dt.datetime):
            dates.append(value.date())
        elif isinstance(value, dt.date):
            dates.append(value)
        else:
            match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", str(value))
            try:
                if not match:
                    raise ValueError(value)
                dates.append(dt.date(*(int(g) for g in match.groups())))
            except ValueError as err:
                raise ContentError(
                    path,
                    1,
                    f'front matter date "{value}" is not a date',
                    "write dates as YYYY-MM-DD",
                ) from err
    return tuple(sorted(set(dates)))


def read_cover(notes: Notes, content_root: Path) -> Path | None:
    """The front matter's `cover`: a PNG or JPEG inside the content folder, as an absolute path."""
    written = text(notes.front_matter.get("cover"))
    if not written:
        return None
    line = notes.front_matter_lines.get("cover", 1)
    try:
        path = (notes.path.resolve().parent / written).resolve()
    except (ValueError, OSError) as err:
        raise ContentError(
            notes.path, line, f'cover "{written}" is not a usable path', "fix the cover path"
        ) from err
    if not path.is_relative_to(content_root.resolve()):
        raise ContentError(
            notes.path,
            line,
            f'cover "{written}" is outside the content folder',
            "copy the image next to the notes and name it from there",
        )
    if not path.is_file():
        raise ContentError(
            notes.path,
            line,
            f'cover "{written}" not found',
            "put the image next to the notes, or fix the path",
        )
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise ContentError(
            notes.path,
            line,
            f'cover "{written}" is not a PNG or JPEG image',
            "convert it to .png or .jpg",
        )
    return path
