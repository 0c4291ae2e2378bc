"""Writing into dist/: always a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import ContentError


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename it onto ``target``; on failure leave no trace.

    A build that fails or is killed half-way never leaves a partial file, and the previous
    good output stays as it was until the new one is complete.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)
    except OSError as err:
        raise ContentError(target.parent, None, f"cannot write the output: {err.strerror}",
                           "choose a writable --out folder") from err
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def write_text_atomically(target: Path, text: str) -> Path:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write_atomically(target, write)
