"""The commands behind the `invoke` tasks (tasks.py holds one call into each)."""

from __future__ import annotations

import sys

# invoke turns the writing of bytecode caches off (its --write-pyc, off by default) for the
# whole process, not only for tasks.py: every module of the pipeline was compiled from source
# on every run (60 ms of a 0.35 s EPUB build, as much in the PDF process). The interpreter's
# own setting (-B, PYTHONDONTWRITEBYTECODE) holds again for the modules imported from here on.
sys.dont_write_bytecode = bool(sys.flags.dont_write_bytecode)
