"""Keep Hangul words whole across line breaks in WeasyPrint 70 (docs/korean-typography.md),
and break printed URLs only where a reader can copy them back.

WeasyPrint ignores ``word-break: keep-all`` and breaks lines between any two Hangul syllables
(``데이|터를``). A U+2060 WORD JOINER between the characters of each Hangul word forbids those
breaks; ``overflow-wrap: anywhere`` in the CSS still breaks a word longer than the line. The
joiner costs about 11% render time and never shows in text extracted from the PDF; it must not
reach bookmarks, ``<title>`` or metadata, so only body text is joined. Code is joined too: a
Korean comment wraps between words, its continuation set off by print.css's hanging indent.

A URL that wraps at a hyphen loses the hyphen when copied from a poppler-based viewer (it
takes the line-end hyphen for a hyphenation), so printed URLs break only after ``/ . ? & =``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

WORD_JOINER = "\u2060"
# Hangul syllables and jamo, plus Hanja: Korean words made of them must not break inside.
HANGUL = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
WORD = re.compile("[^\\s\u200b]+")
LATIN = re.compile("[A-Za-z0-9]")
ARROW = re.compile("-(?=>)")
BLOCKS = frozenset(
    "address article aside blockquote body br caption dd details div dl dt figcaption figure "
    "footer h1 h2 h3 h4 h5 h6 header hr img li nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
VERBATIM = frozenset("pre code kbd samp script style head svg math".split())
UNTOUCHED = frozenset("script style head svg math".split())  # text never joined
ZERO_WIDTH_SPACE = "\u200b"
URL_BREAKS = "/.?&="  # a printed URL may break after these, and nowhere else
TOGETHER = 20  # at most this many characters in a heading's last two words, kept together


@dataclass
class _Run:
    """A piece of text in document order: an element's ``text`` or ``tail``."""

    element: HtmlElement
    attribute: str
    writable: bool


def join_hangul_words(root: HtmlElement) -> None:
    """Put U+2060 between the characters of every Hangul word in ``root``'s text.

    Words may span elements (``<strong>API</strong>를``), so text is gathered per block in
    document order; scripts, styles and embedded SVG or MathML are read but never changed.
    """
    for runs in _blocks(root):
        texts = [getattr(run.element, run.attribute) or "" for run in runs]
        joined = "".join(texts)
        marks: set[int] = set()  # insert a joiner before these offsets
        for word in WORD.finditer(joined):
            if not HANGUL.search(word.group()):
                continue
            if not LATIN.search(word.group()):
                marks.update(range(word.start() + 1, word.end()))
                continue
            # Latin letters and digits never break between themselves; leaving them alone
            # keeps their kerning and ligatures.
            marks.update(
                p
                for p in range(word.start() + 1, word.end())
                if not (LATIN.match(joined[p - 1]) and LATIN.match(joined[p]))
            )
        # an arrow written as "->" must not break after its hyphen
        marks.update(match.end() for match in ARROW.finditer(joined))
        if not marks:
            continue
        ordered = sorted(marks)
        start = 0
        pending = False  # a joiner owed to the start of this run by a read-only previous run
        for index, (run, text) in enumerate(zip(runs, texts, strict=True)):
            end = start + len(text)
            inside = ordered[bisect.bisect_right(ordered, start) : bisect.bisect_left(ordered, end)]
            cuts = [p - start for p in inside]
            new = _insert(text, cuts) if run.writable else text
            boundary = end in marks and index + 1 < len(runs)
            if boundary and run.writable:
                new += WORD_JOINER
            if pending and run.writable:
                new = WORD_JOINER + new
            pending = boundary and not run.writable
            if new != text:
                setattr(run.element, run.attribute, new)
            start = end


def keep_last_words_together(heading: HtmlElement) -> None:
    """A heading never ends on a line holding one word: a word joiner after its last space
    keeps the last two words together. A heading of one or two words, or whose last two words
    are long (``TOGETHER`` characters), is left alone: joined, they could not break at all.
    Call it after ``join_hangul_words``; the heading's ``data-bookmark`` is untouched."""
    runs = list(_inline_runs(heading))
    texts = [getattr(run.element, run.attribute) for run in runs]
    joined = "".join(texts)
    words = joined.replace(WORD_JOINER, "").split()
    if len(words) < 3 or len(words[-2]) + len(words[-1]) > TOGETHER:
        return
    content = joined.rstrip()
    last = max(content.rfind(space) for space in " \t\n")  # the space before the last word
    start = 0
    for run, text in zip(runs, texts, strict=True):
        if start <= last < start + len(text):
            cut = last - start + 1
            setattr(run.element, run.attribute, text[:cut] + WORD_JOINER + text[cut:])
            return
        start += len(text)


def _inline_runs(element: HtmlElement) -> Iterator[_Run]:
    """The text of ``element`` in document order, without its tail and footnotes."""
    if element.text:
        yield _Run(element, "text", True)
    for child in element:
        if isinstance(child.tag, str) and "footnote" not in child.get("class", "").split():
            yield from _inline_runs(child)
        if child.tail:
            yield _Run(child, "tail", True)


def break_urls(root: HtmlElement) -> None:
    """Let each printed URL (``a.url``) break after ``/ . ? & =`` and nowhere else.

    A zero-width space after those makes a break there (WeasyPrint does not break after ``&``
    or ``=`` on its own), a word joiner forbids one everywhere else but between two Latin
    letters or digits, where no line breaks anyway (and a joiner would undo a ligature such as
    ``fi``). Neither character reaches the text a reader copies. A part between two breaks
    that is longer than the line still breaks where it must (``overflow-wrap: anywhere``).
    """
    for link in root.xpath("//a[contains(concat(' ', @class, ' '), ' url ')]"):
        for element in link.iter():
            if element.text:
                element.text = breakable_url(element.text)
            if element.tail and element is not link:
                element.tail = breakable_url(element.tail)


def breakable_url(text: str) -> str:
    """``text`` with a zero-width space after each ``/ . ? & =`` (a run of them counts as one)
    and a word joiner between any other two characters that are not both Latin or digits."""
    pieces = [text[:1]]
    for previous, char in zip(text, text[1:], strict=False):
        if previous in URL_BREAKS and char not in URL_BREAKS:
            pieces.append(ZERO_WIDTH_SPACE)
        elif not (LATIN.match(previous) and LATIN.match(char)):
            pieces.append(WORD_JOINER)
        pieces.append(char)
    return "".join(pieces)


def _insert(text: str, cuts: list[int]) -> str:
    if not cuts:
        return text
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return WORD_JOINER.join(pieces)


def _blocks(root: HtmlElement) -> Iterator[list[_Run]]:
    """Runs of text between block boundaries (a footnote is a block: its own flow)."""
    runs: list[_Run] = []

    def flush() -> Iterator[list[_Run]]:
        if runs:
            yield list(runs)
            runs.clear()

    def visit(element: HtmlElement, verbatim: bool) -> Iterator[list[_Run]]:
        if not isinstance(element.tag, str):  # comments, processing instructions
            return
        block = element.tag in BLOCKS or "footnote" in element.get("class", "").split()
        if block:
            yield from flush()
        inner = verbatim or element.tag in UNTOUCHED
        if element.text:
            runs.append(_Run(element, "text", not inner))
        for child in element:
            yield from visit(child, inner)
            if child.tail:
                runs.append(_Run(child, "tail", not verbatim))
        if block:
            yield from flush()

    yield from visit(root, False)
    yield from flush()
