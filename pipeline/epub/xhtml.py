"""Model HTML fragments -> EPUB XHTML fragments: footnote pop-ups, images.

The model holds format-neutral HTML (see ``pipeline.model``). An EPUB content document must be
well-formed XML in the XHTML namespace, so a fragment is parsed with lxml's HTML parser, adapted,
rebuilt as XHTML elements and written by an XML serialiser (``<br/>``, no HTML-only attributes).
Footnotes become ``epub:type="footnote"`` asides so that reading systems show them as pop-ups
(https://www.w3.org/TR/epub-ssv-11/#notes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from pipeline.table_cells import prepare_table

log = logging.getLogger(__name__)

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: XHTML_NS, "epub": EPUB_NS}
EPUB_TYPE = "data-epub-type"  # placeholder while the tree is still an lxml.html tree

# Characters XML 1.0 forbids: C0 controls other than tab/newline/return, and the non-characters.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
OBSOLETE_ALIGN = {"left", "center", "right", "justify"}
INTEGER = re.compile(r"\d+")
WRAPPER_OPEN = f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">'


def to_xhtml(html: str, images: Mapping[str, str]) -> str:
    """An XHTML fragment (no namespace declarations) for model HTML; ``images`` maps src -> href."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(NOT_XML.sub("", html), create_parent="div")
    adapt_footnotes(root)
    adapt_images(root, images)
    adapt_attributes(root)
    for table in root.iter("table"):
        prepare_table(table)
    wrapper = etree.Element(f"{{{XHTML_NS}}}div", nsmap=NSMAP)
    wrapper.text = root.text
    for child in root:
        copy_element(child, wrapper)
    text: str = etree.tostring(wrapper, encoding="unicode")
    if text.endswith("/>"):  # a fragment that was only whitespace
        return ""
    # The wrapper only declares the namespaces; the chapter's <html> declares them again.
    assert text.startswith(WRAPPER_OPEN) and text.endswith("</div>"), text[:120]
    return text[len(WRAPPER_OPEN) : -len("</div>")]


def adapt_footnotes(root: HtmlElement) -> None:
    """Noterefs point to footnote asides that start with their number, linked back."""
    numbers: dict[str, str] = {}  # footnote id -> the number its reference shows
    for link in root.xpath('.//sup[contains(@class, "footnote-ref")]/a'):
        link.set(EPUB_TYPE, "noteref")
        link.set("role", "doc-noteref")
        numbers.setdefault((link.get("href") or "").lstrip("#"), (link.text or "").strip())
    for section in root.xpath('.//section[contains(@class, "footnotes")]'):
        container = lxml.html.Element("div", {"class": "footnotes"})
        for index, item in enumerate(section.xpath("./ol/li"), start=1):
            shown = numbers.get(item.get("id") or "", "")
            container.append(footnote_aside(item, int(shown) if shown.isdigit() else index))
        section.addprevious(container)
        container.tail = section.tail
        section.getparent().remove(section)


def footnote_aside(item: HtmlElement, number: int) -> HtmlElement:
    backrefs = item.xpath('.//a[contains(@class, "footnote-backref")]')
    back_href = backrefs[0].get("href") if backrefs else None
    for backref in backrefs:
        remove_keeping_tail(backref)
    aside = lxml.html.Element("aside", {"class": "footnote", "role": "doc-footnote"})
    aside.set(EPUB_TYPE, "footnote")
    if item.get("id"):
        aside.set("id", item.get("id"))
    aside.text = item.text
    for child in list(item):
        aside.append(child)
    if len(aside) == 0 or aside[0].tag != "p" or (aside.text or "").strip():
        paragraph = lxml.html.Element("p")  # inline content: one paragraph around it all
        paragraph.text, aside.text = aside.text, None
        for child in list(aside):
            paragraph.append(child)
        aside.append(paragraph)
    first = aside[0]
    mark = lxml.html.Element("a" if back_href else "span", {"class": "footnote-number"})
    if back_href:
        mark.set("href", back_href)
        mark.set("role", "doc-backlink")
    mark.text = str(number)
    mark.tail = " " + (first.text or "").lstrip()
    first.text = None
    first.insert(0, mark)
    return aside


def remove_keeping_tail(element: HtmlElement) -> None:
    """Remove an element; its tail text stays (trailing spaces before it go)."""
    parent = element.getparent()
    previous = element.getprevious()
    tail = (element.tail or "").rstrip()
    if previous is not None:
        previous.tail = (previous.tail or "").rstrip() + tail
    else:
        parent.text = (parent.text or "").rstrip() + tail
    parent.remove(element)


def adapt_images(root: HtmlElement, images: Mapping[str, str]) -> None:
    """Local images point into the book; anything else becomes a link (no remote resources)."""
    for image in root.iter("img"):
        src = image.get("src", "")
        alt = image.get("alt") or ""
        if src in images:
            image.set("src", images[src])
            image.set("alt", "" if caption_says(image, alt) else alt)
            continue
        log.warning('image "%s" is not in the book: kept as a link', src)
        image.tag = "a"
        image.attrib.clear()
        image.set("href", src)
        image.set("class", "remote-image")
        image.text = alt or src


def caption_says(image: HtmlElement, alt: str) -> bool:
    """Whether the image's figure caption says what its alt text says: a screen reader would
    read it twice, so the image gets an empty alt and the caption names the figure."""
    figure = image.getparent()
    if figure is None or figure.tag != "figure" or not alt.strip():
        return False
    caption = figure.find("figcaption")
    return caption is not None and " ".join(caption.text_content().split()) == " ".join(alt.split())


def adapt_attributes(root: HtmlElement) -> None:
    """HTML-only attributes become what XHTML 5 allows (EPUBCheck rejects obsolete ones)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        align = (element.attrib.pop("align", "") or "").lower()
        if align in OBSOLETE_ALIGN:
            add_class(element, f"align-{align}")
        for name in ("width", "height"):
            value = element.get(name)
            if value is not None and not INTEGER.fullmatch(value.strip()):
                del element.attrib[name]
        if element.tag == "input":
            for name in ("checked", "disabled"):
                if name in element.attrib:
                    element.set(name, name)


def add_class(element: HtmlElement, name: str) -> None:
    classes = element.get("class", "").split()
    element.set("class", " ".join([*classes, name]))


def copy_element(source: HtmlElement, parent: etree._Element) -> None:
    """Rebuild an lxml.html element (and its subtree) as XHTML under ``parent``."""
    if not isinstance(source.tag, str):  # comments, processing instructions
        append_text(parent, source.tail)
        return
    element = etree.SubElement(parent, f"{{{XHTML_NS}}}{source.tag.lower()}")
    for name, value in source.attrib.items():
        if name == EPUB_TYPE:
            element.set(f"{{{EPUB_NS}}}type", value)
        elif ":" not in name:
            element.set(name, value or "")
        if name == "lang":
            element.set(f"{{{XML_NS}}}lang", value)
    element.text = source.text
    for child in source:
        copy_element(child, element)
    element.tail = source.tail


def append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text
