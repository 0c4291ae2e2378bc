"""A book laid out in parts, on every core: the front matter and the days in worker processes,
then merged.

The print document is cut at the days that open a page (``split``); the front matter
(cover, contents, introduction) is a part too, its contents' page numbers left out: they sit in
the entries' margins, so its page count does not depend on them. Worker processes, forked with
WeasyPrint imported and the stylesheets parsed, each take a run of consecutive parts (balanced by
size) and paginate each part as a document of its own, stopping before the margin boxes
(``paginate``). Once every part's page count is known, each part learns its first
page number, the book's total, and whether it ends with the blank page a right-hand opener after
it needs (the front matter: also the page number of each entry of its contents, printed into its
layout); it makes its running headers and ``n / N`` page numbers and is written as a PDF of its
own (``part``). The parts are merged into the book (``merge``). This
process lays nothing out: Pango runs fontconfig in threads of its own, and a process forked
while one of them holds a lock would wait for it forever.

Each part's PDF is kept (``cache``) under the key of what it was laid out from
(its HTML, the styles, the cut fonts, the PDF variant, the code) with its page count, and for the
numbers it was laid out with (the front matter's: and its contents' page numbers). A rebuild lays
out again only the parts whose key changed and those whose numbers changed (a day before them
gained or lost a page, which changes every page's total); ``invoke watch`` keeps the cache in its
PDF process's memory too, and its workers stay (``pool.WorkerPool(keep_layouts=True)``): each
holds the layouts it made, so a part that is only numbered anew is finished again with its new
numbers (margin boxes and PDF, a third of its time), not laid out again.

The near-empty page fixes (``pipeline.pdf.fit``) are made per part, as they are for a book laid
out at once.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

from pipeline.pdf.parts.cache import PartCache, PartPagination, part_key
from pipeline.pdf.parts.merge import merge_parts
from pipeline.pdf.parts.messages import Order, Shared
from pipeline.pdf.parts.part import PartPdf, font_sources
from pipeline.pdf.parts.pool import Timings, WorkerPool
from pipeline.pdf.parts.split import Book, Part, untarget_contents
from pipeline.pdf.weasyprint_internals import parse_stylesheet


def write_book(
    pool: WorkerPool, shared: Shared, book: Book, jobs: int, target: Path, cache: PartCache
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
    pool.settle([], used)  # layouts of parts the book no longer has: let go
    if fresh:
        _parse_stylesheets(book, shared)  # before the fork: the workers inherit them
    workers = pool.start(fresh, shared, jobs, keys)
    timings.mark("started", started)
    try:
        layouts: dict[str, PartPagination] = {n: k for n, k in known.items() if k is not None}
        for name, layout in pool.paginated(workers):
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
        for worker in workers:
            worker.send_numbers(orders)
        refinishing, again = pool.finish_again(again, keys, orders, shared)
        timings.refinished = sum(len(worker.names) for worker in refinishing)
        busy = [worker for worker in workers + refinishing if worker.names != ["front"]]
        room = jobs - len(busy)  # workers still busy with days keep their processes
        later = again if room < 1 else []
        if not later:
            workers += pool.start(again, shared, room, keys, orders)
        waiting = workers + refinishing
        while waiting:
            for name, written, seconds in pool.written(waiting):
                parts[name] = written
                if name == "front":
                    timings.front = seconds
                else:
                    timings.parts[name] = seconds
                cache.store(keys[name], layouts[name], orders[name].key(), written)
            waiting = pool.start(later, shared, jobs, keys, orders) if later else []
            workers += waiting
            later = []
    except BaseException:
        pool.stop(workers)
        raise
    timings.mark("written", started)
    order = [parts[part.name] for part in every]
    merging = time.perf_counter()
    try:
        count = merge_parts(order, font_sources(shared.fonts), target)
    finally:
        # then: the workers end (or stay, holding layouts) while the parts are merged, not
        # before (waiting for their exit took up to 60 ms of the sample's PDF)
        pool.settle(workers, used)
    timings.merge = time.perf_counter() - merging
    timings.wall = time.perf_counter() - started
    cache.keep(used)
    pool.last_timings = timings
    if count != total:
        raise RuntimeError(f"the merged book has {count} pages, its parts {total}")
    return count, sum(part.missing_alt for part in order)


def _parse_stylesheets(book: Book, shared: Shared) -> None:
    """The stylesheets every part links to, parsed once here for the workers (50 ms each)."""
    for href in book.root.xpath("/html/head/link[@rel='stylesheet']/@href"):
        parse_stylesheet(urljoin(shared.base_url, href), shared.fetcher)


# ---------- numbering ----------


def _number(
    book: Book, front_pages: int, layouts: dict[str, PartPagination]
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
    layouts: dict[str, PartPagination], orders: dict[str, Order], shared: Shared
) -> dict[str, int]:
    """The page number of each id the contents list."""
    pages = {}
    for name, layout in layouts.items():
        first = orders[name].first
        for anchor, page in layout.anchors.items():
            pages[anchor] = first + page - 1
    return {target: pages[target] for target in shared.targets if target in pages}
