"""Raw HTML in the notes made safe: an allowlist (nh3, i.e. ammonia), embeds turned into links,
images and in-document links resolved, blog spacers dropped."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import lxml.html
import nh3
from lxml.html import HtmlElement

from pipeline.read.highlight import highlight_code
from pipeline.read.placement import repair_placement

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "input": {"type", "checked", "disabled"},
}
EMBED_TAGS = {"iframe", "script", "embed", "object", "video", "audio", "source"}
EMBED_SITES = {
    "youtube.com": "YouTube 영상",
    "youtu.be": "YouTube 영상",
    "slideshare.net": "SlideShare 슬라이드",
    "speakerdeck.com": "Speaker Deck 슬라이드",
    "docs.google.com": "Google 문서",
    "drive.google.com": "Google Drive 문서",
    "vimeo.com": "Vimeo 영상",
    "gist.github.com": "GitHub Gist",
    "codepen.io": "CodePen",
}
SPACER = re.compile(r"^\s*(<br\s*/?>\s*|&nbsp;\s*)*$", re.I)


class TagFinder(HTMLParser):
    """The start tags of a piece of raw HTML, with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags_in(html: str) -> list[tuple[str, dict[str, str]]]:
    finder = TagFinder()
    finder.feed(html)
    return finder.tags


def absolute_url(url: str) -> str:
    """Protocol-relative `//host/x` (as embed codes write them) becomes https."""
    url = url.strip()
    return "https:" + url if url.startswith("//") else url


def embed_url(url: str) -> str:
    """An embed's address as a reader would open it (https, YouTube watch pages)."""
    url = absolute_url(url)
    try:
        parsed = urlparse(url)
    except ValueError:  # "http://[zz/": not a usable address, shown as written
        return url
    if parsed.hostname and parsed.hostname.endswith("youtube.com") and "/embed/" in parsed.path:
        video = parsed.path.split("/embed/", 1)[1].split("/")[0]
        start = parse_qs(parsed.query).get("start", [""])[0]
        return f"https://www.youtube.com/watch?v={video}" + (f"&t={start}" if start else "")
    return url


def embed_links(html: str, block: bool) -> str:
    """Links to what the raw HTML embeds, so that the reader still finds the slides."""
    links = []
    for tag, attributes in tags_in(html):
        url = embed_url(attributes.get("src") or attributes.get("data") or "")
        title = attributes.get("title", "")
        if tag not in EMBED_TAGS or not url.startswith(("http://", "https://")):
            continue
        host = urlparse(url).hostname or ""
        site = next(
            (label for domain, label in EMBED_SITES.items() if host.endswith(domain)),
            "삽입된 콘텐츠",
        )
        label = f"{site}: {title}" if title else site
        links.append(f'<a class="embed" href="{escape(url)}">{escape(label)}</a>')
    if not links:
        return ""
    return "".join(f'<p class="embed">{link}</p>' for link in links) if block else " ".join(links)


def is_spacer(html: str) -> bool:
    """`<br>`, `<br /><br />` or `&nbsp;` alone: layout scaffolding from blog editors."""
    return bool(SPACER.match(html))


def clean(html: str) -> str:
    """The allowlist: no script, style, event handlers, javascript: URLs, object/embed/form."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        clean_content_tags={"script", "style", "template", "noscript"},
        strip_comments=True,
    )


ImageRewriter = Callable[[HtmlElement], None]
LinkResolver = Callable[[str], str | None]


def finish_fragment(html: str, rewrite_image: ImageRewriter, resolve_anchor: LinkResolver) -> str:
    """Resolve images and in-document links; turn lone images into figures; drop spacers
    and the `---` rules a part opens or closes with (they separate it from nothing: talks get
    our own rules, chapters and the introduction their own pages)."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    own_ids = {element.get("id") for element in root.iter() if element.get("id")}
    for link in list(root.iter("a")):
        href = link.get("href")
        if href is None or not href.strip():
            link.drop_tag()
        elif href.startswith("//"):
            link.set("href", absolute_url(href))
        elif href.startswith("#") and href[1:] not in own_ids:
            target = resolve_anchor(href[1:])
            if target is None:
                link.drop_tag()
            else:
                link.set("href", "#" + target)
    flatten_deep_nesting(root)
    highlight_raw_code(root)
    make_figures(root)
    for image in list(root.iter("img")):
        rewrite_image(image)
    repair_placement(root)
    mark_rows_and_run_ins(root)
    for paragraph in list(root.iter("p")):
        drop_trailing_breaks(paragraph)
        if not (paragraph.text or "").strip() and len(paragraph) == 0:
            paragraph.drop_tree()
    while len(root) and root[-1].tag == "hr":
        root.remove(root[-1])
    while len(root) and root[0].tag == "hr" and not (root.text or "").strip():
        root.remove(root[0])
    return (
        "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
        if len(root)
        else escape(root.text or "")
    )


MEDIA = './/img | .//*[contains(@class, "remote-image") or contains(@class, "missing-image")]'


