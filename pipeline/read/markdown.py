"""The Markdown dialect of the notes: CommonMark + GFM, footnotes, callouts, Korean emphasis.

``parse_tokens`` gives markdown-it tokens (with source lines); ``render_tokens`` turns a run
of them into raw HTML, which ``sanitize.clean`` and ``sanitize.finish_fragment`` then make safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from pipeline.read import sanitize
from pipeline.read.highlight import highlight_code

CALLOUTS = {
    "tip": "TIP",
    "info": "INFO",
    "note": "NOTE",
    "warning": "주의",
    "danger": "경고",
    "caution": "주의",
    "details": "자세히",
}


def is_hangul(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


class KoreanStateInline(StateInline):
    """CommonMark's flanking rules, with Hangul counted as punctuation beside a delimiter.

    CommonMark leaves `**API(응용)**를` unemphasised because `)` before and `를` after make
    the closing `**` not right-flanking. Korean attaches particles to words, so a Hangul
    neighbour must not block emphasis (the idea of markdown-it-cjk-friendly).
    """

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:  # noqa: N802
        pos, maximum, marker = start, self.posMax, self.src[start]
        last_char = self.src[start - 1] if start > 0 else " "
        while pos < maximum and self.src[pos] == marker:
            pos += 1
        next_char = self.src[pos] if pos < maximum else " "
        last_punct = (
            isMdAsciiPunct(ord(last_char)) or isPunctChar(last_char) or is_hangul(last_char)
        )
        next_punct = (
            isMdAsciiPunct(ord(next_char)) or isPunctChar(next_char) or is_hangul(next_char)
        )
        last_space, next_space = isWhiteSpace(ord(last_char)), isWhiteSpace(ord(next_char))
        left = not (next_space or (next_punct and not (last_space or last_punct)))
        right = not (last_space or (last_punct and not (next_space or next_punct)))
        can_open = left and (canSplitWord or not right or last_punct)
        can_close = right and (canSplitWord or not left or next_punct)
        return Scanned(can_open, can_close, pos - start)


def parse_inline_korean(src: str, md: MarkdownIt, env: Any, tokens: list[Token]) -> list[Token]:
    state = KoreanStateInline(src, md, env, tokens)
    md.inline.tokenize(state)
    for rule in md.inline.ruler2.getRules(""):
        rule(state)
    return state.tokens


SHORTCODE = re.compile(r":[\w+-]+:")


def emojize_shortcodes(state: Any) -> None:
    """`:scream:` becomes 😱 in text (never in code)."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text" and SHORTCODE.search(child.content):
                import emoji  # its tables take 30 ms to load: only for notes that use shortcodes

                child.content = emoji.emojize(child.content, language="alias")


@cache
def markdown() -> MarkdownIt:
    """The one parser: CommonMark, raw HTML (sanitised later), GFM extensions, footnotes."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin).use(gfm_autolink_plugin)
    for name in CALLOUTS:
        md.use(container_plugin, name, render=render_callout)
    md.inline.parse = parse_inline_korean  # type: ignore[method-assign]
    md.core.ruler.after("inline", "emoji_shortcodes", emojize_shortcodes)
    md.add_render_rule("fence", render_code)
    md.add_render_rule("code_block", render_code)
    md.add_render_rule("footnote_ref", render_footnote_ref)
    md.add_render_rule("html_block", render_html_block)
    md.add_render_rule("html_inline", render_html_inline)
    return md


def render_html_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Raw HTML passes on to the sanitiser, followed by links to whatever it embedded."""
    html = tokens[idx].content
    return html + sanitize.embed_links(html, block=True)


def render_html_inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    html = tokens[idx].content
    return html + sanitize.embed_links(html, block=False)


@dataclass
class Footnotes:
    """Footnote bodies of one notes file, and the ones a rendered run referred to."""

    prefix: str
    bodies: dict[int, list[Token]] = field(default_factory=dict)
    used: list[int] = field(default_factory=list)

    def anchor(self, footnote: int) -> str:
        return f"fn-{self.prefix}{footnote + 1}"


def parse_tokens(text: str) -> tuple[list[Token], dict[int, list[Token]]]:
    """Block tokens of the notes and, apart, the footnote bodies by footnote number."""
    tokens = markdown().parse(text, {})
    bodies: dict[int, list[Token]] = {}
    if tokens and tokens[-1].type == "footnote_block_close":
        start = next(i for i, t in enumerate(tokens) if t.type == "footnote_block_open")
        current: list[Token] = []
        for token in tokens[start + 1 : -1]:
            if token.type == "footnote_open":
                current = bodies.setdefault(token.meta["id"], [])
            elif token.type not in ("footnote_close", "footnote_anchor"):
                current.append(token)
        del tokens[start:]
    return tokens, bodies


def render_tokens(tokens: Sequence[Token], footnotes: Footnotes) -> str:
    """Raw HTML of a run of block tokens, with the footnotes it refers to at its end."""
    md = markdown()
    env = {"footnotes": footnotes}
    for token in tokens:  # GFM column alignment: an attribute the sanitiser keeps, not a style
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrs["align"] = align
    used_before = len(footnotes.used)
    html = str(md.renderer.render(list(tokens), md.options, env))
    notes = footnotes.used[used_before:]
    if notes:
        items = []
        for number in notes:
            body = md.renderer.render(footnotes.bodies.get(number, []), md.options, env)
            anchor = footnotes.anchor(number)
            items.append(
                f'<li id="{anchor}">{body}<a href="#ref-{anchor}" '
                f'class="footnote-backref">↩</a></li>'
            )
        html += f'<section class="footnotes"><ol>{"".join(items)}</ol></section>'
    return html


def render_footnote_ref(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    footnotes: Footnotes = env["footnotes"]
    number = tokens[idx].meta["id"]
    if number not in footnotes.used:
        footnotes.used.append(number)
    anchor = footnotes.anchor(number)
    sub = tokens[idx].meta.get("subId", 0)
    ref_id = f"ref-{anchor}" + (f"-{sub}" if sub else "")
    return f'<sup class="footnote-ref"><a href="#{anchor}" id="{ref_id}">{number + 1}</a></sup>'


def render_code(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Code keeps its language and is highlighted with Pygments CSS classes."""
    token = tokens[idx]
    language = token.info.strip().split(maxsplit=1)[0].lower() if token.info.strip() else ""
    return highlight_code(token.content, language)


def render_callout(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """VuePress/VitePress `::: tip Title` containers become callouts."""
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    kind, _, title = token.info.strip().partition(" ")
    kind = kind.lower()
    label = escape(title.strip() or CALLOUTS.get(kind, kind.upper()))
    return f'<div class="callout {escape(kind)}"><p class="callout-title">{label}</p>\n'


def inline_text(token: Token) -> str:
    """The plain text of an inline token (a heading's title), without markup."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())
