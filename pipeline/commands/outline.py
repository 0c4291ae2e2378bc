"""A plain-text account of how the notes were understood (`invoke outline`, and test goldens)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from pipeline.commands.build import settings_for
from pipeline.commands.run import Failed, say
from pipeline.config import Settings, with_options
from pipeline.diagnostics import collect_warnings, describe_warnings, strict_error
from pipeline.model import Report, Source
from pipeline.pdf.layout import plan_layout
from pipeline.read.notes import discover_reports
from pipeline.read.report import UNTITLED, read_report


def show_outline(
    notes: str | None = None,
    as_json: bool = False,
    strict: bool = False,
    pages: bool = False,
    paper: str | None = None,
) -> None:
    """Say how each report at ``notes`` was understood (or its JSON), then its warnings;
    with --strict a report with warnings fails."""
    settings = settings_for(paper=paper, strict=strict)
    paths = discover_reports(Path(notes) if notes else settings.content)
    reports = [(path, *read_with_warnings(path)) for path in paths]
    if as_json:
        say(outlines_text([outline_json(report) for _, report, _ in reports]))
    failed = 0
    for path, report, warnings in reports:
        if not as_json:
            say(f"== {report.source.path}")
            say(describe_report(report) + describe_choices(report) + describe_layout(report))
            if pages:  # the task's --paper wins over the front matter's, as in a build
                page_settings = with_options(settings.override(report.settings), paper=paper)
                say(describe_pages(report, page_settings))
        if warnings and settings.strict:
            failed += 1
            say(f"error: {strict_error(path, warnings)}", error=True)
        elif warnings:
            say(describe_warnings(report.name, path, warnings), error=True)
    if failed:
        raise Failed(f"{failed} of {len(reports)} reports had warnings (--strict)")


def read_with_warnings(path: Path) -> tuple[Report, tuple[str, ...]]:
    """Read a report, collecting its warnings to show after its outline (or check)."""
    with collect_warnings(path) as log:
        report = read_report(path)
    return report, tuple(log.messages)


def describe_report(report: Report) -> str:
    """Title, metadata, chapters and talks with speakers and source lines, as text."""
    meta = report.meta
    lines = [f"title: {meta.title}"]
    for label, value in (
        ("subtitle", meta.subtitle),
        ("dates", ", ".join(d.isoformat() for d in meta.dates)),
        ("post date", meta.post_date.isoformat() if meta.post_date else ""),
        ("venue", meta.venue),
        ("authors", ", ".join(meta.authors)),
        ("tags", ", ".join(meta.tags)),
        ("description", meta.description),
        ("lang", meta.lang if meta.lang != "ko" else ""),
        ("cover", str(meta.cover) if meta.cover else ""),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines += describe_reading(report)
    if report.intro_html:
        lines.append(f"intro: {words(report.intro_html)} words")
    remote = sum(1 for image in report.images if image.is_remote)
    if report.images:
        lines.append(f"images: {len(report.images) - remote} local, {remote} remote")

    def place(source: Source) -> str:
        if source.path == report.source.path:
            return f"line {source.line}"
        return f"{source.path.name}:{source.line}"

    for chapter in report.chapters:
        kind = "day" if chapter.kind == "day" else "chapter"
        date = f" ({chapter.date.isoformat()})" if chapter.date else ""
        title = f" {chapter.title}" if chapter.label != chapter.title else ""
        lines.append(
            f"{kind} {chapter.label}{title}{date} #{chapter.id}  [{place(chapter.source)}]"
        )
        for talk in chapter.talks:
            marker = "talk" if talk.kind == "talk" else "section"
            details = []
            if talk.speaker:
                details.append(f"speaker: {talk.speaker}")
            if talk.slot:
                details.append(f"slot: {talk.slot}")
            if talk.abstract_html:
                details.append("abstract")
            extra = f" ({'; '.join(details)})" if details else ""
            lines.append(f"  {marker} {talk.title}{extra} #{talk.id}  [{place(talk.source)}]")
    return "\n".join(lines) + "\n"


def describe_layout(report: Report) -> str:
    """The shape the print book takes (``pipeline.pdf.layout``): decided from the model."""
    return f"print layout: {plan_layout(report).describe()}\n"


def describe_pages(report: Report, settings: Settings) -> str:
    """Lay the PDF out (nothing is written) and say what each page holds, how full it is, and
    what was laid out again to fill a near-empty page (``pipeline.pdf.fit``)."""
    from pipeline.pdf.fit import label
    from pipeline.pdf.html import prepare_print
    from pipeline.pdf.write import fit_pages, print_html

    job = prepare_print(report, settings)
    try:
        _, fitting = fit_pages(settings, job, print_html(report, settings, job))
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)
    lines = [f"pages: {len(fitting.pages)} ({settings.paper}), laid out {fitting.renders}x"]
    for page in fitting.pages:
        if page.kind != "text":
            what = "blank: the next page starts an opener" if page.kind == "blank" else "cover"
            lines.append(f"  page {page.number}: {what}")
            continue
        held = ", ".join(
            label(part) + (" opener" if id(part) in page.opener_only else "") for part in page.parts
        )
        state = ", NEAR-EMPTY" if page.sparse else ""
        lines.append(f"  page {page.number}: {held} ({page.fill:.0%} full{state})")
    lines += fitting.describe()
    return "\n".join(lines) + "\n"


def describe_reading(report: Report) -> list[str]:
    """How the talks were found, when it is worth saying: not plain headings, a front-matter
    key's choice, or two readings that scored close (with the key that settles it)."""
    reading = report.reading
    if reading is None:
        return []
    lines = []
    if reading.single_talk:
        lines.append("reading: the notes of one talk")
    elif reading.unit not in ("heading", "none") or reading.alternatives:
        others = ", ".join(f"{unit} ({int(n)})" for unit, n in reading.alternatives)
        found = f"reading: talks are {reading.unit} ({int(reading.score)})"
        lines.append(found + (f", also {others}" if others else ""))
    if reading.overridden_by:
        lines.append(f"reading: as the front matter's `{reading.overridden_by}` says")
    elif reading.choices and reading.choices[0].line:
        chosen = reading.choices[0].line.replace("\n", "; ")
        lines.append(f"reading: chosen among {len(reading.choices)}, as `{chosen}` would ask")
    if reading.unsure:
        lines.append(f"unsure: {reading.hint}")
    return lines


