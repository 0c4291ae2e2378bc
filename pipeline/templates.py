"""The one Jinja2 template Environment of styles/ (print HTML, EPUB XHTML, the preview, the
shelf, new notes), with the tests and filters the templates use."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from pipeline.config import Settings

SELF_NUMBERED = re.compile(r"^\d+([-.]\d+)*[.)]?\s")
HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>/])", re.I)


def environment(settings: Settings) -> Environment:
    """The template environment of the settings' styles folder (one per folder and process)."""
    return _environment(settings.styles_dir, settings.cache_dir / "templates")


@cache
def _environment(styles_dir: Path, cache_dir: Path) -> Environment:
    """HTML and XML templates autoescaped (CSS and Markdown ones not), and a template typo
    fails the build."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = Environment(
        loader=FileSystemLoader(styles_dir),
        bytecode_cache=FileSystemBytecodeCache(str(cache_dir)),  # compiling costs ~60 ms a run
        autoescape=select_autoescape(("html.j2", "xhtml.j2", "ncx.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["self_numbered"] = is_self_numbered
    env.filters["outline_headings"] = outline_headings
    return env


def is_self_numbered(title: str) -> bool:
    """`1-1. React Native...`, `3) 발표`: the title brings its own number, so we add none."""
    return bool(SELF_NUMBERED.match(title))


def outline_headings(html: str, top: int) -> Markup:
    """The headings of a sanitised fragment re-levelled under the report's outline (report
    h1 > day h2 > talk h3 > part): the first at ``top``, each one level below the nearest
    heading above it that the notes made bigger, never a level skipped, whatever levels the
    notes typed (`##` then `####`, a raw `<h1>` in a talk). Headings never nest, so each
    closing tag closes the last opening one."""
    stack: list[tuple[int, int]] = []  # (level in the notes, level in the book)
    current = top

    def relevel(found: re.Match[str]) -> str:
        nonlocal current
        if found[1]:  # a closing tag
            return f"</h{current}"
        written = int(found[2])
        while stack and stack[-1][0] >= written:
            stack.pop()
        current = min(6, stack[-1][1] + 1 if stack else top)
        stack.append((written, current))
        return f"<h{current}"

    return Markup(HEADING_TAG.sub(relevel, str(html)))  # noqa: S704 - tags renamed only
