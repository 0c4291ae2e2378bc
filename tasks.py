"""Tasks: `invoke --list` shows them. Each is one call into the pipeline package."""

from __future__ import annotations

import atexit
import gc
import logging
import sys
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from pipeline.build.reports import build as build_reports
from pipeline.build.reports import describe_outcome, describe_warnings
from pipeline.config import Settings, load_settings, with_options
from pipeline.errors import ContentError
from pipeline.read.notes import discover_reports

NOTES = "a notes file, a report folder, or a folder of reports (default: content/)"
OUT = "the output folder (default: dist/)"
PAPER = "paper size: A4 (default), A5, B5 or Letter"
VARIANT = "PDF flavour: ua (tagged PDF/UA-1, default), a (PDF/A-3b for archiving) or plain"
FORCE = "rebuild even when nothing changed"
JOBS = (
    "processes to use (default: one per core): reports side by side, and the days of a "
    "report's PDF laid out in parallel (1: one day at a time)"
)
FETCH = "download remote images (http/https, limited, cached in .cache/) instead of linking them"
STRICT = "make warnings errors: exit status 1, every problem listed, no output replaced (for CI)"

logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
logging.addLevelName(logging.WARNING, "warning")
logging.addLevelName(logging.INFO, "info")
for noisy in ("fontTools", "weasyprint"):
    logging.getLogger(noisy).setLevel(logging.ERROR)
# A build allocates millions of short-lived objects (imports, parse trees, layout boxes) that
# reference counting frees: the cycle collector's default pace (every 700 allocations) costs
# 7% of a PDF build, a pace of 50,000 almost nothing (and about 10% more peak memory). Its last
# pass over every object at exit (40 ms) is skipped: the memory goes back with the process, and
# nothing of ours waits for a finaliser (outputs are written and closed by pipeline.output).
gc.set_threshold(50_000)
atexit.register(gc.freeze)


def settings_for(
    paper: str | None = None,
    variant: str | None = None,
    fetch_images: bool = False,
    strict: bool = False,
) -> Settings:
    try:
        return with_options(
            load_settings(),
            paper=paper,
            pdf_variant=variant,
            remote_images="fetch" if fetch_images else None,
            strict=strict or None,
        )
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None


def run_build(
    notes: str | None,
    out: str | None,
    formats: tuple[str, ...],
    settings: Settings,
    force: bool = False,
    jobs: int = 0,
) -> None:
    notes_path = Path(notes) if notes else settings.content
    out_dir = Path(out) if out else settings.out
    outcomes = []
    try:
        for outcome in build_reports(notes_path, out_dir, formats, settings, force, jobs or None):
            outcomes.append(outcome)
            broke = outcome.error or outcome.crash
            print(describe_outcome(outcome), file=sys.stderr if broke else sys.stdout, flush=True)
            if outcome.warnings:
                print(describe_warnings(outcome), file=sys.stderr, flush=True)
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    failed = [outcome for outcome in outcomes if outcome.error or outcome.crash]
    if failed:
        raise Exit(f"{len(failed)} of {len(outcomes)} reports failed", code=1)


@task(
    help={
        "notes": NOTES,
        "json": "print the outline as JSON (schema: README)",
        "strict": STRICT,
        "pages": "lay the PDF out (nothing is written): each page, how full, what was fitted",
        "paper": PAPER,
    }
)
def outline(
    c: Context,
    notes: str | None = None,
    json: bool = False,
    strict: bool = False,
    pages: bool = False,
    paper: str | None = None,
) -> None:
    """Show how the notes were understood: title, chapters, talks, speakers, warnings."""
    from pipeline.commands.outline import (
        describe_choices,
        describe_layout,
        describe_pages,
        describe_report,
        outline_json,
        outlines_text,
        read_with_warnings,
    )
    from pipeline.diagnostics import describe_warnings, strict_error

    settings = settings_for(paper=paper, strict=strict)
    try:
        paths = discover_reports(Path(notes) if notes else settings.content)
        reports = [(path, *read_with_warnings(path)) for path in paths]
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    if json:
        print(outlines_text([outline_json(report) for _, report, _ in reports]))
    failed = 0
    for path, report, warnings in reports:
        if not json:
            print(f"== {report.source.path}")
            text = describe_report(report) + describe_choices(report) + describe_layout(report)
            print(text, flush=True)
            if pages:  # the task's --paper wins over the front matter's, as in a build
                page_settings = with_options(settings.override(report.settings), paper=paper)
                try:
                    print(describe_pages(report, page_settings), flush=True)
                except ContentError as err:
                    raise Exit(f"error: {err}", code=1) from None
        if warnings and settings.strict:
            failed += 1
            print(f"error: {strict_error(path, warnings)}", file=sys.stderr, flush=True)
        elif warnings:
            print(describe_warnings(report.name, path, warnings), file=sys.stderr, flush=True)
    if failed:
        raise Exit(f"{failed} of {len(reports)} reports had warnings (--strict)", code=1)


