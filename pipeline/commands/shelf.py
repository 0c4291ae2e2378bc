"""`invoke shelf`: put built reports on a team shelf (a static folder: web pages, an OPDS
catalogue for e-readers, an Atom feed), or take one off. See ``pipeline.shelf``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.commands.build import build_all, settings_for
from pipeline.commands.run import say
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.read.notes import discover_reports, report_name
from pipeline.shelf.entry import Entry, safe_name
from pipeline.shelf.prepare import is_current, prepare_report
from pipeline.shelf.store import Prepared, add_reports, remove_report


def update_shelf(
    to: str,
    notes: list[str] | None = None,
    out: str | None = None,
    remove: str | None = None,
    title: str | None = None,
    jobs: int = 0,
) -> None:
    """Build the reports at ``notes`` where needed and put them on the shelf ``to``; or take
    the report ``remove`` off it."""
    settings = settings_for()
    if remove:
        say(f"removed {unshelve(Path(to), remove, settings).name} from {to}")
        return
    out_dir = Path(out) if out else settings.out
    paths = [Path(path) for path in notes or ()] or [settings.content]
    for path in paths:
        build_all(path, out_dir, ("pdf", "epub"), settings, jobs=jobs)
    put_on_shelf(paths, out_dir, Path(to), settings, title, jobs)


def put_on_shelf(
    notes: list[Path],
    out_dir: Path,
    to: Path,
    settings: Settings,
    title: str | None = None,
    jobs: int = 0,
) -> None:
    """Shelve the built reports at ``notes`` and say what was done."""
    say(describe_shelved(shelve(notes, out_dir, to, settings, title, jobs or None)))


@dataclass(frozen=True)
class Shelved:
    """What one run did: the reports written, and those the shelf already held as built."""

    shelf: Path
    written: tuple[Entry, ...]
    unchanged: tuple[str, ...]


def find_reports(notes: list[Path]) -> list[Path]:
    """Every report under the given notes; two whose shelf names clash are an error."""
    paths: dict[str, Path] = {}
    for path in (found for given in notes for found in discover_reports(given)):
        name = safe_name(report_name(path))
        if name in paths and paths[name].resolve() != path.resolve():
            raise ContentError(
                path,
                None,
                f'has the same shelf name "{name}" as {paths[name]}',
                "rename one of the notes files",
            )
        paths[name] = path
    return list(paths.values())


def shelve(
    notes: list[Path],
    out_dir: Path,
    shelf: Path,
    settings: Settings,
    title: str | None = None,
    jobs: int | None = None,
) -> Shelved:
    """Put the built reports found at ``notes`` on the shelf; unchanged ones stay as they are."""
    if shelf.exists() and not shelf.is_dir():
        raise ContentError(shelf, None, "is a file, not a folder", "choose another --to folder")
    paths = find_reports(notes)
    settings = settings.override({"out": out_dir})  # as the build: its .cache is there
    stale = [path for path in paths if not is_current(path, out_dir, shelf, settings)]
    prepared = prepare_all(stale, out_dir, settings, jobs)
    written = add_reports(shelf, prepared, settings, title)
    unchanged = tuple(report_name(path) for path in paths if path not in stale)
    return Shelved(shelf, tuple(written), unchanged)


def prepare_all(
    paths: list[Path], out_dir: Path, settings: Settings, jobs: int | None
) -> list[Prepared]:
    """Each report made ready, on the machine's cores when there are several."""
    workers = min(jobs or len(os.sched_getaffinity(0)), len(paths))
    if workers <= 1:
        return [prepare_report(path, out_dir, settings) for path in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(
            pool.map(prepare_report, paths, [out_dir] * len(paths), [settings] * len(paths))
        )


def unshelve(shelf: Path, name: str, settings: Settings) -> Entry:
    """Take the report ``name`` off the shelf."""
    if not (shelf / "reports").is_dir():
        raise ContentError(shelf, None, "is not a shelf (no reports/ folder)", "check --to")
    return remove_report(shelf, name, settings)


def describe_shelved(result: Shelved) -> str:
    lines = [f"shelved {entry.name} ({entry.talk_count} talks)" for entry in result.written]
    if result.unchanged:
        lines.append(f"{len(result.unchanged)} unchanged report(s) left as they were")
    lines.append(
        f"shelf: {result.shelf / 'index.html'} ({result.shelf / 'opds.xml'} for e-readers)"
    )
    return "\n".join(lines)
