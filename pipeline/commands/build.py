"""`invoke html`, `pdf`, `epub`, `build`: the settings a task's options make, and the build of
every report found, one line per report as it completes."""

from __future__ import annotations

from pathlib import Path

from pipeline.build.reports import build as build_reports
from pipeline.build.reports import describe_outcome, describe_warnings
from pipeline.commands.run import Failed, say
from pipeline.config import Settings, load_settings, with_options


def settings_for(
    paper: str | None = None,
    variant: str | None = None,
    fetch_images: bool = False,
    strict: bool = False,
) -> Settings:
    """The project's settings (invoke.yaml, SOURCE_DATE_EPOCH) with the task's options on top."""
    return with_options(
        load_settings(),
        paper=paper,
        pdf_variant=variant,
        remote_images="fetch" if fetch_images else None,
        strict=strict or None,
    )


def write_outputs(
    notes: str | None,
    out: str | None,
    formats: tuple[str, ...],
    paper: str | None = None,
    variant: str | None = None,
    fetch_images: bool = False,
    force: bool = False,
    jobs: int = 0,
    strict: bool = False,
) -> None:
    """Build ``formats`` of every report at ``notes`` (default: the content folder)."""
    settings = settings_for(paper, variant, fetch_images, strict)
    build_all(notes, out, formats, settings, force, jobs)


def build_all(
    notes: str | Path | None,
    out: str | Path | None,
    formats: tuple[str, ...],
    settings: Settings,
    force: bool = False,
    jobs: int = 0,
) -> None:
    """Build, say each report's line (and its warnings) as it completes; any report failed is
    a failed verdict, after every other report was built."""
    notes_path = Path(notes) if notes else settings.content
    out_dir = Path(out) if out else settings.out
    built = failed = 0
    for outcome in build_reports(notes_path, out_dir, formats, settings, force, jobs or None):
        built += 1
        broke = bool(outcome.error or outcome.crash)
        failed += broke
        say(describe_outcome(outcome), error=broke)
        if outcome.warnings:
            say(describe_warnings(outcome), error=True)
    if failed:
        raise Failed(f"{failed} of {built} reports failed")
