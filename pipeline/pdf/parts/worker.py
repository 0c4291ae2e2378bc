"""A worker process of a book laid out in parts: it paginates its run of parts, reports each,
learns their numbers, then finishes and writes each (``pipeline.pdf.parts.book`` says why).

Forked by ``pool.Worker``, it talks to the coordinator only through its pipe
(``pipeline.pdf.parts.messages``). With kept layouts (``invoke watch``), it stays once its parts
are written, holding their layouts to finish them again with new numbers, until its pipe closes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipeline.diagnostics import collect_warnings
from pipeline.pdf.parts.cache import PartPagination
from pipeline.pdf.parts.messages import (
    FinishAgain,
    Hold,
    Numbers,
    Order,
    PartPaginated,
    PartWritten,
    Shared,
    WorkerFailed,
)
from pipeline.pdf.parts.paginate import Paginated, paginate
from pipeline.pdf.parts.part import PartPdf, write_part
from pipeline.pdf.parts.split import Part

# A worker holds no more layouts once its own memory (what it does not share with the process
# it was forked from) is KEEP_MB.
KEEP_MB = 700


class PartLayouter:
    """Lays parts of a book out and writes them, with what they share; one font configuration
    per set of fonts (registering them takes a while)."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self._font_configs: dict[tuple[Path, ...], Any] = {}

    def font_config(self) -> Any:
        """WeasyPrint's font configuration for this build's fonts."""
        from pipeline.pdf.print_fonts import font_configuration

        fonts = self.shared.fonts
        found = self._font_configs.get(fonts)
        if found is None:
            self._font_configs.clear()
            found = self._font_configs[fonts] = font_configuration(fonts)
        return found

    def paginate(self, html_text: str) -> Paginated:
        """Paginate a part, with the near-empty page fixes of ``pipeline.pdf.fit``."""
        from pipeline.pdf.fit import fit_document
        from pipeline.pdf.html_tree import weasyprint_html

        shared = self.shared
        html = weasyprint_html(html_text, shared.base_url, shared.fetcher)
        config = self.font_config()
        options = {"pdf_variant": shared.variant}
        paginated, _ = fit_document(
            lambda: paginate(html, config, [], **options), lambda laid: laid.pages
        )
        return paginated

    def write(self, name: str, paginated: Paginated, order: Order) -> PartPdf:
        """Number a paginated part (the front matter: its contents' page numbers too) and
        write its PDF."""
        shared = self.shared
        if order.contents is not None:
            paginated.replace_numbers({t: str(n) for t, n in order.contents.items()})
        document = paginated.finish(order.first, order.total, order.blank_after)
        del paginated  # the layout goes with its document, unless the worker holds it
        return write_part(
            document, name, shared.variant, shared.titles, shared.anchors, shared.fonts
        )


class WorkerProcess:
    """The worker's side of its pipe: its parts, the layouts it made and those it holds."""

    def __init__(
        self,
        connection: Connection,
        shared: Shared,
        keys: dict[str, str],
        keep_layouts: bool,
    ) -> None:
        self.connection = connection
        self.layouter = PartLayouter(shared)
        self.keys = keys
        self.keep_layouts = keep_layouts
        self.laid: dict[str, Paginated] = {}  # by key: paginated, not yet written
        self.held: dict[str, Paginated] = {}  # by key: kept to be finished again
        self.seconds: dict[str, float] = {}

    def run(self, parts: list[Part], numbering: dict[str, Order] | None) -> None:
        """Paginate each part, report it, learn the numbers, finish and write each; with kept
        layouts, finish them again as asked, until the pipe closes."""
        connection = self.connection
        for part in parts:
            key = self.keys[part.name]
            with collect_warnings(self.layouter.shared.report.source.path) as warnings:
                started = time.process_time()
                self.laid[key] = paginated = self.layouter.paginate(part.html)
                layout = PartPagination(
                    paginated.page_count,
                    paginated.anchor_pages(set(self.layouter.shared.targets & part.ids)),
                    paginated.first_side(),
                )
                del paginated
                self.seconds[key] = time.process_time() - started
            if numbering is None:
                connection.send(PartPaginated(part.name, layout, warnings.messages))
        if numbering is None:
            received = connection.recv()
            assert isinstance(received, Numbers)
            numbering = received.orders
        for part in parts:
            key = self.keys[part.name]
            if self.keep_layouts and private_mb() < KEEP_MB:
                self.held[key] = self.laid.pop(key)
            self.finish(part.name, key, numbering[part.name], self.seconds[key])
        while self.held:
            message = connection.recv()
            if isinstance(message, Hold):
                let_go = set(self.held) - message.keys
                self.held = {key: self.held[key] for key in message.keys}
                if let_go:
                    gc.collect()  # a layout refers to itself: only the collector frees it
                continue
            assert isinstance(message, FinishAgain)
            self.layouter.shared = replace(
                self.layouter.shared,
                titles=message.titles,
                anchors=message.anchors,
                fonts=message.fonts,
            )
            for request in message.requests:
                self.finish(request.name, request.key, request.order, 0.0)

    def finish(self, name: str, key: str, order: Order, seconds: float) -> None:
        """Number the paginated part ``key`` (held, or taken from those laid out: its layout
        then goes with its document, the 5,000-talk stress's largest process 70 MB smaller),
        write its PDF and send it, saying whether this worker holds its layout and how much
        memory of its own it has."""
        with collect_warnings(self.layouter.shared.report.source.path) as warnings:
            started = time.process_time()
            held = self.held.get(key)
            written = self.layouter.write(name, held or self.laid.pop(key), order)
            del held
            seconds += time.process_time() - started
        memory = private_mb() if self.keep_layouts else 0.0
        self.connection.send(
            PartWritten(name, key, written, seconds, key in self.held, memory, warnings.messages)
        )


def run_worker(
    connection: Connection,
    parts: list[Part],
    shared: Shared,
    keys: dict[str, str],
    numbering: dict[str, Order] | None,
    keep_layouts: bool,
) -> None:
    """The forked worker's whole life: it never returns."""
    try:
        WorkerProcess(connection, shared, keys, keep_layouts).run(parts, numbering)
    except EOFError:  # the build (or invoke watch) is gone
        pass
    except Exception:  # a bug: the coordinator raises it with this trace
        with contextlib.suppress(OSError):
            connection.send(WorkerFailed(traceback.format_exc()))
    finally:
        connection.close()
        os._exit(0)  # no atexit work of the parent's (the fork copied it)


def private_mb() -> float:
    """The memory this process does not share with the one it was forked from (its own
    layouts, mostly), in MB: Linux's private pages; 0 where they cannot be read."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return 0.0
    kb = sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Private_"))
    return kb / 1000
