"""What the process that coordinates a book and its workers send each other through their pipes.

The coordinator (``book``, through ``pool``) forks each worker with what every part needs
(:class:`Shared`, inherited, never pickled) and the parts it is to lay out; after that, every
message is one of the dataclasses below, pickled through the worker's pipe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.model import Report
from pipeline.pdf.parts.cache import PartPagination
from pipeline.pdf.parts.part import PartPdf


@dataclass(frozen=True)
class Shared:
    """What every worker needs besides its days (inherited by the fork, never pickled)."""

    report: Report
    settings: Settings
    variant: str | None  # WeasyPrint's PDF variant
    fonts: tuple[Path, ...]  # the cut fonts, and the user's
    base_url: str  # where the parts' relative URLs point (the content root)
    fetcher: Any  # the URL fetcher locked to the project's files (pipeline.pdf.write)
    titles: dict[str, str]  # what each link's description says (pipeline.pdf.tags)
    anchors: frozenset[str]  # every id of the book
    targets: frozenset[str]  # the ids the contents print page numbers for


@dataclass(frozen=True)
class Order:
    """What a part is numbered with: its first page, the book's total, whether it ends with a
    blank page, and (the front matter) the page number of each id its contents list."""

    first: int
    total: int
    blank_after: bool
    contents: dict[str, int] | None = None

    def key(self) -> tuple[object, ...]:
        """The numbers as the part cache compares them."""
        if self.contents is None:
            return (self.first, self.total, self.blank_after)
        listed = hashlib.blake2b(repr(sorted(self.contents.items())).encode()).hexdigest()
        return (self.first, self.total, self.blank_after, listed)


# ---------- to a worker ----------


@dataclass(frozen=True)
class Numbers:
    """The numbers of the parts a worker paginated, once every part's page count is known."""

    orders: dict[str, Order]  # by part name


@dataclass(frozen=True)
class Refinish:
    """A kept layout to finish again: its key, its part's name, its new numbers."""

    key: str
    name: str
    order: Order


@dataclass(frozen=True)
class FinishAgain:
    """Finish kept layouts again (``invoke watch``), with what this build's parts share."""

    requests: list[Refinish]
    titles: dict[str, str]
    anchors: frozenset[str]
    fonts: tuple[Path, ...]  # the same cuts (the key says so), in this build's folder


@dataclass(frozen=True)
class Hold:
    """Between builds: the layouts (by key) the worker is to keep; it lets go of the others."""

    keys: set[str]


# ---------- from a worker ----------


@dataclass(frozen=True)
class PartPaginated:
    """A part paginated: its page count, anchors and first side; what it logged meanwhile."""

    name: str
    layout: PartPagination
    warnings: list[str]


@dataclass(frozen=True)
class PartWritten:
    """A part's PDF, the CPU seconds it took, whether the worker holds its layout and how
    much memory of its own the worker has (MB); what it logged meanwhile."""

    name: str
    key: str
    part: PartPdf
    seconds: float
    held: bool
    memory: float
    warnings: list[str]


@dataclass(frozen=True)
class WorkerFailed:
    """A bug in a worker: the coordinator raises it with this trace."""

    trace: str
