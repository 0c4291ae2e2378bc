"""Dates as a Korean reader reads them, and the one date a build is stamped with."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.model import Report

WEEKDAYS = "월화수목금토일"


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
