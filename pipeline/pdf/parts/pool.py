"""The worker processes that lay a book's parts out: started, talked to, kept or ended.

A :class:`WorkerPool` belongs to the process that writes PDFs (one build, or every build of
``invoke watch``) and owns everything about its workers: their pipes, the layouts each holds
between builds, whether they stay, and what the last book's layout cost. Workers are forked
with ``os.fork``: the PDF process is itself a daemon process, which ``multiprocessing`` does not
let have children.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.pdf.parts.cache import Entry, PartPagination
from pipeline.pdf.parts.messages import (
    FinishAgain,
    Hold,
    Numbers,
    Order,
    PartPaginated,
    PartWritten,
    Refinish,
    Shared,
    WorkerFailed,
)
from pipeline.pdf.parts.part import PartPdf
from pipeline.pdf.parts.split import Part
from pipeline.pdf.parts.worker import run_worker
from pipeline.pdf.relayout import KeptLayouts

log = logging.getLogger(__name__)

# ``invoke watch``: at most MAX_KEPT workers stay between builds, KEPT_MB of their own memory
# in all, those holding the most layouts first (each holds no more once it has
# worker.KEEP_MB of its own).
KEPT_MB = 1500
MAX_KEPT = 6


@dataclass
class Timings:
    """Where a book laid out in parts spent its time (``invoke bench`` reports them)."""

    parts: dict[str, float] = field(default_factory=dict)  # a day's layout and PDF (or PDF
    # alone, when numbered anew from a kept layout), CPU seconds
    front: float = 0.0
    merge: float = 0.0
    wall: float = 0.0
    reused: int = 0
    refinished: int = 0  # parts numbered anew from a layout kept by a worker (invoke watch)
    marks: dict[str, float] = field(default_factory=dict)  # phase -> seconds since the start

    def mark(self, phase: str, started: float) -> None:
        self.marks[phase] = time.perf_counter() - started


class Worker:
    """A worker process laying out a run of parts; their numbers known in advance or sent.
    With kept layouts, it stays once its parts are written, holding their layouts (``held``,
    by key) to finish them again."""

    def __init__(
        self,
        pool: WorkerPool,
        parts: list[Part],
        shared: Shared,
        keys: dict[str, str],
        numbering: dict[str, Order] | None,
    ) -> None:
        self.names = [part.name for part in parts]  # the parts it is to send in this build
        self.held: set[str] = set()  # the keys of the layouts it holds
        self.told: set[str] = set()  # what it was last told to hold
        self.memory = 0.0  # its own memory (MB), as it last said
        self.connection, child = multiprocessing.Pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the worker
            for end in [self.connection, *pool.open_ends]:  # the fork copied them: a worker
                end.close()  # that held another's end would keep it waiting if this one died
            run_worker(child, parts, shared, keys, numbering, pool.keep_layouts)  # no return
        child.close()
        pool.open_ends.append(self.connection)
        self.pool = pool
        self.waiting = numbering is None

    def send_numbers(self, numbering: dict[str, Order]) -> None:
        if self.waiting:
            self.connection.send(Numbers({name: numbering[name] for name in self.names}))
            self.waiting = False

    def finish_again(self, requests: list[Refinish], shared: Shared) -> None:
        """Finish kept layouts again with new numbers; each is sent as written."""
        self.names = [request.name for request in requests]
        self.connection.send(FinishAgain(requests, shared.titles, shared.anchors, shared.fonts))

    def hold(self, keys: set[str]) -> None:
        self.connection.send(Hold(keys))

    def receive(self) -> Any:
        try:
            message = self.connection.recv()
        except EOFError:
            raise RuntimeError("a PDF layout process died") from None
        if isinstance(message, WorkerFailed):
            raise RuntimeError(f"a PDF layout process failed:\n{message.trace}")
        for warning in message.warnings:
            log.warning("%s", warning)
        return message

    def close(self, stop: bool = False) -> None:
        """Close its pipe, which ends the worker once it has sent its last part, and wait for
        it; ``stop``: end it now."""
        if self.connection in self.pool.open_ends:
            self.pool.open_ends.remove(self.connection)
        self.connection.close()
        if stop:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class WorkerPool:
    """The workers of one PDF process, and the parts it keeps in memory between builds (read
    from the part cache's folder otherwise). ``keep_layouts`` (``invoke watch``): workers stay
    from one build to the next, holding the parts they laid out."""

    def __init__(self, keep_layouts: bool = False) -> None:
        self.keep_layouts = keep_layouts
        self.holders: dict[str, Worker] = {}  # the workers that stay, by each layout's key
        self.open_ends: list[Connection] = []  # this process's ends of its workers' pipes
        self.last_timings = Timings()  # of the last book laid out
        self.kept_parts: dict[str, Entry] = {}  # the part cache's entries in memory, by key
        # the last layout of each report laid out as one document (pipeline.pdf.relayout)
        self.kept_layouts = KeptLayouts() if keep_layouts else None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every worker that stayed."""
        for worker in set(self.holders.values()):
            worker.close()
        self.holders.clear()
        if self.kept_layouts is not None:
            self.kept_layouts.close()

    def start(
        self,
        parts: list[Part],
        shared: Shared,
        jobs: int,
        keys: dict[str, str],
        numbering: dict[str, Order] | None = None,
    ) -> list[Worker]:
        """Workers for ``parts``: the front matter in one of its own beside the ``jobs`` that
        share the days when there are more days than workers (it holds the whole book's
        contents: with days besides, the largest process of 5,000 talks took 977 MB instead of
        832); else, and with one job, among them (the sample: 0.78 s instead of 0.81 s, one
        process fewer)."""
        front = [part for part in parts if part.name == "front"]
        days = [part for part in parts if part.name != "front"]
        if front and len(days) > jobs > 1:
            return [
                Worker(self, front, shared, keys, numbering),
                *self.start(days, shared, jobs, keys, numbering),
            ]
        return [Worker(self, run, shared, keys, numbering) for run in balance(parts, jobs) if run]

    def finish_again(
        self, parts: list[Part], keys: dict[str, str], orders: dict[str, Order], shared: Shared
    ) -> tuple[list[Worker], list[Part]]:
        """Ask the workers that hold the layouts of ``parts`` to finish them with the new
        numbers: the workers asked, and the parts no worker holds (to be laid out again)."""
        asked: dict[Worker, list[Part]] = {}
        rest = []
        for part in parts:
            holder = self.holders.get(keys[part.name])
            if holder is None:
                rest.append(part)
            else:
                asked.setdefault(holder, []).append(part)
        for worker, held in list(asked.items()):
            requests = [Refinish(keys[part.name], part.name, orders[part.name]) for part in held]
            try:
                worker.finish_again(requests, shared)
            except OSError:  # the worker is gone: its parts are laid out again
                del asked[worker]
                worker.held.clear()
                rest += held
        return list(asked), rest

    def settle(self, workers: list[Worker], used: set[str]) -> None:
        """Between builds: each worker holds on to the layouts of the parts the book still has
        (each layout in one worker), within the bounds above, or ends. Without
        ``keep_layouts``, every worker ends once its parts are written."""
        every = list(dict.fromkeys([*workers, *self.holders.values()]))
        self.holders.clear()
        if not self.keep_layouts:
            for worker in every:
                worker.close()
            return
        budget, stay = float(KEPT_MB), MAX_KEPT
        for worker in sorted(every, key=lambda worker: -len(worker.held & used)):
            held = (worker.held & used) - set(self.holders)
            if not stay or worker.memory > budget:
                held = set()
            if held and held != worker.told:
                try:
                    worker.hold(held)
                except OSError:  # the worker is gone
                    held = set()
            worker.held = worker.told = held
            if not held:
                worker.close()
                continue
            budget, stay = budget - worker.memory, stay - 1
            self.holders.update(dict.fromkeys(held, worker))

    def stop(self, workers: list[Worker]) -> None:
        """End ``workers`` and every worker that stayed, now (a build that failed)."""
        for worker in {*workers, *self.holders.values()}:
            worker.close(stop=True)
        self.holders.clear()

    def paginated(self, workers: list[Worker]) -> list[tuple[str, PartPagination]]:
        """Each part's page count and anchors, as the workers paginate them."""
        found = []
        for worker in self._messages({w: len(w.names) for w in workers if w.waiting}):
            message = worker.receive()
            assert isinstance(message, PartPaginated)
            found.append((message.name, message.layout))
        return found

    def written(self, workers: list[Worker]) -> list[tuple[str, PartPdf, float]]:
        """Each part's PDF, as the workers write them; what each worker holds, as it says."""
        found = []
        for worker in self._messages({w: len(w.names) for w in workers}):
            message = worker.receive()
            assert isinstance(message, PartWritten)
            if message.held:
                worker.held.add(message.key)
            worker.memory = message.memory
            found.append((message.name, message.part, message.seconds))
        return found

    @staticmethod
    def _messages(expected: dict[Worker, int]) -> Iterator[Worker]:
        """Each worker, once for each message it is to send, as its messages arrive."""
        by_connection = {id(worker.connection): worker for worker in expected}
        while any(expected.values()):
            ready = wait([worker.connection for worker, n in expected.items() if n])
            for connection in ready:
                assert isinstance(connection, Connection)
                worker = by_connection[id(connection)]
                yield worker
                expected[worker] -= 1


def balance(parts: Sequence[Part], jobs: int) -> list[list[Part]]:
    """At most ``jobs`` runs of parts of about the same size of HTML (a part's layout time
    follows its size): the largest part first, each to the run that has the least so far.
    Parts are independent until they are merged, in the book's order."""
    runs: list[list[Part]] = [[] for _ in range(max(1, min(jobs, len(parts))))]
    sizes = [0] * len(runs)
    for part in sorted(parts, key=lambda part: -len(part.html)):
        least = sizes.index(min(sizes))
        runs[least].append(part)
        sizes[least] += len(part.html)
    return runs
