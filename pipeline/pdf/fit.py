"""No near-empty pages: measure the laid-out pages, and lay out again, a little tighter, the
chapters whose last lines would otherwise have a page to themselves.

A page other than the cover whose body content ends in its top quarter (``SPARSE``) is a
defect: a chapter's last three lines alone before the next day's opener, "감사합니다." alone
on the last page. Once WeasyPrint has laid the report out, ``measure_pages`` says how far down
its text block each page's content reaches (footnotes, running headers and page numbers
aside), and ``plan_fixes`` what to change:

- the tail of a chapter (or of the introduction) that spilled onto a page of its own: the
  chapter is laid out again with slightly less spacing (``fit-1``, then ``fit-2`` in
  print.css: leading 1.7 -> 1.65 -> 1.6, smaller gaps between paragraphs, talks and
  figures), the level chosen by estimate to pull the tail back onto the pages before;
- a day whose talks fit on one short page after its opener page: the talks start on the
  opener page (``fit-join``), as the design allows.

``fit_document`` renders, measures, applies the fixes, renders again (at most twice more) and
keeps the layout with the fewest near-empty pages; what it did is logged and returned
(``invoke outline --pages`` shows it). Widows and orphans stay at 2 lines: only spacing
changes. A page no fix can fill (a short chapter that must start a page of its own) is left
as it is, and ``invoke check`` reports it.

The functions take WeasyPrint's pages, not a whole report: a renderer that lays the days out
in chunks can measure and fix each chunk on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pipeline.pdf.weasyprint_internals import document_page_boxes, is_box

Laid = TypeVar("Laid")  # a laid-out document, or a part paginated (pipeline.pdf.parts.paginate)

log = logging.getLogger(__name__)

SPARSE = 0.25  # a page whose content ends above this share of its text block is near-empty
LEVELS = 2  # fit-1 and fit-2 in print.css
# About how much of a chapter's height each level saves (measured on the sample and the
# corpus: 3-12% and 5-19%; less where figures and code, which do not shrink, dominate). A
# tail up to half as long again as the last level's gain is still worth a try.
GAIN = {1: 0.04, 2: 0.08}
REACH = 1.5
SLACK = 2  # lines: page breaks fall between lines and blocks, never exactly where estimated
RENDERS = 3  # at most two layouts after the first
BALANCED = 0.33  # a page break moves lines until the last page is at least this full...
HALF = 0.5  # ... and the page before it keeps more than this

# WeasyPrint's element for a top-level part of the book (a chapter, the introduction...).
Element = Any


@dataclass(frozen=True)
class PageFill:
    """One laid-out page: how far down its text block the content reaches (0 to 1), the
    top-level parts of the book (chapters, introduction, contents) it shows, in order, and
    the blocks on it before which a page could break (``Breakpoint``)."""

    number: int
    kind: Literal["cover", "blank", "text"]
    fill: float
    height: float  # of the text block, in CSS pixels
    line: float  # the body's line height, in CSS pixels
    parts: tuple[Element, ...]
    opener_only: frozenset[int] = frozenset()  # id() of the parts showing only their opener
    breakpoints: tuple[Breakpoint, ...] = ()

    @property
    def sparse(self) -> bool:
        return self.kind == "text" and self.fill <= SPARSE


@dataclass(frozen=True)
class Breakpoint:
    """A block that starts on a page, ``top`` of the way down its text block: a talk or a
    chapter (rank 0), a heading (1), another block of the text (2)."""

    element: Element
    top: float
    rank: int
    part: Element  # the part of the book it is in


@dataclass(frozen=True)
class Fix:
    """A change to one element of the book: a part laid out tighter (``tighten``), a day's
    talks on its opener page (``join``), or a page break before a block (``break``), which
    replaces the tightening of the parts it names."""

    element: Element
    action: Literal["tighten", "join", "break"]
    level: int
    page: int  # the near-empty page it is meant to fill
    part: Element  # the part of the book it changes
    replaces: tuple[Element, ...] = ()

    def describe(self) -> str:
        name = label(self.part)
        if self.action == "join":
            return f"{name}: its talks start on its opener page, not on page {self.page}"
        if self.action == "break":
            return f"{name}: a page break moved lines onto page {self.page}, which was near-empty"
        return (
            f"{name}: laid out tighter (level {self.level}) to pull its last lines back "
            f"from page {self.page}"
        )


@dataclass
class Fitting:
    """What ``fit_document`` did: the fixes kept, the near-empty pages left, the layouts."""

    fixes: list[Fix] = field(default_factory=list)
    sparse: list[PageFill] = field(default_factory=list)
    pages: list[PageFill] = field(default_factory=list)
    renders: int = 0

    def describe(self) -> list[str]:
        lines = [f"fitted: {fix.describe()}" for fix in self.fixes]
        lines += [
            f"near-empty: page {page.number} ({page.fill:.0%} full), {label(page.parts[-1])}"
            for page in self.sparse
            if page.parts
        ]
        return lines


def fit_document(
    render: Callable[[], Laid],
    page_boxes: Callable[[Laid], Sequence[Any]] = document_page_boxes,
) -> tuple[Laid, Fitting]:
    """Lay the document out with ``render`` (which lays out the same HTML each time), then
    again with the fixes for its near-empty pages, and keep the best layout. ``page_boxes``:
    the pages of what ``render`` returns (a document's, by default)."""
    document = render()
    pages = measure_pages(page_boxes(document))
    fitting = Fitting(renders=1)
    fixes: dict[Element, Fix] = {}
    best: tuple[tuple[int, int], Laid, list[PageFill], dict[Element, Fix]] = (
        _score(pages),
        document,
        pages,
        {},
    )
    classes: dict[Element, str | None] = {}
    while fitting.renders < RENDERS:
        planned = plan_fixes(pages, fixes)
        if not planned:
            break
        for fix in planned:
            for element in fix.replaces:
                fixes.pop(element, None)
            fixes[fix.element] = fix
        _apply(fixes, classes)
        document = render()
        pages = measure_pages(page_boxes(document))
        fitting.renders += 1
        if _score(pages) < best[0]:
            best = (_score(pages), document, pages, dict(fixes))
    _, document, pages, kept = best
    _apply(kept, classes)
    fitting.fixes = list(kept.values())
    fitting.pages = pages
    fitting.sparse = [page for page in pages if page.sparse]
    for line in fitting.describe():
        log.info("%s", line)
    return document, fitting


def _score(pages: list[PageFill]) -> tuple[int, int]:
    return sum(page.sparse for page in pages), len(pages)


def _apply(fixes: dict[Element, Fix], classes: dict[Element, str | None]) -> None:
    """Set each element's class to its own and its fix's (``fit-1``, ``fit-join``...); an
    element left without a fix gets its own class back as it was, or none."""
    for element in set(classes) | set(fixes):
        original = classes.setdefault(element, element.get("class"))
        fix = fixes.get(element)
        if fix is None and original is None:
            element.attrib.pop("class", None)
            continue
        extra = "" if fix is None else f"fit-{fix.level or fix.action}"
        element.set("class", f"{original or ''} {extra}".strip())


def plan_fixes(pages: Sequence[PageFill], done: dict[Element, Fix] | None = None) -> list[Fix]:
    """The fixes for the near-empty pages of a layout; ``done``: those it was laid out with.

    For each near-empty page, in this order: the talks of a day start on its opener page
    (when the page before showed the opener alone); the flow of text that ends on the page
    (from the last forced page break) is tightened, one level more than it was, as far as
    the estimate says the tail can be pulled back; else a page break before a talk, a heading
    or a paragraph of the page before moves enough lines onto this one.
    """
    done = done or {}
    fixes: list[Fix] = []
    for page in pages:
        if not page.sparse or not page.parts:
            continue
        head = page.parts[0]
        before = pages[page.number - 2]
        if (
            before.parts == (head,)
            and id(head) in before.opener_only
            and "opens-page" in _classes(head)
        ):
            if head not in done:
                fixes.append(Fix(head, "join", 0, page.number, head))
            continue
        flow = _flow(pages, page)
        if len(flow) < 2:
            continue  # it starts the page: nothing before it to pull back
        parts = list(dict.fromkeys(p for f in flow for p in f.parts if _tightens(p)))
        if any(fix.action == "break" and fix.part in parts for fix in done.values()):
            continue  # a page break was tried already
        level = max(
            [_level(flow)] + [done[p].level + 1 for p in parts if p in done and done[p].level]
        )
        if level <= LEVELS:
            fixes += [Fix(part, "tighten", level, page.number, part) for part in parts]
            continue
        breakpoint = _breakpoint(flow[-2], page)
        if breakpoint is not None and breakpoint.element not in done:
            fixes.append(
                Fix(
                    breakpoint.element,
                    "break",
                    0,
                    page.number,
                    breakpoint.part,
                    replaces=tuple(parts),
                )
            )
    return fixes


def _classes(element: Element) -> list[str]:
    return str(element.get("class", "")).split()


def _tightens(part: Element) -> bool:
    """Every part of the book but the cover may be laid out tighter."""
    return "cover" not in _classes(part)


def _flow(pages: Sequence[PageFill], page: PageFill) -> list[PageFill]:
    """The pages of the text that runs into ``page``: back to the last page that starts after
    a forced break (a part that opens a page, or what follows the cover or the contents)."""
    flow = [page]
    while flow[0].number > 1 and flow[0].parts:
        head, before = flow[0].parts[0], pages[flow[0].number - 2]
        if before.kind != "text" or not before.parts:
            break
        goes_on = head in before.parts
        runs_on = "opens-page" not in _classes(head) and before.parts[-1].tag != "nav"
        if not (goes_on or runs_on):
            break
        flow.insert(0, before)
    return flow


def _level(flow: Sequence[PageFill]) -> int:
    """The least tightening that should pull the last page's content back onto the pages
    before it; ``LEVELS + 1`` when none would."""
    *body, tail = flow
    used = sum(page.fill * page.height for page in body if not page.opener_only)
    needed = (tail.fill * tail.height + SLACK * tail.line) / max(used, 1.0)
    if needed > GAIN[LEVELS] * REACH:
        return LEVELS + 1
    return next((level for level, gain in GAIN.items() if gain >= needed), LEVELS)


def _breakpoint(before: PageFill, tail: PageFill) -> Breakpoint | None:
    """Where to break ``before`` so that ``tail`` gets enough lines to be no longer
    near-empty and ``before`` keeps more than half its text block: a talk or a chapter if one
    starts low enough, else a heading, else a paragraph, the lowest one that moves enough."""
    moved = BALANCED - tail.fill  # the share of a page to move
    fits = [
        point
        for point in before.breakpoints
        if point.top >= HALF and before.fill - point.top >= moved
    ]
    if not fits:
        return None
    return min(fits, key=lambda point: (point.rank, -point.top))


def label(part: Element) -> str:
    """How a part of the book is named in messages: its chapter label, or what it is."""
    classes = _classes(part)
    for child in part:
        if child.get("data-label"):
            return str(child.get("data-label"))
    if "intro" in classes:
        return "the introduction"
    if "contents" in classes or part.tag == "nav":
        return "the contents"
    titled = part.find(".//*[@data-bookmark]")  # an article's chapter has no heading: its talk
    if titled is not None:
        return str(titled.get("data-bookmark"))
    return str(part.get("id") or part.tag)


# ---------- measuring a laid-out page ----------


def measure_pages(page_boxes: Sequence[Any]) -> list[PageFill]:
    """How full each of WeasyPrint's page boxes is, and what it holds."""
    return [_measure(number, page_box) for number, page_box in enumerate(page_boxes, start=1)]


def _measure(number: int, page_box: Any) -> PageFill:
    top, height = page_box.content_box_y(), page_box.height
    root = page_box.children[0] if page_box.children else None
    body = next(
        (child for child in getattr(root, "children", ()) if child.element_tag == "body"), None
    )
    parts: list[Element] = []
    opener_only = set()
    breakpoints: list[Breakpoint] = []
    for child in getattr(body, "children", ()):
        element = child.element
        if element is None or element.tag not in ("section", "nav") or element in parts:
            continue
        parts.append(element)
        inner = [c for c in getattr(child, "children", ()) if c.element is not element]
        if inner and all(c.element is not None and c.element.tag == "header" for c in inner):
            opener_only.add(id(element))
        if element.tag == "section":
            breakpoints += _breakpoints(child, lambda y: (y - top) / height, element)
    kind: Literal["cover", "blank", "text"] = "text"
    if page_box.page_type.blank:
        kind = "blank"
    elif any("cover" in part.get("class", "").split() for part in parts):
        kind = "cover"
    bottom = _content_bottom(root) if root is not None else None
    fill = 0.0 if bottom is None else max(0.0, min(1.0, (bottom - top) / height))
    style = body.style if body is not None else page_box.style
    line = _line_height(style)
    return PageFill(
        number,
        kind,
        fill,
        height,
        line,
        tuple(parts),
        frozenset(opener_only),
        tuple(breakpoints),
    )


PROSE = ("talk-body", "chapter-intro", "intro")  # containers of the notes' own blocks
HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6")


def _breakpoints(box: Any, share: Callable[[float], float], part: Element) -> list[Breakpoint]:
    """The talks, chapters and blocks of the notes that start on this page inside ``box``,
    not at its top (a block there goes on from the page before) nor right after a heading
    (which must stay with it)."""
    found = []
    after_heading = False
    for child in getattr(box, "children", ()):
        element = child.element
        if element is None or element is box.element or not hasattr(child, "position_y"):
            continue
        classes = _classes(element)
        top = share(child.position_y)
        starts = top > 0.02 and not after_heading
        if element.tag == "article" or "runs-on" in classes:
            if starts:
                found.append(Breakpoint(element, top, 0, part))
            found += _breakpoints(child, share, part)
        elif any(name in classes for name in PROSE):
            found += _breakpoints(child, share, part)
        elif any(name in _classes(box.element) for name in PROSE) and starts:
            found.append(Breakpoint(element, top, 1 if element.tag in HEADING_TAGS else 2, part))
        after_heading = (
            element.tag in HEADING_TAGS or element.tag == "header" or "run-in" in classes
        )
    return found


def _line_height(style: Any) -> float:
    """The line height a style computes to, in CSS pixels (``normal``: about 1.2 em)."""
    value, size = style["line_height"], float(style["font_size"])
    if isinstance(value, int | float):  # a number: times the font size
        return float(value) * size
    if getattr(value, "unit", None) == "px":
        return float(value.value)
    return 1.2 * size


def _content_bottom(box: Any) -> float | None:
    """Where the last line (or image) laid out inside ``box`` ends; the flow goes down, so the
    last one in order is the lowest (but for the cells of a table row, side by side)."""
    if is_box(box, "LineBox"):
        return box.position_y + box.height if _has_content(box) else None
    if is_box(box, "ReplacedBox"):
        return float(box.position_y + box.margin_height())
    if not is_box(box, "ParentBox"):
        return None
    if is_box(box, "TableRowBox"):
        bottoms = [b for cell in box.children if (b := _content_bottom(cell)) is not None]
        return max(bottoms, default=None)
    for child in reversed(box.children):
        if is_box(child, "Box") and child.style["position"] in ("absolute", "fixed"):
            continue
        bottom = _content_bottom(child)
        if bottom is not None:
            return bottom
    return None


def _has_content(line: Any) -> bool:
    for box in line.descendants():
        if is_box(box, "TextBox") and box.text.strip():
            return True
        if is_box(box, "InlineReplacedBox", "InlineBlockBox"):
            return True
    return False
