"""A book laid out in parts, on every core: the days in worker processes, then merged.

The print document is cut at the days that open a page (``pipeline.pdf.split``). Worker
processes, forked with WeasyPrint imported, each take a run of consecutive days (balanced by
size) and paginate each day as a document of its own, stopping before the margin boxes
(``pipeline.pdf.paginate``). Meanwhile this process paginates the front matter (cover, contents,
introduction) with the contents' page numbers left out: they sit in the entries' margins, so the
front matter's page count does not depend on them. Once every part's page count is known, each
day learns its first page number, the book's total, and whether it ends with the blank page a
right-hand opener after it needs; it makes its running headers and ``n / N`` page numbers and is
written as a PDF of its own (``pipeline.pdf.part``), while this process prints the contents'
page numbers into the front matter's layout (in place of placeholders, each in its margin box)
and writes it. The parts are merged into the book (``pipeline.pdf.merge``).

Each part's PDF is kept (``pipeline.pdf.partcache``) under the key of what it was laid out from
(its HTML, the styles, the cut fonts, the PDF variant, the code) with its page count, and for the
numbers it was laid out with (the front matter's: and its contents' page numbers). A rebuild lays
out again only the days whose key changed and those whose numbers changed (a day before them
gained or lost a page, which changes every page's total); ``invoke watch`` keeps the cache in its
PDF process's memory too.

The near-empty page fixes (``pipeline.pdf.fit``) are made per part, as they are for a book laid
out at once.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.diagnostics import collect_warnings
from pipeline.model import Report
from pipeline.pdf.merge import merge_parts
from pipeline.pdf.paginate import Paginated, paginate
from pipeline.pdf.part import PartPdf, font_sources, write_part
from pipeline.pdf.partcache import Layout, PartCache, part_key
from pipeline.pdf.split import Book, Part, untarget_contents

log = logging.getLogger(__name__)


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


@dataclass
class Timings:
    """Where a book laid out in parts spent its time (``invoke bench`` reports them)."""

    parts: dict[str, float] = field(default_factory=dict)  # a day's layout and PDF, CPU seconds
    front: float = 0.0
    merge: float = 0.0
    wall: float = 0.0
    reused: int = 0
    marks: dict[str, float] = field(default_factory=dict)  # phase -> seconds since the start

    def mark(self, phase: str, started: float) -> None:
        self.marks[phase] = time.perf_counter() - started


LAST_TIMINGS = Timings()


def write_book(
    shared: Shared, book: Book, jobs: int, target: Path, cache: PartCache
) -> tuple[int, int]:
    """Lay ``book`` out in parts and merge it into ``target``: (pages, images without alt)."""
    started = time.perf_counter()
    timings = Timings()
    settings = shared.settings
    keys = {part.name: part_key(part, settings, shared.fonts) for part in book.days}
    known = {name: cache.layout(key) for name, key in keys.items()}
    fresh = [part for part in book.days if known[part.name] is None]
    fresh_names = {part.name for part in fresh}
    if fresh:
        _warm_up(book, shared)  # before the fork: the workers inherit it
    groups = _start_groups(fresh, shared, jobs)
    timings.mark("started", started)
    try:
        front = _Front(book.front, shared, cache)
        timings.front = front.paginate()
        timings.mark("front paginated", started)
        layouts: dict[str, Layout] = {n: k for n, k in known.items() if k is not None}
        for name, layout in _paginated(groups):
            layouts[name] = layout
        timings.mark("days paginated", started)
        numbering, total = _number(book, front.pages, layouts)
        parts: dict[str, PartPdf] = {}
        for part in book.days:  # the days laid out before with the same numbers
            if part.name not in layouts or part.name in fresh_names:
                continue
            found = cache.part(keys[part.name], numbering[part.name])
            if found is not None:
                parts[part.name] = found
                timings.reused += 1
        again = [p for p in book.days if p.name not in parts and p.name not in fresh_names]
        for group in groups:
            group.send_numbers(numbering)
        room = jobs - len(groups)  # workers still busy with new days keep their processes
        later = again if room < 1 else []
        if not later:
            groups += _start_groups(again, shared, room, numbering)
        timings.front += front.finish(
            _contents_pages(layouts, numbering, front, shared), numbering["front"]
        )
        timings.mark("front written", started)
        waiting = list(groups)
        while waiting:
            for name, written, seconds in _written(waiting):
                parts[name] = written
                timings.parts[name] = seconds
                cache.store(keys[name], layouts[name], numbering[name], written)
            waiting = _start_groups(later, shared, jobs, numbering) if later else []
            groups += waiting
            later = []
    except BaseException:
        for group in groups:
            group.close(stop=True)
        raise
    for group in groups:
        group.close()
    timings.mark("days written", started)
    order = [front.part] + [parts[part.name] for part in book.days]
    merging = time.perf_counter()
    count = merge_parts(order, font_sources(shared.fonts), target)
    timings.merge = time.perf_counter() - merging
    timings.wall = time.perf_counter() - started
    cache.keep({front.key, *keys.values()})
    LAST_TIMINGS.__dict__.update(timings.__dict__)
    if count != total:
        raise RuntimeError(f"the merged book has {count} pages, its parts {total}")
    return count, sum(part.missing_alt for part in order)


def _warm_up(book: Book, shared: Shared) -> None:
    """What every process pays on its first layout, paid once in this one: the fonts
    registered, the stylesheets parsed (50 ms), Pango's faces and cffi's types (30 ms)."""
    head = book.front.html.split("<body", 1)[0]
    text = "한글 Latin 123"
    warm = f"{head}<body><h2>{text}</h2><p>{text}</p><p><code>{text}</code></p></body></html>"
    _lay_out(_html(warm, shared), shared)


# ---------- numbering ----------


def _number(
    book: Book, front_pages: int, layouts: dict[str, Layout]
) -> tuple[dict[str, tuple[int, int, bool]], int]:
    """Each part's numbering: its first page number, the book's total, and whether it ends
    with a blank page (the next day opens a right-hand page, and would start on a left one)."""
    page = front_pages + 1
    first: dict[str, int] = {}
    blank: dict[str, bool] = {"front": False}
    previous = "front"
    for part in book.days:
        layout = layouts[part.name]
        odd = page % 2 == 1  # page 1 is a right-hand page
        if (layout.first_side == "right" and not odd) or (layout.first_side == "left" and odd):
            blank[previous] = True
            page += 1
        first[part.name] = page
        blank[part.name] = False
        page += layout.pages
        previous = part.name
    total = page - 1
    numbering = {"front": (1, total, blank["front"])}
    numbering |= {name: (number, total, blank[name]) for name, number in first.items()}
    return numbering, total


def _contents_pages(
    layouts: dict[str, Layout],
    numbering: dict[str, tuple[int, int, bool]],
    front: _Front,
    shared: Shared,
) -> dict[str, int]:
    """The page number of each id the contents list."""
    pages = {}
    for name, layout in layouts.items():
        first = numbering[name][0]
        for anchor, page in layout.anchors.items():
            pages[anchor] = first + page - 1
    assert front.layout is not None
    pages.update(front.layout.anchors)
    return {target: pages[target] for target in shared.targets if target in pages}


# ---------- the front matter, in this process ----------


class _Front:
    """The front matter: paginated with placeholders for the contents' page numbers (its page
    count may also come from the cache), then the numbers printed into that layout (or the
    part found in the cache with the same numbers)."""

    def __init__(self, part: Part, shared: Shared, cache: PartCache) -> None:
        self.source = part
        self.shared = shared
        self.cache = cache
        self.key = part_key(part, shared.settings, shared.fonts)
        self.laid: list[Paginated] = []  # the layout, until it is written
        self.layout = cache.layout(self.key)
        self.part: PartPdf

    @property
    def pages(self) -> int:
        assert self.layout is not None
        return self.layout.pages

    def paginate(self) -> float:
        """Learn the page count (and where its own anchors are) before the page numbers."""
        if self.layout is not None:
            return 0.0
        started = time.process_time()
        self._lay_out()
        return time.process_time() - started

    def _lay_out(self) -> Paginated:
        laid = _lay_out(_html(untarget_contents(self.source.html), self.shared), self.shared)
        if self.layout is not None and laid.page_count != self.layout.pages:
            raise RuntimeError(  # the cache is keyed by the front matter's HTML: never happens
                f"the front matter took {laid.page_count} pages, {self.layout.pages} before"
            )
        self.layout = Layout(laid.page_count, laid.anchor_pages(set(self.shared.targets)), None)
        self.laid = [laid]
        return laid

    def finish(self, pages: dict[str, int], numbering: tuple[int, int, bool]) -> float:
        """The front matter with its page numbers, numbered in the book."""
        assert self.layout is not None
        key = (*numbering, hashlib.blake2b(repr(sorted(pages.items())).encode()).hexdigest())
        found = self.cache.part(self.key, key)
        if found is not None:
            self.part = found
            self.laid.clear()
            return 0.0
        started = time.process_time()
        laid = self.laid[0] if self.laid else self._lay_out()
        laid.replace_numbers({target: str(page) for target, page in pages.items()})
        del laid

        def release() -> None:  # the front matter's layout (all the contents) goes, now
            self.laid.clear()
            gc.collect()  # its boxes hold cycles: freed before the repair, not much later

        self.part = write_part(
            self.laid[0].finish(*numbering),
            "front",
            self.shared.variant,
            self.shared.titles,
            self.shared.anchors,
            self.shared.fonts,
            release,
        )
        self.cache.store(self.key, self.layout, key, self.part)
        return time.process_time() - started


# ---------- worker processes: runs of days ----------


class _Group:
    """A worker process laying out a run of days; ``numbering`` known in advance or sent.
    Forked with ``os.fork``: the PDF process that starts it is itself a daemon process, which
    ``multiprocessing`` does not let have children."""

    def __init__(
        self, parts: list[Part], shared: Shared, numbering: dict[str, tuple[int, int, bool]] | None
    ) -> None:
        self.names = [part.name for part in parts]
        self.connection, child = multiprocessing.Pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the worker
            for end in [self.connection, *_open_ends]:  # the fork copied them: a worker that
                end.close()  # held another's end would keep it waiting if this process died
            _group_main(child, parts, shared, numbering)  # never returns
        child.close()
        _open_ends.append(self.connection)
        self.waiting = numbering is None

    def send_numbers(self, numbering: dict[str, tuple[int, int, bool]]) -> None:
        if self.waiting:
            self.connection.send({name: numbering[name] for name in self.names})
            self.waiting = False

    def receive(self) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = self.connection.recv()
        except EOFError:
            raise RuntimeError("a PDF layout process died") from None
        if message[0] == "crash":
            raise RuntimeError(f"a PDF layout process failed:\n{message[1]}")
        for warning in message[-1]:
            log.warning("%s", warning)
        return message

    def close(self, stop: bool = False) -> None:
        """Wait for the worker to end (it has sent its last part); ``stop``: end it now."""
        if self.connection in _open_ends:
            _open_ends.remove(self.connection)
        self.connection.close()
        if stop:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


_open_ends: list[Connection] = []  # this process's ends of its workers' pipes


def _start_groups(
    parts: list[Part],
    shared: Shared,
    jobs: int,
    numbering: dict[str, tuple[int, int, bool]] | None = None,
) -> list[_Group]:
    return [_Group(run, shared, numbering) for run in balance(parts, jobs) if run]


def balance(parts: Sequence[Part], jobs: int) -> list[list[Part]]:
    """Consecutive runs of parts, at most ``jobs``, of about the same size of HTML."""
    total = sum(len(part.html) for part in parts)
    runs: list[list[Part]] = [[]]
    done = 0
    for part in parts:
        share = total * len(runs) / max(1, jobs)
        if runs[-1] and done + len(part.html) / 2 > share and len(runs) < jobs:
            runs.append([])
        runs[-1].append(part)
        done += len(part.html)
    return runs


def _paginated(groups: list[_Group]) -> list[tuple[str, Layout]]:
    """Each day's page count and anchors, as the workers paginate them."""
    expected = {id(g.connection): len(g.names) for g in groups if g.waiting}
    found = []
    by_connection = {id(g.connection): g for g in groups}
    while any(expected.values()):
        ready = wait([by_connection[key].connection for key, n in expected.items() if n])
        for connection in ready:
            assert isinstance(connection, Connection)
            group = by_connection[id(connection)]
            _, name, layout, _warnings = group.receive()
            found.append((name, layout))
            expected[id(connection)] -= 1
    return found


