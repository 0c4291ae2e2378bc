"""Front matter -> Metadata: title, subtitle, dates, venue, authors, tags, description, cover."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pipeline.dates import parse_date
from pipeline.model import Metadata
from pipeline.read.notes import Notes

log = logging.getLogger(__name__)

TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def read_metadata(notes: Notes, h1_title: str, fallback: str, content_root: Path) -> Metadata:
    """Title: front matter, else the title heading, else the file name; the rest: front matter.

    A value a blog engine wrote that the report cannot use (a date that is not one, a cover
    outside the content folder, a mapping where text belongs) is left out with a warning
    naming its key and line: the build goes on (``--strict`` makes it an error)."""
    h1 = "" if TEMPLATE_EXPRESSION.search(h1_title) else h1_title
    title = front_text(notes, "title") or h1 or fallback
    subtitle = front_text(notes, "subtitle")
    if not subtitle and h1 and h1 != title:
        subtitle = h1
    lang_key = "lang" if notes.front_matter.get("lang") else "language"
    lang = front_text(notes, lang_key) or "ko"
    if not LANG_TAG.match(lang):
        left_out(notes, lang_key, f'"{lang}" is not a language tag', 'write a BCP 47 tag: "ko"')
        lang = "ko"
    return Metadata(
        title=title,
        subtitle=subtitle,
        dates=read_dates(notes),
        venue=front_text(notes, "venue", "location", "place"),
        authors=strings(notes.front_matter.get("authors") or notes.front_matter.get("author")),
        tags=strings(notes.front_matter.get("tags") or notes.front_matter.get("keywords")),
        description=plain_description(front_text(notes, "description", "summary")),
        lang=lang,
        cover=read_cover(notes, content_root),
    )


def left_out(notes: Notes, key: str, problem: str, hint: str) -> None:
    """Warn that front matter ``key`` cannot be used (``file:line: front matter date "x" is
    not a date; left out (hint: ...)``)."""
    line = notes.front_matter_lines.get(key, 1)
    log.warning(
        "%s:%d: front matter %s %s; left out (hint: %s)", notes.path, line, key, problem, hint
    )


def front_text(notes: Notes, *keys: str) -> str:
    """The first of ``keys`` the front matter gives, as one line of text; a mapping (where a
    blog engine nests values) is left out with a warning."""
    for key in keys:
        value = notes.front_matter.get(key)
        if isinstance(value, dict):
            left_out(notes, key, "is a mapping (key: value), not text", f"write {key}: as one line")
            continue
        if value not in (None, "", []):
            return text(value)
    return ""


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


DATE_KEYS = ("dates", "date", "start", "end", "date_end")


def read_dates(notes: Notes) -> tuple[dt.date, ...]:
    """`date`, `dates: [..]`, or `start`/`end` (`date_end`), in the forms blogs write them
    (`2024/05/22`, `2024.05.22`, `2019-01-25 10:00:00 +0900`, `May 22, 2024`,
    `2024년 5월 22일`); a value that is not a date is left out with a warning."""
    data = notes.front_matter
    values: list[tuple[str, Any]] = []
    if isinstance(data.get("dates"), list):
        values = [("dates", value) for value in data["dates"]]
    elif isinstance(data.get("date"), list):  # date: [2024-01-01, 2024-01-02]
        values = [("date", value) for value in data["date"]]
    else:
        first = "date" if data.get("date") not in (None, "") else "start"
        last = "end" if data.get("end") not in (None, "") else "date_end"
        values = [(first, data.get(first)), (last, data.get(last))]
    dates = []
    for key, value in values:
        if value in (None, ""):
            continue
        date = parse_date(value)
        if date is None:
            shown = " ".join(str(value).split())[:60]
            left_out(notes, key, f'"{shown}" is not a date', "write dates as YYYY-MM-DD")
        else:
            dates.append(date)
    return tuple(sorted(set(dates)))


COVER_KEYS = ("cover", "image")  # ours, and the header image Jekyll and Hugo themes name
COVER_HINT = "copy a PNG or JPEG next to the notes and name it in cover:"


def read_cover(notes: Notes, content_root: Path) -> Path | None:
    """The front matter's `cover` (or a blog's `image`): a PNG or JPEG inside the content
    folder, as an absolute path. Any other value is left out with a warning, and the book
    gets its generated cover."""
    key = next((k for k in COVER_KEYS if notes.front_matter.get(k) not in (None, "")), "")
    if not key:
        return None
    value = notes.front_matter[key]
    if isinstance(value, dict):  # Hugo themes: cover: {image: ..., alt: ...}, image: {src: ...}
        value = next((value[k] for k in ("image", "src", "path", "url") if value.get(k)), value)
    if not isinstance(value, str):
        left_out(notes, key, "is not a file name", COVER_HINT)
        return None
    written = value.strip()
    if urlparse(written).scheme or written.startswith("//"):
        left_out(notes, key, f'"{written}" is a web address, not a file', COVER_HINT)
        return None
    try:
        path = (notes.path.resolve().parent / written).resolve()
    except (ValueError, OSError):
        path = None
    if path is None:
        problem = "is not a usable path"
    elif not path.is_relative_to(content_root.resolve()):
        problem = "is outside the content folder"
    elif not path.is_file():
        problem = "is not there"
    elif path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        problem = "is not a PNG or JPEG image"
    else:
        return path
    left_out(notes, key, f'"{written}" {problem}', COVER_HINT)
    return None
