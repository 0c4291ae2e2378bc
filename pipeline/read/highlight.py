"""Code blocks as the model holds them: Pygments CSS classes, one span per source line."""

from __future__ import annotations

from html import escape


def highlight_code(text: str, language: str) -> str:
    """``<div class="highlight"><pre><code class="language-x">`` with one ``span.line`` per
    line (Pygments closes its spans at each line end), so that print can indent the
    continuation of a wrapped line instead of starting it at column 0."""
    from pygments import highlight  # only notes with code pay for Pygments
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.token import Error
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is not None and any(kind in Error for kind, _ in lexer.get_tokens(text)):
        lexer = (
            None  # code the lexer cannot read (Vue in a `typescript` fence): plain, no red boxes
        )
    code = str(highlight(text, lexer, HtmlFormatter(nowrap=True))) if lexer else escape(text)
    if not code.endswith("\n"):
        code += "\n"
    lines = "".join(f'<span class="line">{line}\n</span>' for line in code.split("\n")[:-1])
    css = f' class="language-{escape(language)}"' if language else ""
    return f'<div class="highlight"><pre><code{css}>{lines}</code></pre></div>\n'