def _written(groups: list[_Group]) -> list[tuple[str, PartPdf, float]]:
    """Each day's PDF, as the workers write them."""
    expected = {id(g.connection): len(g.names) for g in groups}
    by_connection = {id(g.connection): g for g in groups}
    found = []
    while any(expected.values()):
        ready = wait([by_connection[key].connection for key, n in expected.items() if n])
        for connection in ready:
            assert isinstance(connection, Connection)
            _, name, part, seconds, _warnings = by_connection[id(connection)].receive()
            found.append((name, part, seconds))
            expected[id(connection)] -= 1
    return found


def _group_main(
    connection: Connection,
    parts: list[Part],
    shared: Shared,
    numbering: dict[str, tuple[int, int, bool]] | None,
) -> None:
    """A worker: paginate each day, report it, learn the numbers, finish and write each."""
    try:
        laid: dict[str, tuple[Paginated, float]] = {}
        for part in parts:
            with collect_warnings(shared.report.source.path) as warnings:
                started = time.process_time()
                html = _html(part.html, shared)
                paginated = _lay_out(html, shared)
                layout = Layout(
                    paginated.page_count,
                    paginated.anchor_pages(set(shared.targets & part.ids)),
                    paginated.first_side(),
                )
                laid[part.name] = (paginated, time.process_time() - started)
            if numbering is None:
                connection.send(("paginated", part.name, layout, warnings.messages))
        numbers = numbering if numbering is not None else connection.recv()
        for part in parts:
            with collect_warnings(shared.report.source.path) as warnings:
                started = time.process_time()
                paginated, seconds = laid.pop(part.name)
                document = paginated.finish(*numbers[part.name])
                written = write_part(
                    document,
                    part.name,
                    shared.variant,
                    shared.titles,
                    shared.anchors,
                    shared.fonts,
                )
                seconds += time.process_time() - started
            connection.send(("part", part.name, written, seconds, warnings.messages))
    except Exception:  # a bug: the coordinator raises it with this trace
        with contextlib.suppress(OSError):
            connection.send(("crash", traceback.format_exc()))
    finally:
        connection.close()
        os._exit(0)  # no atexit work of the parent's (the fork copied it)


