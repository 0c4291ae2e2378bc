"""Report -> the ebook's XHTML documents, before packaging: an inspectable ``Ebook``.

Each document is rendered from a template in ``styles/``, parsed back as XML (a template or
fragment that is not well-formed fails here, not in a reading system), and finished as a set:
in-document links that cross documents become ``file.xhtml#id``, links to nothing are unwrapped,
and the characters each font face must carry are collected for subsetting.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree
from markupsafe import Markup

from pipeline.config import Settings
from pipeline.dates import korean_dates
from pipeline.epub.xhtml import XHTML_NS, to_xhtml
from pipeline.model import Chapter, Image, Report
from pipeline.templates import environment

log = logging.getLogger(__name__)

RESERVED_NAMES = {"cover", "title", "nav", "toc"}
ASCII_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
DOCTYPE = "<!DOCTYPE html>"
VALID_ID = re.compile(r"[^\t\n\f\r ]+")  # HTML: one character or more, no whitespace
# Which embedded face sets an element's text: keep in step with styles/ebook.css and
# styles/ebook-fonts.css.j2 (a character missing from a subset falls back to another font).
CODE_TAGS = {"code", "kbd", "pre", "samp"}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BOLD_TAGS = {"b", "strong", "th", "dt", "em", "i", "cite", "dfn", "var"}
BOLD_CLASSES = {"footnote-number", "callout-title", "toc-chapter"}
# Text a reading system draws by itself: list markers and the like.
GENERATED_TEXT = "0123456789. •◦▪\u00a0"


@dataclass(frozen=True)
class Document:
    """One XHTML content document of the book, in its final bytes."""

    file_name: str
    title: str
    content: bytes
    kind: str  # cover, title, nav, chapter


@dataclass(frozen=True)
class TocEntry:
    label: str
    href: str
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class Ebook:
    """What goes into the EPUB besides packaging: documents in reading order, images, text."""

    documents: tuple[Document, ...]
    toc: tuple[TocEntry, ...]
    images: dict[str, Image]  # href inside the book -> the model image (local files only)
    text: dict[str, str]  # font face key (body, body-bold, heading, code) -> characters used
    has_code: bool
    cover_href: str
    landmarks: tuple[tuple[str, str, str], ...] = field(default=())  # (epub:type, href, label)


def render_ebook(report: Report, settings: Settings, cover_href: str) -> Ebook:
    """Render every content document of ``report`` and finish them as one set."""
    images, by_src = image_hrefs(report.images)
    has_code = any("<pre" in html for html in report.html_parts())
    env = environment(settings)
    common: dict[str, Any] = {
        "lang": report.meta.lang or "ko",
        "meta": report.meta,
        "has_code": has_code,
    }

    def render(template: str, **context: Any) -> str:
        return env.get_template(f"ebook-{template}.xhtml.j2").render(common, **context)

    files = chapter_files(report.chapters)
    toc = table_of_contents(report, files)
    landmarks = (
        ("cover", "cover.xhtml", "표지"),
        ("toc", "nav.xhtml#toc", "차례"),
        ("bodymatter", files[0] if files else "title.xhtml", "본문"),
    )
    authors = report.meta.authors
    sources = [  # (file name, title, kind, XHTML) in reading order
        (
            "cover.xhtml",
            report.meta.title,
            "cover",
            render("cover", cover_href=cover_href, cover_alt=cover_alt(report)),
        ),
        (
            "title.xhtml",
            report.meta.title,
            "title",
            render(
                "title",
                authors=authors,
                dates_text=korean_dates(report.meta.dates),
                intro=fragment(report.intro_html, by_src),
            ),
        ),
        (
            "nav.xhtml",
            "차례",
            "nav",
            render(
                "nav",
                toc=toc,
                landmarks=[{"type": t, "href": h, "label": label} for t, h, label in landmarks],
            ),
        ),
    ]
    for chapter, file_name in zip(report.chapters, files, strict=True):
        entries = [
            {
                "talk": talk,
                "abstract": fragment(talk.abstract_html, by_src),
                "body": fragment(talk.body_html, by_src),
            }
            for talk in chapter.talks
        ]
        sources.append(
            (
                file_name,
                chapter.label,
                "chapter",
                render(
                    "chapter",
                    chapter=chapter,
                    intro=fragment(chapter.intro_html, by_src),
                    entries=entries,
                    date_text=korean_dates((chapter.date,)) if chapter.date else "",
                ),
            )
        )
    trees = {name: parse_document(name, xml) for name, _, _, xml in sources}
    resolve_links(trees, report.aliases)
    documents = tuple(
        Document(name, title, serialize(trees[name]), kind) for name, title, kind, _ in sources
    )
    text = collect_text(trees.values())
    return Ebook(documents, toc, images, text, has_code, cover_href, landmarks)


def table_of_contents(report: Report, files: list[str]) -> tuple[TocEntry, ...]:
    """Chapter > talk; a report without chapters lists its title page (no empty ``<ol>``)."""
    toc = tuple(
        TocEntry(
            chapter.label,
            file_name,
            tuple(TocEntry(talk.title, f"{file_name}#{talk.id}") for talk in chapter.talks),
        )
        for chapter, file_name in zip(report.chapters, files, strict=True)
    )
    return toc or (TocEntry(report.meta.title, "title.xhtml"),)


def fragment(html: str, images: Mapping[str, str]) -> Markup:
    return Markup(to_xhtml(html, images))  # noqa: S704 - built by an XML serialiser


def chapter_files(chapters: tuple[Chapter, ...]) -> list[str]:
    """ASCII file names: the chapter's id when it is one (``day-1``), else ``chapter-N``."""
    names: list[str] = []
    for number, chapter in enumerate(chapters, start=1):
        stem = chapter.id if ASCII_NAME.fullmatch(chapter.id) else f"chapter-{number}"
        if stem in RESERVED_NAMES or f"{stem}.xhtml" in names:
            stem = f"chapter-{number}"
        names.append(f"{stem}.xhtml")
    return names


