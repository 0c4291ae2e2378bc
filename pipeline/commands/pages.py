"""`invoke check`'s look at the pages of a PDF: near-empty pages, loose lines, stranded headings.

Read back with pdfplumber, as a reader sees the pages: a page other than the cover whose text
ends in the top quarter of its text block is near-empty (``pipeline.pdf.fit.SPARSE``, the
rule the layout itself follows), and a gap of more than an em between two words of body text
makes a line loose. Both are warnings: the PDF is correct, only not as good as it could be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.pdf.fit import SPARSE

MM = 72 / 25.4
# The text block and body type of print.css and print.html.j2, by paper (A5 is told by its
# width): top and bottom margins in mm, body size in pt. tests/test_fit.py checks them
# against WeasyPrint's own pages.
A5_WIDTH = 148 * MM
PAGE_STYLE = {"A5": (18.0, 20.0, 9.3), "other": (24.0, 24.0, 10.0)}
SMALLEST_BODY = 7.9  # pt: smaller text is a footnote, a running header or a page number


def layout_problems(path: Path) -> list[str]:
    """Near-empty pages, loose lines and stranded headings, each named by its page."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        body_font = _body_font(pages)
        found = []
        for number, page in enumerate(pages[1:], start=2):  # the cover is meant to be bare
            top, bottom, size = text_block(page)
            problem = sparse_page(number, page, top, bottom)
            if problem:
                found.append(problem)
            found += [
                f"page {number}: a loose line, gaps of {gap:.1f} em between words: {text}"
                for gap, text in loose_lines(page, top, bottom, size, body_font)
            ]
    return found + stranded_headings(path)


HEADINGS = frozenset(f"/H{level}" for level in range(2, 7))  # H1: the report's title only
# Structure elements that hold blocks: what a heading heads is the first block after it.
CONTAINERS = frozenset(
    ("/Document", "/Part", "/Art", "/Sect", "/Div", "/NonStruct", "/Private", "/BlockQuote")
)


def stranded_headings(path: Path) -> list[str]:
    """Headings of a tagged PDF whose first block starts on a later page: a heading at the
    foot of a page, or alone above the rest of an empty one (read from the structure tree,
    which says on which page each element starts)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    tree: Any = reader.root_object.get("/StructTreeRoot")
    if tree is None:
        return []  # an untagged PDF (--variant plain) does not say which text is a heading
    numbers = {
        page.indirect_reference.idnum: n
        for n, page in enumerate(reader.pages, start=1)
        if page.indirect_reference is not None
    }
    elements = structure_elements(tree.get_object(), numbers)
    found = []
    for tag, page, end in elements:
        if tag not in HEADINGS or page is None:
            continue
        following = first_block(elements, end, int(tag[2]))
        if following is not None and following > page:
            found.append(
                f"page {page}: a heading ({tag[1:]}) ends the page; what it heads starts on "
                f"page {following}"
            )
    return found


def first_block(elements: list[tuple[str, int | None, int]], start: int, level: int) -> int | None:
    """The page of the first block a heading of ``level`` heads, from ``elements[start]`` on
    (deeper headings are part of it, their own text not a block), or None when the next
    heading of its level or above comes first (a part without text, a "Coffee Break" slot,
    heads nothing)."""
    index = start
    while index < len(elements):
        tag, page, end = elements[index]
        if tag in HEADINGS:
            if int(tag[2]) <= level:
                return None
            index = end  # past the deeper heading's own spans
            continue
        if tag not in CONTAINERS and page is not None:
            return page
        index += 1
    return None


def structure_elements(element: Any, numbers: dict[int, int]) -> list[tuple[str, int | None, int]]:
    """The structure tree in reading order: (tag, the page it starts on, the index just past
    its own descendants)."""
    found: list[tuple[str, int | None, int]] = []

    def walk(node: Any) -> None:
        index = len(found)
        page = node.get("/Pg")
        found.append((str(node.get("/S")), numbers.get(page.idnum) if page else None, 0))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            child = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(child, dict) and "/S" in child:
                walk(child)
        found[index] = (found[index][0], found[index][1], len(found))

    walk(element)
    return found


def text_block(page: Any) -> tuple[float, float, float]:
    """The top and bottom of a page's text block, and its body type size, in pt."""
    top, bottom, size = PAGE_STYLE["A5" if abs(page.width - A5_WIDTH) < 2 else "other"]
    return top * MM, page.height - bottom * MM, size