# ---------- WeasyPrint, for one part ----------

_configs: dict[tuple[Path, ...], Any] = {}


def _font_config(shared: Shared) -> Any:
    """One font configuration per process and set of fonts (registering them takes a while)."""
    from pipeline.pdf.fonts import font_configuration

    found = _configs.get(shared.fonts)
    if found is None:
        _configs.clear()
        found = _configs[shared.fonts] = font_configuration(shared.fonts)
    return found


def _options(shared: Shared) -> dict[str, Any]:
    return {"pdf_variant": shared.variant}


def _html(text: str, shared: Shared) -> Any:
    from weasyprint import HTML

    return HTML(string=text, base_url=shared.base_url, url_fetcher=shared.fetcher)


def _lay_out(html: Any, shared: Shared) -> Paginated:
    """Paginate a part, with the near-empty page fixes of ``pipeline.pdf.fit``."""
    from pipeline.pdf.fit import fit_document

    config = _font_config(shared)
    laid, _ = fit_document(lambda: _Pages(paginate(html, config, [], **_options(shared))))
    paginated: Paginated = laid.paginated
    return paginated


class _PageView:
    def __init__(self, page_box: Any) -> None:
        self._page_box = page_box


class _Pages:
    """A paginated part as ``pipeline.pdf.fit`` measures a document: its pages."""

    def __init__(self, paginated: Paginated) -> None:
        self.paginated = paginated
        self.pages = [_PageView(page) for page in paginated.pages]
