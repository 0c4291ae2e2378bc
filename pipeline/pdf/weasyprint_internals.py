"""The one seam between this project and WeasyPrint's internals (and the libraries it loads).

Everything the PDF stage does to or with WeasyPrint beyond its public API (``HTML``, ``CSS``,
``Document.write_pdf``, ``urls.URLFetcher``) is here, and nowhere else:

- **replacements**, installed once by :func:`install` (the PDF process calls it before it lays
  anything out; importing this module changes nothing): ``layout.make_all_pages`` and
  ``layout.layout_fixed_boxes`` (pause a layout between pagination and margin boxes),
  ``css.CSS`` (each linked stylesheet parsed once per process), ``inline.justify_line`` (no
  loose justified lines), ``split_first_line`` in ``layout.inline`` and ``layout.preferred``
  (a line of text measured once), ``pydyf.Stream.data`` (zlib's default level, not 9),
  ``pdf.tags._build_box_tree`` (record where each structure element
  comes from), ``pdf.resolve_links`` and ``pdf.build_fonts_dictionary`` (a part of a book keeps
  its links to the other parts, and leaves the book's fonts to the merge). Each is a module
  global WeasyPrint calls itself through; outside the contexts below, each does what WeasyPrint
  does;
- **patches of other libraries while WeasyPrint imports**: ``ctypes.util.find_library``
  switched off, stand-in ``sys.modules`` entries for the fontTools modules it rarely uses;
- **private names and shapes**: an ``HTML`` made from a parsed tree (:func:`html_from_tree`,
  the attributes ``HTML.__init__`` sets), ``Document._build_layout_context``, ``document._html``,
  ``page._page_box``, ``config._config``, ``AbsolutePlaceholder._box``, the tuples of
  ``context.page_maker`` and of ``split_first_line`` read by position, the box classes of
  ``formatting_structure.boxes``;
- **copied code**: the end of ``layout.layout_document`` (:func:`finish_pages`) and
  ``pdf.anchors.resolve_links`` (in the replacement of ``pdf.resolve_links``). What WeasyPrint
  and pydyf write, matched byte for byte or written again, is in ``weasyprint_format``.

:func:`install` checks that the installed WeasyPrint and pydyf are the versions this was written
for (``SUPPORTED``) and stops with a message, not a traceback, otherwise.
``tests/test_weasyprint_seam.py`` checks every name used here and its parameters, so that an
upgrade fails one test that says what moved.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib
import io
import os
import re
import sys
import types
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline.errors import ContentError
from pipeline.pdf.weasyprint_format import FontUse

if TYPE_CHECKING:
    from weasyprint import HTML, Document

# The versions this seam was written for and checked against: [lowest, highest) by release.
SUPPORTED = {"weasyprint": ((70, 0), (71,)), "pydyf": ((0, 13), (0, 14))}

# A justified line whose spaces would each grow by more than this (em) is set flush left: with
# a space of about a quarter em (Noto Serif CJK KR: 0.256 em), a gap stays under an em.
MAX_STRETCH = 0.6

_installed = False
_pausing: ContextVar[bool] = ContextVar("pausing", default=False)
_foreign: ContextVar[frozenset[str] | None] = ContextVar("foreign_anchors", default=None)
_sources: ContextVar[dict[str, Path] | None] = ContextVar("font_sources", default=None)
_used: ContextVar[dict[str, FontUse] | None] = ContextVar("font_uses", default=None)
_marking: ContextVar[Callable[[dict[str, Any], Any], None] | None] = ContextVar(
    "mark_structure_element", default=None
)


def install() -> None:
    """Import WeasyPrint, check its version and pydyf's, and install every replacement (once
    per process). Call it before starting threads: the import swaps ``find_library``."""
    global _installed
    if _installed:
        return
    _import_weasyprint()
    check_versions()
    _pause_layouts()
    _keep_stylesheets()
    _share_computed_styles()
    _limit_justification()
    _remember_lines()
    _compress_streams_faster()
    _record_structure_elements()
    _write_parts()
    _installed = True


def check_versions() -> None:
    """Stop, with a message, where WeasyPrint or pydyf is outside ``SUPPORTED``."""
    import pydyf
    import weasyprint

    for module in (weasyprint, pydyf):
        name, found = module.__name__, str(module.__version__)
        low, high = SUPPORTED[name]
        if not low <= _release(found) < high:
            wanted = f">={'.'.join(map(str, low))},<{'.'.join(map(str, high))}"
            raise ContentError(
                "pyproject.toml",
                None,
                f"{name} {found} is installed; the PDF stage is written for {name}{wanted} "
                "(pipeline/pdf/weasyprint_internals.py and weasyprint_format.py rely on its "
                "internals)",
                f"run ./bootstrap to install the pinned versions, or port the seam and extend "
                f"SUPPORTED once tests/test_weasyprint_seam.py passes with {name} {found}",
            )


def _release(version: str) -> tuple[int, ...]:
    numbers = []
    for piece in version.split("."):
        digits = "".join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


# ---------- the import: no library search, fontTools on first use ----------


def _import_weasyprint() -> None:
    """Import WeasyPrint (0.3 s) without ctypes' library search and without the fontTools
    modules it rarely uses.

    WeasyPrint tries several names for each C library, the Linux soname among them; on Linux
    each name that does not load makes ``ctypes.util.find_library`` run ldconfig, gcc and ld:
    54 processes and 0.2 s on a machine with a compiler. The sonames load directly, so the
    search is switched off for the import, and used only if the libraries are not found
    without it.
    """
    if "weasyprint" in sys.modules:
        return
    import pikepdf  # noqa: F401  (pdf.tags repairs the tagged PDF with it: 30 ms, in advance too)

    with _deferred_font_tools():
        if sys.platform == "linux":
            import ctypes.util

            loaded = set(sys.modules)
            search = ctypes.util.find_library
            ctypes.util.find_library = lambda name: None
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # its "could not import" notice
                    import weasyprint  # noqa: F401
                return
            except OSError:  # a library is not there by its soname: import again, with search
                for name in set(sys.modules) - loaded:
                    if name == "weasyprint" or name.startswith("weasyprint."):
                        del sys.modules[name]  # the half-imported package must not be reused
            finally:
                ctypes.util.find_library = search
        import weasyprint  # noqa: F401, F811


class _OnFirstUse(types.ModuleType):
    """Stands for a module until one of its names is used, then imports it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self.__name__), name)


