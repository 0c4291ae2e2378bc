"""A one-document report laid out again after an edit of its text, from the first page the edit
changed, reusing the pages before and after it (``invoke watch``).

A report whose days do not each open a page is one document (``parts`` cannot split it), and a
one-word edit would lay all of it out again. The PDF process of ``invoke watch`` keeps the last
layout of each such report (:class:`KeptLayouts`). The next build compares the new print HTML
with the tree that layout was made from: where only texts of the body differ (the same
elements, attributes and children, no text emptied or filled), the texts are set in the kept
tree, so the styles computed for it still hold, and ``weasyprint_internals.paginate_again``
lays out again the pages that show a changed element or a table it is in (a table's columns
are sized from all its cells), and the page before each (its break may depend on the next),
then each page after them until one starts where, and as, it started before. The pages before
and after are the boxes laid out last time. Where a day or a talk moved to another page, the
contents' page numbers are made again and their page laid out again.

The result is the layout a new build makes (``tests/test_relayout.py`` compares the PDFs byte
for byte); where it might not be, the report is laid out whole: another structure (a word made
bold, a new link), a text outside the pages (a ``<style>``, the ``<title>``), other settings
(paper, accent), styles, fonts (a letter the notes did not use before: the fonts are cut again),
images or PDF variant, a near-empty page to fit (``pipeline.pdf.fit``), footnotes carried over
from a page reused into one laid out again, or any error while laying out again.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.pdf.fit import measure_pages, plan_fixes
from pipeline.pdf.html_tree import read_tree
from pipeline.pdf.parts.cache import add_styles_and_fonts
from pipeline.pdf.parts.paginate import Paginated
from pipeline.pdf.weasyprint_internals import (
    document_tree,
    pages_showing,
    paginate_again,
)

log = logging.getLogger(__name__)

Element = Any  # an xml.etree element of the print document

# Layouts kept at most (invoke watch on a folder of reports, built one at a time): a 23-page
# report's layout holds about 100 MB.
KEPT = 4


@dataclass
class KeptLayout:
    """A report's last layout, paginated, and what it was made from."""

    inputs: str  # the digest of everything but the print HTML (``layout_inputs``)
    paginated: Paginated  # its HTML's tree is the one laid out
    folder: Path  # the cut fonts its font configuration reads


class KeptLayouts:
    """The last layout of each one-document report, kept by the PDF process of ``invoke
    watch`` with the folder of cut fonts it reads (removed when the layout is replaced or
    dropped, and when the process ends its pool; a process killed leaves it to the next build,
    which removes the folders of processes that are gone)."""

    def __init__(self) -> None:
        self._kept: dict[str, KeptLayout] = {}

    def take(self, name: str, inputs: str) -> KeptLayout | None:
        """The layout of report ``name``, if laid out from the same ``inputs``; it is no
        longer kept (a build keeps the layout it makes)."""
        kept = self._kept.pop(name, None)
        if kept is not None and kept.inputs != inputs:
            self.drop(kept)
            return None
        return kept

    def keep(self, name: str, layout: KeptLayout) -> None:
        """Keep ``layout`` as report ``name``'s; only the most recent ``KEPT`` reports'."""
        old = self._kept.pop(name, None)
        if old is not None and old.folder != layout.folder:
            self.drop(old)
        self._kept[name] = layout
        while len(self._kept) > KEPT:
            self.drop(self._kept.pop(next(iter(self._kept))))

    def holds(self, folder: Path) -> bool:
        """Whether a layout kept reads the fonts of ``folder``."""
        return any(layout.folder == folder for layout in self._kept.values())

    @staticmethod
    def drop(layout: KeptLayout) -> None:
        shutil.rmtree(layout.folder, ignore_errors=True)

    def close(self) -> None:
        for layout in self._kept.values():
            self.drop(layout)
        self._kept.clear()


def layout_inputs(settings: str, styles: Path, fonts: tuple[Path, ...], files: list[Path]) -> str:
    """The digest of what a layout depends on besides the print HTML's text: the settings
    (paper, accent, PDF variant...), the styles, the fonts, the files the notes refer to
    (images)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{settings}\0".encode())
    add_styles_and_fonts(digest, styles, fonts)
    for path in files:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"-"
        digest.update(f"{path}\0".encode() + hashlib.blake2b(content).digest())
    return digest.hexdigest()


def relayout(kept: KeptLayout, html_text: str) -> Paginated | None:
    """``html_text`` laid out again from ``kept`` (see the module's docstring), or None where
    it must be laid out whole. The kept tree is changed either way."""
    tree = read_tree(html_text)
    if tree is None:
        return None
    paginated = kept.paginated
    html = paginated.html
    old_tree = document_tree(html)
    changes = text_changes(old_tree, tree)
    if changes is None:
        log.debug("relayout: more than texts changed; laid out whole")
        return None
    paginated.restore()
    if not changes:  # the same print document (the notes changed where the print shows none)
        log.debug("relayout: the same document; its layout kept")
        return paginated
    changed = changed_elements(old_tree, changes)
    pages = pages_showing(paginated.pages, {id(element) for element in changed})
    if not pages:  # not text of the body (a <style>, the <title>): its effect may be anywhere
        log.debug("relayout: a text outside the pages changed; laid out whole")
        return None
    pages |= {index - 1 for index in pages if index > 0}  # its break may depend on the next
    for element, field, text in changes:
        setattr(element, field, text)
    again = paginate_again(html, paginated.laid, pages)
    if again is None:
        log.debug("relayout: footnotes carried over into a page laid out again; laid out whole")
        return None
    laid, remade = again
    if plan_fixes(measure_pages(laid.pages)):
        log.debug("relayout: a near-empty page to fit; laid out whole")
        return None
    log.debug("relayout: pages %s of %d laid out again", sorted(remade), len(laid.pages))
    return Paginated(html, laid, paginated.font_config)


Change = tuple[Element, str, str | None]  # an element, "text" or "tail", the new text


def text_changes(old: Element, new: Element) -> list[Change] | None:
    """The texts to set in ``old`` to make it ``new``, or None if the two differ otherwise (a
    tag, an attribute, a child) or a text is emptied or filled (``:empty``, white space that
    makes no box)."""
    changes: list[Change] = []
    pairs = [(old, new)]
    while pairs:
        a, b = pairs.pop()
        if a.tag != b.tag or a.attrib != b.attrib or len(a) != len(b):
            return None
        for field in ("text", "tail"):
            before, after = getattr(a, field), getattr(b, field)
            if before == after:
                continue
            if not (before or "").strip() or not (after or "").strip():
                return None
            changes.append((a, field, after))
        pairs.extend(zip(a, b, strict=True))
    return changes


# Elements laid out from all their content at once: a table's columns are sized from every
# cell, so a cell's text may move the columns on every page the table is on.
LAID_OUT_WHOLE = {"table"}


def changed_elements(root: Element, changes: list[Change]) -> set[Element]:
    """The elements whose content the ``changes`` change (an element's text is its own, its
    tail its parent's), and each table they are in."""
    tails = {id(element) for element, field, _ in changes if field == "tail"}
    texts = {id(element) for element, field, _ in changes if field == "text"}
    found: set[Element] = set()

    def walk(element: Element, around: list[Element]) -> None:
        inside = [*around, element] if element.tag in LAID_OUT_WHOLE else around
        for child in element:
            if id(child) in tails:
                found.update([element, *inside])
            walk(child, inside)
        if id(element) in texts:
            found.update([element, *inside])

    walk(root, [])
    return found
