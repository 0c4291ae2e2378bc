"""Skip outputs whose inputs have not changed, by content hash (not modification times).

After a build, a manifest in ``<out>/.cache/builds/`` records a hash of everything that shapes
the output, and the warnings the build gave. A rebuild checks them again and skips the output
when all match (and shows the recorded warnings again). What is hashed:

- for every report (the key): the settings (``SOURCE_DATE_EPOCH`` among them), the pipeline's
  code (every module of every subpackage), the templates and styles, the files in ``fonts/``,
  the Python version, the installed packages with their versions (WeasyPrint, pydyf, ebooklib,
  fontTools, uharfbuzz...), the C libraries the PDF is laid out with (Pango, HarfBuzz,
  fontconfig, FreeType: the file a soname points to is named after its version), fontconfig's
  configuration, font folders and cache (a font installed), and the environment variables
  fontconfig reads;
- per report: the notes (every file of a report folder), every file they refer to (images,
  the cover), the files they name that were missing (a placeholder goes when the file comes),
  the font files used (by content: a hash is reused while the file's size and modification time
  stay the same, as git does for its index) and the output itself; and when the notes were
  saved, if the output shows it (the EPUB of notes that give no date).

This module imports nothing heavy and runs no program, so that an unchanged rebuild takes a
fraction of a second.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from pipeline import __version__
from pipeline.config import Settings
from pipeline.font_faces import fontconfig_state, listing
from pipeline.output import write_text_atomically

CODE_DIR = Path(__file__).resolve().parent.parent  # the pipeline package: the code, not a setting
# The C libraries behind WeasyPrint and the font cuts, by the soname they are loaded by.
LIBRARIES = (
    "libpango-1.0.so.0",
    "libpangoft2-1.0.so.0",
    "libharfbuzz.so.0",
    "libharfbuzz-subset.so.0",
    "libfontconfig.so.1",
    "libfreetype.so.6",
    "libglib-2.0.so.0",
    "libgobject-2.0.so.0",
)
MULTIARCH = getattr(sys.implementation, "_multiarch", "")  # x86_64-linux-gnu
LIBRARY_DIRS = tuple(
    Path(folder)
    for folder in (
        *os.environ.get("LD_LIBRARY_PATH", "").split(":"),
        f"/usr/local/lib/{MULTIARCH}",
        "/usr/local/lib",
        f"/lib/{MULTIARCH}",
        f"/usr/lib/{MULTIARCH}",
        "/lib",
        "/usr/lib",
    )
    if folder and not folder.endswith("/")
)


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):  # few chunks: a thread hashing lets go of the GIL
            digest.update(chunk)
    return digest.hexdigest()


def notes_files(notes: Path) -> list[Path]:
    """The Markdown files of a report: one file, or every .md file of a report folder."""
    return sorted(notes.glob("*.md")) if notes.is_dir() else [notes]


def build_key(settings: Settings, output_format: str) -> str:
    """What is the same for every report: settings, code, styles, fonts/, libraries, system."""
    digest = hashlib.blake2b(digest_size=20)
    same_output = dataclasses.replace(settings, strict=False)  # strict writes the same bytes
    digest.update(f"{__version__}|{output_format}|{same_output!r}|{sys.version}".encode())
    digest.update(code_hash().encode())
    digest.update(folder_hash(settings.styles_dir).encode())
    digest.update(json.dumps(system_inputs(settings)).encode())
    return digest.hexdigest()


@functools.cache
def code_hash() -> str:
    """The pipeline's code, every module of every subpackage, and the models `invoke train`
    writes beside them (``*.json``: a retrained model reads notes differently). Once per
    process: the code a process runs is the code it imported when it started (``invoke watch``
    too)."""
    return folder_hash(CODE_DIR, ".py") + folder_hash(CODE_DIR, ".json")


def folder_hash(folder: Path, suffix: str = "") -> str:
    """The names and contents of the files under ``folder`` (recursively)."""
    digest = hashlib.blake2b(digest_size=20)
    for path in sorted(folder.rglob(f"*{suffix}")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def system_inputs(settings: Settings) -> dict[str, object]:
    """What the machine gives a build: packages, C libraries, fontconfig, fonts/ (by name,
    size and time: their content is in each manifest)."""
    return {
        "packages": installed_packages(),
        "libraries": [library_file(name) for name in LIBRARIES],
        **fontconfig_state(),
        "fonts": listing(settings.fonts_dir),
    }


def installed_packages() -> list[str]:
    """Every installed distribution with its version (``weasyprint-70.0.dist-info``)."""
    found: list[str] = []
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            found += sorted(
                name for name in os.listdir(entry) if name.endswith((".dist-info", ".egg-info"))
            )
    return found


def library_file(soname: str) -> list[object]:
    """The file a soname resolves to (its name carries the version), with its size and time."""
    for folder in LIBRARY_DIRS:
        path = folder / soname
        try:
            real = path.resolve(strict=True)
            stat = real.stat()
        except OSError:
            continue
        return [soname, str(real), stat.st_size, stat.st_mtime_ns]
    return [soname, None]


def manifest_path(settings: Settings, output: Path) -> Path:
    name = hashlib.blake2b(str(output.resolve()).encode(), digest_size=8).hexdigest()
    return settings.cache_dir / "builds" / f"{output.name}.{name}.json"


def fresh(
    output: Path, notes: Path, settings: Settings, output_format: str
) -> tuple[str, ...] | None:
    """The warnings ``output`` was built with, when it was built from exactly these inputs and
    is still as it was built; None when it must be built again."""
    try:
        manifest = json.loads(manifest_path(settings, output).read_text(encoding="utf-8"))
        if manifest["key"] != build_key(settings, output_format):
            return None
        if manifest["notes"] != [str(p) for p in notes_files(notes)]:
            return None
        for name, recorded in manifest["files"].items():
            if file_hash(Path(name)) != recorded:
                return None
        if any(os.path.lexists(name) for name in manifest["absent"]):
            return None
        if saved_times(manifest["saved"]) != manifest["saved"]:
            return None
        for name, (size, mtime, recorded) in manifest["fonts"].items():
            stat = Path(name).stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime) and file_hash(
                Path(name)
            ) != recorded:
                return None
        if file_hash(output) != str(manifest["output"]):
            return None
        return tuple(str(message) for message in manifest["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_fresh(output: Path, notes: Path, settings: Settings, output_format: str) -> bool:
    """True when ``output`` was built from exactly these inputs and is still as it was built."""
    return fresh(output, notes, settings, output_format) is not None


def saved_times(files: dict[str, int]) -> dict[str, int]:
    """When each file was last saved, to the second (an EPUB of notes without any date is
    stamped with it); -1 for a file that is gone."""
    times = {}
    for name in files:
        try:
            times[name] = int(os.stat(name).st_mtime)
        except OSError:
            times[name] = -1
    return times


def snapshot(paths: Iterable[Path]) -> dict[str, str]:
    """The hashes of input files, taken *before* they are read, so that a file saved during
    the build makes the next check see a change."""
    return {str(p): file_hash(p) for p in paths}


_font_digests: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest


def hash_fonts(
    output: Path, fonts: Iterable[Path], settings: Settings
) -> dict[str, tuple[int, int, str]]:
    """The hash of each font file, as :func:`record` keeps it for ``output``. Font files are
    large (a CJK face is 20 MB): a hash is reused while the file's size and time are those of
    the output's last manifest, or of an earlier call in this process; a build calls it while
    the PDF process lays out (this one is idle then), and ``record`` finds the hashes done."""
    try:
        known = json.loads(manifest_path(settings, output).read_text(encoding="utf-8"))["fonts"]
    except (OSError, ValueError, KeyError):
        known = {}
    hashes = {}
    for font in sorted(set(fonts)):
        stat = font.stat()
        key = (str(font), stat.st_size, stat.st_mtime_ns)
        size, mtime, digest = known.get(str(font), (None, None, None))
        if (size, mtime) != key[1:]:
            digest = _font_digests.get(key) or file_hash(font)
        _font_digests[key] = digest
        hashes[str(font)] = (stat.st_size, stat.st_mtime_ns, digest)
    return hashes


def record(
    output: Path,
    notes: Path,
    inputs: dict[str, str],
    fonts: Iterable[Path],
    settings: Settings,
    output_format: str,
    absent: Iterable[Path] = (),
    warnings: Iterable[str] = (),
    saved: Iterable[Path] = (),
) -> None:
    """Remember what ``output`` was built from (``inputs``: a snapshot of notes and the files
    they refer to; ``absent``: files they name that were missing; ``saved``: files whose save
    time the output shows) and the warnings it gave."""
    path = manifest_path(settings, output)
    font_hashes = hash_fonts(output, fonts, settings)
    manifest = {
        "key": build_key(settings, output_format),
        "notes": [str(p) for p in notes_files(notes)],
        "files": inputs,
        "absent": sorted({str(p) for p in absent}),
        "saved": saved_times({str(p): 0 for p in saved}),
        "fonts": font_hashes,
        "output": file_hash(output),
        "warnings": list(warnings),
    }
    write_text_atomically(path, json.dumps(manifest, ensure_ascii=False, indent=1))
