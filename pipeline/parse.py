"""Notes -> Report: find the title, the days (chapters), the talks, speakers and abstracts.

How the notes are understood (the README's "Writing notes" says the same to users):
- The title is the front matter's, else the first H1 that is not a day marker, else the file name.
- Day markers (`DAY 1`, `2일차`, `첫째 날`, a date...) at any heading level make that level the
  chapter level: every heading there is a chapter, a day or another section (소개, 후기) in its
  place. Without day markers the whole notes are one implicit day.
- A chapter's talks are its subheadings one level down. A time slot or time-of-day heading
  (`09:50 ~ 10:45`, `오전`) with subheadings is a group: its subheadings are the talks.
  Short headings such as `점심`, `후기` are non-talk sections beside the talks.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import lxml.html
from markdown_it.token import Token

from pipeline import recognise, sanitize
from pipeline.config import REPORT_KEYS, FetchPolicy, checked
from pipeline.errors import ContentError
from pipeline.markdown import Footnotes, inline_text, parse_tokens, render_tokens
from pipeline.metadata import read_metadata
from pipeline.model import Chapter, Image, Report, Source, Talk
from pipeline.notes import Notes, read_notes

log = logging.getLogger(__name__)

UNTITLED = "제목 없음"  # what an empty heading is called in the contents
TOC_MARKERS = re.compile(r"^\s*(\[\[?toc\]\]?|\{:toc\}|\[\[_toc_\]\])\s*$", re.I)



@dataclass
class Block:
    """One top-level Markdown block of a notes file: a heading, a paragraph, a list..."""

    tokens: list[Token]
    notes: Notes
    footnotes: Footnotes

    @property
    def line(self) -> int:
        return (self.tokens[0].map[0] + 1) if self.tokens[0].map else 1

    @property
    def source(self) -> Source:
        return Source(self.notes.path, self.line)

    @property
    def heading_level(self) -> int | None:
        first = self.tokens[0]
        return int(first.tag[1]) if first.type == "heading_open" else None

    @property
    def text(self) -> str:
        return inline_text(self.tokens[1]) if len(self.tokens) > 1 else ""


@dataclass
class Node:
    """A heading with the blocks under it and its subheadings."""

    heading: Block | None
    level: int
    content: list[Block] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.heading.text if self.heading else ""

    def walk(self) -> Iterable[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def read_report(path: Path, fetch: FetchPolicy = FetchPolicy()) -> Report:
    """Read a notes file or a report folder into a Report."""
    if path.is_dir():
        index = read_notes(path / "index.md")
        parts = [read_notes(p) for p in sorted(path.glob("*.md")) if p.name != "index.md"]
        return parse_report(path.name, index, parts, content_root=path, fetch=fetch)
    return parse_report(path.stem, read_notes(path), [], content_root=path.parent, fetch=fetch)


def parse_report(name: str, notes: Notes, parts: Sequence[Notes], content_root: Path,
                 fetch: FetchPolicy = FetchPolicy()) -> Report:
    """Turn the notes (and, for a folder, its chapter files) into the report model."""
    if not notes.text.strip() and not parts:
        raise ContentError(notes.path, None, "the notes are empty",
                           "write a title (# ...) and your notes, then build again")
    blocks = read_blocks(notes, "")
    root = build_tree(blocks)
    title_node = find_title_node(root)
    if title_node is not None:
        root = drop_title(root, title_node)
    meta = read_metadata(notes, title_node.title if title_node else "", fallback=name)
    year = meta.dates[0].year if meta.dates else None
    if parts:
        chapter_nodes = [("node", node) for node in root.children]
        for number, part in enumerate(parts, start=1):
            chapter_nodes.append(("node", part_node(part, read_blocks(part, f"{number}-"))))
        layout = Layout(root=Node(None, 0, children=[n for _, n in chapter_nodes]), year=year,
                        chapter_level=None, files_are_chapters=True)
    else:
        layout = Layout(root=root, year=year, chapter_level=chapter_level(root, year))
    builder = ReportBuilder(content_root=content_root.resolve(), meta_dates=meta.dates,
                            fetch=fetch)
    drafts = layout.chapters()
    builder.assign_ids(drafts, title_node)
    chapters = tuple(builder.chapter(draft) for draft in drafts)
    intro = builder.render(root.content)
    linked = sum(1 for image in builder.images.values() if image.is_remote)
    if linked:
        plural = "s" if linked > 1 else ""
        log.warning("%s: %d remote image%s shown as captioned link%s (use --fetch-images to "
                    "embed them)", notes.path, linked, plural, plural)
    overrides = {key: notes.front_matter[key] for key in REPORT_KEYS if key in notes.front_matter}
    return Report(
        name=name, meta=meta,
        settings=checked(overrides, notes.path, notes.front_matter_lines, report_level=True), source=Source(notes.path, 1), intro_html=intro, chapters=chapters,
        images=tuple(builder.images.values()), aliases=dict(builder.aliases),
        content_root=content_root.resolve(),
    )


def read_blocks(notes: Notes, footnote_prefix: str) -> list[Block]:
    tokens, bodies = parse_tokens(notes.text)
    footnotes = Footnotes(footnote_prefix, bodies)
    blocks: list[Block] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        current.append(token)
        depth += token.nesting
        if depth == 0:
            blocks.append(Block(current, notes, footnotes))
            current = []
    return remove_scaffolding(blocks)


TOC_OPEN = re.compile(r"<!--\s*toc\s*-->", re.I)
TOC_CLOSE = re.compile(r"<!--\s*/toc\s*-->", re.I)


def remove_scaffolding(blocks: list[Block]) -> list[Block]:
    """Hand-made TOCs, `[TOC]` markers, comments and `<br>` spacer lines are not content."""
    kept: list[Block] = []
    toc_end = -1
    for index, block in enumerate(blocks):
        if index <= toc_end:
            continue
        first = block.tokens[0]
        if first.type == "html_block":
            html = first.content
            if TOC_OPEN.search(html):  # drop through the closing marker, if there is one
                toc_end = next((i for i in range(index, len(blocks))
                                if blocks[i].tokens[0].type == "html_block"
                                and TOC_CLOSE.search(blocks[i].tokens[0].content)), index)
                continue
            if sanitize.is_spacer(html) or re.fullmatch(r"\s*(<!--.*?-->\s*)+", html, re.S):
                continue
        if first.type == "paragraph_open" and (TOC_MARKERS.match(block.tokens[1].content)
                                               or sanitize.is_spacer(block.tokens[1].content)):
            continue
        if first.type in ("bullet_list_open", "ordered_list_open") and is_link_list(block):
            continue
        kept.append(block)
    return kept


def is_link_list(block: Block) -> bool:
    """A list made only of links to headings of this document: a hand-made contents list."""
    links = 0
    for token in block.tokens:
        if token.type != "inline":
            continue
        for child in token.children or ():
            if child.type == "link_open":
                if not str(child.attrs.get("href", "")).startswith("#"):
                    return False
                links += 1
            elif child.type == "text" and child.content.strip() and child.level == 0:
                return False
            elif child.type not in ("text", "link_open", "link_close", "softbreak",
                                    "code_inline", "strong_open", "strong_close"):
                return False
    return links >= 2


def build_tree(blocks: list[Block]) -> Node:
    root = Node(None, 0)
    stack = [root]
    for block in blocks:
        level = block.heading_level
        if level is None:
            stack[-1].content.append(block)
            continue
        while stack[-1].level >= level:
            stack.pop()
        node = Node(block, level)
        stack[-1].children.append(node)
        stack.append(node)
    return root


def find_title_node(root: Node) -> Node | None:
    """The first H1 that is not a day marker is the title heading."""
    for node in root.walk():
        if node.level == 1 and recognise.day_marker(node.title) is None:
            return node
    return None


def drop_title(root: Node, title: Node) -> Node:
    """The title heading leaves the tree; what it held moves up in its place."""
    def rebuild(node: Node) -> Node:
        children: list[Node] = []
        content = list(node.content)
        for child in node.children:
            if child is title:
                (content if not children else children[-1].content).extend(title.content)
                children.extend(rebuild(grand) for grand in title.children)
            else:
                children.append(rebuild(child))
        return Node(node.heading, node.level, content, children)
    return rebuild(root)


def part_node(part: Notes, blocks: list[Block]) -> Node:
    """A chapter file of a report folder: its single top heading, or a chapter named after it."""
    tree = build_tree(blocks)
    if len(tree.children) == 1 and not tree.content:
        return tree.children[0]
    title = str(part.front_matter.get("title") or part.path.stem)
    heading = Token("heading_open", "h1", 1, map=[0, 1])
    inline = Token("inline", "", 0, content=title, children=[Token("text", "", 0, content=title)])
    synthetic = Block([heading, inline, Token("heading_close", "h1", -1)], part,
                      blocks[0].footnotes if blocks else Footnotes(""))
    return Node(synthetic, 1, tree.content, tree.children)


def chapter_level(root: Node, year: int | None) -> int | None:
    levels = [node.level for node in root.walk()
              if node.heading and recognise.day_marker(node.title, year)]
    return min(levels) if levels else None


@dataclass
class Draft:
    """A chapter or talk before ids are known."""

    node: Node
    kind: str
    entries: list[Draft] = field(default_factory=list)
    slot: str | None = None
    own_content_only: bool = False
    id: str = ""


@dataclass
class Layout:
    """Decides which headings are chapters and which are talks."""

    root: Node
    year: int | None
    chapter_level: int | None
    files_are_chapters: bool = False

    def chapters(self) -> list[Draft]:
        if self.files_are_chapters:
            return [self.chapter(node) for node in self.root.children]
        if self.chapter_level is None:
            if not self.root.children:  # no headings at all: the text is the one chapter
                implicit = Node(None, 0, self.root.content)
                self.root.content = []
                return [Draft(implicit, "implicit")] if implicit.content else []
            implicit = Node(None, 0, [], self.root.children)
            return [Draft(implicit, "implicit", self.entries(self.root.children))]
        return list(self.walk(self.root.children))

    def walk(self, nodes: list[Node]) -> Iterable[Draft]:
        assert self.chapter_level is not None
        for node in nodes:
            if node.level < self.chapter_level:
                yield Draft(node, "section", own_content_only=True)
                yield from self.walk(node.children)
            else:
                yield self.chapter(node)

    def chapter(self, node: Node) -> Draft:
        kind = "day" if recognise.day_marker(node.title, self.year) else "section"
        return Draft(node, kind, self.entries(node.children))

    def entries(self, nodes: list[Node], slot: str | None = None) -> list[Draft]:
        drafts: list[Draft] = []
        for node in nodes:
            if node.children and recognise.is_group(node.title):
                if node.content:
                    drafts.append(Draft(node, "section", slot=slot, own_content_only=True))
                drafts.extend(self.entries(node.children, slot=node.title))
            else:
                kind = "section" if recognise.is_section(node.title) else "talk"
                drafts.append(Draft(node, kind, slot=slot))
        return drafts


class ReportBuilder:
    """Gives ids, resolves links and images, and renders each part's HTML."""

    def __init__(self, content_root: Path, meta_dates: tuple[dt.date, ...],
                 fetch: FetchPolicy) -> None:
        self.content_root = content_root
        self.fetch = fetch
        self.meta_dates = meta_dates
        self.year = meta_dates[0].year if meta_dates else None
        self.ids: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.heading_ids: dict[int, str] = {}  # id(heading block) -> model id
        self.images: dict[str, Image] = {}
        self.site_paths: dict[str, str] = {}  # blog-site image paths not found: src -> alt
        self.day_count = 0

    # ids ---------------------------------------------------------------------------------
    def unique(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.ids:
            candidate, number = f"{wanted}-{number}", number + 1
        self.ids.add(candidate)
        return candidate

    def alias(self, text: str, target: str) -> None:
        slug = recognise.slugify(text)
        candidate, number = slug, 1
        while candidate in self.aliases:
            candidate, number = f"{slug}-{number}", number + 1
        if candidate:
            self.aliases[candidate] = target

    def assign_ids(self, drafts: list[Draft], title_node: Node | None) -> None:
        if title_node is not None:
            self.alias(title_node.title, "top")
        for position, draft in enumerate(drafts, start=1):
            if draft.kind == "day":
                marker = recognise.day_marker(draft.node.title, self.year)
                self.day_count += 1
                number = marker.number if marker and marker.number else self.day_count
                draft.id = self.unique(f"day-{number}")
            elif draft.kind == "implicit":
                draft.id = self.unique("day-1")
            else:
                draft.id = self.unique(f"chapter-{position}")
            self.name_heading(draft.node, draft.id)
            for index, entry in enumerate(draft.entries, start=1):
                entry.id = self.unique(f"{draft.id}-talk-{index}")
                self.name_heading(entry.node, entry.id)
                if not entry.own_content_only:
                    for sub, node in enumerate(list(entry.node.walk())[1:], start=1):
                        self.name_heading(node, self.unique(f"{entry.id}-{sub}"))
            if draft.kind == "section" and not draft.own_content_only and not draft.entries:
                pass

    def name_heading(self, node: Node, model_id: str) -> None:
        if node.heading is not None:
            self.heading_ids[id(node.heading)] = model_id
            self.alias(node.title, model_id)
        self.ids.add(model_id)

    def resolve_anchor(self, fragment: str) -> str | None:
        text = unquote(fragment)
        for candidate in (text, text.lower(), recognise.slugify(text)):
            if candidate in self.ids:
                return candidate
            if candidate in self.aliases:
                return self.aliases[candidate]
        return None

    # model -------------------------------------------------------------------------------
    def chapter(self, draft: Draft) -> Chapter:
        node = draft.node
        marker = recognise.day_marker(node.title, self.year) if node.heading else None
        if draft.kind == "implicit":
            date = self.meta_dates[0] if len(self.meta_dates) == 1 else None
            title = date_label(date) if date else "세션"
            first = node.children[0].heading if node.children else \
                (node.content[0] if node.content else None)
            source = first.source if first else Source(Path("."), 1)
            return Chapter(id=draft.id, title=title, source=source, kind="day", number=None,
                           date=date, intro_html=self.render(node.content),
                           talks=tuple(self.talk(e) for e in draft.entries))
        assert node.heading is not None
        kind: Literal["day", "section"] = "day" if draft.kind == "day" else "section"
        number = None
        if kind == "day":
            number = int(draft.id.split("-")[1]) if re.fullmatch(r"day-\d+", draft.id) else None
        content = node.content if draft.entries or draft.own_content_only else \
            node.content + [b for child in node.children for b in self.subtree(child)]
        return Chapter(
            id=draft.id, title=node.title or UNTITLED, source=node.heading.source, kind=kind,
            number=number,
            date=marker.date if marker else None,
            subtitle=recognise.day_subtitle(node.title) if marker else "",
            intro_html=self.render(content),
            talks=tuple(self.talk(entry) for entry in draft.entries),
        )

    def subtree(self, node: Node) -> list[Block]:
        blocks = [node.heading] if node.heading else []
        blocks += node.content
        for child in node.children:
            blocks += self.subtree(child)
        return blocks

    def talk(self, draft: Draft) -> Talk:
        node = draft.node
        assert node.heading is not None
        title, speaker = recognise.split_speaker(node.title)
        content = list(node.content)
        abstract: list[Block] = []
        if draft.kind == "talk":
            if content and speaker is None and (line := speaker_line(content[0])):
                speaker = line
                content = content[1:]
            if content and content[0].tokens[0].type == "blockquote_open":
                abstract = [content.pop(0)]
        else:
            title = node.title
        body = content if draft.own_content_only else \
            content + [b for child in node.children for b in self.subtree(child)]
        return Talk(
            id=draft.id, title=title or UNTITLED, source=node.heading.source,
            kind="talk" if draft.kind == "talk" else "section", speaker=speaker, slot=draft.slot,
            abstract_html=self.render(abstract, inner_blockquote=True),
            body_html=self.render(body, talk_level=node.level),
        )

    # html --------------------------------------------------------------------------------
    def render(self, blocks: list[Block], talk_level: int = 0,
               inner_blockquote: bool = False) -> str:
        if not blocks:
            return ""
        runs: list[tuple[Footnotes, list[Token]]] = []
        for block in blocks:
            self.check_references(block)
            tokens = block.tokens
            if inner_blockquote and tokens[0].type == "blockquote_open":
                tokens = tokens[1:-1]
            if block.heading_level is not None:
                tokens = self.body_heading(block, talk_level)
            if not runs or runs[-1][0] is not block.footnotes:
                runs.append((block.footnotes, []))
            runs[-1][1].extend(tokens)
        parts = [render_tokens(tokens, footnotes) for footnotes, tokens in runs]
        raw = "".join(parts)
        return sanitize.finish_fragment(sanitize.clean(raw), self.rewrite_image,
                                        self.resolve_anchor, trim_rules=talk_level > 0)

    def body_heading(self, block: Block, talk_level: int) -> list[Token]:
        """Headings inside a talk become h4-h6 with their model id."""
        level = block.heading_level or 4
        tag = f"h{min(6, 3 + max(1, level - talk_level))}"
        opening, inline, closing = (token.copy() for token in block.tokens)
        opening.tag = closing.tag = tag
        opening.attrs = {"id": self.heading_ids.get(id(block), "")}
        return [opening, inline, closing]

    def check_references(self, block: Block) -> None:
        """Images must exist inside the content folder; links to headings must match one."""
        for token in block.tokens:
            line = (token.map[0] + 1) if token.map else block.line
            if token.type in ("html_block", "html_inline"):
                self.check_html(token.content, block.notes.path, line)
            for child in token.children or ():
                if child.type == "image":
                    self.image(str(child.attrs.get("src", "")), child.content,
                               Source(block.notes.path, line))
                elif child.type == "html_inline":
                    self.check_html(child.content, block.notes.path, line)
                elif child.type == "link_open":
                    self.check_anchor(str(child.attrs.get("href", "")),
                                      Source(block.notes.path, line))

    def check_html(self, html: str, path: Path, line: int) -> None:
        finder = TagFinder()
        finder.feed(html)
        for tag, attrs in finder.tags:
            if tag == "img" and attrs.get("src"):
                self.image(attrs["src"], attrs.get("alt", ""), Source(path, line))
            elif tag == "a" and attrs.get("href"):
                self.check_anchor(attrs["href"], Source(path, line))

    def check_anchor(self, href: str, source: Source) -> None:
        if href.startswith("#") and len(href) > 1 and self.resolve_anchor(href[1:]) is None:
            log.warning('%s: link to "%s" matches no heading; shown as plain text', source, href)

    def image(self, src: str, alt: str, source: Source) -> None:
        src = src.strip()
        if src in self.images or src in self.site_paths or not src:
            return
        parsed = urlparse(src)
        if parsed.scheme in ("http", "https") or src.startswith("//"):
            self.images[src] = Image(src=src, alt=alt, source=source,
                                     path=self.fetched(src, source))
            return
        if parsed.scheme:
            log.warning('%s: image "%s" left out: only local files and http(s) images are '
                        "allowed", source, src)
            return
        if parsed.path.startswith("/"):
            self.site_image(src, alt, source)
            return
        path = (source.path.resolve().parent / unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.content_root):
            raise ContentError(source.path, source.line,
                               f'image "{src}" is outside the content folder',
                               "copy the image next to the notes and link it from there")
        if not path.is_file():
            raise ContentError(source.path, source.line, f'image "{src}" not found',
                               "put the file next to the notes, or fix the path")
        self.images[src] = Image(src=path.relative_to(self.content_root).as_posix(), alt=alt,
                                 source=source, path=path)

    def fetched(self, src: str, source: Source) -> Path | None:
        """The cached copy of a remote image when fetching is on; None shows it as a link."""
        if not self.fetch.enabled:
            return None
        from pipeline.fetch import FetchError, fetch_image  # the network code, only when asked

        url = "https:" + src if src.startswith("//") else src
        try:
            return fetch_image(url, self.fetch)
        except FetchError as err:
            log.warning('%s: image "%s" not fetched: %s; shown as a link', source, src, err)
            return None

    def site_image(self, src: str, alt: str, source: Source) -> None:
        """`/images/x.png` is a path on the blog's web site: look for it under the content folder."""
        path = (self.content_root / unquote(urlparse(src).path).lstrip("/")).resolve()
        if path.is_relative_to(self.content_root) and path.is_file():
            self.images[src] = Image(src=path.relative_to(self.content_root).as_posix(), alt=alt,
                                     source=source, path=path)
            return
        log.warning('%s: image "%s" is a path on the blog\'s web site and is not under %s; '
                    "shown as its caption", source, src, self.content_root)
        self.site_paths[src] = alt

    def rewrite_image(self, element: Any) -> None:
        src = (element.get("src") or "").strip()
        image = self.images.get(src)
        if image is None:
            if src in self.site_paths:
                placeholder = lxml.html.Element("span", {"class": "missing-image"})
                parent = element.getparent()
                if parent.tag == "figure":  # the caption says what it showed
                    parent.set("class", "missing-image")
                    placeholder.text = f"이미지 없음 · {src}"
                else:
                    placeholder.text = f"[이미지: {self.site_paths[src] or src}]"
                placeholder.tail = element.tail
                parent.replace(element, placeholder)
            else:
                element.drop_tree()
            return
        if not image.is_remote:
            element.set("src", image.src)
            return
        url = "https:" + src if src.startswith("//") else src
        link = lxml.html.Element("a", {"class": "remote-image", "href": url})
        host = urlparse(url).hostname or url
        parent = element.getparent()
        if parent is not None and parent.tag == "figure":  # the caption says what it shows
            parent.set("class", (parent.get("class", "") + " remote-image").strip())
            link.text = f"원격 이미지 · {host}"
        else:
            link.text = f"[이미지: {image.alt}]" if image.alt else f"[원격 이미지 · {host}]"
        link.tail = element.tail
        parent.replace(element, link)


class TagFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def speaker_line(block: Block) -> str | None:
    """`**텀블벅 박형식**` alone under a talk heading names its speaker."""
    tokens = block.tokens
    if tokens[0].type != "paragraph_open":
        return None
    children = [c for c in tokens[1].children or () if not (c.type == "text" and not c.content.strip())]
    if len(children) < 3 or children[0].type != "strong_open" or children[-1].type != "strong_close":
        return None
    if any(c.type in ("strong_open", "strong_close") for c in children[1:-1]):
        return None
    text = inline_text(tokens[1])
    return text if recognise.looks_like_speaker_line(text) else None


def date_label(date: dt.date) -> str:
    return f"{date.year}년 {date.month}월 {date.day}일"
