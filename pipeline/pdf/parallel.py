"""A book laid out in parts, on every core: the front matter and the days in worker processes,
then merged.

The print document is cut at the days that open a page (``pipeline.pdf.split``); the front matter
(cover, contents, introduction) is a part too, its contents' page numbers left out: they sit in
the entries' margins, so its page count does not depend on them. Worker processes, forked with
WeasyPrint imported and the stylesheets parsed, each take a run of consecutive parts (balanced by
size) and paginate each part as a document of its own, stopping before the margin boxes
(``pipeline.pdf.paginate``). Once every part's page count is known, each part learns its first
page number, the book's total, and whether it ends with the blank page a right-hand opener after
it needs (the front matter: also the page number of each entry of its contents, printed into its
layout); it makes its running headers and ``n / N`` page numbers and is written as a PDF of its
own (``pipeline.pdf.part``). The parts are merged into the book (``pipeline.pdf.merge``). This
process lays nothing out: Pango runs fontconfig in threads of its own, and a process forked
while one of them holds a lock would wait for it forever.

Each part's PDF is kept (``pipeline.pdf.partcache``) under the key of what it was laid out from
(its HTML, the styles, the cut fonts, the PDF variant, the code) with its page count, and for the
numbers it was laid out with (the front matter's: and its contents' page numbers). A rebuild lays
out again only the parts whose key changed and those whose numbers changed (a day before them
gained or lost a page, which changes every page's total); ``invoke watch`` keeps the cache in its
PDF process's memory too, and its workers stay (``keep_layouts``): each holds the layouts it made,
so a part that is only numbered anew is finished again with its new numbers (margin boxes and
PDF, a third of its time), not laid out again.

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
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from pipeline.config import Settings
from pipeline.diagnostics import collect_warnings
from pipeline.model import Report
from pipeline.pdf.merge import merge_parts
from pipeline.pdf.paginate import Paginated, paginate
from pipeline.pdf.part import PartPdf, font_sources, write_part
from pipeline.pdf.partcache import Layout, PartCache, part_key
from pipeline.pdf.split import Book, Part, untarget_contents
from pipeline.pdf.weasyprint_internals import parse_stylesheet

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


LAST_TIMINGS = Timings()

# ``invoke watch``: the workers that stay between builds, by the key of each layout they hold.
# A worker holds no more layouts once its own memory (what it does not share with the process
# it was forked from) is KEEP_MB; at most MAX_KEPT workers stay, KEPT_MB of their own memory in
# all, those holding the most layouts first.
KEEP_MB = 700
KEPT_MB = 1500
MAX_KEPT = 6
_holders: dict[str, _Group] = {}
_keeping = False


def keep_layouts() -> None:
    """Keep the workers, and the parts they laid out, from one build to the next (the PDF
    process of ``invoke watch``)."""
    global _keeping
    _keeping = True


def write_book(
    shared: Shared, book: Book, jobs: int, target: Path, cache: PartCache
) -> tuple[int, int]:
    """Lay ``book`` out in parts and merge it into ``target``: (pages, images without alt).

    This process lays nothing out itself: Pango starts threads of its own (fontconfig's), and a
    process forked while one of them holds a lock waits for it forever. Every layout is in a
    worker forked from this one, which only parses the stylesheets first (pure Python)."""
    started = time.perf_counter()
    timings = Timings()
    settings = shared.settings
    front = Part("front", untarget_contents(book.front.html), book.front.ids)
    every = [front, *book.days]
    keys = {part.name: part_key(part, settings, shared.fonts) for part in every}
    known = {name: cache.layout(key) for name, key in keys.items()}
    fresh = [part for part in every if known[part.name] is None]
    fresh_names = {part.name for part in fresh}
    used = set(keys.values())
    _settle_workers([], used)  # layouts of parts the book no longer has: let go
    if fresh:
        _parse_stylesheets(book, shared)  # before the fork: the workers inherit them
    groups = _start(fresh, shared, jobs, keys)
    timings.mark("started", started)
    try:
        layouts: dict[str, Layout] = {n: k for n, k in known.items() if k is not None}
        for name, layout in _paginated(groups):
            layouts[name] = layout
        timings.mark("paginated", started)
        orders, total = _number(book, layouts["front"].pages, layouts)
        contents = _contents_pages(layouts, orders, shared)
        orders["front"] = replace(orders["front"], contents=contents)
        parts: dict[str, PartPdf] = {}
        for part in every:  # the parts laid out before with the same numbers
            if part.name not in layouts or part.name in fresh_names:
                continue
            found = cache.part(keys[part.name], orders[part.name].key())
            if found is not None:
                parts[part.name] = found
                timings.reused += 1
        again = [p for p in every if p.name not in parts and p.name not in fresh_names]
        for group in groups:
            group.send_numbers(orders)
        refinishing, again = _finish_again(again, keys, orders, shared)
        timings.refinished = sum(len(group.names) for group in refinishing)
        busy = [group for group in groups + refinishing if group.names != ["front"]]
        room = jobs - len(busy)  # workers still busy with days keep their processes
        later = again if room < 1 else []
        if not later:
            groups += _start(again, shared, room, keys, orders)
        waiting = groups + refinishing
        while waiting:
            for name, written, seconds in _written(waiting):
                parts[name] = written
                if name == "front":
                    timings.front = seconds
                else:
                    timings.parts[name] = seconds
                cache.store(keys[name], layouts[name], orders[name].key(), written)
            waiting = _start(later, shared, jobs, keys, orders) if later else []
            groups += waiting
            later = []
    except BaseException:
        for group in {*groups, *_holders.values()}:
            group.close(stop=True)
        _holders.clear()
        raise
    _settle_workers(groups, used)
    timings.mark("written", started)
    order = [parts[part.name] for part in every]
    merging = time.perf_counter()
    count = merge_parts(order, font_sources(shared.fonts), target)
    timings.merge = time.perf_counter() - merging
    timings.wall = time.perf_counter() - started
    cache.keep(used)
    LAST_TIMINGS.__dict__.update(timings.__dict__)
    if count != total:
        raise RuntimeError(f"the merged book has {count} pages, its parts {total}")
    return count, sum(part.missing_alt for part in order)


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


def _parse_stylesheets(book: Book, shared: Shared) -> None:
    """The stylesheets every part links to, parsed once here for the workers (50 ms each)."""
    for href in book.root.xpath("/html/head/link[@rel='stylesheet']/@href"):
        parse_stylesheet(urljoin(shared.base_url, href), shared.fetcher)


# ---------- numbering ----------


def _number(
    book: Book, front_pages: int, layouts: dict[str, Layout]
) -> tuple[dict[str, Order], int]:
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
    orders = {"front": Order(1, total, blank["front"])}
    orders |= {name: Order(number, total, blank[name]) for name, number in first.items()}
    return orders, total


def _contents_pages(
    layouts: dict[str, Layout], orders: dict[str, Order], shared: Shared
) -> dict[str, int]:
    """The page number of each id the contents list."""
    pages = {}
    for name, layout in layouts.items():
        first = orders[name].first
        for anchor, page in layout.anchors.items():
            pages[anchor] = first + page - 1
    return {target: pages[target] for target in shared.targets if target in pages}


# ---------- worker processes: runs of days ----------


class _Group:
    """A worker process laying out a run of parts; their numbers known in advance or sent.
    Forked with ``os.fork``: the PDF process that starts it is itself a daemon process, which
    ``multiprocessing`` does not let have children. With ``keep_layouts``, it stays once its
    parts are written, holding their layouts (``held``, by key) to finish them again."""

    def __init__(
        self,
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
            for end in [self.connection, *_open_ends]:  # the fork copied them: a worker that
                end.close()  # held another's end would keep it waiting if this process died
            _group_main(child, parts, shared, keys, numbering)  # never returns
        child.close()
        _open_ends.append(self.connection)
        self.waiting = numbering is None

    def send_numbers(self, numbering: dict[str, Order]) -> None:
        if self.waiting:
            self.connection.send({name: numbering[name] for name in self.names})
            self.waiting = False

    def finish_again(self, requests: list[tuple[str, str, Order]], shared: Shared) -> None:
        """Finish kept layouts (key, part name, numbers) again; each is sent as written."""
        self.names = [name for _, name, _ in requests]
        self.connection.send(("finish", requests, shared.titles, shared.anchors, shared.fonts))

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
        """Close its pipe, which ends the worker once it has sent its last part, and wait for
        it; ``stop``: end it now."""
        if self.connection in _open_ends:
            _open_ends.remove(self.connection)
        self.connection.close()
        if stop:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


_open_ends: list[Connection] = []  # this process's ends of its workers' pipes


def _start(
    parts: list[Part],
    shared: Shared,
    jobs: int,
    keys: dict[str, str],
    numbering: dict[str, Order] | None = None,
) -> list[_Group]:
    """Workers for ``parts``: the front matter in one of its own beside the ``jobs`` that share
    the days when there are more days than workers (it holds the whole book's contents: with
    days besides, the largest process of 5,000 talks took 977 MB instead of 832); else, and
    with one job, among them (the sample: 0.78 s instead of 0.81 s, one process fewer)."""
    front = [part for part in parts if part.name == "front"]
    days = [part for part in parts if part.name != "front"]
    if front and len(days) > jobs > 1:
        return [
            _Group(front, shared, keys, numbering),
            *_start(days, shared, jobs, keys, numbering),
        ]
    return [_Group(run, shared, keys, numbering) for run in balance(parts, jobs) if run]


def _finish_again(
    parts: list[Part], keys: dict[str, str], orders: dict[str, Order], shared: Shared
) -> tuple[list[_Group], list[Part]]:
    """Ask the workers that hold the layouts of ``parts`` to finish them with the new numbers:
    the workers asked, and the parts no worker holds (to be laid out again)."""
    asked: dict[_Group, list[Part]] = {}
    rest = []
    for part in parts:
        holder = _holders.get(keys[part.name])
        if holder is None:
            rest.append(part)
        else:
            asked.setdefault(holder, []).append(part)
    for group, held in list(asked.items()):
        requests = [(keys[part.name], part.name, orders[part.name]) for part in held]
        try:
            group.finish_again(requests, shared)
        except OSError:  # the worker is gone: its parts are laid out again
            del asked[group]
            group.held.clear()
            rest += held
    return list(asked), rest


def _settle_workers(groups: list[_Group], used: set[str]) -> None:
    """Between builds: each worker holds on to the layouts of the parts the book still has
    (each layout in one worker), within the bounds above, or ends. Without ``keep_layouts``,
    every worker ends once its parts are written."""
    every = list(dict.fromkeys([*groups, *_holders.values()]))
    _holders.clear()
    if not _keeping:
        for group in every:
            group.close()
        return
    budget, stay = float(KEPT_MB), MAX_KEPT
    for group in sorted(every, key=lambda group: -len(group.held & used)):
        held = (group.held & used) - set(_holders)
        if not stay or group.memory > budget:
            held = set()
        if held and held != group.told:
            try:
                group.connection.send(("hold", held))
            except OSError:  # the worker is gone
                held = set()
        group.held = group.told = held
        if not held:
            group.close()
            continue
        budget, stay = budget - group.memory, stay - 1
        _holders.update(dict.fromkeys(held, group))


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
    """Each day's PDF, as the workers write them; what each worker holds, as it says."""
    expected = {id(g.connection): len(g.names) for g in groups}
    by_connection = {id(g.connection): g for g in groups}
    found = []
    while any(expected.values()):
        ready = wait([by_connection[key].connection for key, n in expected.items() if n])
        for connection in ready:
            assert isinstance(connection, Connection)
            group = by_connection[id(connection)]
            _, name, key, part, seconds, held, memory, _warnings = group.receive()
            if held:
                group.held.add(key)
            group.memory = memory
            found.append((name, part, seconds))
            expected[id(connection)] -= 1
    return found


def _group_main(
    connection: Connection,
    parts: list[Part],
    shared: Shared,
    keys: dict[str, str],
    numbering: dict[str, Order] | None,
) -> None:
    """A worker: paginate each part, report it, learn the numbers, finish and write each (the
    front matter's contents get their page numbers first). With ``keep_layouts``, it holds the
    layouts and finishes them again as asked, until its pipe closes."""
    try:
        laid: dict[str, Paginated] = {}  # by key
        seconds: dict[str, float] = {}
        for part in parts:
            key = keys[part.name]
            with collect_warnings(shared.report.source.path) as warnings:
                started = time.process_time()
                html = _html(part.html, shared)
                laid[key] = paginated = _lay_out(html, shared)
                layout = Layout(
                    paginated.page_count,
                    paginated.anchor_pages(set(shared.targets & part.ids)),
                    paginated.first_side(),
                )
                del paginated
                seconds[key] = time.process_time() - started
            if numbering is None:
                connection.send(("paginated", part.name, layout, warnings.messages))
        numbers = numbering if numbering is not None else connection.recv()
        held: dict[str, Paginated] = {}
        for part in parts:
            key = keys[part.name]
            if _keeping and _private_mb() < KEEP_MB:
                held[key] = laid.pop(key)
            order = numbers[part.name]
            _finish(connection, part.name, key, laid, held, order, shared, seconds[key])
        while held:
            message = connection.recv()
            if message[0] == "hold":
                let_go = set(held) - message[1]
                held = {key: held[key] for key in message[1]}
                if let_go:
                    gc.collect()  # a layout refers to itself: only the collector frees it
                continue
            # this build's: the fonts are the same cuts (the key says so), in its own folder
            _, requests, titles, anchors, fonts = message
            shared = replace(shared, titles=titles, anchors=anchors, fonts=fonts)
            for key, name, order in requests:
                _finish(connection, name, key, laid, held, order, shared, 0.0)
    except EOFError:  # the build (or invoke watch) is gone
        pass
    except Exception:  # a bug: the coordinator raises it with this trace
        with contextlib.suppress(OSError):
            connection.send(("crash", traceback.format_exc()))
    finally:
        connection.close()
        os._exit(0)  # no atexit work of the parent's (the fork copied it)


def _finish(
    connection: Connection,
    name: str,
    key: str,
    laid: dict[str, Paginated],
    held: dict[str, Paginated],
    order: Order,
    shared: Shared,
    seconds: float,
) -> None:
    """Number the paginated part ``key`` (``held``, or taken from ``laid``: its layout then
    goes with its document, the 5,000-talk stress's largest process 70 MB smaller), write its
    PDF and send it, saying whether this worker holds its layout and how much memory of its
    own it has."""
    with collect_warnings(shared.report.source.path) as warnings:
        started = time.process_time()
        paginated = held[key] if key in held else laid.pop(key)
        if order.contents is not None:
            paginated.replace_numbers({t: str(n) for t, n in order.contents.items()})
        document = paginated.finish(order.first, order.total, order.blank_after)
        del paginated
        written = write_part(
            document, name, shared.variant, shared.titles, shared.anchors, shared.fonts
        )
        seconds += time.process_time() - started
    memory = _private_mb() if _keeping else 0.0
    message = ("part", name, key, written, seconds, key in held, memory, warnings.messages)
    connection.send(message)


def _private_mb() -> float:
    """The memory this process does not share with the one it was forked from (its own
    layouts, mostly), in MB: Linux's private pages; 0 where they cannot be read."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return 0.0
    kb = sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Private_"))
    return kb / 1000


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
    paginated, _ = fit_document(
        lambda: paginate(html, config, [], **_options(shared)), lambda laid: laid.pages
    )
    return paginated
