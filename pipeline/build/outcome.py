"""What a build gives back: each file written (or skipped), and each report's outcome.

Its own module so that the orchestration (``reports``) and the writers (``formats``) both
import it and neither imports the other's caller: the imports stay one way, reports -> formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ContentError


@dataclass(frozen=True)
class Output:
    """One written (or skipped, unchanged) file."""

    path: Path
    skipped: bool = False
    pages: int | None = None

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Outcome:
    """What happened to one report: its outputs, or the error that stopped it."""

    notes: Path
    outputs: tuple[Output, ...] = ()
    error: ContentError | None = None
    seconds: float = 0.0
    crash: str = ""  # the traceback of a bug in our code (never of a user's mistake)
    warnings: tuple[str, ...] = ()  # ``file:line: message``, each once (see diagnostics)
