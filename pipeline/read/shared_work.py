"""Work the readings of one notes file share: each candidate reading (``candidates``) reads the
same blocks again, under headings built anew, and asks the same questions of them (which talks
a run of blocks holds, who a heading's notes name). Within :func:`shared_work`, the answer to
each is worked out once (on the 60-day stress notes: 0.7 s of reading, two thirds of it in the
candidates)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_answers: ContextVar[dict[tuple[object, ...], tuple[Any, tuple[object, ...]]] | None] = ContextVar(
    "shared_work", default=None
)


@contextmanager
def shared_work() -> Iterator[None]:
    """Answers kept for the readings of one notes file, until the block ends."""
    token = _answers.set({})
    try:
        yield
    finally:
        _answers.reset(token)


def remembered(question: tuple[object, ...], objects: Sequence[object], work: Callable[[], T]) -> T:
    """``work()``, or its answer to the same ``question`` within :func:`shared_work`. The
    question names ``objects`` (blocks) by ``id``: they are kept with the answer, so no other
    object takes their ``id`` meanwhile."""
    answers = _answers.get()
    if answers is None:
        return work()
    key = (*question, *map(id, objects))
    found = answers.get(key)
    if found is None:
        found = answers[key] = (work(), tuple(objects))
    return found[0]
