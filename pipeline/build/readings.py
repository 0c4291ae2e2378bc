"""The reading of a report's notes, kept for the next build: the Report, pickled in
``<out>/.cache/readings/``, with the warnings the reading gave.

Reading the notes (importing the reading stage, parsing the Markdown, weighing the candidate
readings) is most of a warm EPUB build of the sample (about 0.1 s of 0.28 s), and gives the same
Report for the same inputs. An entry is found by a hash of what the reading depends on: the
notes' bytes (every file of a report folder), the settings (the fetch policy and the author among
them), the pipeline's code and data (every module, the reading and speaker models), the Python
version and the working folder; it is used when the files the notes refer to (images, the
cover) still have the hashes they had and the files they named that were missing are still
missing, as ``cache.fresh`` checks an output. Like the EPUB's cover and font subsets, an entry
is used by ``--force`` too: it is the same Report, not an older output. Notes whose remote
images are fetched are read each time (the remote side may change). The ``KEPT`` most recently
used entries stay.
"""

from __future__ import annotations

import contextlib
import functools
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
SUFFIX = ".reading"


@dataclass(frozen=True)
class Reading:
    """A report as read, with the warnings the reading gave and what it was checked against:
    the hashes of the files the notes refer to, the files they named that were missing."""

    report: Report
    warnings: tuple[str, ...]
    files: dict[str, str]
    absent: tuple[str, ...]


def reading_key(notes: Path, inputs: dict[str, str], settings: Settings) -> str:
    """The hash of what a reading depends on; ``inputs``: the notes files' hashes."""
    digest = hashlib.blake2b(digest_size=20)
    same = f"{__version__}|{sys.version}|{os.getcwd()}|{notes}|{settings!r}"
    digest.update(same.encode())
    digest.update(cache.code_hash().encode())
    digest.update(data_hash().encode())
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    return digest.hexdigest()


@functools.cache
def data_hash() -> str:
    """The data files of the pipeline's code (the reading and speaker models), once per
    process as ``cache.code_hash``."""
    return cache.folder_hash(cache.CODE_DIR, ".json")


def kept(settings: Settings) -> bool:
    """Whether readings are kept at all: not when remote images are fetched."""
    return not settings.fetch_policy.enabled


def load(notes: Path, inputs: dict[str, str], settings: Settings) -> Reading | None:
    """The reading kept for these notes and settings, if the files it was checked against are
    unchanged; None otherwise."""
    if not kept(settings):
        return None
    path = settings.cache_dir / "readings" / f"{reading_key(notes, inputs, settings)}{SUFFIX}"
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


def store(notes: Path, inputs: dict[str, str], settings: Settings, reading: Reading) -> None:
    """Keep ``reading`` for the next build (a cache that cannot be written: read each time)."""
    if not kept(settings):
        return
    folder = settings.cache_dir / "readings"
    data = pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL)

    def write(path: Path) -> None:
        path.write_bytes(data)

    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f"{reading_key(notes, inputs, settings)}{SUFFIX}", write)
        entries = sorted(
            folder.glob(f"*{SUFFIX}"), key=lambda entry: entry.stat().st_mtime_ns, reverse=True
        )
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
