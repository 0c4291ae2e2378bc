"""A plain-text account of how the notes were understood (`invoke outline`, and test goldens)."""

from __future__ import annotations

import re

from pipeline.model import Report, Source


def describe_report(report: Report) -> str:
    """Title, metadata, chapters and talks with speakers and source lines, as text."""
    meta = report.meta
    lines = [f"title: {meta.title}"]
    for label, value in (
        ("subtitle", meta.subtitle),
        ("dates", ", ".join(d.isoformat() for d in meta.dates)),
        ("venue", meta.venue),
        ("authors", ", ".join(meta.authors)),
        ("tags", ", ".join(meta.tags)),
        ("description", meta.description),
        ("lang", meta.lang if meta.lang != "ko" else ""),
        ("cover", str(meta.cover) if meta.cover else ""),
    ):
        if value:
            lines.append(f"{label}: {value}")
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


def words(html: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", html).split())
