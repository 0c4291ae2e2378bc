"""The pipeline top to bottom: notes -> Report -> HTML/XHTML -> PDF/EPUB in the output folder.

A report is parsed once; its PDF and EPUB are written in parallel on the machine's cores, and
several reports are built side by side. Outputs whose inputs have not changed are skipped
(see ``pipeline.build.cache``); one report's error does not stop the others.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import diagnostics
from pipeline.build import cache, readings
from pipeline.build.outcome import Outcome, Output
from pipeline.config import Settings
from pipeline.dates import build_time
from pipeline.diagnostics import WarningLog, WarningsAsErrors, collect_warnings, strict_error
from pipeline.errors import ContentError
from pipeline.font_faces import prefetch_faces, remember_answers
from pipeline.read.notes import discover_reports, report_name

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from pipeline.pdf.parts.pool import WorkerPool

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
    settings = settings.override({"out": out_dir})  # the cache lives with the outputs
    cores = jobs or len(os.sched_getaffinity(0))
    jobs = min(cores, len(paths))
    pdf_jobs = max(1, cores // max(1, jobs))  # the processes each report's PDF may lay out on
    if jobs <= 1:
        for path in paths:
            yield build_report(path, out_dir, formats, settings, force, True, pdf_jobs)
        return
    import multiprocessing  # here: an EPUB of one report starts 5 ms sooner without it
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [
            pool.submit(build_report, path, out_dir, formats, settings, force, False, pdf_jobs)
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
    pdf_jobs: int = 1,
) -> Outcome:
    """Parse one report once and write the formats that are not up to date; its warnings are
    collected (an unchanged output's are those recorded when it was built). The PDF of a
    report of several days is laid out on ``pdf_jobs`` processes (``pipeline.pdf.parts``)."""
    started = time.monotonic()
    recorded: dict[str, tuple[str, ...]] = {}
    for output_format in formats:
        found = (
            None
            if force
            else cache.fresh(
                output_path(notes, out_dir, output_format), notes, settings, output_format
            )
        )
        if found is not None:
            recorded[output_format] = found
    stale = tuple(f for f in formats if f not in recorded)
    with collect_warnings(notes, settings.strict, out_dir) as log:
        try:
            written, failure, produced = (
                write_formats(notes, out_dir, stale, settings, parallel, log, pdf_jobs, force)
                if stale
                else ({}, None, {})
            )
        except ContentError as err:
            written, failure, produced = {}, err, {}
        except Exception:  # a bug: report it for this report and go on with the others
            return Outcome(notes, seconds=time.monotonic() - started, crash=traceback.format_exc())
    before = [message for messages in recorded.values() for message in messages]
    warnings = tuple(dict.fromkeys([*log.messages, *produced.get("pdf", ()), *before]))
    if settings.strict and warnings and (failure is None or isinstance(failure, WarningsAsErrors)):
        failure, warnings = strict_error(notes, warnings), ()  # every problem, in one error
    outputs = tuple(
        written.get(f) or Output(output_path(notes, out_dir, f), skipped=f not in stale)
        for f in formats
        if f in written or f not in stale
    )
    return Outcome(
        notes, outputs, error=failure, seconds=time.monotonic() - started, warnings=warnings
    )


def write_formats(
    notes: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: Settings,
    parallel: bool,
    log: WarningLog,
    pdf_jobs: int = 1,
    force: bool = False,
) -> tuple[dict[str, Output], ContentError | None, dict[str, list[str]]]:
    """Parse the notes once and write each format; with ``parallel`` the PDF is made in a
    second process that imports WeasyPrint (0.3 s) while this one parses. A format
    that fails (notes too large for a PDF) does not stop the others: its error comes back,
    with the warnings of each format's own stage (the PDF process's among them)."""
    worker = (
        PdfWorker.start(settings)
        if parallel and "pdf" in formats and len(os.sched_getaffinity(0)) > 1
        else None
    )
    results: dict[str, Output] = {}
    failure: ContentError | None = None
    produced: dict[str, list[str]] = {}  # format -> the warnings of its own stage
    hashing: threading.Thread | None = None
    try:
        from pipeline.build.formats import font_files, write_format  # the heavy imports

        answers = settings.cache_dir / "fontconfig.json"  # what fontconfig answered last time
        prefetch_faces(settings.fonts, settings.fonts_dir, answers)  # or ask, while we parse
        hashing = (  # the PDF process is idle while the notes are read
            hash_fonts_meanwhile(output_path(notes, out_dir, "pdf"), font_files(settings), settings)
            if worker is not None
            else None
        )
        inputs = cache.snapshot(cache.notes_files(notes))
        reading = read_notes(notes, inputs, settings, log)
        report = reading.report
        inputs |= reading.files  # the files the notes refer to, hashed before they were read
        report_settings = settings.override(report.settings)
        dated = build_time(report, settings.source_date_epoch)  # else the EPUB shows the save time
        log.fail_if_strict()  # strict: decided before anything is written
        read = len(log.messages)
        pending = list(formats)
        if worker is not None:
            from pipeline.pdf.html import prepare_print

            pending.remove("pdf")
            try:
                job = prepare_print(report, report_settings)
                produced["pdf"] = log.messages[read:]
                if settings.strict and produced["pdf"]:
                    shutil.rmtree(job.folder, ignore_errors=True)
                    log.fail_if_strict()
                worker.start_job(report, report_settings, out_dir, job, pdf_jobs, not force)
            except ContentError as err:
                failure = err
                worker.close()
                worker = None
        for output_format in pending:
            before = len(log.messages)
            try:
                results[output_format] = write_format(
                    output_format, report, report_settings, out_dir, reuse=not force
                )
            except ContentError as err:
                failure = failure or err
            produced[output_format] = log.messages[before:]
        fonts = font_files(report_settings)
        remember_answers(answers)
        if hashing is not None:
            hashing.join()
        if worker is not None:  # the hashes cache.record keeps: most taken while reading
            cache.hash_fonts(output_path(notes, out_dir, "pdf"), fonts, settings)
            try:
                results["pdf"] = worker.result()
            except ContentError as err:
                failure = failure or err
            finally:
                produced["pdf"] = produced.get("pdf", []) + worker.warnings
    finally:
        if hashing is not None:  # also when the notes failed: no thread outlives its report
            hashing.join()
        if worker is not None:
            worker.close()
    for output_format, output in results.items():
        cache.record(
            output.path,
            notes,
            inputs,
            fonts,
            settings,
            output_format,
            absent=report.missing_files,
            warnings=[*log.messages[:read], *produced.get(output_format, ())],
            saved=cache.notes_files(notes) if dated is None else (),
        )
    return {f: results[f] for f in formats if f in results}, failure, produced


def hash_fonts_meanwhile(output: Path, fonts: list[Path], settings: Settings) -> threading.Thread:
    """Hash ``fonts`` (the Noto CJK faces: 100 MB, 0.16 s) in a thread, while this process
    reads the notes and the PDF process waits for them: not later, while the PDF is laid out
    on both cores. Reading and hashing files let go of the GIL. A file it cannot read is left
    to :func:`cache.hash_fonts` on this thread, which says so as the build always has."""

    def hash_fonts() -> None:
        with contextlib.suppress(OSError):
            cache.hash_fonts(output, fonts, settings)

    thread = threading.Thread(target=hash_fonts, name="hash-fonts", daemon=True)
    thread.start()
    return thread


def read_notes(
    notes: Path, inputs: dict[str, str], settings: Settings, log: WarningLog
) -> readings.Reading:
    """The report as the build sees it (the configured author when the notes name none): as
    read by the last build from the same inputs (``pipeline.build.readings``), its warnings
    given again, or read now (``inputs``: the notes files' hashes, taken before)."""
    key = readings.reading_key(notes, inputs, settings) if readings.kept(settings) else None
    found = readings.load(key, settings)
    if found is not None:
        for message in found.warnings:
            if message not in log.messages:
                log.messages.append(message)
        return found
    from pipeline.read.report import apply_settings, read_report  # the reading stage: 0.06 s

    before = len(log.messages)
    report = read_report(notes, settings.fetch_policy)
    report = apply_settings(report, settings.override(report.settings))
    files = cache.snapshot(report.referenced_files())
    absent = tuple(sorted({str(path) for path in report.missing_files}))
    reading = readings.Reading(report, tuple(log.messages[before:]), files, absent)
    readings.store(key, settings, reading)
    return reading


class PdfWorker:
    """A forked process that writes the PDF of the report it is sent. ``invoke watch`` keeps
    one for all its rebuilds (``keep_pdf_process``): WeasyPrint stays imported, and the days
    laid out by the last build stay in its memory, as PDFs and as layouts to number anew."""

    kept: PdfWorker | None = None

    def __init__(self, keep: bool = False, settings: Settings | None = None) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=pdf_worker, args=(child, self.connection, keep, settings), daemon=True
        )
        self.process.start()
        self.warnings: list[str] = []

    @classmethod
    def start(cls, settings: Settings | None = None) -> PdfWorker:
        """A new PDF process, or the one kept warm; a new one parses the print stylesheet of
        ``settings`` while it waits for its job."""
        kept = cls.kept
        if kept is not None and kept.process.is_alive() and not kept.connection.closed:
            return kept
        if kept is not None:
            cls.kept = PdfWorker(keep=True, settings=settings)
            return cls.kept
        return cls(settings=settings)

    def start_job(
        self,
        report: object,
        settings: Settings,
        out_dir: Path,
        job: object,
        jobs: int = 1,
        reuse: bool = True,
    ) -> None:
        self.connection.send((report, settings, out_dir, job, jobs, reuse))

    def result(self) -> Output:
        """The PDF written, or its error; ``warnings`` then holds those of the PDF process."""
        try:
            status, value, self.warnings = self.connection.recv()
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
        if self.connection.closed or self is PdfWorker.kept:
            return
        if self.process.is_alive():
            self.connection.send(None)
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
        self.connection.close()


