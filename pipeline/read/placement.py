"""Raw HTML put where HTML allows it: what blog editors write passes the allowlist (see
``sanitize``) but not always HTML's content models, which EPUBCheck enforces (RSC-005) and
accessibility checkers read (DAISY Ace's ``list``, ``empty-table-header``):

- a list holds only ``<li>``: a ``<table>`` written straight into a ``<ul>`` goes into the
  item before it, or the list is unwrapped when it has no items at all;
- an ``<li>`` outside a list gets a ``<ul>`` around it;
- a ``<figcaption>`` is the first or last child of its ``<figure>``; elsewhere it becomes a
  caption paragraph (a ``<span>`` inside a paragraph);
- a ``<summary>`` is the first child of its ``<details>``, a ``<caption>`` of its ``<table>``;
- a ``<th>`` with nothing in it is a ``<td>``: a header must name its column;
- a raw table's first row of ``<th>`` is its ``<thead>`` (repeated on each page);
- a table of one cell is a page-layout wrapper (old sites centre a list or a programme with
  one): it is unwrapped, so that what it holds reads as a list and a programme table inside it
  can break across pages (a table row never breaks: the whole wrapper, taller than a page,
  went to the next page and left its heading alone above an empty one).

The tree is repaired in place, once, when the model's HTML is made, so that the EPUB, the PDF
and the preview all hold the same valid HTML.
"""

from __future__ import annotations

import lxml.html
from lxml.html import HtmlElement

LISTS = ("ul", "ol")
# Elements whose content is phrasing only: a caption inside one must be phrasing too.
PHRASING_PARENTS = frozenset(
    "p span a em strong b i u s small mark code kbd q sub sup abbr del ins h1 h2 h3 h4 h5 h6 "
    "caption summary dt figcaption".split()
)


def repair_placement(root: HtmlElement) -> None:
    """Move, wrap or rename the elements of ``root`` that stand where HTML forbids them."""
    for table in reversed(list(root.iter("table"))):  # innermost first
        if table.getparent() is not None:
            unwrap_layout_table(table)
    for element in list(root.iter("ul", "ol")):
        repair_list(element)
    for item in list(root.iter("li")):
        parent = item.getparent()
        if parent is not None and parent.tag not in (*LISTS, "menu"):
            wrap_in_list(item)
    for caption in list(root.iter("figcaption")):
        repair_caption(caption)
    for first, parent_tag in (("summary", "details"), ("caption", "table")):
        for element in list(root.iter(first)):
            put_first(element, parent_tag)
    for table in root.iter("table"):
        promote_header_row(table)
    for header in list(root.iter("th")):
        if not header.text_content().strip() and not header.xpath(".//img"):
            header.tag = "td"


def unwrap_layout_table(table: HtmlElement) -> None:
    """A table whose only cell holds everything is replaced by what the cell holds."""
    cells = [cell for cell in table.iter("td", "th") if own_table(cell) is table]
    if len(cells) != 1 or table.find("caption") is not None:
        return
    cell = cells[0]
    cell.tag = "div"
    for name in list(cell.attrib):
        del cell.attrib[name]
    cell.set("class", "layout-cell")
    cell.tail = table.tail
    table.getparent().replace(table, cell)
    if not (cell.text or "").strip():  # only blocks: they stand on their own
        cell.drop_tag()


def promote_header_row(table: HtmlElement) -> None:
    """A raw table's first row of headers becomes its ``<thead>``, which the PDF repeats on
    every page the table breaks onto."""
    if table.find("thead") is not None:
        return
    body = table.find("tbody")
    rows = (body if body is not None else table).findall("tr")
    if len(rows) < 2 or not all(cell.tag == "th" for cell in rows[0]) or not len(rows[0]):
        return
    head = lxml.html.Element("thead")
    (body if body is not None else rows[0]).addprevious(head)
    head.append(rows[0])


def own_table(cell: HtmlElement) -> HtmlElement | None:
    parent = cell.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def repair_list(element: HtmlElement) -> None:
    """Only ``<li>`` children: others join the item before them (or open the list's first
    item); a list without any item is unwrapped, keeping what it held."""
    children = list(element)
    if not any(child.tag == "li" for child in children):
        if element.getparent() is not None:
            element.drop_tag()
        return
    previous: HtmlElement | None = None
    if (element.text or "").strip():
        previous = lxml.html.Element("li")
        previous.text, element.text = element.text, None
        element.insert(0, previous)
    for child in children:
        if child.tag == "li":
            previous = child
            if (child.tail or "").strip():  # text between items belongs to the one before
                append_text(child, child.tail)
                child.tail = None
            continue
        if previous is None:
            previous = lxml.html.Element("li")
            child.addprevious(previous)
        previous.append(child)  # moves the element (and its tail) into the item


def append_text(element: HtmlElement, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def wrap_in_list(item: HtmlElement) -> None:
    """A run of stray ``<li>`` siblings goes into one ``<ul>``."""
    run = [item]
    following = item.getnext()
    while following is not None and following.tag == "li":
        run.append(following)
        following = following.getnext()
    wrapper = lxml.html.Element("ul")
    item.addprevious(wrapper)
    wrapper.tail, run[-1].tail = run[-1].tail, None
    for member in run:
        wrapper.append(member)


def put_first(element: HtmlElement, parent_tag: str) -> None:
    """A ``<summary>`` opens its ``<details>``, a ``<caption>`` its ``<table>``; elsewhere
    either is a plain paragraph."""
    parent = element.getparent()
    if parent is None:
        return
    if parent.tag != parent_tag:
        element.tag = "p"
        return
    if parent.index(element) == 0 and not (parent.text or "").strip():
        return
    tail, element.tail = element.tail, None
    before = element.getprevious()
    if before is not None:
        before.tail = (before.tail or "") + (tail or "")
    else:
        parent.text = (parent.text or "") + (tail or "")
    parent.insert(0, element)
    element.tail, parent.text = parent.text, None


def repair_caption(caption: HtmlElement) -> None:
    parent = caption.getparent()
    if parent is None:
        return
    if parent.tag == "figure":
        siblings = list(parent)
        if caption is siblings[0] or caption is siblings[-1]:
            return
        tail, caption.tail = caption.tail, None
        before = caption.getprevious()
        before.tail = (before.tail or "") + (tail or "")
        parent.append(caption)  # a caption in the middle of its figure goes last
        return
    before = caption.getprevious()
    if before is not None and before.tag == "figure" and not (before.tail or "").strip():
        # `![](x.png)` and a raw `<figcaption>` on the next line: the parser closed the
        # paragraph (so the figure) before the caption; it is that figure's caption
        for generated in before.findall("figcaption"):
            before.remove(generated)
        before.tail, caption.tail = caption.tail, None
        before.append(caption)
        return
    caption.tag = "span" if parent.tag in PHRASING_PARENTS else "p"
    caption.set("class", " ".join([*caption.get("class", "").split(), "caption"]))