LABELS = "a folder of notes with expected/<name>.json labels (default: ../shared/corpus)"
# The project's own labelled fixtures: always learned from, never scored by --cv.
OWN_LABELS = Path(__file__).parent / "tests"


@task(
    help={
        "corpus": LABELS,
        "verbose": "list every miss",
        "cv": "score by cross-validation: each fold read by a model trained on the others",
        "folds": "folds for --cv (default 5)",
        "one_line": "the best each file reaches with one front-matter line",
    }
)
def accuracy(
    c: Context,
    corpus: str = "../shared/corpus",
    verbose: bool = False,
    cv: bool = False,
    folds: int = 5,
    one_line: bool = False,
) -> None:
    """Score the reading of labelled notes: talks, titles, speakers, report titles, dates."""
    from pipeline.commands import accuracy, train

    folder = labelled_folder(corpus)
    also = (settings_for().content,)
    if cv or one_line:
        table = train.evaluate(folder, also)
        if cv:
            extra = train.own_labels(OWN_LABELS)
            print(train.describe_cv(train.cross_validate(table, folds, extra)), end="")
        if one_line:
            print(train.describe_one_line(table), end="")
        return
    print(accuracy.describe_totals(accuracy.score_folder(folder, also), verbose), end="")


@task(help={"corpus": LABELS})
def train(c: Context, corpus: str = "../shared/corpus") -> None:
    """Learn which reading of the notes wins from labelled notes; writes the reading model."""
    from pipeline.commands.train import evaluate, fit, own_labels, write_model

    table = evaluate(labelled_folder(corpus), (settings_for().content,))
    print(write_model(fit([*table, *own_labels(OWN_LABELS)])))


def labelled_folder(corpus: str) -> Path:
    folder = Path(corpus)
    if not (folder / "expected").is_dir():
        raise Exit(f"error: {folder}: no expected/ folder of labels", code=1)
    return folder


@task(help={"notes": NOTES, "out": OUT, "fetch_images": FETCH, "strict": STRICT})
def html(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    fetch_images: bool = False,
    strict: bool = False,
) -> None:
    """Write a single-file HTML preview of each report."""
    settings = settings_for(fetch_images=fetch_images, strict=strict)
    run_build(notes, out, ("html",), settings, force=True)


BUILD_HELP = {
    "notes": NOTES,
    "out": OUT,
    "paper": PAPER,
    "variant": VARIANT,
    "fetch_images": FETCH,
    "force": FORCE,
    "jobs": JOBS,
    "strict": STRICT,
}


@task(help=BUILD_HELP)
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
    settings = settings_for(paper, variant, fetch_images, strict)
    run_build(notes, out, ("pdf",), settings, force, jobs)


@task(
    help={
        key: BUILD_HELP[key] for key in ("notes", "out", "fetch_images", "force", "jobs", "strict")
    }
)
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
    settings = settings_for(fetch_images=fetch_images, strict=strict)
    run_build(notes, out, ("epub",), settings, force, jobs)


@task(help=BUILD_HELP)
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
    settings = settings_for(paper, variant, fetch_images, strict)
    run_build(notes, out, ("pdf", "epub"), settings, force, jobs)


