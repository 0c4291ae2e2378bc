"""The one exception a user sees: a place in the notes, what is wrong, how to fix it."""

from __future__ import annotations

from pathlib import Path


class ContentError(Exception):
    """A problem with the user's input, reported as ``path:line: message`` plus a hint."""

    def __init__(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[ContentError], tuple[Path, int | None, str, str]]:
        return (ContentError, (self.path, self.line, self.message, self.hint))  # for processes

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        text = f"{place}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
