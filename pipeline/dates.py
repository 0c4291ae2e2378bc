"""Dates as a Korean reader reads them, and the one date a build is stamped with."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.model import Report

WEEKDAYS = "월화수목금토일"
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# The forms blogs write a date in, a time and a zone after it ignored (the date as written):
# 2024-05-22, 2024/05/22, 2024.05.22., 2019-01-25 10:00:00 +0900, 2019-01-25T10:00:00Z
NUMERIC_DATE = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})\.?(?=$|[\st,(])")
COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?=$|[\st])")  # 20240522
KOREAN_DATE = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")  # 2024년 5월 22일
# May 22, 2024 / Wed, 22 May 2024 / 22 May 2024
MONTH_FIRST = re.compile(
    r"(?:[a-z]{3,9},?\s+)?([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
)
DAY_FIRST = re.compile(r"(?:[a-z]{3,9},?\s+)?(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})")


def korean_dates(dates: tuple[dt.date, ...], weekdays: bool = False) -> str:
    """``2023년 2월 27일``, a range as ``2023년 2월 27일 – 28일``; ``(월)`` with ``weekdays``."""
    if not dates:
        return ""
    first, last = min(dates), max(dates)

    def day(date: dt.date, with_year: bool, with_month: bool) -> str:
        text = f"{date.day}일" + (f"({WEEKDAYS[date.weekday()]})" if weekdays else "")
        if with_month:
            text = f"{date.month}월 {text}"
        return f"{date.year}년 {text}" if with_year else text

    if first == last:
        return day(first, True, True)
    new_year = last.year != first.year
    new_month = new_year or last.month != first.month
    return f"{day(first, True, True)} – {day(last, new_year, new_month)}"


def parse_date(value: object) -> dt.date | None:
    """A front-matter date as a blog engine wrote it, or ``None`` when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).lower()
    parts: tuple[int, int, int] | None = None
    if found := NUMERIC_DATE.match(text):
        parts = (int(found[1]), int(found[3]), int(found[4]))
    elif found := COMPACT_DATE.match(text) or KOREAN_DATE.match(text):
        parts = (int(found[1]), int(found[2]), int(found[3]))
    elif (found := MONTH_FIRST.fullmatch(text) or MONTH_FIRST.match(text)) and found[1] in MONTHS:
        parts = (int(found[3]), MONTHS[found[1]], int(found[2]))
    elif (found := DAY_FIRST.fullmatch(text) or DAY_FIRST.match(text)) and found[2] in MONTHS:
        parts = (int(found[3]), MONTHS[found[2]], int(found[1]))
    if parts is None:
        return None
    try:
        return dt.date(*parts)
    except ValueError:  # 2024-02-30
        return None


def date_label(date: dt.date) -> str:
    return korean_dates((date,))


def build_time(report: Report, source_date_epoch: int | None) -> dt.datetime | None:
    """When a build says it was made: ``SOURCE_DATE_EPOCH`` (read into the settings), else the
    last date the notes name, never the clock, so that two builds of the same notes are
    identical."""
    if source_date_epoch is not None:
        return dt.datetime.fromtimestamp(source_date_epoch, dt.UTC)
    dates = report.meta.dates or tuple(c.date for c in report.chapters if c.date is not None)
    return dt.datetime.combine(max(dates), dt.time(), dt.UTC) if dates else None


def cover_year(report: Report) -> str:
    """The year the cover shows: the conference's, or one the title names (``DEVIEW 2023``)."""
    if report.meta.dates:
        return str(min(report.meta.dates).year)
    found = re.search(r"\b(19|20)\d\d\b", report.meta.title)
    return found.group(0) if found else ""
