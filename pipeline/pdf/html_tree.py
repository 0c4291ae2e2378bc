"""The print document's tree for WeasyPrint, read by lxml instead of WeasyPrint's own parser.

WeasyPrint parses a document with tinyhtml5, an HTML5 parser in pure Python: the one-day report
of ``invoke bench`` (100 KB of print HTML) took 0.2-0.4 s, as much as laying out four of its
pages, and a book laid out in parts parses every part. The print document is lxml's own
serialization (``pipeline.pdf.html.adapt_document``), which lxml reads back in about 10 ms;
:func:`read_tree` converts that tree to the ``xml.etree`` elements WeasyPrint works on, the same
tree tinyhtml5 builds: the same tags, attributes in the same order, the same text and tails.

The two parsers agree on a document lxml wrote, except where HTML5's tree construction moves
things (a block inside a paragraph closes it, a row directly in a table gets a ``tbody``, a
link inside a link is closed...), for foreign elements (SVG, MathML) and for a few attribute
spellings. :func:`read_tree` looks for every such case first (:func:`_agrees`) and returns None
when it finds one: the caller then lets tinyhtml5 parse, as before. ``tests/test_html_tree.py``
compares the two trees on every fixture, and on made-up documents with each such case.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: N817  (WeasyPrint's element type)
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from weasyprint import HTML

DOCTYPE = "<!DOCTYPE html>"
# Start tags that close an open <p> (HTML5 "in body": "close a p element").
CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 "
    "h6 pre listing form plaintext table hr xmp li dd dt".split()
)
# Elements that bound the scope a <p> is looked for in ("has a p element in button scope").
P_SCOPE = frozenset("button applet caption html table td th marquee object template".split())
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Elements whose content HTML5 reads otherwise (raw text, foreign content, forms' own rules)
# or which it renames or moves: a document holding one is left to tinyhtml5.
DIFFERENT = frozenset(
    "svg math template iframe noscript noembed noframes xmp plaintext textarea select option "
    "optgroup frameset frame image isindex nobr button form listing keygen menuitem".split()
)
TABLE_CHILDREN = frozenset("caption colgroup thead tbody tfoot".split())
SECTION_CHILDREN = frozenset(["tr"])
ROW_CHILDREN = frozenset("td th".split())
HEAD_CHILDREN = frozenset("meta link title style script".split())
# HTML 4 boolean attributes: lxml reads a bare one as its own name, HTML5 as "".
BOOLEAN = frozenset(
    "checked compact declare defer disabled ismap multiple nohref noresize noshade nowrap "
    "readonly selected".split()
)
SPELLED_OUT = re.compile(r"\b(?:" + "|".join(sorted(BOOLEAN)) + r")\s*=", re.IGNORECASE)


def read_tree(html: str) -> ET.Element[Any] | None:
    """The ``<html>`` element of ``html`` as tinyhtml5 builds it (``namespace_html_elements``
    off), or None where the two parsers may disagree (see the module's docstring)."""
    if "\r" in html or "\0" in html or "<?" in html or not html.endswith("</html>"):
        # newlines and processing instructions each parser reads its own way; what follows
        # </html> is in the body for HTML5, and lxml drops it (lxml writes nothing after it)
        return None
    root = etree.fromstring(html, etree.HTMLParser(remove_comments=False, remove_pis=False))
    if root is None or root.tag != "html" or root.find(".//base") is not None:
        return None  # (WeasyPrint takes the base URL of a <base> element: none here)
    # lxml mends what it reads as HTML5 does, but not always alike (a stray </p>): the tree
    # must be the one the document was written from
    written = etree.tostring(root, method="html", encoding="unicode", doctype=DOCTYPE)
    if written != html or not _agrees(root):
        return None
    bare_booleans = not SPELLED_OUT.search(html)
    if not bare_booleans and any(
        name in BOOLEAN for element in root.iter() for name in element.attrib
    ):
        return None  # checked="checked" and a bare checked both read as "checked"
    converted = _convert(root, bare_booleans)
    # HTML5 drops the whitespace before <head>, and reads what follows </body> into the body.
    if converted.text is not None and not converted.text.strip():
        converted.text = None
    body = converted[-1]
    if body.tail:
        if len(body):
            body[-1].tail = (body[-1].tail or "") + body.tail
        else:
            body.text = (body.text or "") + body.tail
        body.tail = None
    return converted


def _convert(element: etree._Element, bare_booleans: bool) -> ET.Element[Any]:
    converted: ET.Element[Any]
    if element.tag is etree.Comment:
        converted = ET.Comment(element.text)
    else:
        attributes = dict(element.attrib)
        if bare_booleans:
            for name in BOOLEAN.intersection(attributes):
                if attributes[name] == name:
                    attributes[name] = ""
        converted = ET.Element(str(element.tag), attributes)
        converted.text = element.text
    converted.extend(_convert(child, bare_booleans) for child in element)
    converted.tail = element.tail
    return converted


def _agrees(root: etree._Element) -> bool:
    """Whether HTML5's tree construction would build lxml's tree from its serialization."""
    children = list(root)
    if [child.tag for child in children] != ["head", "body"]:
        return False
    head, body = children
    if (body.tail or "").strip() or (head.tail or "").strip():
        return False
    if any(c.tag is not etree.Comment and c.tag not in HEAD_CHILDREN for c in head):
        return False
    for element in body.iter():
        tag = element.tag
        if tag is etree.Comment:
            continue
        if not isinstance(tag, str) or tag in DIFFERENT or ":" in tag or tag in ("html", "head"):
            return False
        parent = element.getparent()
        ptag = parent.tag if parent is not None else None
        if tag in CLOSES_P and _inside_p(element):
            return False
        if tag in HEADINGS and ptag in HEADINGS:
            return False
        if tag == "a" and any(a.tag == "a" for a in element.iterancestors()):
            return False
        if tag in ("li", "dd", "dt") and _in_open(element, tag):
            return False
        if tag in ("pre", "textarea") and (element.text or "").startswith("\n"):
            return False
        if not _table_agrees(element, tag):
            return False
    return True


def _inside_p(element: etree._Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag == "p":
            return True
        if ancestor.tag in P_SCOPE:
            return False
    return False


def _in_open(element: etree._Element, tag: str) -> bool:
    """A list item (or dd, dt) inside another one with no list between: HTML5 closes it."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("li", "dd", "dt"):
            return True
        if ancestor.tag in ("ul", "ol", "dl", "menu") or ancestor.tag in P_SCOPE:
            return False
    return False


def _table_agrees(element: etree._Element, tag: object) -> bool:
    """A table's parts in HTML5's places (a row in a table section, a cell in a row), no text
    but whitespace between them (HTML5 moves it out of the table)."""
    allowed = {
        "table": TABLE_CHILDREN,
        "thead": SECTION_CHILDREN,
        "tbody": SECTION_CHILDREN,
        "tfoot": SECTION_CHILDREN,
        "tr": ROW_CHILDREN,
        "colgroup": frozenset(["col"]),
    }.get(str(tag))
    parent = element.getparent()
    if tag in ("tr", "td", "th", "thead", "tbody", "tfoot", "caption", "colgroup", "col"):
        expected = {
            "tr": SECTION_CHILDREN,
            "td": ROW_CHILDREN,
            "th": ROW_CHILDREN,
            "col": frozenset(["col"]),
        }
        parent_tag = parent.tag if parent is not None else None
        if tag in expected and not _table_parent(str(tag), parent_tag):
            return False
        if tag not in expected and parent_tag != "table":
            return False
    if allowed is None:
        return True
    if (element.text or "").strip():
        return False
    for child in element:
        if child.tag is etree.Comment or child.tag not in allowed or (child.tail or "").strip():
            return False
    return True


def _table_parent(tag: str, parent: object) -> bool:
    return {
        "tr": parent in ("thead", "tbody", "tfoot"),
        "td": parent == "tr",
        "th": parent == "tr",
        "col": parent == "colgroup",
    }[tag]


def weasyprint_html(html: str, base_url: str, url_fetcher: Any) -> HTML:
    """A ``weasyprint.HTML`` of the print document ``html``, its tree read by :func:`read_tree`
    (tinyhtml5 parses it where that returns None)."""
    from weasyprint import HTML

    from pipeline.pdf.weasyprint_internals import html_from_tree

    tree = read_tree(html)
    if tree is None:
        return HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    return html_from_tree(tree, base_url, url_fetcher)