@contextlib.contextmanager
def _deferred_font_tools() -> Iterator[None]:
    """WeasyPrint imports fontTools' subsetter (used only without libharfbuzz-subset) and its
    variable-font instancer (used only for a variable font) as it starts: 70 ms of the PDF
    process's start, before a page is laid out. While it imports, each is a stand-in that
    imports the real module when WeasyPrint first uses it."""
    instancer = types.ModuleType("fontTools.varLib.instancer")

    def instantiate_variable_font(*args: Any, **options: Any) -> Any:
        from fontTools.varLib.instancer import instantiateVariableFont

        return instantiateVariableFont(*args, **options)

    instancer.instantiateVariableFont = instantiate_variable_font  # type: ignore[attr-defined]
    stand_ins = {"fontTools.subset": _OnFirstUse("fontTools.subset"), instancer.__name__: instancer}
    stand_ins = {name: module for name, module in stand_ins.items() if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:  # the real module is imported from now on
                del sys.modules[name]


# ---------- fonts ----------


def font_configuration(files: tuple[Path, ...]) -> tuple[Any, list[Path]]:
    """WeasyPrint's fontconfig set-up with ``files`` added, as its own ``@font-face`` support
    adds a font (through its private ``_config``), and the files fontconfig could not read."""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    unread = [
        path
        for path in files
        if not fontconfig.FcConfigAppFontAddFile(config._config, os.fsencode(path))
    ]
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
    return config, unread


# ---------- paginating, then finishing the pages with the numbers of a whole book ----------


class _Paused(Exception):  # noqa: N818  (a signal, not an error)
    """Raised inside WeasyPrint's layout once every page is made, before any margin box."""

    def __init__(self, pages: list[Any]) -> None:
        super().__init__()
        self.pages = pages


class PausedLayout(NamedTuple):
    """A document paginated, its margin boxes not yet made."""

    context: Any  # weasyprint.layout.LayoutContext
    root_box: Any
    pages: list[Any]  # weasyprint.formatting_structure.boxes.PageBox
    options: dict[str, Any]
    color_profiles: dict[str, Any]


def paginate_pages(
    html: HTML, font_config: Any, stylesheets: list[Any], **options: Any
) -> PausedLayout:
    """Lay ``html`` out up to the margin boxes: what ``Document._render`` does, stopped inside
    ``layout_document`` when the pages are made."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.layout import layout_document
    from weasyprint.pdf import VARIANTS

    install()
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
        return PausedLayout(context, root_box, paused.pages, settings, color_profiles)
    finally:
        _pausing.reset(token)
    raise AssertionError("WeasyPrint's layout ended without pausing")  # pragma: no cover


def _pause_layouts() -> None:
    """Wrap the two functions of ``weasyprint.layout`` the pause needs."""
    from weasyprint import layout

    layout_fixed_boxes = layout.layout_fixed_boxes

    def made_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
        again = _again.get()
        if again is not None and again.first_pass:  # paginate_again: the pages laid out before
            context.page_maker = again.page_maker
            for index in again.changed:
                context.page_maker[index][-1]["content_changed"] = True
            pages = again.pages
        made = []
        for page in _make_all_pages(context, root_box, html, pages, again):
            made.append(page)
            yield page
        context.made_pages = made  # the last pass of the repagination loop

    def fixed_boxes(context: Any, pages: list[Any], containing_page: Any) -> Iterator[Any]:
        # The first call of layout_document's margin-box loop, before it changes anything.
        if _pausing.get():
            raise _Paused(context.made_pages)
        return layout_fixed_boxes(context, pages, containing_page)  # type: ignore[no-any-return]

    layout.make_all_pages = made_pages
    layout.layout_fixed_boxes = fixed_boxes


def _make_all_pages(
    context: Any, root_box: Any, html: Any, pages: list[Any], again: _Again | None
) -> Iterator[Any]:
    """``weasyprint.layout.page.make_all_pages`` (copied), which lays out again only the pages
    whose content or starting state changed, and reuses the others; also noting, for each
    page, whether it carries footnotes (or out-of-flow boxes) over to the next
    (``context.carried``). With :func:`paginate_again` (``again``): a page after one laid out
    again is laid out again too if either carries something over; a page laid out again after
    a page reused that carried something over makes the layout unsafe."""
    from weasyprint.layout.page import remake_page

    carried: list[bool] = context.__dict__.setdefault("carried", [])
    i = 0
    reported_footnotes = None
    context.rendered_notes = []
    previous_remade = False
    while True:
        remake_state = context.page_maker[i][-1]
        if again is not None and i > 0 and previous_remade and i < len(pages):
            if carried[i - 1] or again.carried[i - 1]:
                remake_state["content_changed"] = True
        if len(pages) == 0 or remake_state["content_changed"] or remake_state["pages_wanted"]:
            if again is not None and i > 0 and not previous_remade and carried[i - 1]:
                again.unsafe = True  # its reported footnotes were not laid out in this pass
            remake_state["content_changed"] = False
            remake_state["pages_wanted"] = False
            remake_state["anchors"] = []
            remake_state["content_lookups"] = []
            page, resume_at = remake_page(i, context, root_box, html)
            reported_footnotes = context.reported_footnotes
            _note(carried, i, bool(reported_footnotes or context.broken_out_of_flow))
            previous_remade = True
            if again is not None:
                again.remade.add(i)
            yield page
        else:
            resume_at = context.page_maker[i + 1][0]
            reported_footnotes = None
            if again is not None and again.first_pass:
                _note(carried, i, again.carried[i])
            previous_remade = False
            yield pages[i]

        i += 1
        if resume_at is None and not reported_footnotes:
            context.page_maker = context.page_maker[: i + 1]
            context.broken_out_of_flow.clear()
            context.reported_footnotes.clear()
            del carried[i:]
            if again is not None:
                again.first_pass = False
                _contents_again(context, again)
            return


def _contents_again(context: Any, again: _Again) -> None:
    """Once a pass of :func:`paginate_again` has moved an anchor to another page: the
    contents' page numbers made again, and their pages laid out again in the next pass.

    In a new layout, the contents get their numbers when their page is laid out in the second
    pass (``make_page`` makes a box's content again when its page's counters changed since the
    first, ``pages`` among them), once every anchor has been laid out. Laid out again from
    kept pages, their page's counters have not changed, and its boxes may be kept ones."""
    if again.contents_again or anchor_pages(context) == again.anchors:
        return
    again.contents_again = True
    pages = set(again.lookup_pages)
    for (_, token), item in context.target_collector.counter_lookup_items.items():
        if token == "content" and item.missing_target_counters:
            item.parse_again(item.cached_page_counter_values)
            if item.page_maker_index is not None:
                pages.add(item.page_maker_index)
    for index in pages:
        if index < len(context.page_maker) - 1:
            context.page_maker[index][-1]["content_changed"] = True


def _note(carried: list[bool], index: int, value: bool) -> None:
    if index < len(carried):
        carried[index] = value
    else:
        carried.append(value)


class _Again:
    """What :func:`paginate_again` hands to the page loop, and what the loop tells back."""

    def __init__(self, old: Any, pages: list[Any], changed: set[int]) -> None:
        self.page_maker = copy.deepcopy(old.page_maker)
        self.pages = pages
        self.changed = changed
        self.carried = list(old.carried)
        self.anchors = anchor_pages(old)  # where each anchor was
        self.lookup_pages = {  # the pages that showed where anchors are (the contents)
            index
            for index, (*_, remake_state) in enumerate(old.page_maker)
            if remake_state.get("content_lookups")
        }
        for *_, remake_state in self.page_maker:
            # the ids of the lookups of the old layout's boxes: another object may have taken
            # one since, and make_page would take that lookup for one already placed; marked
            # as old, they still tell which pages hold lookups (the next relayout's contents)
            remake_state["content_lookups"] = [
                ("kept", lookup) for lookup in remake_state["content_lookups"]
            ]
        self.first_pass = True
        self.contents_again = False
        self.remade: set[int] = set()
        self.unsafe = False


_again: ContextVar[_Again | None] = ContextVar("paginating_again", default=None)


def paginate_again(
    html: HTML, laid: PausedLayout, changed: set[int]
) -> tuple[PausedLayout, set[int]] | None:
    """``html`` paginated again after an edit of its text: ``laid`` is its layout before the
    edit, as paginated (its margin boxes not made), and ``html`` the same tree, only texts
    changed in it since (the same elements, attributes and children: the styles computed for
    it still hold). The pages of ``changed`` (indices) are laid out again, and each page after
    them until one starts as it did before (the same place in the content, the same counters
    and page state); the others are ``laid``'s own page boxes. Returns the new layout and the
    pages laid out again, or None where this cannot be done safely (footnotes carried over
    from a page reused into one laid out again)."""
    from weasyprint.css.targets import TargetCollector
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.layout import LayoutContext, layout_document

    install()
    old = laid.context
    collector = TargetCollector()
    for name, item in old.target_collector.target_lookup_items.items():
        collector.collect_anchor(name)  # as the cascade collects them
        # where each anchor was: the contents laid out again show the same page numbers (an
        # anchor that moves makes them again: _contents_again)
        seeded = collector.target_lookup_items[name]
        seeded.cached_page_counter_values = copy.deepcopy(item.cached_page_counter_values)
        seeded.page_maker_index = item.page_maker_index
    bound = old.get_image_from_uri  # a partial, with the old context among its keywords
    keywords = {key: value for key, value in bound.keywords.items() if key != "context"}
    image_getter = functools.partial(bound.func, *bound.args, **keywords)  # and its cache
    context = LayoutContext(
        old.style_for, image_getter, old.font_config, old.counter_style, collector
    )
    root_box = build_formatting_structure(
        html.etree_element,
        context.style_for,
        context.get_image_from_uri,
        html.base_url,
        collector,
        context.counter_style,
        context.footnotes,
    )
    again = _Again(old, list(laid.pages), changed)
    tokens = (_pausing.set(True), _again.set(again))
    try:
        for _ in layout_document(html, root_box, context):
            raise AssertionError("WeasyPrint made a margin box before the pause")
    except _Paused as paused:
        if again.unsafe:
            return None
        paged = PausedLayout(context, root_box, paused.pages, laid.options, laid.color_profiles)
        return paged, again.remade
    finally:
        _pausing.reset(tokens[0])
        _again.reset(tokens[1])
    raise AssertionError("WeasyPrint's layout ended without pausing")  # pragma: no cover


def pages_showing(pages: list[Any], elements: set[int]) -> set[int]:
    """The indices of the page boxes that show part of one of ``elements`` (by ``id()``):
    a box made for it, or a text of it."""
    return {
        index
        for index, page in enumerate(pages)
        if any(
            id(getattr(box, "element", None)) in elements
            for box in page.descendants(placeholders=True)
        )
    }


def anchor_pages(context: Any) -> dict[str, int]:
    """The page (index) each anchor of a paginated layout is on."""
    found: dict[str, int] = {}
    for index, (*_, remake_state) in enumerate(context.page_maker):
        for anchor in remake_state.get("anchors", ()):
            found.setdefault(anchor, index)
    return found


def made_page_count(context: Any) -> int:
    """How many entries the layout's page maker holds (one more than the pages made)."""
    return len(context.page_maker)


def forget_pages_after(context: Any, count: int) -> None:
    """Drop the page maker's entries after the first ``count`` (a blank page added)."""
    del context.page_maker[count:]


def add_blank_page(html: HTML, context: Any, root_box: Any, pages: list[Any]) -> None:
    """A blank page after ``pages``, made as WeasyPrint makes one (``:blank``, with its own
    margin boxes) when a page-side break is inside one document."""
    from weasyprint.layout.page import PageType, make_page, set_page_type_computed_styles

    index = len(pages)
    _, next_page, right_page, state, remake = context.page_maker[index]
    page_type = PageType("right" if right_page else "left", True, "", index, ())
    set_page_type_computed_styles(page_type, html, context.style_for)
    state = copy.deepcopy(state)
    page, _, _ = make_page(context, root_box, page_type, None, index + 1, state)
    context.page_maker.append((None, next_page, not right_page, state, dict(remake)))
    pages.append(page)


def page_state(page: Any) -> tuple[Any, ...]:
    """What :func:`finish_pages` and writing change in a page box, to put it back with
    ``restore_page``: its children, type and style, and which sides of its boxes broken
    across lines or pages have no decoration (a ``Page`` made of the page box empties them:
    ``stacking`` copies each box with ``copy_with_children``, which resets the original's)."""
    undecorated = [
        (box, frozenset(box.remove_decoration_sides))
        for box in page.descendants(placeholders=True)
        if getattr(box, "remove_decoration_sides", None)
    ]
    return (page.children, page.children[0].children, page.page_type, page.style, undecorated)


def restore_page(page: Any, state: tuple[Any, ...]) -> None:
    """A page box as :func:`page_state` saw it, without the link annotations a writing left."""
    children, root_children, page_type, style, undecorated = state
    page.children, page.children[0].children = children, root_children
    page.page_type, page.style = page_type, style
    for box, sides in undecorated:
        box.remove_decoration_sides = set(sides)
    for box in page.descendants(placeholders=True):
        if "link_annotation" in box.__dict__:
            del box.link_annotation


def finish_pages(
    html: HTML,
    laid: PausedLayout,
    font_config: Any,
    first_page: int,
    total: int,
) -> Document:
    """Number the pages from ``first_page`` out of ``total``, put each on its side (an odd
    number is a right-hand page), make the margin boxes; the laid-out document. The end of
    ``weasyprint.layout.layout_document``, with the numbers of a whole book."""
    from weasyprint.document import Document, DocumentMetadata, Page
    from weasyprint.html import get_html_metadata
    from weasyprint.layout import layout_fixed_boxes, make_margin_boxes
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import set_page_type_computed_styles

    context, pages = laid.context, laid.pages
    for index, page in enumerate(pages):
        number = first_page + index
        values = context.page_maker[index + 1][3][1]  # the counters after this page
        values["page"] = [number]
        values["pages"] = [total]
        side = "right" if number % 2 else "left"
        if page.page_type.side != side:  # the part started on the other side
            page_type = page.page_type._replace(side=side)
            set_page_type_computed_styles(page_type, html, context.style_for)
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
        DocumentMetadata(**get_html_metadata(html)),
        html.url_fetcher,
        font_config,
        laid.color_profiles,
        laid.options["output_intent"],
    )
    document._html = html
    return document