def sparse_page(number: int, page: Any, top: float, bottom: float) -> str:
    """``page N: near-empty ...`` when the text ends in the top quarter of the text block
    (``pipeline.pdf.fit.SPARSE``); footnotes, running headers and page numbers aside. A blank
    left-hand page (before an opener that starts a right-hand one) is meant to be blank."""
    fill = page_fill(page, top, bottom)
    if fill is None:
        return "" if number % 2 == 0 else f"page {number}: blank"
    if fill > SPARSE:
        return ""
    return f"page {number}: near-empty, its text ends {fill:.0%} of the way down the page"


def page_fill(page: Any, top: float, bottom: float) -> float | None:
    """How far down the text block (``top`` to ``bottom``) the page's text and images reach,
    from 0 to 1; ``None`` for a page with nothing on it."""
    ends = [
        char["bottom"]
        for char in page.chars
        if char["size"] >= SMALLEST_BODY
        and char["text"].strip()
        and top - 2 <= char["top"]
        and char["bottom"] <= bottom + 2
    ]
    ends += [image["bottom"] for image in page.images if top - 2 <= image["top"] < bottom]
    return (max(ends) - top) / (bottom - top) if ends else None


def loose_lines(
    page: Any, top: float, bottom: float, size: float, body_font: str
) -> list[tuple[float, str]]:
    """Body lines with a gap of more than an em between two words of body text (an image in
    the gap, or a word in another font next to it, is not a gap between words): the widest
    gap in ems, and the line's text."""
    lines: dict[float, list[dict[str, Any]]] = {}
    for char in page.chars:
        if char["text"].strip() and top - 2 <= char["top"] and char["bottom"] <= bottom + 2:
            lines.setdefault(round(char["matrix"][5], 1), []).append(char)
    found = []
    for _, chars in sorted(lines.items(), reverse=True):  # PDF y grows upwards
        chars.sort(key=lambda char: char["x0"])
        widest = 0.0
        for left, right in zip(chars, chars[1:], strict=False):
            if not (_is_body(left, size, body_font) and _is_body(right, size, body_font)):
                continue
            gap = right["x0"] - left["x1"]
            if gap > size and not _image_between(page, left, right):
                widest = max(widest, gap / size)
        if widest:
            found.append((widest, _line_text(chars)[:60]))
    return found


def _line_text(chars: list[dict[str, Any]]) -> str:
    """A line's characters, with a space where there is a gap between them."""
    text = chars[0]["text"] if chars else ""
    for left, right in zip(chars, chars[1:], strict=False):
        gap = right["x0"] - left["x1"]
        text += (" " if gap > 0.15 * right["size"] else "") + right["text"]
    return text


def _family(char: dict[str, Any]) -> str:
    """``Noto-Serif-CJK-KR-Print`` of ``ABCDEF+Noto-Serif-CJK-KR-Print-Bold``."""
    name = str(char["fontname"]).split("+")[-1]
    return name.removesuffix("-Bold")


def _body_font(pages: Any) -> str:
    """The font most of the body-size text (after the cover) is set in."""
    counts: dict[str, int] = {}
    for page in pages[1:]:
        size = text_block(page)[2]
        for char in page.chars:
            if abs(char["size"] - size) < 0.15:
                counts[_family(char)] = counts.get(_family(char), 0) + 1
    return max(counts, key=lambda name: counts[name], default="")


def _is_body(char: dict[str, Any], size: float, body_font: str) -> bool:
    return abs(char["size"] - size) < 0.15 and _family(char) == body_font


def _image_between(page: Any, left: dict[str, Any], right: dict[str, Any]) -> bool:
    return any(
        image["x0"] < right["x0"]
        and image["x1"] > left["x1"]
        and image["top"] < left["bottom"]
        and image["bottom"] > left["top"]
        for image in page.images
    )
