"""The shelf folder: reports go in and out under a lock, each file appears whole.

Layout (every name safe on FAT, NTFS, APFS and in buckets)::

    index.html  shelf.css  shelf.js  opds.xml  opds/*.xml  feed.atom  shelf.json  .shelf.lock
    reports/<name>/index.html  <name>.pdf  <name>.epub  <name>.html  cover.jpg  SHA256SUMS
                   entry.json  (what the shelf's pages are made from)

Two people adding reports at the same time both land: each holds an exclusive ``flock`` on
``.shelf.lock`` while it writes its report's folder and makes the shelf's pages again from every
``entry.json``. Every file is written to a temporary file beside it and renamed over the old one
(``pipeline.output``), so a reader sees the old page or the new one, never half of one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.output import write_atomically, write_text_atomically
from pipeline.shelf.entry import Entry, read_entry, safe_name
from pipeline.shelf.pages import ShelfInfo, now_iso, render_report_page, render_shelf

LOCK = ".shelf.lock"
INFO = "shelf.json"
DEFAULT_TITLE = "팀 서가"


@dataclass(frozen=True)
class Prepared:
    """A report ready to go on the shelf: its entry, and each file of its folder (the bytes,
    or a file to copy)."""

    entry: Entry
    files: dict[str, bytes | Path] = field(default_factory=dict)


def ensure_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise ContentError(folder, None, "is a file, not a folder", "choose another --to folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ContentError(
            folder, None, f"cannot create the shelf: {err.strerror}", "choose a writable folder"
        ) from err
    return folder


@contextmanager
def locked(shelf: Path) -> Iterator[None]:
    """Hold the shelf's lock: one writer at a time, the others wait their turn."""
    try:
        descriptor = os.open(ensure_folder(shelf) / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as err:
        raise ContentError(
            shelf, None, f"cannot lock the shelf: {err.strerror}", "choose a writable folder"
        ) from err
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError as err:  # a file system without locks (some network drives)
            reason = "it has no file locks" if err.errno == errno.ENOLCK else err.strerror
            raise ContentError(
                shelf,
                None,
                f"cannot lock the shelf: {reason}",
                "keep the shelf on a local or synced folder, or serve a copy of it",
            ) from err
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def shelf_info(shelf: Path, title: str | None, updated: str) -> ShelfInfo:
    """The shelf's title and catalogue id, kept in shelf.json (a new title replaces the old)."""
    path = shelf / INFO
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        kept = {}
    except (OSError, ValueError) as err:
        raise ContentError(path, None, f"cannot be read: {err}", "remove it to start anew") from err
    info = {
        "title": title or kept.get("title") or DEFAULT_TITLE,
        "id": kept.get("id") or f"urn:conference-report:shelf:{uuid.uuid4().hex}",
    }
    if info != kept:
        write_text_atomically(path, json.dumps(info, ensure_ascii=False, indent=1) + "\n")
    return ShelfInfo(info["title"], info["id"], updated)


def entries(shelf: Path) -> list[Entry]:
    """Every report on the shelf, from the entries kept in its folders."""
    reports = shelf / "reports"
    if not reports.is_dir():
        return []
    found = []
    for folder in sorted(reports.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        entry = read_entry(folder / "entry.json")
        if entry is not None:
            found.append(entry)
    return found


def kept_entry(shelf: Path, name: str) -> Entry | None:
    return read_entry(shelf / "reports" / safe_name(name) / "entry.json")


def add_reports(
    shelf: Path,
    prepared: list[Prepared],
    settings: Settings,
    title: str | None = None,
) -> list[Entry]:
    """Put the reports on the shelf (each replacing an older build of itself) and make the
    shelf's pages again; returns the entries as written."""
    written = []
    with locked(shelf):
        now = now_iso(settings.source_date_epoch)
        retitled = title is not None and title != shelf_info(shelf, None, now).title
        info = shelf_info(shelf, title, now)
        for report in prepared:
            written.append(write_report(shelf, report, info, now, settings))
        if retitled:  # every report's page names the shelf
            fresh = {entry.name for entry in written}
            for entry in entries(shelf):
                if entry.name not in fresh:
                    page = render_report_page(entry, info, settings)
                    write_text_atomically(shelf / "reports" / entry.name / "index.html", page)
        publish(shelf, info, settings)
    return written


def write_report(
    shelf: Path, report: Prepared, info: ShelfInfo, now: str, settings: Settings
) -> Entry:
    """reports/<name>/: the files first, the page and the entry last; then leftovers go."""
    folder = shelf / "reports" / report.entry.name
    previous = read_entry(folder / "entry.json")
    entry = replace(report.entry, added=previous.added if previous else now, updated=now)
    for name, content in report.files.items():
        write_atomically(folder / name, writer(content))
    write_text_atomically(folder / "index.html", render_report_page(entry, info, settings))
    write_text_atomically(folder / "entry.json", entry.to_json())
    keep = {*report.files, "index.html", "entry.json"}
    for old in folder.iterdir():
        if old.name not in keep and not old.name.startswith("."):
            old.unlink()
    return entry


def writer(content: bytes | Path) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)

    return write


def remove_report(shelf: Path, name: str, settings: Settings) -> Entry:
    """Take a report off the shelf (by its name or its folder's name) and make the pages again."""
    with locked(shelf):
        found = [entry for entry in entries(shelf) if name in (entry.name, entry.report)]
        if not found:
            names = ", ".join(entry.name for entry in entries(shelf)) or "none"
            raise ContentError(
                shelf, None, f'no report "{name}" on the shelf', f"the shelf holds: {names}"
            )
        entry = found[0]
        folder = shelf / "reports" / entry.name
        hidden = folder.with_name(f".{entry.name}.removed")
        shutil.rmtree(hidden, ignore_errors=True)
        folder.rename(hidden)  # gone from the shelf in one step; the files go after
        shutil.rmtree(hidden)
        info = shelf_info(shelf, None, now_iso(settings.source_date_epoch))
        publish(shelf, info, settings)
    return entry


def same_text(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def publish(shelf: Path, info: ShelfInfo, settings: Settings) -> None:
    """Make the shelf's pages again from its entries; catalogue files of a year or a tag no
    report has any more go."""
    files = render_shelf(entries(shelf), info, settings)
    for name, text in files.items():
        if not same_text(shelf / name, text):  # a file that stays is not written (nor synced)
            write_text_atomically(shelf / name, text)
    catalogue = shelf / "opds"
    for old in catalogue.iterdir() if catalogue.is_dir() else ():
        if f"opds/{old.name}" not in files and not old.name.startswith("."):
            old.unlink()
