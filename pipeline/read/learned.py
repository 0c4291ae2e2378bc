"""The files `invoke train` writes beside the readers, and the model in use.

Each file is one JSON object: its format's version, the model's own data, and where it came
from (``provenance``). A missing file, or one of another version, reads as untrained. While
``Committed.using`` holds, a model trained in this process stands in for the committed one
(training, cross-validation's folds).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Generic, TypeVar

M = TypeVar("M")


def committed(path: Path, version: int) -> dict[str, Any] | None:
    """A committed model's data, or None when the file is missing or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data if isinstance(data, dict) and data.get("version") == version else None


def model_json(version: int, data: Mapping[str, Any], provenance: Mapping[str, Any]) -> str:
    """A model's file: its version, its data, where it came from."""
    whole = {"version": version, **data, "provenance": dict(provenance)}
    return json.dumps(whole, ensure_ascii=False, indent=1) + "\n"


class Committed(Generic[M]):
    """The model in use: one trained here while ``using`` holds, else the committed one."""

    def __init__(self, name: str, load: Callable[[], M]) -> None:
        self._here: ContextVar[M | None] = ContextVar(name, default=None)
        self._load = load

    def current(self) -> M:
        here = self._here.get()
        return here if here is not None else self._load()

    @contextmanager
    def using(self, model: M) -> Iterator[None]:
        """Read with ``model`` instead of the committed one."""
        token = self._here.set(model)
        try:
            yield
        finally:
            self._here.reset(token)
