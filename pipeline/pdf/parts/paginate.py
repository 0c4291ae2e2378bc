"""WeasyPrint's layout in two steps: paginate, then number the pages and finish them.

A part of the book laid out on its own (a day, or the front matter) does not know on which page
it starts, nor how many pages the book has, until every part has been paginated. WeasyPrint 70
paginates a whole document, then makes each page's margin boxes (running headers, ``n / N``)
from the page counters. :func:`paginate` stops right between the two and returns the
:class:`Paginated` part: its page count, the pages its anchors start on, the side its first page
must be. :meth:`Paginated.finish` then sets the page counters (``page`` from the part's first
page number, ``pages`` the book's total) and each page's side, and makes the margin boxes: what
WeasyPrint's own ``layout_document`` does after pagination, with the numbers of the whole book.
Before that, :meth:`Paginated.replace_numbers` prints the contents' page numbers into the front
matter's layout (they sit in margin boxes of their own, so nothing else moves), and
:meth:`Paginated.add_blank_page` ends a part with the blank page a right-hand opener after it
needs. ``finish`` and ``replace_numbers`` may run again with other numbers (the layouts ``invoke
watch`` keeps): they first put the pages back as they were paginated.

This leans on WeasyPrint 70's internals (its ``layout_document``'s loop, the page maker's
counter states, ``make_page``, the boxes of a text), all reached through the seam
(``pipeline.pdf.weasyprint_internals``); ``tests/test_pdf_parts.py`` checks the numbers, sides,
headers and contents against a book laid out at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.pdf.weasyprint_internals import (
    PausedLayout,
    add_blank_page,
    finish_pages,
    forget_pages_after,
    is_box,
    made_page_count,
    page_state,
    paginate_pages,
    restore_page,
    set_text,
)

if TYPE_CHECKING:
    from weasyprint import HTML, Document

# Page-side breaks, as WeasyPrint reads them (layout/page.py, remake_page).
RIGHT = ("right", "recto")
LEFT = ("left", "verso")


@dataclass
class Paginated:
    """A document paginated, its margin boxes not yet made."""

    html: HTML
    laid: PausedLayout  # WeasyPrint's layout, paused before the margin boxes
    font_config: Any
    _as_paginated: tuple[Any, ...] = field(init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self._as_paginated = (
            len(self.pages),
            made_page_count(self.laid.context),
            [page_state(page) for page in self.pages],
        )

    @property
    def pages(self) -> list[Any]:
        """The page boxes (WeasyPrint's ``PageBox``)."""
        return self.laid.pages

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def anchor_pages(self, anchors: set[str]) -> dict[str, int]:
        """The page (from 1) each of ``anchors`` is on, for those in this document: the ids of
        the sections and articles that hold the days and talks (a shallow walk)."""
        found: dict[str, int] = {}
        for number, page in enumerate(self.pages, start=1):
            for box in _shallow_boxes(page):
                anchor = box.style["anchor"]
                if anchor and anchor in anchors and anchor not in found:
                    found[anchor] = number
        return found

    def first_side(self) -> str | None:
        """``right`` or ``left`` when the first page asks to be on that side (a chapter that
        opens a right-hand page), else None."""
        page = self.pages[0] if self.pages else None
        box = page.children[0] if page is not None and page.children else None
        while box is not None:
            asked = box.style["break_before"]
            if asked in RIGHT:
                return "right"
            if asked in LEFT:
                return "left"
            children = getattr(box, "children", ())
            box = children[0] if children else None
        return None

    def replace_numbers(self, numbers: dict[str, str]) -> None:
        """Print ``numbers`` (by the ``data-for`` of their element) into the laid-out pages, in
        place of the placeholder each ``::after`` of such an element shows: the contents' page
        numbers, learnt once the book is paginated. Each sits right-aligned in an absolutely
        positioned box of a fixed width (print.css): the number's line grows leftwards by as
        much as its text, and nothing else moves."""
        self.restore()
        for page in self.pages:
            for box in page.descendants(placeholders=True):
                element = getattr(box, "element", None)
                if (
                    element is None
                    or box.element_tag != "span"
                    or not box.is_absolutely_positioned()
                ):
                    continue
                number = numbers.get(str(element.get("data-for")))
                if number is None:
                    continue
                path = _path_to_text(box, "::after")
                if path is None:
                    raise AssertionError(f"no placeholder to print page {number} in")
                grown = set_text(path[-1], number, self.laid.context)
                line = path[1]
                for inner in path[1:]:  # the number's line, its ::after, the text
                    inner.width += grown
                line.translate(-grown)

    def add_blank_page(self) -> None:
        """A blank page after the last: the left-hand page a book leaves before a chapter that
        opens a right-hand page, made as WeasyPrint makes it (``:blank``, with its own margin
        boxes) when the break is inside one document."""
        laid = self.laid
        add_blank_page(self.html, laid.context, laid.root_box, laid.pages)

    def restore(self) -> None:
        """Back to the pages as paginated, after a ``finish``: a part kept in memory (``invoke
        watch``) is finished again with new numbers instead of laid out again, and must come
        out as it would from a new layout (``tests/test_pdf_parts.py``)."""
        if not self._finished:
            return
        count, made, states = self._as_paginated
        pages = self.pages
        del pages[count:]  # the blank page at the end
        forget_pages_after(self.laid.context, made)
        for page, state in zip(pages, states, strict=True):
            restore_page(page, state)
        self._finished = False

    def finish(self, first_page: int, total: int, blank_after: bool = False) -> Document:
        """Number the pages from ``first_page`` out of ``total``, put each page on its side
        (page 1 of a book is a right-hand page), make the margin boxes; the laid-out document.
        ``blank_after``: end with a blank page (the next part opens a right-hand page)."""
        self.restore()
        self._finished = True
        if blank_after:
            self.add_blank_page()
        return finish_pages(self.html, self.laid, self.font_config, first_page, total)


def paginate(html: HTML, font_config: Any, stylesheets: list[Any], **options: Any) -> Paginated:
    """Lay ``html`` out up to the margin boxes (see the module's docstring)."""
    return Paginated(html, paginate_pages(html, font_config, stylesheets, **options), font_config)


def _shallow_boxes(page: Any, depth: int = 6) -> Iterator[Any]:
    """The boxes of a page's top levels, where the sections and articles of a book are."""
    level = list(page.children[:1])
    for _ in range(depth):
        following = []
        for box in level:
            yield box
            following += [
                child for child in getattr(box, "children", ()) if child.is_in_normal_flow()
            ]
        level = following


def _path_to_text(box: Any, pseudo: str) -> list[Any] | None:
    """The boxes from ``box`` down to the text of its ``pseudo`` element (``::after``)."""
    if is_box(box, "TextBox"):
        return [box] if box.element_tag.endswith(pseudo) else None
    for child in getattr(box, "children", ()):
        if not is_box(child, "Box"):  # an absolutely positioned box's placeholder
            continue
        found = _path_to_text(child, pseudo)
        if found is not None:
            return [box, *found]
    return None
