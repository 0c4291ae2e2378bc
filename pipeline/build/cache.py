"""Skip outputs whose inputs have not changed, by content hash (never modification times).

After a build, a manifest in ``.cache/builds/`` records a hash of every input that shapes the
output: the notes, their images, the templates and styles, the pipeline's code, the settings,
the fonts, and the output itself. A rebuild hashes them again and skips the output when all
match. Font files are large and rarely change: their hash is reused while their size and
modification time stay the same, as git does for its index. This module imports nothing heavy,
so that an unchanged rebuild takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from pipeline import __version__
from pipeline.config import Settings
from pipeline.output import write_text_atomically

CODE_DIR = Path(__file__).resolve().parent.parent  # the pipeline package: the code, not a setting


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def notes_files(notes: Path) -> list[Path]:
    """The Markdown files of a report: one file, or every .md file of a report folder."""
    return sorted(notes.glob("*.md")) if notes.is_dir() else [notes]


def build_key(settings: Settings, output_format: str) -> str:
    """What is the same for every report: code, templates, settings, the format."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{__version__}|{output_format}|{settings!r}".encode())
    for folder in (CODE_DIR, settings.styles_dir):  # recursively: the stages are subpackages
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".j2", ".css"):
                name = path.relative_to(folder).as_posix()
                digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def manifest_path(settings: Settings, output: Path) -> Path:
    name = hashlib.blake2b(str(output.resolve()).encode(), digest_size=8).hexdigest()
    return settings.cache_dir / "builds" / f"{output.name}.{name}.json"


def is_fresh(output: Path, notes: Path, settings: Settings, output_format: str) -> bool:
    """True when ``output`` was built from exactly these inputs and is still as it was built."""
    try:
        manifest = json.loads(manifest_path(settings, output).read_text(encoding="utf-8"))
        if manifest["key"] != build_key(settings, output_format):
            return False
        if manifest["notes"] != [str(p) for p in notes_files(notes)]:
            return False
        for name, recorded in manifest["files"].items():
            if file_hash(Path(name)) != recorded:
                return False
        for name, (size, mtime, recorded) in manifest["fonts"].items():
            stat = Path(name).stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime) and file_hash(
                Path(name)
            ) != recorded:
                return False
        return file_hash(output) == str(manifest["output"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def snapshot(paths: Iterable[Path]) -> dict[str, str]:
    """The hashes of input files, taken *before* they are read, so that a file saved during
    the build makes the next check see a change."""
    return {str(p): file_hash(p) for p in paths}


def record(
    output: Path,
    notes: Path,
    inputs: dict[str, str],
    fonts: Iterable[Path],
    settings: Settings,
    output_format: str,
) -> None:
    """Remember what ``output`` was built from (``inputs``: a snapshot of notes and images)."""
    path = manifest_path(settings, output)
    try:  # font files are large: reuse their hash while their size and time are unchanged
        known = json.loads(path.read_text(encoding="utf-8"))["fonts"]
    except (OSError, ValueError, KeyError):
        known = {}
    font_hashes = {}
    for font in sorted(set(fonts)):
        stat = font.stat()
        size, mtime, digest = known.get(str(font), (None, None, None))
        if (size, mtime) != (stat.st_size, stat.st_mtime_ns):
            digest = file_hash(font)
        font_hashes[str(font)] = (stat.st_size, stat.st_mtime_ns, digest)
    manifest = {
        "key": build_key(settings, output_format),
        "notes": [str(p) for p in notes_files(notes)],
        "files": inputs,
        "fonts": font_hashes,
        "output": file_hash(output),
    }
    write_text_atomically(path, json.dumps(manifest, ensure_ascii=False, indent=1))
