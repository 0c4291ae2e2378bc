"""Tasks: `invoke --list` shows them. Each is one call into `pipeline.commands`: `run` sets the
process up and turns an error of the notes into one clean message; the options' help is
`pipeline/commands/options.py`, the table the README's is written from."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from pipeline.commands.options import help_for
from pipeline.commands.run import run

# Each task imports its command when it runs: `invoke --list` and an unchanged rebuild start
# fast (the checks, the shelf, the preview server and the training are not imported by a build).
CORPUS = "../shared/corpus"


@task(help=help_for("outline"))
def outline(
    c: Context,
    notes: str | None = None,
    json: bool = False,
    strict: bool = False,
    pages: bool = False,
    paper: str | None = None,
) -> None:
    """Show how the notes were understood: title, chapters, talks, speakers, warnings."""
    from pipeline.commands.outline import show_outline

    run(show_outline, notes, json, strict, pages, paper)


@task(help=help_for("accuracy"))
def accuracy(
    c: Context,
    corpus: str = CORPUS,
    verbose: bool = False,
    cv: bool = False,
    folds: int = 5,
    one_line: bool = False,
) -> None:
    """Score the reading of labelled notes: talks, titles, speakers, report titles, dates."""
    from pipeline.commands import scoring

    run(scoring.score_reading, corpus, verbose, cv, folds, one_line)


@task(help=help_for("train"))
def train(c: Context, corpus: str = CORPUS) -> None:
    """Learn which reading of the notes wins from labelled notes; writes the reading model."""
    from pipeline.commands import scoring

    run(scoring.learn_reading, corpus)


@task(help=help_for("html"))
def html(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    fetch_images: bool = False,
    strict: bool = False,
) -> None:
    """Write a single-file HTML preview of each report."""
    from pipeline.commands.build import write_outputs

    run(write_outputs, notes, out, ("html",), fetch_images=fetch_images, force=True, strict=strict)


@task(help=help_for("pdf"))
def pdf(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    paper: str | None = None,
    variant: str | None = None,
    fetch_images: bool = False,
    force: bool = False,
    jobs: int = 0,
    strict: bool = False,
) -> None:
    """Write the print PDF of each report."""
    from pipeline.commands.build import write_outputs

    run(write_outputs, notes, out, ("pdf",), paper, variant, fetch_images, force, jobs, strict)


@task(help=help_for("epub"))
def epub(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    fetch_images: bool = False,
    force: bool = False,
    jobs: int = 0,
    strict: bool = False,
) -> None:
    """Write the EPUB 3 of each report."""
    from pipeline.commands.build import write_outputs

    run(write_outputs, notes, out, ("epub",), None, None, fetch_images, force, jobs, strict)


@task(help=help_for("build"))
def build(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    paper: str | None = None,
    variant: str | None = None,
    fetch_images: bool = False,
    force: bool = False,
    jobs: int = 0,
    strict: bool = False,
) -> None:
    """Write the PDF and the EPUB of each report (parsed once, both formats in parallel)."""
    from pipeline.commands.build import write_outputs

    formats = ("pdf", "epub")
    run(write_outputs, notes, out, formats, paper, variant, fetch_images, force, jobs, strict)


@task(help=help_for("watch"))
def watch(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    serve: bool = False,
    port: int = 8000,
    shelf: str | None = None,
) -> None:
    """Rebuild what changed whenever notes, images, styles, fonts or settings are saved."""
    from pipeline.commands.watch import watch_saves

    run(watch_saves, notes, out, serve, port, shelf)


@task(help=help_for("new"))
def new(c: Context, name: str) -> None:
    """Start content/NAME.md from a template: front matter, days, a talk with its abstract."""
    from pipeline.commands.new import new_notes

    run(new_notes, name)


@task(help=help_for("check"))
def check(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    strict: bool = False,
    allow_warnings: bool = False,
) -> None:
    """Check built outputs before sharing: EPUBCheck, fonts, glyphs, line breaks, links."""
    from pipeline.commands.verdict import check_reports

    run(check_reports, notes, out, strict, allow_warnings)


@task(help=help_for("share"))
def share(
    c: Context,
    notes: str,
    out: str | None = None,
    to: str | None = None,
    shelf: str | None = None,
) -> None:
    """Pack a report for the team: PDF, EPUB, SHA256SUMS and a SUMMARY.md for the chat."""
    from pipeline.commands.share import share_notes

    run(share_notes, notes, out, to, shelf)


@task(iterable=["notes"], help=help_for("shelf"))
def shelf(
    c: Context,
    to: str,
    notes: list[str] | None = None,
    out: str | None = None,
    remove: str | None = None,
    title: str | None = None,
    jobs: int = 0,
) -> None:
    """Put reports on a team shelf: a static folder of web pages, OPDS and an Atom feed.

    An index with search, a page and a web edition per report, an OPDS catalogue for
    e-readers, an Atom feed: a folder to serve as it is, or to share."""
    from pipeline.commands.shelf import update_shelf

    run(update_shelf, to, notes, out, remove, title, jobs)


@task(help=help_for("bench"))
def bench(c: Context, runs: int = 5, quick: bool = False) -> None:
    """Time our PDF and EPUB against pandoc (+ WeasyPrint); writes dist/bench.json."""
    from pipeline.commands import develop

    develop.run_bench(c, runs, quick)


@task(help=help_for("test"))
def test(c: Context, quick: bool = False) -> None:
    """Run ruff, mypy and the whole test suite (what CI runs); --quick for the fast tests."""
    from pipeline.commands import develop

    develop.run_tests(c, quick)


@task(help=help_for("fuzz"))
def fuzz(c: Context, examples: int = 5000) -> None:
    """Run the property test on many more generated notes than the normal test run does."""
    from pipeline.commands import develop

    develop.run_fuzz(c, examples)


@task(help=help_for("goldens"))
def goldens(c: Context) -> None:
    """Regenerate the outline goldens in tests/golden/ and the README's option table."""
    from pipeline.commands.goldens import write_goldens

    run(write_goldens)
