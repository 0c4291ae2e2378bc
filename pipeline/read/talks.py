"""Evidence that a heading is a talk, a non-talk section, or a wrapper around talks.

Each function weighs one kind of evidence and is tested on its own (tests/test_reading.py):
- ``find_speakers``: who gives the talk, wherever the notes say it (the heading itself, a line
  under it, its first bullet, a `연사 소개` part, `OOO님의 발표` in its first paragraphs);
- ``is_non_talk``: a section by its words (소개, 점심, References, `X란?`), or by what it holds
  (only photos, only a list of links);
- ``time_slot_title``: the title and speaker under a bare time-slot heading (`### 09:20 ~ 09:40`
  then `**제목**` and `이름 | 소속`);
- ``is_wrapper``: a heading whose subheadings are the talks (`## 세션 요약`, `## 내용 요약`),
  told from a talk whose subheadings are its parts (`### 발표 내용`, `### 질문`), which
  repeat from talk to talk.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

from markdown_it.token import Token

from pipeline.model import Person
from pipeline.read import recognise
from pipeline.read.blocks import Block, Node
from pipeline.read.markdown import inline_text
from pipeline.read.recognise import TALK_WORDS, split_time
from pipeline.read.shared_work import remembered
from pipeline.read.speaker_choice import Offer, speaker_model
from pipeline.read.speakers import mentioned_speaker, speaker_line, split_title
from pipeline.read.units import (
    bold_only,
    first_line,
    later_lines,
    list_items_with_body,
)

# Children under these headings introduce the speaker or the talk: parts of one talk.
SPEAKER_PART = re.compile(
    r"^(연사|발표자|강연자|스피커)\s*(소개|정보)?$|^speakers?$|^about the speaker", re.I
)
# A heading that introduces (`Deview 란?`), answers questions (`Booth_FAQ`) or shows a booth.
NON_TALK = re.compile(
    r"(이)?란\s*\?$|^what\s+is\b|(?<![a-z])(faq|booth)(?![a-z])|세션\s*없음|no\s+session", re.I
)
TIME_SLOT = re.compile(r"^\d{1,2}:\d{2}\s*(?:[~\-–—]\s*(?:\d{1,2}:\d{2})?)?\s*$")


def is_time_slot(title: str) -> bool:
    """`09:20 ~ 09:40`, `16:20 ~`: a heading that is only a time."""
    return bool(TIME_SLOT.match(recognise.strip_decoration(title)))


def find_speakers(node: Node) -> tuple[tuple[Person, ...], str]:
    """Who gives the talk under ``node``, and where that was read (for the outline): of the
    people the notes offer, the one ``speaker_choice`` trusts, or nobody."""
    # what speaker_offers reads: the heading, its blocks, its subheadings and their first block
    parts = [(child.title, bool(child.content)) for child in node.children]
    firsts = [child.content[0] for child in node.children if child.content]
    return remembered(
        ("speakers", node.title, len(node.content), *parts),
        [*node.content, *firsts],
        lambda: _chosen_speakers(node),
    )


def _chosen_speakers(node: Node) -> tuple[tuple[Person, ...], str]:
    chosen = speaker_model().choose(speaker_offers(node))
    return (chosen.people, chosen.source) if chosen else ((), "")


def speaker_offers(node: Node) -> list[Offer]:
    """Everyone the notes name for the talk under ``node``, where they name them, in the
    order of the notes."""
    offers: list[Offer] = []
    _, people = split_title(split_time(node.title)[1])
    if people:
        offers.append(Offer(people, "heading"))
    content = node.content
    if content:
        first = content[0]
        if first.tokens[0].type == "paragraph_open":  # its first line: `🎤 이름 (소속)`
            line = first_line(first.tokens[1])
            if all(child.type in PLAIN for child in line):
                text = bold_only(first.tokens[1]) or inline_text(
                    Token("inline", "", 0, children=line)
                )
                people = speaker_line(text)
                if people:
                    whole = len(line) == len(first.tokens[1].children or ())
                    where = "line under the heading" if whole else "first line under it"
                    offers.append(Offer(people, where))
        if first.tokens[0].type in ("bullet_list_open", "ordered_list_open"):
            items = list_items_with_body(first.tokens)
            texts = [inline_text(item) for _, item, _ in items]
            people = speaker_line(texts[0]) if texts else ()
            if texts and BARE_LABEL.match(texts[0]):
                # `- 연사` with the names nested under it, or in the items after it (` - 이름`
                # indented one space is not nested in CommonMark)
                named = [speaker_line(text) for text in items[0][2] or texts[1:]]
                people = tuple(p for found in itertools.takewhile(bool, named) for p in found)
            if people:
                offers.append(Offer(people, "first bullet"))
    if content and content[0].tokens[0].type == "blockquote_open":  # `> 발표자: 이름 (소속)`
        quoted = " ".join(inline_text(t) for t in content[0].tokens if t.type == "inline")
        people = mentioned_speaker(quoted[:200]) or speaker_line(quoted)
        if people:
            offers.append(Offer(people, "abstract"))
    for child in node.children:
        if SPEAKER_PART.match(recognise.strip_decoration(child.title)) and child.content:
            block = child.content[0]
            if block.tokens[0].type == "paragraph_open":
                people = speaker_line(inline_text(block.tokens[1]))
                if people:
                    offers.append(Offer(people, "speaker part"))
                    break
    paragraphs = [b for b in content if b.tokens[0].type == "paragraph_open"]
    for block in paragraphs[:4]:  # `한정수님의 발표 입니다`, `CEO 이형주님, CTO 이동욱님...`
        if not is_photo_or_links(block):
            people = mentioned_speaker(inline_text(block.tokens[1]))
            if people:
                offers.append(Offer(people, "mentioned in the text"))
                break
    return offers


# A list item that is only a speaker label: the items after it name the speakers.
BARE_LABEL = re.compile(
    r"^\s*(?:발표자분?|연사|스피커|강연자|speakers?|presenters?)\s*[:：]?\s*$", re.I
)  # a speaker's label: a moderator (`- 사회`) does not give the talk

PLAIN = {"text", "strong_open", "strong_close", "em_open", "em_close", "softbreak", "hardbreak"}


def time_slot_title(node: Node) -> tuple[str, tuple[Person, ...], int] | None:
    """Under a bare time-slot heading: the title (a bold line, a line, a link), its speaker,
    and how many leading blocks they took."""
    if not node.content or node.content[0].tokens[0].type != "paragraph_open":
        return None
    inline = node.content[0].tokens[1]
    title = bold_only(inline) or first_line_text(inline)
    if not title:
        return None
    title, people = split_title(title)
    used = 1
    if not people:
        following = later_lines(inline)
        if not following and len(node.content) > 1:
            block = node.content[1]
            if block.tokens[0].type == "paragraph_open":
                following = inline_text(block.tokens[1])
                used = 2 if speaker_line(following) else 1
        people = speaker_line(following) if following else ()
    return title, people, used


def first_line_text(inline: object) -> str:
    from pipeline.read.units import first_line

    return " ".join(
        "".join(c.content for c in first_line(inline) if c.type in ("text", "code_inline")).split()  # type: ignore[arg-type]
    )


def is_non_talk(node: Node, event_words: frozenset[str] = frozenset()) -> bool:
    """A section by its words (``event_words``: the words of the report's title, which name
    the event), or by holding only photos."""
    title = split_time(node.title)[1]  # `⏰ 12:00 ~ 13:00 | 점심 🍔`: the time is no evidence
    if recognise.is_section(title, event_words) or NON_TALK.search(title.strip()):
        return True
    # photos alone (the venue, the swag): a talk's notes say something
    return (
        bool(node.content) and all(is_photo(block) for block in node.content) and not node.children
    )


def inline_summary(block: Block) -> tuple[set[str], int, str]:
    """A block's inline token kinds, its word count and its raw HTML."""
    kinds = {
        child.type
        for token in block.tokens
        if token.type == "inline"
        for child in token.children or ()
    }
    words = len(" ".join(inline_text(t) for t in block.tokens if t.type == "inline").split())
    html = "".join(t.content for t in block.tokens if t.type == "html_block")
    return kinds, words, html


