"""Markdown blocks and the heading tree: the notes as top-level blocks (a heading, a paragraph,
a list...) under the headings that hold them. Scaffolding (hand-made TOCs, spacers) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from markdown_it.token import Token

from pipeline.model import Source
from pipeline.read import sanitize
from pipeline.read.links import resolve_links
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

    def blocks(self) -> list[Block]:
        """Its heading and everything under it, in order."""
        own = [self.heading] if self.heading else []
        return own + self.content + [b for child in self.children for b in child.blocks()]

    def walk(self) -> Iterable[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def read_blocks(notes: Notes, footnote_prefix: str) -> list[Block]:
    tokens, bodies = parse_tokens(notes.text)
    resolve_links([*tokens, *(token for body in bodies.values() for token in body)], notes)
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
    """Hand-made TOCs, `[TOC]` markers, comments, `<br>` spacer lines and headings with no
    text (`# ` alone on a line, used as a visual gap) are not content."""
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
            drop_contents_heading(kept, blocks[index + 1 :])
            continue
        if first.type == "heading_open" and not block.tokens[1].content.strip():
            continue
        kept.append(block)
    return kept


def drop_contents_heading(kept: list[Block], following: list[Block]) -> None:
    """The heading of a removed contents list (`## 목차` over links to the headings) goes
    with it, when it held nothing else: no empty section is left behind."""
    if not kept or kept[-1].heading_level is None:
        return
    level = kept[-1].heading_level
    after = next((b for b in following if not is_scaffolding_gap(b)), None)
    if after is None or (after.heading_level is not None and after.heading_level <= level):
        kept.pop()


def is_scaffolding_gap(block: Block) -> bool:
    first = block.tokens[0]
    return first.type == "html_block" and (
        sanitize.is_spacer(first.content)
        or re.fullmatch(r"\s*(<!--.*?-->\s*)+", first.content, re.S) is not None
    )


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