def keep_pdf_process() -> None:
    """Keep one PDF process for every build from now on (``invoke watch``)."""
    if PdfWorker.kept is None:
        PdfWorker.kept = PdfWorker(keep=True)


def pdf_worker(
    connection: Connection,
    parent_end: Connection,
    keep: bool = False,
    settings: Settings | None = None,
) -> None:
    from pipeline.pdf.parts.pool import WorkerPool
    from pipeline.pdf.weasyprint_internals import install as install_weasyprint
    from pipeline.pdf.write import parse_stylesheet_ahead

    parent_end.close()  # the fork copied it: closed, the pipe ends when the parent does
    with contextlib.suppress(ContentError):  # a version outside the range: said per report
        install_weasyprint()  # the work done in advance
        if settings is not None:  # while the notes are read (a report's own settings may
            with contextlib.suppress(Exception):  # name other styles: then parsed later)
                parse_stylesheet_ahead(settings)
    with WorkerPool(keep_layouts=keep) as pool:  # invoke watch: its workers stay
        serve_pdf_jobs(connection, pool)


def serve_pdf_jobs(connection: Connection, pool: WorkerPool) -> None:
    """Write the PDF of each job ``connection`` brings, until it closes."""
    from pipeline.pdf.write import write_pdf_pages

    while True:  # one job, or one per rebuild if kept
        try:
            work = connection.recv()
        except EOFError:  # the build (or invoke watch) is gone: so is this process
            return
        if work is None:
            return
        report, settings, out_dir, job, jobs, reuse = work
        with collect_warnings(report.source.path, settings.strict, out_dir) as log:
            try:
                path, pages = write_pdf_pages(
                    report, settings, out_dir, job, jobs, reuse, pool=pool
                )
                connection.send(("ok", Output(path, pages=pages), log.messages))
            except ContentError as err:
                connection.send(("error", err, log.messages))
            except Exception:  # a bug: its traceback goes to the parent, which raises it
                connection.send(("crash", traceback.format_exc(), log.messages))


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


def describe_warnings(outcome: Outcome) -> str:
    """Every warning of a report, then how many of each kind, with their lines; or ``""``."""
    if not outcome.warnings:
        return ""
    return diagnostics.describe_warnings(
        report_name(outcome.notes), outcome.notes, outcome.warnings
    )