LINT = ("ruff check .", "ruff format --check .", "mypy --strict pipeline tasks.py")


@task(help={"quick": "only the tests not marked slow, without the lint: the inner loop (< 15 s)"})
def test(c: Context, quick: bool = False) -> None:
    """Run ruff, mypy and the whole test suite (what CI runs); --quick for the fast tests."""
    if not quick:
        for command in LINT:
            c.run(f"{sys.executable} -m {command}", pty=False)
    c.run(f"{sys.executable} -m pytest" + (" -m 'not slow'" if quick else ""), pty=False)


@task
def goldens(c: Context) -> None:
    """Regenerate the outline goldens in tests/golden/ (after a deliberate change)."""
    from pipeline.commands.outline import describe_report
    from pipeline.read.report import read_report
    from tests.test_parse import GOLDEN, OUTLINE_FIXTURES

    for name in ["deview-2023.md", *OUTLINE_FIXTURES]:
        path = Path("content") / name if name == "deview-2023.md" else Path("tests/data") / name
        golden = GOLDEN / (Path(name).stem + ".txt")
        golden.write_text(describe_report(read_report(path.resolve())), encoding="utf-8")
        print(f"wrote {golden}")


@task(help={"examples": "how many generated notes to try (default 5000)"})
def fuzz(c: Context, examples: int = 5000) -> None:
    """Run the property test on many more generated notes than the normal test run does."""
    c.run(
        f"{sys.executable} -m pytest -q tests/test_fuzz.py",
        env={"FUZZ_EXAMPLES": str(examples)},
        pty=False,
    )


@task(
    help={
        "notes": NOTES,
        "out": OUT,
        "serve": "serve the preview on localhost (the outputs only); it reloads after a rebuild",
        "port": "the preview's port (default 8000)",
        "shelf": "with --serve, also serve this team shelf (invoke shelf --to DIR) at /shelf/",
    }
)
def watch(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    serve: bool = False,
    port: int = 8000,
    shelf: str | None = None,
) -> None:
    """Rebuild what changed whenever notes, images, styles, fonts or settings are saved."""
    from pipeline.commands.watch import watch_notes

    settings = settings_for()
    notes_path = Path(notes) if notes else settings.content
    out_dir = Path(out) if out else settings.out
    try:
        shelf_dir = Path(shelf) if shelf else None
        watch_notes(notes_path, out_dir, settings, say, serve=serve, port=port, shelf=shelf_dir)
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None


def say(line: str, error: bool = False) -> None:
    print(line, file=sys.stderr if error else sys.stdout, flush=True)


@task(help={"name": "the report's file name, e.g. pycon-2024"})
def new(c: Context, name: str) -> None:
    """Start content/NAME.md from a template: front matter, days, a talk with its abstract."""
    from pipeline.commands.new import start_notes

    try:
        print(f"wrote {start_notes(name, settings_for())}")
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None


@task(
    help={
        "notes": "the report to share (a notes file or a report folder)",
        "out": OUT,
        "to": "also copy the folder into this team folder (atomically)",
        "shelf": "also put the report on this team shelf (see invoke shelf)",
    }
)
def share(
    c: Context,
    notes: str,
    out: str | None = None,
    to: str | None = None,
    shelf: str | None = None,
) -> None:
    """Pack a report for the team: PDF, EPUB, SHA256SUMS and a SUMMARY.md for the chat."""
    import datetime as dt

    from pipeline.build.formats import count_pages
    from pipeline.commands.share import share_report
    from pipeline.read.report import read_report

    settings = settings_for()
    out_dir = Path(out) if out else settings.out
    run_build(notes, str(out_dir), ("pdf", "epub"), settings)
    try:
        report = read_report(Path(notes))
        outputs = [out_dir / f"{report.name}.pdf", out_dir / f"{report.name}.epub"]
        folder = share_report(
            report,
            outputs,
            count_pages(outputs[0]),
            out_dir / "share",
            dt.date.today(),
            Path(to) if to else None,
        )
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    print(f"shared {folder}" + (f" and {Path(to) / folder.name}" if to else ""))
    if shelf:
        put_on_shelf([Path(notes)], out_dir, Path(shelf), settings)


