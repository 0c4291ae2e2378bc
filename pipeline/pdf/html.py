"""The print document: the report through the print template, adapted for WeasyPrint.

With the role fonts cut to its characters, it makes the ``PrintJob`` the PDF stage lays out.
A build prepares it while a second process imports WeasyPrint (see ``pipeline.build.reports``).

The model holds format-neutral HTML; the print template wraps it into one document. This
stage rewrites that document's tree where WeasyPrint 70 needs help (docs/korean-typography.md):

- markdown-it footnotes become ``<span class="footnote">`` (``float: footnote`` in the CSS);
- external links get their URL as a footnote, so a printed page still says where it points;
- ``<ol start>`` becomes ``counter-reset: list-item`` (WeasyPrint ignores ``start``);
- Hangul words are kept whole across line breaks, code included, and printed URLs break
  only after ``/ . ? & =`` (``pipeline.pdf.linebreak``); a heading's last two words stay on
  one line.

The layout (article, compact or book) is chosen from the model by ``pipeline.pdf.layout``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from collections.abc import Iterator
from copy import deepcopy
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml.html import HtmlElement

from pipeline.config import Settings
from pipeline.dates import build_time, cover_year, korean_dates
from pipeline.font_faces import check_harfbuzz_subset, resolve_fonts
from pipeline.model import Report
from pipeline.pdf.layout import BookShape, plan_layout
from pipeline.pdf.linebreak import (
    BLOCKS,
    VERBATIM,
    break_urls,
    join_hangul_words,
    keep_last_words_together,
)
from pipeline.pdf.print_fonts import cut_fonts, cut_fonts_folder, print_families
from pipeline.pdf.tables import fit_tables
from pipeline.pdf.write import PrintJob, check_size, content_root, stylesheet_url
from pipeline.templates import environment

log = logging.getLogger(__name__)

TEMPLATE = "print.html.j2"
BLANKS = re.compile(r"\s*\n\s*")
# Prose containers of the template; footnotes and links are adapted inside each one.
SCOPES = ("intro", "chapter-intro", "abstract", "talk-body")
LINK_SCHEMES = ("http", "https", "mailto")
# An introduction of at most this many characters of plain text leads the contents page
# instead of taking a page of its own (blog posts often open with one line).
SHORT_INTRO = 400
# Headings and the bold lines that stand for one (run-in headings, see print.css).
HEADINGS = "//h1 | //h2 | //h3 | //h4 | //h5 | //h6 | //p[contains(@class, 'run-in')]"


def prepare_print(report: Report, settings: Settings) -> PrintJob:
    """Everything before WeasyPrint: checks, the print HTML, the font cuts."""
    check_size(report)
    check_harfbuzz_subset()
    html = render_print_html(report, settings)
    css = "".join(p.read_text(encoding="utf-8") for p in settings.styles_dir.glob("print*.css"))
    folder = cut_fonts_folder(settings)
    try:
        return PrintJob(html, cut_fonts(settings, html, css, folder), folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def render_print_html(report: Report, settings: Settings) -> str:
    """The HTML that WeasyPrint lays out: the print template, adapted for WeasyPrint."""
    resolve_fonts(settings.fonts, settings.fonts_dir)  # a missing font fails before any work
    template = environment(settings).get_template(TEMPLATE)
    layout = plan_layout(report)
    html = template.render(
        report=report,
        layout=layout,
        talk_heading="h2" if layout.kind == "article" else "h3",
        settings=settings,
        fonts=print_families(settings),
        stylesheet=stylesheet_url(settings),
        stamp=build_stamp(report, settings),
        dates=korean_dates(report.meta.dates, weekdays=True),
        year=cover_year(report),
        cover_src=_cover_src(report),
        chapter_dates={
            c.id: korean_dates((c.date,), weekdays=True)
            for c in report.chapters
            if c.date and not _names_date(c.title, c.date)
        },
        authors=report.meta.authors,
        intro_leads=_is_short(report.intro_html),
    )
    return adapt_document(html, report, layout, settings)


def _is_short(intro_html: str) -> bool:
    """Whether an introduction is a few lines of text: no figure, table, code or heading."""
    if not intro_html.strip():
        return False
    root = lxml.html.fragment_fromstring(intro_html, create_parent="div")
    blocks = root.xpath(".//figure | .//img | .//table | .//pre | .//h2 | .//h3 | .//h4 | .//h5")
    return not blocks and len(root.text_content().strip()) <= SHORT_INTRO


def _names_date(title: str, date: dt.date) -> bool:
    """Whether a chapter title already says its date (``2024년 10월 26일``, ``2024-10-26``)."""
    compact = title.replace(" ", "")
    return date.isoformat() in title or f"{date.month}월{date.day}일" in compact


def build_stamp(report: Report, settings: Settings) -> str:
    """The PDF's creation and modification date (see ``dates.build_time``)."""
    moment = build_time(report, settings.source_date_epoch)
    if moment is None:
        return ""
    if settings.source_date_epoch is not None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.date().isoformat()


