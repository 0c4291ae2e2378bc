"""The event's dates, told from a blog post's date.

A blog engine's front matter `date` is the day the post was written, often days or years
away from the event; only dates the notes give for the event are the report's dates:
- the dates in day headings (`1일차 - 2015-09-14`);
- the front matter's dates when the notes are not a blog post (`invoke new` writes `date` for
  the event; `dates`, `start`/`end` and `event_date` are always the event's);
- dates written before the first talk (`2019년 1월 25일 세종대학교에서`, `일시: 2018-09-04`,
  `6월 30일 일요일` with the year from the title), ranges included (`10월 7일 ~ 8일`).
A date that contradicts the year in the title is not the event's.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# Keys a blog engine's front matter has and a report's own front matter has not.
BLOG_KEYS = frozenset(
    "layout categories category permalink slug draft last_modified_at lastmod toc toc_sticky "
    "comments image thumbnail banner featured_image excerpt published updated series".split()
)
EVENT_KEYS = ("dates", "start", "end", "date_end", "event_date")

FULL = re.compile(
    r"(?P<y>(?:19|20)\d{2}|(?<!\d)\d{2}(?=\s*년))\s*(?:년\s*|[-./]\s*)(?P<m>\d{1,2})\s*(?:월\s*|[-./]\s*)"
    r"(?P<d>\d{1,2})\s*일?(?:\s*\([월화수목금토일]\))?"
    r"(?:\s*(?:[~\-–]|부터)\s*(?:(?:(?P<m2>\d{1,2})\s*월\s*)?(?P<d2>\d{1,2})\s*일"
    r"|(?P<m3>\d{1,2})\s*[./]\s*(?P<d3>\d{1,2})(?![\d.:])))?"
)
MONTH_DAY = re.compile(
    r"(?<![\d.])(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일"
    r"(?:\s*\([월화수목금토일]\))?(?:\s*(?:[~\-–]|부터)\s*(?:(?P<m2>\d{1,2})\s*월\s*)?(?P<d2>\d{1,2})\s*일)?"
)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# `18.10.11`, `18.10.11 ~ 10.12`: a year of two digits, taken only where it is the year the
# title names (or the post's), since the same shape is a version number (`Node 18.10.0`)
SHORT = re.compile(
    r"(?<![\w.])(?P<y>\d{2})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?![\d.]\d)"
    r"(?:\s*[~\-–]\s*(?:(?P<m3>\d{1,2})\.)?(?P<d3>\d{1,2})(?![\d.]\d))?"
)


def is_blog_post(front_matter: dict[str, Any]) -> bool:
    return bool(BLOG_KEYS & set(front_matter))


def title_year(title: str) -> int | None:
    """The year a title names (`DEVIEW 2023`, `if(kakaoAI)2024`), if exactly one."""
    years = set(YEAR.findall(title))
    return int(years.pop()) if len(years) == 1 else None


def dates_in_text(text: str, year: int | None) -> list[dt.date]:
    """Every date ``text`` writes, ranges expanded; `M월 D일` and `YY.MM.DD` only when
    ``year`` is known."""
    found: list[dt.date] = []
    taken: list[tuple[int, int]] = []
    for match in FULL.finditer(text):
        taken.append(match.span())
        written = int(match["y"])
        found += _range(written + 2000 if written < 100 else written, match)
    if year is not None:
        for match in SHORT.finditer(text):
            if int(match["y"]) == year % 100 and not any(s <= match.start() < e for s, e in taken):
                taken.append(match.span())
                found += _range(year, match)
        for match in MONTH_DAY.finditer(text):
            if not any(start <= match.start() < end for start, end in taken):
                found += _range(year, match)
    return sorted(set(found))


def _range(year: int, match: re.Match[str]) -> list[dt.date]:
    groups = match.groupdict()
    end_month, end_day = groups.get("m3") or groups.get("m2"), groups.get("d3") or groups.get("d2")
    try:
        first = dt.date(year, int(match["m"]), int(match["d"]))
        if not end_day:
            return [first]
        last = dt.date(year, int(end_month or match["m"]), int(end_day))
    except ValueError:
        return []
    if not first <= last <= first + dt.timedelta(days=14):
        return [first]
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# Front-matter keys of event pages (Jekyll and Hugo themes): when the event starts and ends.
EVENT_TIME_KEYS = ("start_time", "end_time", "event_start", "event_end", "start_date", "end_date")


def front_matter_event_dates(front_matter: dict[str, Any]) -> list[dt.date]:
    """The days from an event page's start to its end (`start_time: 2018-09-15 13:00`)."""
    days = []
    for key in EVENT_TIME_KEYS:
        value = front_matter.get(key)
        if isinstance(value, dt.datetime):
            days.append(value.date())
        elif isinstance(value, dt.date):
            days.append(value)
        elif isinstance(value, str) and (match := re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)):
            try:
                days.append(dt.date(int(match[1]), int(match[2]), int(match[3])))
            except ValueError:
                continue
    if not days:
        return []
    first, last = min(days), max(days)
    if last - first > dt.timedelta(days=14):
        return [first]
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def fits_title(dates: tuple[dt.date, ...] | list[dt.date], title: str) -> bool:
    """False when the title names a year and the dates are in another one."""
    year = title_year(title)
    return year is None or all(date.year == year for date in dates)
