"""The shape of the notes: Markdown blocks, the heading tree, and which headings are chapters
(days) and which are talks. Scaffolding (hand-made TOCs, spacers) is dropped here.

How the notes are understood (the README's "Writing notes" says the same to users):
- The title is the first H1 that is not a day marker (front matter wins, see metadata.py).
- Day markers (`DAY 1`, `2일차`, `첫째 날`, a date...) at any heading level make that level the
  chapter level: every heading there is a chapter, a day or another section (소개, 후기) in its
  place. Without day markers the whole notes are one implicit day.
- A chapter's talks are its subheadings one level down. A time slot or time-of-day heading
  (`09:50 ~ 10:45`, `오전`) with subheadings is a group: its subheadings are the talks.
  Short headings such as `점심`, `후기` are non-talk sections beside the talks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline.model import Source
from pipeline.read import recognise, sanitize
from pipeline.read.markdown import Footnotes, inline_text, parse_tokens
from pipeline.read.notes import Notes

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
                toc_end = next(
                    (
                        i
                        for i in range(index, len(blocks))
                        if blocks[i].tokens[0].type == "html_block"
                        and TOC_CLOSE.search(blocks[i].tokens[0].content)
                    ),
                    index,
                )
                continue
            if sanitize.is_spacer(html) or re.fullmatch(r"\s*(<!--.*?-->\s*)+", html, re.S):
                continue
        if first.type == "paragraph_open" and (
            TOC_MARKERS.match(block.tokens[1].content)
            or sanitize.is_spacer(block.tokens[1].content)
        ):
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
            elif child.type not in (
                "text",
                "link_open",
                "link_close",
                "softbreak",
                "code_inline",
                "strong_open",
                "strong_close",
            ):
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
    synthetic = Block(
        [heading, inline, Token("heading_close", "h1", -1)],
        part,
        blocks[0].footnotes if blocks else Footnotes(""),
    )
    return Node(synthetic, 1, tree.content, tree.children)


def chapter_level(root: Node, year: int | None) -> int | None:
    levels = [
        node.level
        for node in root.walk()
        if node.heading and recognise.day_marker(node.title, year)
    ]
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