def _cover_src(report: Report) -> str:
    """The front matter's cover image as a URL the locked fetcher serves, or ``""``."""
    cover = report.meta.cover
    if cover is None:
        return ""
    path = cover.resolve()
    if not path.is_file() or not path.is_relative_to(content_root(report)):
        log.warning('%s: cover image "%s" not found in the content folder', report.source, cover)
        return ""
    return path.as_uri()


def adapt_document(html: str, report: Report, layout: BookShape, settings: Settings) -> str:
    """The print document with footnotes, links and lists adapted, Hangul joined and tables
    sized to their content."""
    root = lxml.html.document_fromstring(html)
    if layout.kind == "article":
        _raise_headings(root)
    ids = {str(i) for i in root.xpath("//@id")}
    for element in root.xpath("//a[@rel] | //link[@rel]"):
        _drop_attachment(element)
    for scope in _scopes(root):
        _drop_blank_lines(scope)
        _make_footnotes(scope)
        _link_footnotes(scope)
        _fix_internal_links(scope, ids, report.aliases)
        _number_lists(scope)
        _label_list_items(scope)
        _show_remote_images(scope)
    body = root.find("body")
    if body is not None:
        break_urls(body)
        join_hangul_words(body)
        for heading in body.xpath(HEADINGS):
            keep_last_words_together(heading)
        fit_tables(body, settings)
    return str(lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>"))


def _raise_headings(root: HtmlElement) -> None:
    """An article's talk title is an ``h2``: its own headings come a level up (``h4`` ->
    ``h3``), so that no level is skipped (PDF/UA, Matterhorn 14-003)."""
    inside = "//*[contains(@class, 'talk-body')]"
    for heading in root.xpath(f"{inside}//h4 | {inside}//h5 | {inside}//h6"):
        heading.tag = f"h{int(heading.tag[1]) - 1}"


def _scopes(root: HtmlElement) -> Iterator[HtmlElement]:
    condition = " or ".join(f"contains(concat(' ', @class, ' '), ' {c} ')" for c in SCOPES)
    yield from root.xpath(f"//*[{condition}]")


def _drop_attachment(element: HtmlElement) -> None:
    """``rel=attachment`` makes WeasyPrint embed the target file in the PDF: never do that."""
    rels = element.get("rel", "").lower().split()
    if "attachment" not in rels:
        return
    log.warning("dropped an attachment link to %s", element.get("href", ""))
    if element.tag == "link":
        element.drop_tree()
    else:
        element.attrib.pop("rel")
        if urlsplit(element.get("href", "")).scheme not in LINK_SCHEMES:
            element.drop_tag()


def _drop_blank_lines(scope: HtmlElement) -> None:
    """A ``<br>`` alone in a paragraph (blog spacing) would print as an empty paragraph."""
    for br in list(scope.iter("br")):
        parent = br.getparent()
        if parent is None:
            continue
        alone = parent.tag == "p" and not parent.text_content().strip() and len(parent) == 1
        if alone:
            parent.drop_tree()
        elif parent is scope or parent.tag in BLOCKS - {"br", "p", "td", "th", "li", "dd", "dt"}:
            br.drop_tree()


def _make_footnotes(scope: HtmlElement) -> None:
    """markdown-it's footnote list -> an inline ``span.footnote`` at each reference."""
    notes = {li.get("id"): li for li in scope.xpath(".//section[@class='footnotes']//li[@id]")}
    for sup in scope.xpath(".//sup[contains(@class, 'footnote-ref')]"):
        link = sup.find("a")
        target = (link.get("href", "") if link is not None else "").lstrip("#")
        note = notes.get(target)
        if note is None:
            continue
        span = _inline_copy(note)
        span.set("class", "footnote")
        span.tail = sup.tail
        sup.getparent().replace(sup, span)
    for element in scope.xpath(".//section[@class='footnotes'] | .//hr[@class='footnotes-sep']"):
        element.drop_tree()


def _inline_copy(note: HtmlElement) -> HtmlElement:
    """A footnote's content as a span: paragraphs become runs, the back-reference goes."""
    span = lxml.html.Element("span")
    span.text = note.text
    for child in note:
        span.append(deepcopy(child))
    for backref in span.xpath(".//a[contains(@class, 'footnote-backref')]"):
        backref.drop_tree()
    for index, paragraph in enumerate(span.xpath(".//p")):
        if index:
            paragraph.text = " " + (paragraph.text or "")
        paragraph.drop_tag()
    # Newlines left at the end of a footnote trip an assertion in WeasyPrint 70's line
    # splitting ("Got ' \n' between two lines"): a footnote is one run of text.
    for element in span.iter():
        if element.text and element.tag not in VERBATIM:
            element.text = BLANKS.sub(" ", element.text)
        if element.tail and element is not span:
            element.tail = BLANKS.sub(" ", element.tail)
    span.text = (span.text or "").lstrip()
    last = span[-1] if len(span) else None
    if last is None:
        span.text = span.text.rstrip()
    elif last.tail:
        last.tail = last.tail.rstrip()
    return span


def _link_footnotes(scope: HtmlElement) -> None:
    """An external link whose text is not its URL gets the URL as a footnote (once per scope).

    Print cannot click: a footnote puts the address on the same page as the link text without
    breaking the sentence, and keeps long URLs out of the justified text.
    """
    seen: set[str] = set()
    for link in scope.xpath(".//a[@href]"):
        href = link.get("href", "")
        if urlsplit(href).scheme not in ("http", "https"):
            continue
        if _bare(link.text_content()) == _bare(href):  # a printed URL, in a footnote too
            link.set("class", (link.get("class", "") + " url").strip())
            continue
        if href in seen or link.xpath(
            "ancestor::*[contains(@class, 'footnote') or contains(@class, 'remote-image')]"
        ):
            continue
        seen.add(href)
        note = lxml.html.Element("span", {"class": "footnote url-note"})
        address = lxml.html.Element("a", {"href": href, "class": "url"})
        address.text = unquote(href)
        note.append(address)
        note.tail, link.tail = link.tail, None
        link.addnext(note)


def _bare(url: str) -> str:
    return re.sub(r"^[a-z]+://(www\.)?|/$", "", unquote(url.strip()).lower())


def _fix_internal_links(scope: HtmlElement, ids: set[str], aliases: dict[str, str]) -> None:
    """Hand-written anchors -> model ids; a link to nothing keeps its text and loses the link.

    Links to other schemes (``file:``, ``javascript:``) have no place in a book: text only.
    """
    for link in scope.xpath(".//a[@href and not(starts-with(@href, '#'))]"):
        if urlsplit(link.get("href", "")).scheme not in LINK_SCHEMES:
            link.drop_tag()
    for link in scope.xpath(".//a[starts-with(@href, '#')]"):
        anchor = unquote(link.get("href", "")[1:])
        anchor = aliases.get(anchor, anchor)
        if anchor in ids:
            link.set("href", f"#{anchor}")
        else:
            link.drop_tag()


def _number_lists(scope: HtmlElement) -> None:
    """WeasyPrint 70 ignores ``<ol start>``; the list-item counter does the same job."""
    for ol in scope.xpath(".//ol[@start]"):
        try:
            start = int(ol.get("start", "1"))
        except ValueError:
            continue
        if start != 1:
            ol.set("style", f"counter-reset: list-item {start - 1}")


# What may open a list item's first line (the label goes before it), besides its own text.
# Not an image (the label would sit at its foot) nor a task list's checkbox.
TEXT_LEVEL = (
    "a abbr b br cite code del em i ins kbd mark q s samp small span strong sub sup u var"
).split()


def _label_list_items(scope: HtmlElement) -> None:
    """Each list item's bullet or number is a ``::before`` of the element its first line is
    in (the item, or its first paragraph), class ``list-label`` (print.css), instead of
    WeasyPrint's ``::marker``: a marker outside the text is an absolutely positioned box
    measured for its width, a fifth of a day's layout. An item that opens with anything but
    text (a list, code, an image, a checkbox) keeps its marker. ``pipeline.pdf.tags`` makes
    each label the item's ``Lbl``, as a marker is."""
    for item in scope.xpath(".//ul/li | .//ol/li"):
        host = item
        if not _opens_with_text(item) and len(item) and item[0].tag == "p":
            host = item[0]
        if not _opens_with_text(host):
            continue
        item.set("class", (item.get("class", "") + " labelled").strip())
        host.set("class", (host.get("class", "") + " list-label").strip())


def _opens_with_text(element: HtmlElement) -> bool:
    """Its first line starts with text, or with an element of text (a link, bold, code)."""
    if (element.text or "").strip():
        return True
    return (
        len(element) > 0 and element[0].tag in TEXT_LEVEL and bool(element.text_content().strip())
    )


def _show_remote_images(scope: HtmlElement) -> None:
    """A remote image that was not fetched prints as its address (the caption says what)."""
    for link in scope.xpath(".//figure[contains(@class, 'remote-image')]/a[@href]"):
        for child in list(link):
            link.remove(child)
        link.text = unquote(link.get("href", ""))
        link.set("class", (link.get("class", "") + " url").strip())