def describe_choices(report: Report, shown: int = 4) -> str:
    """The readings weighed, best first: score, talk count, first talks, and the front-matter
    line that selects each (`invoke outline`)."""
    reading = report.reading
    if reading is None or len(reading.choices) < 2:
        return ""
    lines = ["readings weighed (best first; put the line in the front matter to choose one):"]
    for rank, choice in enumerate(reading.choices[:shown], start=1):
        line = choice.line.replace("\n", "; ") or "(the reader's own: no line)"
        first = "; ".join(title or "(untitled)" for title, _ in choice.talks[:3])
        more = ", ..." if len(choice.talks) > 3 else ""
        lines.append(f"  {rank}. {line}  score {choice.score:+.2f}, {len(choice.talks)} talks")
        if first:
            lines.append(f"     {first}{more}")
    if len(reading.choices) > shown:
        lines.append(f"  ... and {len(reading.choices) - shown} more (invoke outline --json)")
    lines.append('a few headings read wrong? name them: headings: {"제목": talk, "소개": section}')
    return "\n".join(lines) + "\n"


def words(html: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", html).split())


SCHEMA_VERSION = 1


def outline_json(report: Report) -> dict[str, Any]:
    """The report model for tools and scoring (schema: README, "The outline as JSON")."""
    meta = report.meta
    reading = report.reading
    chapters = []
    for chapter in report.chapters:
        talks = [talk for talk in chapter.talks if talk.kind == "talk"]
        sections = [talk for talk in chapter.talks if talk.kind == "section"]
        chapters.append(
            {
                "kind": "day" if chapter.kind == "day" else "chapter",
                "title": chapter.title,
                "label": chapter.label,
                "date": chapter.date.isoformat() if chapter.date else None,
                "line": chapter.source.line,
                "talks": [
                    {
                        "title": "" if talk.title == UNTITLED else talk.title,
                        "speaker": ", ".join(p.name for p in talk.speakers) or None,
                        "affiliation": ", ".join(
                            dict.fromkeys(p.affiliation for p in talk.speakers if p.affiliation)
                        )
                        or None,
                        "speakers": [
                            {"name": p.name, "affiliation": p.affiliation or None}
                            for p in talk.speakers
                        ],
                        "slot": talk.slot,
                        "line": talk.source.line,
                        "file": talk.source.path.name,
                        "recognised_by": talk.recognised_by,
                        "confidence": round(talk.confidence, 2),
                    }
                    for talk in talks
                ],
                "sections": [
                    {"title": s.title, "line": s.source.line, "recognised_by": s.recognised_by}
                    for s in sections
                ],
            }
        )
    return {
        "schema": "conference-report/outline",
        "version": SCHEMA_VERSION,
        "file": report.source.path.name,
        "title": meta.title,
        "title_source": meta.title_source,
        "subtitle": meta.subtitle or None,
        "event_dates": [d.isoformat() for d in meta.dates],
        "dates_source": meta.dates_source or None,
        "post_date": meta.post_date.isoformat() if meta.post_date else None,
        "single_talk": bool(reading and reading.single_talk),
        "reading": None
        if reading is None
        else {
            "unit": reading.unit,
            "score": round(reading.score, 2),
            "alternatives": [{"unit": u, "score": round(s, 2)} for u, s in reading.alternatives],
            "overridden_by": reading.overridden_by or None,
            "unsure": reading.unsure,
            "hint": reading.hint or None,
            "choices": [
                {
                    "line": choice.line or None,
                    "score": choice.score,
                    "talks": [{"title": t, "line": n} for t, n in choice.talks],
                }
                for choice in reading.choices
            ],
        },
        "chapters": chapters,
    }


def outlines_text(outlines: list[dict[str, Any]]) -> str:
    """One outline as a JSON object, several as a list."""
    import json

    return json.dumps(outlines[0] if len(outlines) == 1 else outlines, ensure_ascii=False, indent=2)
