"""The pipeline top to bottom: notes -> Report -> HTML/XHTML -> PDF/EPUB in the output folder.

A report is parsed once; its PDF and EPUB are written in parallel on the machine's cores, and
several reports are built side by side. Outputs whose inputs have not changed are skipped
(see ``pipeline.build.cache``); one report's error does not stop the others.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.connection import Connection
from pathlib import Path

from pipeline.build import cache
from pipeline.build.outcome import Outcome, Output
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.read.notes import discover_reports, report_name

SUFFIXES = {"html": ".html", "pdf": ".pdf", "epub": ".epub"}


def output_path(notes: Path, out_dir: Path, output_format: str) -> Path:
    return out_dir / f"{report_name(notes)}{SUFFIXES[output_format]}"


def build(
    notes: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: Settings,
    force: bool = False,
    jobs: int | None = None,
) -> Iterator[Outcome]:
    """Build every report found at ``notes``, yielding each outcome as it completes."""
    paths = discover_reports(notes)
    jobs = min(jobs or os.cpu_count() or 1, len(paths))
    if jobs <= 1:
        for path in paths:
            yield build_report(path, out_dir, formats, settings, force, parallel=True)
        return
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [
            pool.submit(build_report, path, out_dir, formats, settings, force, False)
            for path in paths
        ]
        for future in as_completed(futures):
            yield future.result()


def build_report(
    notes: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: Settings,
    force: bool = False,
    parallel: bool = True,
) -> Outcome:
    """Parse one report once and write the formats that are not up to date."""
    started = time.monotonic()
    stale = [
        f
        for f in formats
        if force or not cache.is_fresh(output_path(notes, out_dir, f), notes, settings, f)
    ]
    try:
        written, failure = (
            write_formats(notes, out_dir, tuple(stale), settings, parallel) if stale else ({}, None)
        )
    except ContentError as err:
        return Outcome(notes, error=err, seconds=time.monotonic() - started)
    except Exception:  # a bug: report it for this report and go on with the others
        return Outcome(notes, seconds=time.monotonic() - started, crash=traceback.format_exc())
    outputs = tuple(
        written.get(f) or Output(output_path(notes, out_dir, f), skipped=f not in stale)
        for f in formats
        if f in written or f not in stale
    )
    return Outcome(notes, outputs, error=failure, seconds=time.monotonic() - started)


def write_formats(
    notes: Path, out_dir: Path, formats: tuple[str, ...], settings: Settings, parallel: bool
) -> tuple[dict[str, Output], ContentError | None]:
    """Parse the notes once and write each format; with ``parallel`` the PDF is made in a
    second process that imports WeasyPrint (0.3 s) while this one parses. A format
    that fails (notes too large for a PDF) does not stop the others: its error comes back."""
    worker = (
        PdfWorker() if parallel and "pdf" in formats and len(os.sched_getaffinity(0)) > 1 else None
    )
    results: dict[str, Output] = {}
    failure: ContentError | None = None
    try:
        from pipeline.build.formats import font_files, write_format  # the heavy imports
        from pipeline.read.report import apply_settings, read_report

        inputs = cache.snapshot(cache.notes_files(notes))
        report = read_report(notes, settings.fetch_policy)
        inputs |= cache.snapshot(image.path for image in report.images if image.path is not None)
        report_settings = settings.override(report.settings)
        report = apply_settings(report, report_settings)
        pending = list(formats)
        if worker is not None:
            from pipeline.pdf.html import prepare_print

            pending.remove("pdf")
            try:
                worker.start_job(
                    report, report_settings, out_dir, prepare_print(report, report_settings)
                )
            except ContentError as err:
                failure = err
                worker.close()
                worker = None
        for output_format in pending:
            try:
                results[output_format] = write_format(
                    output_format, report, report_settings, out_dir
                )
            except ContentError as err:
                failure = failure or err
        fonts = font_files(report_settings)
        if worker is not None:
            try:
                results["pdf"] = worker.result()
            except ContentError as err:
                failure = failure or err
    finally:
        if worker is not None:
            worker.close()
    for output_format, output in results.items():
        cache.record(output.path, notes, inputs, fonts, settings, output_format)
    return {f: results[f] for f in formats if f in results}, failure


class PdfWorker:
    """A forked process that writes the PDF of the report it is sent."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=pdf_worker, args=(child,), daemon=True)
        self.process.start()

    def start_job(self, report: object, settings: Settings, out_dir: Path, job: object) -> None:
        self.connection.send((report, settings, out_dir, job))

    def result(self) -> Output:
        try:
            status, value = self.connection.recv()
        except EOFError:
            raise RuntimeError(
                f"the PDF process died (exit code {self.process.exitcode})"
            ) from None
        if status == "error":
            raise value
        if status == "crash":
            raise RuntimeError(f"the PDF process failed:\n{value}")
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.connection.closed:
            return
        if self.process.is_alive():
            self.connection.send(None)
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
        self.connection.close()


def pdf_worker(connection: Connection) -> None:
    from pipeline.pdf.write import import_weasyprint, write_pdf_pages

    import_weasyprint()  # the work done in advance

    work = connection.recv()
    if work is None:
        return
    report, settings, out_dir, job = work
    try:
        path, pages = write_pdf_pages(report, settings, out_dir, job)
        connection.send(("ok", Output(path, pages=pages)))
    except ContentError as err:
        connection.send(("error", err))
    except Exception:  # a bug: its traceback goes to the parent, which raises it
        connection.send(("crash", traceback.format_exc()))


def describe_outcome(outcome: Outcome) -> str:
    """One line a user reads per report: pages, size and time; or the error (after what was
    still written)."""
    if outcome.crash:
        return (
            f"error: {outcome.notes}: the build failed because of a bug in the pipeline; "
            f"please report it with this trace:\n{outcome.crash}"
        )
    written = [o for o in outcome.outputs if not o.skipped]
    unchanged = [str(o.path) for o in outcome.outputs if o.skipped]
    parts = []
    for output in written:
        pages = f"{output.pages} pages, " if output.pages else ""
        parts.append(f"{output.path} ({pages}{output.size / 1024:.0f} KB)")
    line = f"{report_name(outcome.notes)}: "
    if parts:
        line += f"wrote {', '.join(parts)} in {outcome.seconds:.1f} s"
    if unchanged:
        line += ("; " if parts else "") + f"unchanged: {', '.join(unchanged)} (--force rebuilds)"
    if outcome.error:
        return (line + "\n" if parts or unchanged else "") + f"error: {outcome.error}"
    return line
