"""`invoke watch`: rebuild when notes, images, styles, fonts or settings are saved.

Changes are debounced by watchfiles; the content-hash cache makes each rebuild write only what
changed, and the PDF stage lays out again only the days that changed (``pipeline.pdf.parts``)
in a PDF process kept warm; the EPUB is rebuilt in this process, its imports warm, its cover and
font subsets cached. An error is shown and the watch goes on. With ``serve``, the outputs are
served on localhost (``pipeline.commands.serve``): `/` opens the report's preview, or an index
of the reports; an open page reloads itself after a rebuild that changed it, and shows the
rebuild's error until it is fixed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import watchfiles

from pipeline.build.outcome import Outcome
from pipeline.build.reports import (
    build,
    describe_outcome,
    describe_warnings,
    keep_pdf_process,
)
from pipeline.commands.build import settings_for
from pipeline.commands.run import say
from pipeline.commands.serve import Build, BuiltReport, Preview
from pipeline.config import Settings, load_settings
from pipeline.diagnostics import collect_warnings
from pipeline.errors import ContentError
from pipeline.read.notes import discover_reports, report_name

log = logging.getLogger(__name__)

Say = Callable[[str, bool], None]  # a line for the user; True when it is an error


def watch_saves(
    notes: str | None = None,
    out: str | None = None,
    serve: bool = False,
    port: int = 8000,
    shelf: str | None = None,
) -> None:
    """`invoke watch`: the project's notes (or ``notes``) built into ``out`` after each save."""
    settings = settings_for()
    notes_path = Path(notes) if notes else settings.content
    out_dir = Path(out) if out else settings.out
    shelf_dir = Path(shelf) if shelf else None
    watch_notes(notes_path, out_dir, settings, say, serve=serve, port=port, shelf=shelf_dir)