def set_text(text_box: Any, text: str, context: Any) -> float:
    """Set ``text`` in a laid-out text box, on one line in its style; how much wider it grew."""
    from weasyprint.text.line_break import split_first_line

    layout, _, _, width, _, _ = split_first_line(text, text_box.style, context, None, 0)
    grown: float = width - text_box.width
    text_box.text, text_box.pango_layout = text, layout
    return grown


# ---------- documents ----------


def html_from_tree(tree: Any, base_url: str, url_fetcher: Any) -> HTML:
    """The ``weasyprint.HTML`` that ``HTML(string=..., base_url=..., url_fetcher=...)`` makes,
    from the document's tree already parsed (``pipeline.pdf.html_tree``: an ``xml.etree``
    ``<html>`` element, as tinyhtml5 builds it, with no ``<base>``): what ``HTML.__init__`` sets
    once tinyhtml5 has parsed (``tests/test_html_tree.py`` compares the two)."""
    import cssselect2
    from weasyprint import HTML

    document: HTML = HTML.__new__(HTML)
    document.base_url = base_url
    document.url_fetcher = url_fetcher
    document.media_type = "print"
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(tree, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document


def document_tree(html: HTML) -> Any:
    """The ``xml.etree`` root element of a ``weasyprint.HTML``."""
    return html.etree_element


# ---------- boxes ----------


def page_box(page: Any) -> Any:
    """The page box of one of ``Document.pages``."""
    return page._page_box


def document_page_boxes(document: Document) -> list[Any]:
    """The page boxes of a laid-out document."""
    return [page_box(page) for page in document.pages]


def placed_box(box: Any) -> Any:
    """The box an absolutely positioned box's placeholder stands for (else ``box``)."""
    from weasyprint.layout.absolute import AbsolutePlaceholder

    return box._box if isinstance(box, AbsolutePlaceholder) else box


# The classes of ``weasyprint.formatting_structure.boxes`` that :func:`is_box` is asked about.
BOX_CLASSES = (
    "Box",
    "ParentBox",
    "LineBox",
    "TextBox",
    "ReplacedBox",
    "InlineReplacedBox",
    "InlineBlockBox",
    "TableRowBox",
    "FootnoteAreaBox",
)


def is_box(box: Any, *classes: str) -> bool:
    """Whether ``box`` is of one of WeasyPrint's box ``classes`` (names of ``BOX_CLASSES``;
    an absolutely positioned box's placeholder is none of them)."""
    from weasyprint.formatting_structure import boxes

    return isinstance(box, tuple(getattr(boxes, name) for name in classes))


# ---------- stylesheets parsed once per process ----------

_sheets: dict[tuple[object, ...], Any] = {}


def parse_stylesheet(url: str, fetcher: Any) -> Any:
    """Parse the print stylesheet at ``url`` as a document links it (kept: see below)."""
    from weasyprint import css
    from weasyprint.css.counters import CounterStyle

    install()
    return css.CSS(
        url=url,
        url_fetcher=fetcher,
        media_type="print",
        counter_style=CounterStyle(),
        page_rules=[],
        layers=[],
    )


def _keep_stylesheets() -> None:
    """Parse each linked stylesheet once per process, not once per document: a book laid out
    in parts is dozens of documents with the same print.css (its parsing was a third of a
    day's layout). A sheet is parsed again when a file of its folder changes (``invoke
    watch``). WeasyPrint gathers the page rules of a document's sheets in one list: the kept
    sheet adds its own."""
    from weasyprint import css

    parse = css.CSS

    def stylesheet(*args: Any, url: str | None = None, **options: Any) -> Any:
        path = _local_path(url)
        text = options.get("string")
        if args or options.get("matcher") is not None:
            # an @import adds its rules to the importing sheet's matcher: that sheet is kept
            return parse(*args, url=url, **options)
        if path is not None:
            key: tuple[object, ...] = (str(url), _folder_state(path.parent))
        elif isinstance(text, str) and not _REGISTERS.search(text):
            # a document's own <style>: the same text in every part of a book, and so the same
            # rules, which lets the parts share their computed styles (_share_computed_styles)
            key = ("<style>", text, options.get("base_url"), options.get("media_type"))
        else:
            return parse(*args, url=url, **options)
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

    css.CSS = stylesheet


# Rules that add to the document's fonts, counter styles or colour profiles as they are parsed:
# a sheet with one is parsed for each document.
_REGISTERS = re.compile(r"@(font-face|counter-style|color-profile)", re.IGNORECASE)


def _local_path(url: str | None) -> Path | None:
    if not url or not url.startswith("file:"):
        return None
    return Path(url2pathname(unquote(urlsplit(url).path)))


def _folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    states = []
    for path in sorted(folder.glob("*.css")):
        stat = path.stat()
        states.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(states)


# ---------- computed styles shared by the documents of one font configuration ----------


class _SharedStyles:
    """The computed styles of one font configuration (kept alive, with each style: no ``id``
    used below is reused while they are kept)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.families: dict[tuple[object, ...], int] = {}  # what a style's children inherit
        self.styles: dict[tuple[int, object], Any] = {}  # by family and anchor
        self.family_of: dict[int, int] = {}  # id(style) -> family
        self.own: list[Any] = []  # the styles of each document's own (kept alive: their ids)


# The root element and the body: WeasyPrint propagates their ``overflow`` to the page and sets
# theirs to ``visible`` in their computed style, so each document keeps its own.
# (Pages keep theirs too: the propagated ``overflow`` is written into the page's style.)
OWN_STYLES = ("html", "body")


_shared: list[_SharedStyles] = []  # the last font configuration's
MAX_SHARED_STYLES = 50_000


def _share_computed_styles() -> None:
    """Compute each distinct style once per font configuration, not once per document.

    WeasyPrint computes a style's properties when they are first read, and shares a computed
    style between the elements of one document that have the same parent style and the same
    rules: computing them was a fifth of a day's layout, done again for each of a book's
    parts and for each layout of the fitting. A computed style depends on nothing but its
    parent style, its cascaded declarations (objects of the parsed sheets, kept per process:
    ``_keep_stylesheets``, or values such as an element's ``lang``), its pseudo-element, the
    base URL and the font configuration; the styles of elements with the same of these are the
    same object in every document laid out with that configuration (a build's: its cut fonts).
    An element's anchor (its ``id``) is its own and not inherited: elements that differ only
    in it have styles of their own, and their children share theirs; so do the root and the
    body (``OWN_STYLES``).

    A page's margin boxes are keyed the same way (a page type is the element, the declarations
    of the ``@page`` rules it matches are its cascade). WeasyPrint makes a page type per page,
    and computed each margin box's style anew for every page, resolving its variables again: a
    third of numbering and finishing a part. The page's own style is its own, as the root's
    is: WeasyPrint writes the viewport's ``overflow`` (the root's or the body's) into it."""
    from weasyprint.css import StyleFor

    original = StyleFor.set_computed_styles

    def set_computed_styles(
        self: Any,
        element: Any,
        parent: Any,
        root: Any = None,
        pseudo_type: str | None = None,
        base_url: str | None = None,
        target_collector: Any = None,
    ) -> None:
        if not _shared or _shared[0].config is not self.font_config:
            _shared[:] = [_SharedStyles(self.font_config)]
        shared = _shared[0]
        computed = self.get_computed_styles()
        cascaded = self.get_cascaded_styles().get((element, pseudo_type), {})
        if parent is None:
            inherited: object = None
        else:
            parent_style = computed[parent, None]
            inherited = shared.family_of.get(id(parent_style), ("style", id(parent_style)))
        declared = []
        for name, (value, weight) in cascaded.items():
            if name == "anchor":
                continue
            try:
                hash(weight)
            except TypeError:  # a page rule's specificity is a list, of the parsed sheets
                weight = tuple(_same(part) for part in weight)
            declared.append((name, _same(value), weight))
        family_key = (inherited, pseudo_type, base_url, tuple(declared))
        family = shared.families.setdefault(family_key, len(shared.families))
        own = not hasattr(element, "tag") or element.tag in OWN_STYLES
        if own and pseudo_type is None:
            original(self, element, parent, root, pseudo_type, base_url, target_collector)
            style = computed[element, pseudo_type]
            shared.own.append(style)
            shared.family_of[id(style)] = family  # its children are shared all the same
            return
        anchor = cascaded.get("anchor")
        key = (family, None if anchor is None else _same(anchor[0]))
        found = shared.styles.get(key)
        if found is None:
            original(self, element, parent, root, pseudo_type, base_url, target_collector)
            if len(shared.styles) + len(shared.own) >= MAX_SHARED_STYLES:
                _shared.clear()
                return
            # the style keeps its parent and its cascaded values (the key's ids) alive
            style = shared.styles[key] = computed[element, pseudo_type]
            shared.family_of[id(style)] = family
            return
        computed[element, pseudo_type] = found
        if target_collector and found["anchor"]:
            target_collector.collect_anchor(found["anchor"])

    StyleFor.set_computed_styles = set_computed_styles


def _same(value: Any) -> object:
    """What tells a declared value from another: itself where it compares by value (the
    ``lang`` and ``id`` each document's elements declare), else the parsed object (kept)."""
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


# ---------- justified lines never open gaps of more than about an em ----------


def _limit_justification() -> None:
    """WeasyPrint justifies a line by widening its spaces only, however far they must grow;
    a line whose spaces would each grow by more than ``MAX_STRETCH`` em is set flush left
    instead, as the last line of a paragraph is (``pipeline.pdf.linebreak``: Korean keeps its
    words whole, so a line before a long word was spread into gaps of one to twenty ems).
    Line breaking is untouched: no page changes."""
    from weasyprint.layout import inline

    original = inline.justify_line

    def justify_line(context: Any, line: Any, extra_width: float) -> None:
        spaces = inline.count_expandable_spaces(line)
        if spaces and extra_width / spaces > MAX_STRETCH * line.style["font_size"]:
            return  # flush left: the line keeps its natural spaces
        original(context, line, extra_width)

    inline.justify_line = justify_line  # line_offset() calls it through this global


# ---------- a line of text measured once, not once per layout ----------

# What ``text.line_break.split_first_line`` reads of a style (with ``Layout.setup``, ``set_text``
# and ``text.fonts.get_font_description``): not the line height, which only the strut reads.
LINE_STYLE = (
    "direction",
    "font_family",
    "font_feature_settings",
    "font_kerning",
    "font_language_override",
    "font_size",
    "font_stretch",
    "font_style",
    "font_variant_alternates",
    "font_variant_caps",
    "font_variant_east_asian",
    "font_variant_ligatures",
    "font_variant_numeric",
    "font_variant_position",
    "font_variation_settings",
    "font_weight",
    "hyphenate_character",
    "hyphenate_limit_chars",
    "hyphenate_limit_zone",
    "hyphens",
    "lang",
    "letter_spacing",
    "overflow_wrap",
    "tab_size",
    "text_decoration_line",
    "white_space",
    "word_break",
    "word_spacing",
)
MAX_LINE_TEXT = 20_000_000  # characters of the texts asked about (each key holds the rest of
# its paragraph: a long paragraph's lines hold it again and again)


def _remember_lines() -> None:
    """Split each line of text once per font configuration.

    WeasyPrint asks Pango where a text's first line ends (``split_first_line``) each time it
    lays the text out: a fifth of a day's layout. The fitting lays a chapter out again with
    other spacing but the same widths, a book's parts repeat their headings, the running
    headers repeat on every page, and preferred widths ask again what a line holds: the same
    question, the same answer. The answer depends on the text, the width and the style's
    font, language, spacing and wrapping (``LINE_STYLE``), within one font configuration (a
    build's cut fonts). Each caller gets its own copy of the answer's layout, which drawing
    makes active again with the box's style; the cache is emptied when its texts grow past
    ``MAX_LINE_TEXT`` characters."""
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    original = line_break.split_first_line
    answers: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    answered_for: list[Any] = [None]  # the font configuration the answers hold for
    held = [0]  # characters of text the keys hold

    def split_first_line(
        text: str,
        style: Any,
        context: Any,
        max_width: float | None,
        justification_spacing: float,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> tuple[Any, ...]:
        ask = (text, style, context, max_width, justification_spacing, is_line_start, minimum)
        key = (text, max_width, justification_spacing, is_line_start, minimum)
        key += tuple(style[name] for name in LINE_STYLE)
        if style.font_config is not answered_for[0] or held[0] > MAX_LINE_TEXT:
            answers.clear()
            answered_for[0] = style.font_config
            held[0] = 0
        try:
            found = answers.get(key)
        except TypeError:  # a value that cannot be a key: asked every time
            return original(*ask)  # type: ignore[no-any-return]
        if found is None:
            found = answers[key] = original(*ask)
            held[0] += len(text)
        layout, *rest = found
        return (copy.copy(layout), *rest)

    inline.split_first_line = split_first_line  # split_text_box calls it through this global
    preferred.split_first_line = split_first_line


# ---------- streams compressed at zlib's default level ----------

STREAM_LEVEL = 6  # zlib's default


def _compress_streams_faster() -> None:
    """pydyf compresses every stream (pages, fonts, the structure) at zlib's level 9: the
    one-day report's 1.6 MB of streams took 0.117 s, a twentieth of its build and of an edit
    under ``invoke watch``. At the default level they take 0.031 s, and the PDF is 0.1 %
    larger (363,104 -> 363,498 bytes). ``Stream.data``, as pydyf 0.13 writes it, but for the
    level."""
    import zlib

    import pydyf

    def data(self: Any) -> bytes:
        stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
        extra = pydyf.Dictionary(self.extra.copy())
        if self.compress:
            extra["Filter"] = "/FlateDecode"
            compressor = zlib.compressobj(level=STREAM_LEVEL)
            stream = compressor.compress(stream)
            stream += compressor.flush()
        extra["Length"] = len(stream)
        return b"\n".join((extra.data, b"stream", stream, b"endstream"))

    pydyf.Stream.data = property(data)


# ---------- the tagged PDF: where each structure element comes from ----------


@contextlib.contextmanager
def marking_structure_elements(mark: Callable[[dict[str, Any], Any], None]) -> Iterator[None]:
    """While a PDF is written, call ``mark(element, box)`` for each structure element
    WeasyPrint makes (a dictionary it writes into the PDF) and the box it made it from."""
    install()
    token = _marking.set(mark)
    try:
        yield
    finally:
        _marking.reset(token)


def _record_structure_elements() -> None:
    from weasyprint.pdf import tags

    original = tags._build_box_tree

    def build_box_tree(box: Any, *args: Any) -> Iterator[Any]:
        mark = _marking.get()
        for element in original(box, *args):
            if mark is not None:
                mark(element, box)
            yield element

    tags._build_box_tree = build_box_tree  # the module calls itself through this global


# ---------- a part of a book: its links to the others, the book's fonts left to the merge ----


@contextlib.contextmanager
def writing_part(foreign: frozenset[str], sources: dict[str, Path]) -> Iterator[dict[str, FontUse]]:
    """While a part of a book is written: its links to ``foreign`` anchors (in the book's other
    parts) are kept, and the fonts of ``sources`` (by digest) are not embedded; what the part
    set in each of them is gathered in the dictionary yielded (by WeasyPrint's font hash)."""
    install()
    used: dict[str, FontUse] = {}
    tokens = (_foreign.set(foreign), _sources.set(sources), _used.set(used))
    try:
        yield used
    finally:
        _used.reset(tokens[2])
        _sources.reset(tokens[1])
        _foreign.reset(tokens[0])


def _write_parts() -> None:
    """Wrap WeasyPrint's link resolution and font embedding."""
    from weasyprint import pdf

    resolve_links, build_fonts = pdf.resolve_links, pdf.build_fonts_dictionary

    def resolve(pages: list[Any]) -> Iterator[Any]:
        foreign = _foreign.get()
        if foreign is None:
            yield from resolve_links(pages)
            return
        # weasyprint.pdf.anchors.resolve_links, keeping links to the book's other parts
        seen: set[str] = set()
        paged: list[list[tuple[str, float, float]]] = []
        for page in pages:
            paged.append([])
            for anchor, (x, y, _, _) in page.anchors.items():
                if anchor not in seen:
                    paged[-1].append((anchor, x, y))
                    seen.add(anchor)
        for page, anchors in zip(pages, paged, strict=True):
            kept = [
                link
                for link in page.links
                if link[0] != "internal" or link[1] in seen or link[1] in foreign
            ]
            yield kept, anchors

    def build_fonts_dictionary(
        pdf_file: Any, fonts: dict[str, Any], compress: bool, subset: bool, options: Any
    ) -> Any:
        sources, used = _sources.get(), _used.get()
        if sources is None or used is None or not subset:
            return build_fonts(pdf_file, fonts, compress, subset, options)
        kept = {}
        for key, font in fonts.items():
            digest = hashlib.md5(font.file_content, usedforsecurity=False).hexdigest()
            if font.bitmap or font.used_in_forms or digest not in sources:
                kept[key] = font
                continue
            use = used.get(font.hash)
            if use is None:
                use = used[font.hash] = FontUse(
                    font.name.decode()[1:],
                    font.family,
                    digest,
                    font.index,
                    font.flags,
                    font.ascent,
                    font.descent,
                    font.italic_angle,
                    font.stemv,
                    font.stemh,
                )
            use.widths.update(font.widths)
            use.to_unicode.update(font.to_unicode)
            use.missing.update(font.missing)
        return build_fonts(pdf_file, kept, compress, subset, options)

    pdf.resolve_links = resolve
    pdf.build_fonts_dictionary = build_fonts_dictionary
