"""Report -> HTML through Jinja2 templates in styles/: the one template Environment."""

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

from pipeline.config import Settings
from pipeline.model import Report
from pipeline.table_cells import prepare_page_tables

SELF_NUMBERED = re.compile(r"^\d+([-.]\d+)*[.)]?\s")


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
    return env


def is_self_numbered(title: str) -> bool:
    """`1-1. React Native...`, `3) 발표`: the title brings its own number, so we add none."""
    return bool(SELF_NUMBERED.match(title))


def render_preview(report: Report, settings: Settings) -> str:
    """A single-file HTML page of the report (styles inlined): the quick end-to-end preview."""
    css = (settings.styles_dir / "preview.css").read_text(encoding="utf-8")
    template = environment(settings).get_template("preview.html.j2")
    page = template.render(report=report, settings=settings, css=css)
    return prepare_page_tables(page)  # times kept whole, cells labelled (issue 25)