def watch_notes(
    notes: Path,
    out_dir: Path,
    settings: Settings,
    say: Say,
    serve: bool = False,
    port: int = 8000,
    shelf: Path | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build the reports at ``notes`` into ``out_dir`` and again after every save, until
    ``stop`` is set or Ctrl+C; with ``serve``, serve their previews on ``port`` (a port
    taken is a ContentError, before anything is built), and the team ``shelf`` if given."""
    if shelf is not None and not serve:
        raise ContentError(shelf, None, "a shelf is served with the preview", "add --serve")
    preview = Preview(out_dir, settings, port, shelf) if serve else None
    formats = ("html", "pdf", "epub") if serve else ("pdf", "epub")
    builds = Builds(notes, out_dir, formats, say, preview)
    watched = [
        notes,
        settings.styles_dir,
        settings.fonts_dir,
        settings.project_root / "invoke.yaml",
    ]
    if preview is not None:
        preview.show(builds.last)
        preview.start()
        say(f"serving the preview on {preview.url}", False)
    try:
        say("watching for changes (Ctrl+C stops)", False)
        watch(watched, builds.rebuild, stop)
    finally:
        if preview is not None:
            preview.stop()


class Builds:
    """The rebuilds of a watch: each one's lines for the user, and what the preview shows."""

    def __init__(
        self,
        notes: Path,
        out_dir: Path,
        formats: tuple[str, ...],
        say: Say,
        preview: Preview | None,
    ) -> None:
        self.notes, self.out_dir, self.formats = notes, out_dir, formats
        self.say, self.preview = say, preview
        try:
            found = discover_reports(notes)
        except ContentError:
            found = []  # the first build says why
        self.last = Build(reports=tuple(BuiltReport(report_name(p), p) for p in found))
        self.summaries: dict[Path, tuple[tuple[int, int] | None, BuiltReport]] = {}

    def rebuild(self) -> None:
        """Build what changed with the settings as saved now; say how it went."""
        outcomes: list[Outcome] = []
        failure = ""
        try:
            settings = load_settings()  # invoke.yaml may have been saved
            for outcome in build(self.notes, self.out_dir, self.formats, settings):
                outcomes.append(outcome)
                self.say(describe_outcome(outcome), bool(outcome.error or outcome.crash))
                if outcome.warnings:
                    self.say(describe_warnings(outcome), False)
        except ContentError as err:  # bad settings, notes gone: say so and keep watching
            failure = f"error: {err}"
            self.say(failure, True)
        if not outcomes:
            self.last = replace(
                self.last, number=self.last.number + 1, finished=dt.datetime.now(), error=failure
            )
        else:
            outcomes.sort(key=lambda o: o.notes)
            reports = tuple(self.built(o) for o in outcomes)
            self.last = Build(self.last.number + 1, dt.datetime.now(), reports, failure)
        if self.preview is None:
            return
        self.preview.show(self.last)  # the previews at once; the index's details may follow
        if len(self.last.reports) > 1 and self.read_summaries():
            reports = tuple(self.summarised(r) for r in self.last.reports)
            self.last = replace(self.last, reports=reports)
            self.preview.show(self.last)

    def built(self, outcome: Outcome) -> BuiltReport:
        """The preview's view of one report's outcome, with what the index last read of it."""
        error = f"error: {outcome.error}" if outcome.error else ""
        if outcome.crash:
            error = describe_outcome(outcome)
        name = report_name(outcome.notes)
        return self.summarised(BuiltReport(name, outcome.notes, error, outcome.warnings))

    def summarised(self, report: BuiltReport) -> BuiltReport:
        kept = self.summaries.get(report.notes)
        if kept is None:
            return report
        return replace(report, meta=kept[1].meta, talks=kept[1].talks)

    def read_summaries(self) -> bool:
        """Read again the title, dates and talk count of each report whose preview changed;
        whether any did."""
        changed = False
        for report in self.last.reports:
            version = preview_version(self.out_dir / f"{report.name}.html")
            kept = self.summaries.get(report.notes)
            if kept is None or kept[0] != version:
                self.summaries[report.notes] = (version, summarise(report))
                changed = True
        return changed


def preview_version(html: Path) -> tuple[int, int] | None:
    try:
        stat = html.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def summarise(report: BuiltReport) -> BuiltReport:
    """The report with the title, dates and talk count of its notes (none if unreadable);
    the warnings of this reading were the build's already, so they are not said again."""
    from pipeline.read.report import read_report

    with collect_warnings(report.notes):
        try:
            read = read_report(report.notes)
        except ContentError:
            return report
    talks = sum(chapter.talk_count for chapter in read.chapters)
    return BuiltReport(report.name, report.notes, meta=read.meta, talks=talks)


def watch(
    paths: Iterable[Path],
    rebuild: Callable[[], None],
    stop: threading.Event | None = None,
) -> None:
    """Build once, then again after every batch of saved changes, until ``stop`` is set. The
    PDF process is kept for every rebuild: WeasyPrint stays imported, and the days laid out
    by the last build stay in its memory, so an edit lays out its own day only."""
    keep_pdf_process()
    paths = list(paths)
    started = time.time()
    rebuild()
    while True:
        existing = [str(p) for p in paths if p.exists()]
        while saved_since(existing, started):  # saved while the last build ran
            started = time.time()
            rebuild()
        files = identities(existing)
        for changes in watchfiles.watch(
            *existing,
            debounce=300,
            stop_event=stop,
            watch_filter=ignore_temporary_files,
            raise_interrupt=False,
        ):
            log.info("changed: %s", ", ".join(sorted({Path(p).name for _, p in changes})))
            started = time.time()
            rebuild()
            if identities(existing) != files:
                break  # a file saved by writing a new one in its place: watch the new one
        else:
            return  # stopped, or Ctrl+C


def identities(paths: Iterable[str]) -> list[tuple[int, int] | None]:
    """Which file each watched path is: an editor (or ``sed -i``) that saves by renaming a new
    file over the old one leaves the watch on the old, deleted file."""
    found: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            stat = os.stat(path)
            found.append((stat.st_dev, stat.st_ino))
        except FileNotFoundError:
            found.append(None)
    return found


def saved_since(paths: Iterable[str], moment: float) -> bool:
    for path in map(Path, paths):
        files = path.rglob("*") if path.is_dir() else [path]
        if any(
            f.is_file()
            and f.stat().st_mtime > moment
            and ignore_temporary_files(watchfiles.Change.modified, str(f))
            for f in files
        ):
            return True
    return False


def ignore_temporary_files(change: watchfiles.Change, path: str) -> bool:
    """Editors' swap files and our own partial outputs are not changes to the notes."""
    name = Path(path).name
    return not (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".part", ".tmp")))