def put_on_shelf(
    notes: list[Path],
    out_dir: Path,
    to: Path,
    settings: Settings,
    title: str | None = None,
    jobs: int = 0,
) -> None:
    from pipeline.commands.shelf import describe_shelved, shelve

    try:
        print(describe_shelved(shelve(notes, out_dir, to, settings, title, jobs or None)))
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None


@task(
    iterable=["notes"],
    help={
        "notes": "a notes file, a report folder or a folder of reports to put on the shelf "
        "(repeat for more; default: content/); each is built first where it is not built yet",
        "to": "the shelf folder (made if needed): serve it as it is, or share it",
        "out": OUT,
        "remove": "take the report NAME off the shelf instead (its name as the shelf lists it)",
        "title": "the shelf's title (kept for later runs; default: 팀 서가)",
        "jobs": JOBS,
    },
)
def shelf(
    c: Context,
    to: str,
    notes: list[str] | None = None,
    out: str | None = None,
    remove: str | None = None,
    title: str | None = None,
    jobs: int = 0,
) -> None:
    """Put reports on a team shelf: an index with search, a page and a web edition per
    report, an OPDS catalogue for e-readers, an Atom feed: a static folder to publish."""
    settings = settings_for()
    if remove:
        from pipeline.commands.shelf import unshelve

        try:
            print(f"removed {unshelve(Path(to), remove, settings).name} from {to}")
        except ContentError as err:
            raise Exit(f"error: {err}", code=1) from None
        return
    out_dir = Path(out) if out else settings.out
    paths = [Path(path) for path in notes or ()] or [settings.content]
    for path in paths:
        run_build(str(path), str(out_dir), ("pdf", "epub"), settings, jobs=jobs)
    put_on_shelf(paths, out_dir, Path(to), settings, title, jobs)


@task(help={"runs": "runs per measurement (default 5)", "quick": "the sample only, 3 runs"})
def bench(c: Context, runs: int = 5, quick: bool = False) -> None:
    """Time our PDF and EPUB against pandoc (+ WeasyPrint); writes dist/bench.json."""
    c.run(f"{sys.executable} -m pip install -q -e '.[bench]'", pty=False)
    c.run(
        f"{sys.executable} bench/bench.py --runs {runs}" + (" --quick" if quick else ""), pty=False
    )


@task(
    help={
        "notes": NOTES,
        "out": OUT,
        "strict": "also fail on the check's own warnings (images without alt text)",
        "allow_warnings": "pass a report whose notes have warnings (missing images, dead links...)",
    }
)
def check(
    c: Context,
    notes: str | None = None,
    out: str | None = None,
    strict: bool = False,
    allow_warnings: bool = False,
) -> None:
    """Check built outputs before sharing: EPUBCheck, fonts, glyphs, line breaks, links."""
    from pipeline.commands.check import check_outputs
    from pipeline.commands.outline import read_with_warnings
    from pipeline.diagnostics import summary

    settings = settings_for(strict=strict)
    out_dir = Path(out) if out else settings.out
    failed = 0
    try:
        for path in discover_reports(Path(notes) if notes else settings.content):
            report, warnings = read_with_warnings(path)
            report_settings = settings.override(report.settings)
            findings = check_outputs(report, out_dir, report_settings)
            errors = [f for f in findings if f.severity == "error" or settings.strict]
            refused = () if allow_warnings else warnings  # the notes' warnings fail the check
            failed += bool(errors or refused)
            verdict = "FAILED" if errors or refused else "ok"
            print(
                f"{report.name}: {verdict} ({len(errors) + len(refused)} errors, "
                f"{len(findings) - len(errors) + len(warnings) - len(refused)} warnings)"
            )
            for finding in findings:
                print(f"  {finding}")
            for message in warnings:
                print(f"  {'error' if refused else 'warning'}: {message}")
            if refused:
                print(f"  the notes had {summary(warnings, path)}; --allow-warnings lets them pass")
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    if failed:
        raise Exit(f"{failed} report(s) failed the check", code=1)
