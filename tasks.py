"""Tasks: `invoke --list` shows them. Each is one call into the pipeline package."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from invoke import Context, Exit, task

from pipeline import build as pipeline_build
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.outline import describe_report
from pipeline.parse import discover_reports, read_report

NOTES_HELP = "a notes file, a report folder, or a folder of reports (default: content/)"
OUT_HELP = "the output folder (default: dist/)"

logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s", stream=sys.stderr)
logging.addLevelName(logging.WARNING, "warning")
logging.addLevelName(logging.INFO, "info")
logging.getLogger("fontTools").setLevel(logging.ERROR)
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def run_build(notes: str, out: str, formats: tuple[str, ...]) -> None:
    try:
        outcomes = pipeline_build.build(Path(notes), Path(out), formats, Settings())
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    failed = [o for o in outcomes if o.error]
    for outcome in outcomes:
        if outcome.error:
            print(f"error: {outcome.error}", file=sys.stderr)
        for path in outcome.outputs:
            print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    if failed:
        raise Exit(f"{len(failed)} of {len(outcomes)} reports failed", code=1)


@task(help={"notes": NOTES_HELP})
def outline(c: Context, notes: str = "content/") -> None:
    """Show how the notes were understood: title, chapters, talks, speakers, warnings."""
    try:
        for path in discover_reports(Path(notes)):
            print(f"== {path}")
            print(describe_report(read_report(path)))
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None


@task(help={"notes": NOTES_HELP, "out": OUT_HELP})
def html(c: Context, notes: str = "content/", out: str = "dist/") -> None:
    """Write a single-file HTML preview of each report."""
    run_build(notes, out, ("html",))


@task(help={"notes": NOTES_HELP, "out": OUT_HELP})
def pdf(c: Context, notes: str = "content/", out: str = "dist/") -> None:
    """Write the print PDF of each report."""
    run_build(notes, out, ("pdf",))


@task(help={"notes": NOTES_HELP, "out": OUT_HELP})
def epub(c: Context, notes: str = "content/", out: str = "dist/") -> None:
    """Write the EPUB 3 of each report."""
    run_build(notes, out, ("epub",))


@task(help={"notes": NOTES_HELP, "out": OUT_HELP})
def build(c: Context, notes: str = "content/", out: str = "dist/") -> None:
    """Write the PDF and the EPUB of each report."""
    run_build(notes, out, ("pdf", "epub"))


@task
def test(c: Context) -> None:
    """Run the whole test suite."""
    c.run(f"{sys.executable} -m pytest", pty=False)


@task
def goldens(c: Context) -> None:
    """Regenerate the outline goldens in tests/golden/ (after a deliberate change)."""
    from tests.test_parse import GOLDEN, OUTLINE_FIXTURES

    for name in ["deview-2023.md", *OUTLINE_FIXTURES]:
        path = Path("content") / name if name == "deview-2023.md" else Path("tests/data") / name
        golden = GOLDEN / (Path(name).stem + ".txt")
        golden.write_text(describe_report(read_report(path.resolve())), encoding="utf-8")
        print(f"wrote {golden}")
