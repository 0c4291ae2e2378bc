"""The print document cut into parts that are laid out apart: the front matter, then the days.

A day that opens on a page of its own starts a part (with the chapters that run on after it);
everything before the first such day is the front matter: cover, contents, introduction. Each
part is a whole HTML document with the book's ``<head>``, so it is styled as in the book; the
contents' page numbers are placeholders until the parts are paginated (:func:`untarget_contents`,
``book``).

Splitting uses ``lxml.etree`` (already loaded by the PDF stage), not ``lxml.html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

# A chapter that runs on after what precedes it never starts a part (pipeline/pdf/layout.py).
RUNS_ON = "runs-on"
# The contents template marks each page number it leaves to target-counter (see
# styles/print-contents.html.j2): `<span class="contents-page" data-target="#id">`.
TARGET = re.compile(r'(<span class="contents-page") data-target="#([^"]+)"')


@dataclass(frozen=True)
class Part:
    """One document of the book: its HTML and the ids it holds."""

    name: str  # "front", or the id of the day it starts with
    html: str
    ids: frozenset[str]


@dataclass(frozen=True)
class Book:
    """The print document as parts: ``parts[0]`` is the front matter."""

    parts: tuple[Part, ...]
    ids: frozenset[str]  # every id of the book, for links from one part to another
    targets: tuple[str, ...]  # the ids whose page numbers the contents print, in order
    root: etree._Element  # the whole document, parsed

    @property
    def front(self) -> Part:
        return self.parts[0]

    @property
    def days(self) -> tuple[Part, ...]:
        return self.parts[1:]


def split_book(html: str) -> Book | None:
    """The print document as a front matter and its days; None when it has fewer than two
    days that open a page (one document is laid out at once)."""
    root = etree.fromstring(html, etree.HTMLParser(remove_comments=False))
    body = root.find("body")
    if body is None:
        return None
    children = list(body)
    starts = [index for index, child in enumerate(children) if _opens_part(child)]
    if len(starts) < 2:
        return None
    groups = [children[: starts[0]]]
    groups += [children[a:b] for a, b in zip(starts, [*starts[1:], len(children)], strict=True)]
    for child in children:
        body.remove(child)
    text = body.text
    parts = []
    for index, group in enumerate(groups):
        body.text = text
        for child in group:
            body.append(child)
        name = "front" if index == 0 else str(group[0].get("id"))
        ids = frozenset(str(i) for element in group for i in element.xpath(".//@id | ./@id"))
        document = etree.tostring(
            root, method="html", encoding="unicode", doctype="<!DOCTYPE html>"
        )
        parts.append(Part(name, document, ids))
        for child in group:
            body.remove(child)
    for child in children:
        body.append(child)
    ids = frozenset(i for part in parts for i in part.ids)
    return Book(tuple(parts), ids, tuple(m[2] for m in TARGET.finditer(html)), root)


def _opens_part(element: etree._Element) -> bool:
    classes = (element.get("class") or "").split()
    return element.tag == "section" and "chapter" in classes and RUNS_ON not in classes


PLACEHOLDER = "0"  # what a contents page number shows until the numbers are known


def untarget_contents(html: str) -> str:
    """The contents without their target-counter lookups: each page number's place shows a
    placeholder and keeps the id it is for (``data-for``); ``paginate.Paginated.
    replace_numbers`` prints the numbers in. They never change the layout (they sit in the
    entry's margin, see print.css)."""
    return TARGET.sub(lambda m: f'{m[1]} data-for="{m[2]}" data-page="{PLACEHOLDER}"', html)
