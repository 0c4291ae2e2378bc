"""`invoke accuracy`: how well the notes are understood, against labelled notes.

A labelled folder holds notes (``*.md``) and ``expected/<name>.json`` files in the schema of
the outline (see README, "Measuring the reading"). Each labelled file is read, its outline
compared with the label, and scored: talks found (precision, recall, F1; a talk matches by
title or by start line), talk titles right, speakers right, report title right, event dates
right. Totals are over all talks, not averages of files.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.commands.outline import outline_json
from pipeline.errors import ContentError
from pipeline.read.candidates import Candidate
from pipeline.read.report import read_report


@dataclass
class FileScore:
    """One labelled file's figures."""

    name: str
    expected: int = 0  # talks in the label
    found: int = 0  # talks in our outline
    matched: int = 0
    titles: int = 0  # matched talks whose title is right
    speakers: int = 0  # matched talks whose speakers are right
    title_right: bool = False
    dates_right: bool = False
    error: str = ""
    misses: list[str] = field(default_factory=list)
    missed_lines: list[int] = field(default_factory=list)  # labelled talks not found
    extra_lines: list[int] = field(default_factory=list)  # talks found that are not labelled

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else float(self.expected == 0)

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Totals:
    files: list[FileScore]

    def _sum(self, attribute: str) -> int:
        return sum(int(getattr(f, attribute)) for f in self.files)

    @property
    def precision(self) -> float:
        return self._sum("matched") / max(1, self._sum("found"))

    @property
    def recall(self) -> float:
        return self._sum("matched") / max(1, self._sum("expected"))

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def titles(self) -> float:
        return self._sum("titles") / max(1, self._sum("expected"))

    @property
    def speakers(self) -> float:
        return self._sum("speakers") / max(1, self._sum("expected"))

    @property
    def report_titles(self) -> int:
        return self._sum("title_right")

    @property
    def event_dates(self) -> int:
        return self._sum("dates_right")


def normalise(text: str | None) -> str:
    """Compare titles and names without case, spacing, punctuation or markup."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def speaker_names(speaker: str | None) -> set[str]:
    return {normalise(name) for name in re.split(r"\s*,\s*", speaker or "") if normalise(name)}


def score_file(notes: Path, expected: dict[str, Any]) -> FileScore:
    """Read ``notes`` and compare its outline with ``expected``."""
    try:
        outline = quiet_outline(notes)
    except ContentError as err:
        score = FileScore(notes.name, expected=len(labelled_talks(expected)))
        score.error = str(err).splitlines()[0]
        score.misses = [f"no outline: {score.error}"]
        return score
    return score_outline(notes.name, outline, expected)


def quiet_outline(
    notes: Path, candidate: Candidate | None = None, front_matter: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The outline of ``notes`` (read as ``candidate`` says, if given, with ``front_matter``
    keys added), without the notes' own warnings: they are not the score's business."""
    logging.disable(logging.WARNING)
    try:
        return outline_json(read_report(notes, candidate=candidate, front_matter=front_matter))
    finally:
        logging.disable(logging.NOTSET)


def labelled_talks(expected: dict[str, Any]) -> list[dict[str, Any]]:
    return [talk for chapter in expected["chapters"] for talk in chapter["talks"]]


def score_outline(name: str, outline: dict[str, Any], expected: dict[str, Any]) -> FileScore:
    """Compare an outline with its label: talks, titles, speakers, report title, dates."""
    score = FileScore(name)
    wanted = labelled_talks(expected)
    score.expected = len(wanted)
    ours = [talk for chapter in outline["chapters"] for talk in chapter["talks"]]
    score.found = len(ours)
    unmatched = list(ours)
    for talk in wanted:
        match = next(
            (t for t in unmatched if normalise(t["title"]) == normalise(talk["title"])), None
        ) or next((t for t in unmatched if t["line"] == talk["line"]), None)
        if match is None:
            score.misses.append(f"missed talk line {talk['line']}: {talk['title']}")
            score.missed_lines.append(talk["line"])
            continue
        unmatched.remove(match)
        score.matched += 1
        if normalise(match["title"]) == normalise(talk["title"]):
            score.titles += 1
        else:
            score.misses.append(
                f"title line {talk['line']}: {match['title']!r} != {talk['title']!r}"
            )
        if speaker_names(match["speaker"]) == speaker_names(talk["speaker"]):
            score.speakers += 1
        else:
            score.misses.append(
                f"speaker line {talk['line']}: {match['speaker']!r} != {talk['speaker']!r}"
            )
    score.misses += [f"extra talk line {t['line']}: {t['title']}" for t in unmatched]
    score.extra_lines = [t["line"] for t in unmatched]
    score.title_right = normalise(outline["title"]) == normalise(expected["title"])
    if not score.title_right:
        score.misses.append(f"report title {outline['title']!r} != {expected['title']!r}")
    score.dates_right = sorted(outline["event_dates"]) == sorted(expected["event_dates"])
    if not score.dates_right:
        score.misses.append(f"event dates {outline['event_dates']} != {expected['event_dates']}")
    return score


def labelled_files(folder: Path, also: tuple[Path, ...] = ()) -> list[tuple[Path, dict[str, Any]]]:
    """(notes, label) for every ``expected/*.json`` of ``folder``; the notes are in ``folder``
    or ``also``."""
    files = []
    for label in sorted((folder / "expected").glob("*.json")):
        expected = json.loads(label.read_text(encoding="utf-8"))
        candidates = [folder / expected["file"], *(f / expected["file"] for f in also)]
        notes = next((p for p in candidates if p.exists()), None)
        if notes is not None:
            files.append((notes, expected))
    return files


def score_folder(folder: Path, also: tuple[Path, ...] = ()) -> Totals:
    """Score every labelled file of ``folder`` as the reader reads it."""
    return Totals([score_file(notes, expected) for notes, expected in labelled_files(folder, also)])


def describe_totals(totals: Totals, verbose: bool = False) -> str:
    """The per-file table and the totals, as `invoke accuracy` prints them."""
    lines = [
        f"{'file':38} {'talks':>9} {'P':>5} {'R':>5} {'F1':>5} {'titles':>7} {'speakers':>8}  "
        "title dates"
    ]
    for f in totals.files:
        lines.append(
            f"{f.name[:38]:38} {f.matched:>3}/{f.expected:<3}{f.found:>2} {f.precision:5.2f} "
            f"{f.recall:5.2f} {f.f1:5.2f} {f.titles:>3}/{f.expected:<3} "
            f"{f.speakers:>4}/{f.expected:<3}"
            f"  {'ok' if f.title_right else 'NO':>5} {'ok' if f.dates_right else 'NO':>5}"
        )
        if verbose:
            lines += [f"    {miss}" for miss in f.misses]
    n = len(totals.files)
    lines.append(
        f"total: talk P {totals.precision:.2f} R {totals.recall:.2f} F1 {totals.f1:.2f}; "
        f"titles {totals.titles:.2f}; speakers {totals.speakers:.2f}; "
        f"report titles {totals.report_titles}/{n}; event dates {totals.event_dates}/{n}"
    )
    return "\n".join(lines) + "\n"
