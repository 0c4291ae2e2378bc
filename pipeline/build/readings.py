"""The reading of a report's notes, kept for the next build: the Report, pickled in
``<out>/.cache/readings/``, with the warnings the reading gave.

Reading the notes (importing the reading stage, parsing the Markdown, weighing the candidate
readings) is most of a warm EPUB build of the sample (about 0.1 s of 0.28 s), and gives the same
Report for the same inputs. An entry is found by a hash of what the reading depends on: the
notes' bytes (every file of a report folder), the settings (the fetch policy and the author among
them), the pipeline's code and data (every module, the reading and speaker models), the Python
version, the working folder and the names of the files in the notes' folder (a cover or an
image that comes or goes); it is used when the files the notes refer to (images, the cover)
still have the hashes they had and the files they named that were missing are still missing,
as ``cache.fresh`` checks an output. Like the EPUB's cover and font subsets, an entry
is used by ``--force`` too: it is the same Report, not an older output. Notes whose remote
images are fetched are read each time (the remote side may change). The ``KEPT`` most recently
used entries stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.build import cache
from pipeline.config import Settings
from pipeline.model import Report
from pipeline.output import write_atomically

KEPT = 16
LISTED = 5000  # a larger notes' folder is not listed: its notes are read each time
SUFFIX = ".reading"


@dataclass(frozen=True)
class Reading:
    """A report as read, with the warnings the reading gave and what it was checked against:
    the hashes of the files the notes refer to, the files they named that were missing."""

    report: Report
    warnings: tuple[str, ...]
    files: dict[str, str]
    absent: tuple[str, ...]


def reading_key(notes: Path, inputs: dict[str, str], settings: Settings) -> str | None:
    """The hash of what a reading depends on; ``inputs``: the notes files' hashes. None when
    the notes' folder is too large to list."""
    names = folder_listing(notes.parent if notes.is_file() else notes, settings.out)
    if names is None:
        return None
    digest = hashlib.blake2b(digest_size=20)
    same = f"{__version__}|{sys.version}|{os.getcwd()}|{notes}|{settings!r}"
    digest.update(same.encode())
    digest.update("\0".join(names).encode())
    digest.update(cache.code_hash().encode())  # the modules and the models beside them
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    return digest.hexdigest()


def folder_listing(folder: Path, out: Path) -> list[str] | None:
    """The names of the files and folders under the notes' folder (hidden ones and the output
    folder aside): whether a file the notes name is there (a cover, an image) is part of the
    reading, and a file that comes or goes changes this list. None past ``LISTED`` names."""
    names: list[str] = []
    skip = out.resolve()
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".") and Path(root, name).resolve() != skip
        )
        names += (os.path.join(root, name) for name in sorted(files) if not name.startswith("."))
        names += (os.path.join(root, name) + "/" for name in folders)
        if len(names) > LISTED:
            return None
    return names


def kept(settings: Settings) -> bool:
    """Whether readings are kept at all: not when remote images are fetched."""
    return not settings.fetch_policy.enabled


def load(key: str | None, settings: Settings) -> Reading | None:
    """The reading kept under ``key`` (``reading_key``, taken before the notes are read), if
    the files it was checked against are unchanged; None otherwise."""
    if key is None or not kept(settings):
        return None
    path = settings.cache_dir / "readings" / f"{key}{SUFFIX}"
    try:
        found = pickle.loads(path.read_bytes())
    except (OSError, ImportError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    if not isinstance(found, Reading):
        return None
    try:
        if cache.snapshot(Path(name) for name in found.files) != found.files:
            return None
    except OSError:
        return None
    if any(os.path.lexists(name) for name in found.absent):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used
    return found


def store(key: str | None, settings: Settings, reading: Reading) -> None:
    """Keep ``reading`` under ``key`` for the next build (a cache that cannot be written: the
    notes are read each time)."""
    if key is None or not kept(settings):
        return
    folder = settings.cache_dir / "readings"
    data = pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL)

    def write(path: Path) -> None:
        path.write_bytes(data)

    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f"{key}{SUFFIX}", write)
        entries = sorted(
            folder.glob(f"*{SUFFIX}"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True
        )
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
