"""The pipeline top to bottom: notes -> Report -> HTML/XHTML -> PDF/EPUB in the output folder."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.fetch import FetchPolicy
from pipeline.model import Report
from pipeline.output import write_text_atomically
from pipeline.parse import discover_reports, read_report
from pipeline.render import render_preview

log = logging.getLogger(__name__)

Writer = Callable[[Report, Settings, Path], Path]


@dataclass(frozen=True)
class Outcome:
    """What happened to one report: the files written, or the error that stopped it."""

    notes: Path
    outputs: tuple[Path, ...] = ()
    error: ContentError | None = None


def write_html(report: Report, settings: Settings, out_dir: Path) -> Path:
    """The single-file HTML preview of a report."""
    return write_text_atomically(out_dir / f"{report.name}.html", render_preview(report, settings))


def write_pdf(report: Report, settings: Settings, out_dir: Path) -> Path:
    from pipeline import pdf  # WeasyPrint takes most of a second to import: only when needed

    return pdf.write_pdf(report, settings, out_dir)


def write_epub(report: Report, settings: Settings, out_dir: Path) -> Path:
    from pipeline import epub

    return epub.write_epub(report, settings, out_dir)


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(enabled=settings.remote_images == "fetch",
                       allow_private=settings.allow_private_addresses,
                       cache_dir=settings.project_root / ".cache" / "images")


WRITERS: dict[str, Writer] = {"html": write_html, "pdf": write_pdf, "epub": write_epub}


def build(notes: Path, out_dir: Path, formats: tuple[str, ...], settings: Settings) -> list[Outcome]:
    """Build every report found at ``notes``; one report's error does not stop the others."""
    outcomes = []
    for path in discover_reports(notes):
        try:
            report = read_report(path, fetch_policy(settings))
            report_settings = settings.override(report.settings)
            outputs = tuple(WRITERS[name](report, report_settings, out_dir) for name in formats)
            outcomes.append(Outcome(path, outputs))
        except ContentError as err:
            outcomes.append(Outcome(path, error=err))
    return outcomes
