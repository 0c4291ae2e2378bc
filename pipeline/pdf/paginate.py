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

This leans on WeasyPrint 70's internals (``weasyprint.layout.layout_document``'s loop, the page
maker's counter states, ``make_page``, the boxes of a text): ``pyproject.toml`` pins WeasyPrint
below 71, and ``tests/test_pdf_parts.py`` checks the numbers, sides, headers and contents
against a book laid out at once.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weasyprint import HTML, Document

_pausing: contextvars.ContextVar[bool] = contextvars.ContextVar("pausing", default=False)

# Page-side breaks, as WeasyPrint reads them (layout/page.py, remake_page).
RIGHT = ("right", "recto")
LEFT = ("left", "verso")


class _Paused(Exception):  # noqa: N818  (a signal, not an error)
    """Raised inside WeasyPrint's layout once every page is made, before any margin box."""

    def __init__(self, pages: list[Any]) -> None:
        super().__init__()
        self.pages = pages


@dataclass
class Paginated:
    """A document paginated, its margin boxes not yet made."""

    html: HTML
    context: Any  # weasyprint.layout.LayoutContext
    root_box: Any
    pages: list[Any]  # weasyprint.formatting_structure.boxes.PageBox
    options: dict[str, Any]
    font_config: Any
    color_profiles: dict[str, Any] = field(default_factory=dict)
    _as_paginated: tuple[Any, ...] = field(init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self._as_paginated = (
            len(self.pages),
            len(self.context.page_maker),
            [(p.children, p.children[0].children, p.page_type, p.style) for p in self.pages],
        )

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
        from weasyprint.text.line_break import split_first_line

        self._restore()
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
                text = path[-1]
                layout, _, _, width, _, _ = split_first_line(
                    number, text.style, self.context, None, 0
                )
                grown = width - text.width
                text.text, text.pango_layout = number, layout
                line = path[1]
                for inner in path[1:]:  # the number's line, its ::after, the text
                    inner.width += grown
                line.translate(-grown)

    def add_blank_page(self) -> None:
        """A blank page after the last: the left-hand page a book leaves before a chapter that
        opens a right-hand page, made as WeasyPrint makes it (``:blank``, with its own margin
        boxes) when the break is inside one document."""
        from weasyprint.layout.page import PageType, make_page, set_page_type_computed_styles

        context, index = self.context, len(self.pages)
        _, next_page, right_page, state, remake = context.page_maker[index]
        page_type = PageType("right" if right_page else "left", True, "", index, ())
        set_page_type_computed_styles(page_type, self.html, context.style_for)
        state = copy.deepcopy(state)
        page, _, _ = make_page(context, self.root_box, page_type, None, index + 1, state)
        context.page_maker.append((None, next_page, not right_page, state, dict(remake)))
        self.pages.append(page)

    def _restore(self) -> None:
        """Back to the pages as paginated, after a ``finish``: a part kept in memory (``invoke
        watch``) is finished again with new numbers instead of laid out again, and must come
        out as it would from a new layout (``tests/test_pdf_parts.py``)."""
        if not self._finished:
            return
        count, made, states = self._as_paginated
        pages = self.pages
        del pages[count:], self.context.page_maker[made:]  # the blank page at the end
        for page, (children, root_children, page_type, style) in zip(pages, states, strict=True):
            page.children, page.children[0].children = children, root_children
            page.page_type, page.style = page_type, style
            # the PDF annotations the last writing left on the links' boxes
            for box in page.descendants(placeholders=True):
                if "link_annotation" in box.__dict__:
                    del box.link_annotation
        self._finished = False

    def finish(self, first_page: int, total: int, blank_after: bool = False) -> Document:
        """Number the pages from ``first_page`` out of ``total``, put each page on its side
        (page 1 of a book is a right-hand page), make the margin boxes; the laid-out document.
        ``blank_after``: end with a blank page (the next part opens a right-hand page)."""
        from weasyprint.document import Document, DocumentMetadata, Page
        from weasyprint.html import get_html_metadata
        from weasyprint.layout import layout_fixed_boxes, make_margin_boxes
        from weasyprint.layout.background import layout_backgrounds
        from weasyprint.layout.page import set_page_type_computed_styles

        self._restore()
        self._finished = True
        if blank_after:
            self.add_blank_page()
        context, pages = self.context, self.pages
        for index, page in enumerate(pages):
            number = first_page + index
            values = context.page_maker[index + 1][3][1]  # the counters after this page
            values["page"] = [number]
            values["pages"] = [total]
            side = "right" if number % 2 else "left"
            if page.page_type.side != side:  # the part started on the other side
                page_type = page.page_type._replace(side=side)
                set_page_type_computed_styles(page_type, self.html, context.style_for)
                style = context.style_for(page_type)
                style["overflow"] = page.style["overflow"]
                page.page_type, page.style = page_type, style
        # What weasyprint.layout.layout_document does once pagination is over.
        for index, page in enumerate(pages):
            root, footnote_area, note_area = page.children
            children = [
                *layout_fixed_boxes(context, pages[:index], page),
                *root.children,
                *layout_fixed_boxes(context, pages[index + 1 :], page),
            ]
            root.children = children
            context.current_page = index + 1
            state = context.page_maker[context.current_page][3]
            made = [root]
            if footnote_area.children:
                made.append(footnote_area)
            if note_area.children:
                made.append(note_area)
            made.extend(make_margin_boxes(context, page, state))
            page.children = tuple(made)
            layout_backgrounds(page, context.get_image_from_uri)
        document = Document(
            [Page(page) for page in pages],
            DocumentMetadata(**get_html_metadata(self.html)),
            self.html.url_fetcher,
            self.font_config,
            self.color_profiles,
            self.options["output_intent"],
        )
        document._html = self.html
        return document


def paginate(html: HTML, font_config: Any, stylesheets: list[Any], **options: Any) -> Paginated:
    """Lay ``html`` out up to the margin boxes (see the module's docstring)."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.layout import layout_document
    from weasyprint.pdf import VARIANTS

    _install()
    settings = {**DEFAULT_OPTIONS, "stylesheets": stylesheets, **options}
    if variant := settings["pdf_variant"]:  # as Document._render does
        for key, value in VARIANTS[variant][1].items():
            if settings.get(key) is None:
                settings[key] = value
    color_profiles: dict[str, Any] = {}
    counter_style = CounterStyle()
    context = Document._build_layout_context(
        html, font_config, counter_style, color_profiles, settings
    )
    root_box = build_formatting_structure(
        html.etree_element,
        context.style_for,
        context.get_image_from_uri,
        html.base_url,
        context.target_collector,
        counter_style,
        context.footnotes,
    )
    token = _pausing.set(True)
    try:
        for _ in layout_document(html, root_box, context):
            raise AssertionError("WeasyPrint made a margin box before the pause")
    except _Paused as paused:
        return Paginated(
            html, context, root_box, paused.pages, settings, font_config, color_profiles
        )
    finally:
        _pausing.reset(token)
    raise AssertionError("WeasyPrint's layout ended without pausing")  # pragma: no cover


def _install() -> None:
    """Wrap the two functions of ``weasyprint.layout`` the pause needs (once per process)."""
    from weasyprint import layout

    keep_stylesheets()
    if getattr(layout.layout_fixed_boxes, "pauses", False):
        return
    make_all_pages, layout_fixed_boxes = layout.make_all_pages, layout.layout_fixed_boxes

    def made_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
        made = []
        for page in make_all_pages(context, root_box, html, pages):
            made.append(page)
            yield page
        context.made_pages = made  # the last pass of the repagination loop

    def fixed_boxes(context: Any, pages: list[Any], page: Any) -> Iterator[Any]:
        # The first call of layout_document's margin-box loop, before it changes anything.
        if _pausing.get():
            raise _Paused(context.made_pages)
        return layout_fixed_boxes(context, pages, page)  # type: ignore[no-any-return]

    fixed_boxes.pauses = True  # type: ignore[attr-defined]
    layout.make_all_pages = made_pages
    layout.layout_fixed_boxes = fixed_boxes


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


# ---------- stylesheets parsed once per process ----------

_sheets: dict[tuple[str, tuple[tuple[str, int, int], ...]], Any] = {}


def keep_stylesheets() -> None:
    """Parse each linked stylesheet once per process, not once per document: a book laid out
    in parts is dozens of documents with the same print.css (its parsing was a third of a
    day's layout). A sheet is parsed again when a file of its folder changes (``invoke
    watch``). WeasyPrint gathers the page rules of a document's sheets in one list: the kept
    sheet adds its own."""
    from weasyprint import css

    if getattr(css.CSS, "kept", False):
        return
    parse = css.CSS

    def stylesheet(*args: Any, url: str | None = None, **options: Any) -> Any:
        path = _local_path(url)
        if path is None or args or options.get("matcher") is not None:
            # an @import adds its rules to the importing sheet's matcher: that sheet is kept
            return parse(*args, url=url, **options)
        key = (str(url), _folder_state(path.parent))
        found = _sheets.get(key)
        if found is None:
            found = parse(url=url, **{**options, "page_rules": [], "layers": []})
            if len(_sheets) > 32:
                _sheets.clear()
            _sheets[key] = found
        if options.get("page_rules") is not None:
            options["page_rules"].extend(found.page_rules)
        for layer in found.layers:
            if options.get("layers") is not None and layer not in options["layers"]:
                options["layers"].append(layer)
        return found

    stylesheet.kept = True  # type: ignore[attr-defined]
    css.CSS = stylesheet


def _local_path(url: str | None) -> Path | None:
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    if not url or not url.startswith("file:"):
        return None
    return Path(url2pathname(unquote(urlsplit(url).path)))


def _folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    states = []
    for path in sorted(folder.glob("*.css")):
        stat = path.stat()
        states.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(states)


def _path_to_text(box: Any, pseudo: str) -> list[Any] | None:
    """The boxes from ``box`` down to the text of its ``pseudo`` element (``::after``)."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return [box] if box.element_tag.endswith(pseudo) else None
    for child in getattr(box, "children", ()):
        if not isinstance(child, boxes.Box):  # an absolutely positioned box's placeholder
            continue
        found = _path_to_text(child, pseudo)
        if found is not None:
            return [box, *found]
    return None