def is_photo(block: Block) -> bool:
    """A block of nothing but images and short captions."""
    kinds, words, html = inline_summary(block)
    return ("image" in kinds and words <= 6) or bool(re.search(r"<img\b", html, re.I))


def is_photo_or_links(block: Block) -> bool:
    """A block of nothing but images, embeds, links and short captions."""
    kinds, words, html = inline_summary(block)
    if is_photo(block) or re.search(r"<iframe", html, re.I):
        return True
    fenced = any(token.type == "fence" for token in block.tokens)
    return "link_open" in kinds and words <= 12 and not fenced


def is_wrapper(node: Node, siblings: list[Node]) -> bool:
    """Its subheadings are the talks: `## 세션 요약` over time slots, `## 내용 요약` over
    talks with speakers. A talk's subheadings are its parts: they repeat from talk to talk
    (`### 발표 내용`, `### 질문`), and the talk's own title reads as a title. A heading that
    says it holds talks (`### 라이트닝 토크`) may hold a single one."""
    if len(node.children) < (1 if TALK_WORDS.search(node.title) else 2):
        return False
    if parts_repeat(siblings):
        return False
    children = node.children
    times = sum(1 for c in children if is_time_slot(c.title) or recognise.is_group(c.title))
    speakers = sum(1 for c in children if find_speakers(c)[0])
    titled = sum(1 for c in children if len(c.title.split()) >= 3 and not is_non_talk(c))
    if TALK_WORDS.search(node.title):  # `## 라이트닝 토크` over `### LT1. 제목`s, not `## 키노트`
        return times + speakers + titled >= max(2, len(children)) and not parts_repeat([node])
    generic = recognise.is_section(node.title) or len(node.title.split()) <= 2
    own_content = sum(1 for block in node.content if not is_photo_or_links(block))
    if times >= 2 or speakers >= max(2, len(children) // 2):
        return generic or own_content == 0
    # talks without speakers: titles that read as talk titles, under a heading that says little
    return generic and own_content <= 1 and titled >= max(2, (len(children) + 1) // 2)


def parts_repeat(nodes: list[Node]) -> bool:
    """Subheading titles that recur under several of ``nodes``: they are the parts of talks."""
    counts = Counter(
        recognise.strip_decoration(child.title).casefold()
        for node in nodes
        for child in {c.title: c for c in node.children}.values()
    )
    return sum(1 for n in counts.values() if n >= 2) >= 2