def image_hrefs(images: tuple[Image, ...]) -> tuple[dict[str, Image], dict[str, str]]:
    """Each local image file's place in the book (``images/image-N.ext``), and each src's."""
    hrefs: dict[str, Image] = {}
    by_path: dict[Path, str] = {}
    by_src: dict[str, str] = {}
    for image in images:
        if image.path is None:
            continue
        if image.path not in by_path:
            suffix = image.path.suffix.lower().replace(".jpeg", ".jpg")
            by_path[image.path] = f"images/image-{len(by_path) + 1}{suffix}"
            hrefs[by_path[image.path]] = image
        by_src[image.src] = by_path[image.path]
    return hrefs, by_src


def cover_alt(report: Report) -> str:
    parts = [report.meta.title, report.meta.subtitle, korean_dates(report.meta.dates)]
    return "표지: " + " · ".join(part for part in parts if part)


def parse_document(name: str, xml: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as err:  # a bug in a template or in pipeline.epub.xhtml
        raise ValueError(f"{name} is not well-formed XHTML: {err}") from err


def resolve_links(trees: Mapping[str, etree._Element], aliases: Mapping[str, str]) -> None:
    """``#id`` links to another document get its file name; links to no id are unwrapped."""
    owner: dict[str, str] = {}
    for name, tree in trees.items():
        seen: set[str] = set()
        for element in tree.iter():
            element_id = element.get("id")
            if element_id is None:
                continue
            if element_id in seen or not VALID_ID.fullmatch(element_id):
                # Raw HTML in the notes can repeat a model id or carry a space: the first wins.
                log.warning('%s: id "%s" is repeated or not valid: dropped', name, element_id)
                del element.attrib["id"]
                continue
            seen.add(element_id)
            owner.setdefault(element_id, name)
    for name, tree in trees.items():
        for link in tree.iter(f"{{{XHTML_NS}}}a"):
            href = link.get("href", "")
            if not href.startswith("#"):
                continue
            target = unquote(href[1:])
            target = aliases.get(target, target)
            if target in owner:
                link.set(
                    "href", f"#{target}" if owner[target] == name else f"{owner[target]}#{target}"
                )
            else:
                log.warning('%s: link to "#%s" points to nothing: kept as text', name, target)
                del link.attrib["href"]


def serialize(tree: etree._Element) -> bytes:
    body: bytes = etree.tostring(tree, encoding="utf-8", xml_declaration=False)
    return f'<?xml version="1.0" encoding="utf-8"?>\n{DOCTYPE}\n'.encode() + body + b"\n"


def collect_text(trees: Iterable[etree._Element]) -> dict[str, str]:
    """The characters each embedded face must carry, sorted: the subsetting input."""
    chars: dict[str, set[str]] = {
        "body": set(GENERATED_TEXT),
        "body-bold": set(),
        "heading": set(),
        "code": set(),
    }
    for tree in trees:
        body = tree.find(f"{{{XHTML_NS}}}body")
        if body is None:
            continue
        for element in body.iter():
            if not isinstance(element.tag, str):
                continue
            if element.text:
                chars[face_key(element)].update(element.text)
            if element.tail and element is not body:
                chars[face_key(element.getparent())].update(element.tail)
    return {key: "".join(sorted(value - {"\n", "\t", "\r"})) for key, value in chars.items()}


def face_key(element: etree._Element) -> str:
    nodes = (element, *element.iterancestors())
    names = {etree.QName(node).localname for node in nodes}
    if names & CODE_TAGS:
        return "code"
    if names & HEADING_TAGS:
        return "heading"
    classes = {name for node in nodes for name in (node.get("class") or "").split()}
    if names & BOLD_TAGS or classes & BOLD_CLASSES:
        return "body-bold"
    return "body"