def mark_rows_and_run_ins(root: HtmlElement) -> None:
    """Classes the writers lay out by: a paragraph or list item holding images, image
    placeholders or only links is a `media-row` (never justified: justifying it stretches
    the spaces between pictures into gaps); a paragraph that is only bold text before more
    text is a `run-in` heading (kept with what follows)."""
    for element in root.iter("p", "li"):
        links = element.findall("a")
        rest = (element.text_content() or "").split()
        link_words = sum(len((a.text_content() or "").split()) for a in links)
        if element.xpath(MEDIA) or (len(links) >= 2 and len(rest) - link_words <= 3):
            add_class(element, "media-row")
    for paragraph in root.iter("p"):
        children = list(paragraph)
        following = paragraph.getnext()
        if (
            len(children) == 1
            and children[0].tag in ("strong", "b")
            and not (paragraph.text or "").strip()
            and not (children[0].tail or "").strip(" :：\n")
            and following is not None
            and following.tag in ("p", "ul", "ol", "pre", "table", "blockquote", "div", "figure")
        ):
            add_class(paragraph, "run-in")


def add_class(element: HtmlElement, name: str) -> None:
    element.set("class", " ".join([*element.get("class", "").split(), name]))


MAX_DEPTH = 40  # deeper raw HTML nesting is flattened: no reader needs it, parsers choke on it


def flatten_deep_nesting(root: HtmlElement) -> None:
    """Unwrap elements nested deeper than MAX_DEPTH, keeping their text (10,000 nested divs)."""
    too_deep = []
    stack = [(child, 1) for child in root]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            too_deep.append(element)
        stack.extend((child, depth + 1) for child in element)
    for element in reversed(too_deep):  # innermost first
        element.drop_tag()


def highlight_raw_code(root: HtmlElement) -> None:
    """Raw `<pre><code class="language-x">` in the notes is highlighted like fenced code."""
    for code in root.xpath('.//pre/code[starts-with(@class, "language-")]'):
        pre = code.getparent()
        if code.xpath('ancestor::div[contains(@class, "highlight")]') or len(code):
            continue
        language = code.get("class", "").split()[0].removeprefix("language-")
        block = lxml.html.fragment_fromstring(highlight_code(code.text or "", language))
        block.tail = pre.tail
        pre.getparent().replace(pre, block)


def make_figures(root: HtmlElement) -> None:
    """Images standing alone (a paragraph of only images, or a raw `<img>` between blocks)
    become figures, one per image, captioned by their title or a meaningful alt text."""
    for paragraph in list(root.iter("p")):
        children = list(paragraph)
        # `![](x.png)` then a raw `<figcaption>` (as blog editors write it): its caption
        caption = children.pop() if children and children[-1].tag == "figcaption" else None
        if (
            children
            and all(c.tag in ("img", "br") and not (c.tail or "").strip() for c in children)
            and not (paragraph.text or "").strip()
            and any(c.tag == "img" for c in children)
        ):
            images = [c for c in children if c.tag == "img"]
            for image in images:
                figure = figure_for(image)
                if caption is not None and image is images[-1]:
                    for old in figure.findall("figcaption"):
                        figure.remove(old)
                    caption.tail = None
                    figure.append(caption)
                paragraph.addprevious(figure)
            paragraph.drop_tree()
    for image in [c for c in root if c.tag == "img"]:
        index, tail = root.index(image), image.tail
        figure = figure_for(image)  # takes the image out of the root
        root.insert(index, figure)
        figure.tail = tail


def figure_for(image: HtmlElement) -> HtmlElement:
    figure = lxml.html.Element("figure")
    caption = image.get("title") or image.get("alt") or ""
    image.tail = None
    figure.append(image)
    if caption and not is_junk_caption(caption):
        figcaption = lxml.html.Element("figcaption")
        figcaption.text = caption
        figure.append(figcaption)
    return figure


JUNK_CAPTION = re.compile(
    r"^(image|img|photo|picture|screenshot|그림|이미지|사진|캡처|스크린샷)?[\s_-]*\d*$"
    r"|\.(png|jpe?g|gif|webp|svg|bmp)$|^(image|img|screenshot|capture|cap)[\s_%+-]*\d"
    r"|^IMG[_-]?\d",
    re.I,
)


def is_junk_caption(text: str) -> bool:
    """`image`, `IMG_8149 Medium.png`, `image-20220827151546729`: no caption at all."""
    return bool(JUNK_CAPTION.search(text.strip()))


def drop_trailing_breaks(paragraph: HtmlElement) -> None:
    while len(paragraph) and paragraph[-1].tag == "br" and not (paragraph[-1].tail or "").strip():
        last = paragraph[-1]
        paragraph.remove(last)
    # a paragraph that opens with a break is a blog spacer too
    while len(paragraph) and paragraph[0].tag == "br" and not (paragraph.text or "").strip():
        first = paragraph[0]
        paragraph.text = (paragraph.text or "") + (first.tail or "").lstrip("\n")
        paragraph.remove(first)
