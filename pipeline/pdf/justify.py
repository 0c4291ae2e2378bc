"""Justified lines never open gaps of more than about an em between words (WeasyPrint 70).

WeasyPrint justifies a line by widening its spaces, and only them (no inter-character
spacing), however few they are and however far they must grow. Korean keeps its words whole
(``pipeline.pdf.linebreak``), so a line before a long unbreakable word (a URL, an English
identifier, ``신청기간에``) was spread into gaps of one to twenty ems: "발표자료:" and a URL at
the two ends of a line. A line whose spaces would each grow by more than ``MAX_STRETCH`` em is
set flush left instead, as the last line of a paragraph is: a short line reads as a pause, a
stretched one as a fault (docs/korean-typography.md). Line breaking is untouched, so no page
changes; only where the words of such a line sit.

Like ``pipeline.pdf.tags``, this wraps one WeasyPrint function, found by its module global.
"""

from __future__ import annotations

from typing import Any

# With a space of about a quarter em (Noto Serif CJK KR: 0.256 em), a gap stays under an em.
MAX_STRETCH = 0.6


def limit_justification() -> None:
    """Make WeasyPrint set flush left the lines that justifying would stretch too far."""
    from weasyprint.layout import inline

    if getattr(inline.justify_line, "limited", False):
        return
    original = inline.justify_line

    def justify_line(context: Any, line: Any, extra_width: float) -> None:
        spaces = inline.count_expandable_spaces(line)
        if spaces and extra_width / spaces > MAX_STRETCH * line.style["font_size"]:
            return  # flush left: the line keeps its natural spaces
        original(context, line, extra_width)

    justify_line.limited = True  # type: ignore[attr-defined]
    inline.justify_line = justify_line  # line_offset() calls it through this global
