"""Writing into dist/: a file appears whole, or not at all, and a good old one stays until then.

The new file is written as an unnamed temporary file in the target's folder (Linux O_TMPFILE):
if the build fails or is killed, even with SIGKILL, the kernel drops it and nothing is left
behind. When it is complete it gets a hidden name and is renamed over the target in one atomic
step, so readers (and a concurrent build) only ever see a complete file. Where O_TMPFILE is not
available, a named hidden temporary file is used and removed on failure. A strict build that
had warnings stops before the rename (``diagnostics.check_before_publishing``): the old file stays.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.diagnostics import check_before_publishing
from pipeline.errors import ContentError

LIBC = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(path)`` to fill a temporary file, then put it in place of ``target``."""
    if target.parent.exists() and not target.parent.is_dir():
        raise ContentError(
            target.parent, None, "is a file, not a folder", "choose another --out folder"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except (AttributeError, IsADirectoryError, OSError) as err:
        if isinstance(err, OSError) and err.errno not in (None, 95, 21, 22):  # not unsupported
            raise unwritable(target, err) from err
        return write_named_temporary(target, write)
    try:
        write(Path(f"/proc/self/fd/{descriptor}"))
        check_before_publishing(target)
        os.fsync(descriptor)
        hidden = target.with_name(f".{target.name}.{os.getpid()}.{id(write):x}.part")
        link_unnamed(descriptor, hidden)
        try:
            os.replace(hidden, target)
        finally:
            hidden.unlink(missing_ok=True)
    finally:
        os.close(descriptor)
    return target


def link_unnamed(descriptor: int, path: Path) -> None:
    """Give an O_TMPFILE file a name. os.link() calls link(2), which does not follow the
    /proc/self/fd magic link; linkat(2) with AT_SYMLINK_FOLLOW does (see open(2), O_TMPFILE)."""
    result = LIBC.linkat(
        AT_FDCWD, f"/proc/self/fd/{descriptor}".encode(), AT_FDCWD, bytes(path), AT_SYMLINK_FOLLOW
    )
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), str(path))


def write_named_temporary(target: Path, write: Callable[[Path], None]) -> Path:
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as err:
        raise unwritable(target, err) from err
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        check_before_publishing(target)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def unwritable(target: Path, err: OSError) -> ContentError:
    return ContentError(
        target.parent,
        None,
        f"cannot write the output: {err.strerror}",
        "choose a writable --out folder",
    )


def write_text_atomically(target: Path, text: str) -> Path:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write_atomically(target, write)
