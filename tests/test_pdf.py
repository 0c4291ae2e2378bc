"""The print PDF, read back with pypdf/pdfplumber: outline, contents, fonts, metadata, lines."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from pypdf import PdfReader

from pipeline.config import Settings
from pipeline.model import Chapter, Metadata, Report, Source, Talk
from pipeline.pdf import render_pdf_html, write_pdf

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "content" / "deview-2023.md"
HANGUL = re.compile("[\uac00-\ud7a3]")
EPOCH = "1700000000"


# ---------- reports: the real parser when it is there, a small stand-in until then ----------


def read(path: Path) -> Report:
    try:
        from pipeline.parse import read_report
    except ImportError:
        return _stand_in_report(path)
    return read_report(path)


def _stand_in_report(path: Path) -> Report:
    """Days at ``##``, talks at ``###``, a leading blockquote as the abstract."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, object] = {}
    if text.startswith("---\n"):
        head, _, text = text[4:].partition("\n---\n")
        meta = yaml.safe_load(head)
    md = MarkdownIt("commonmark", {"html": True}).use(footnote_plugin).enable("table")
    title = str(meta.get("title") or re.search(r"^# (.+)$", text, re.M).group(1))  # type: ignore[union-attr]
    chapters = []
    for number, day in enumerate(re.split(r"^## ", text, flags=re.M)[1:], start=1):
        day_title, _, rest = day.partition("\n")
        talks = []
        for index, talk in enumerate(re.split(r"^### ", rest, flags=re.M)[1:], start=1):
            talk_title, _, body = talk.partition("\n")
            abstract = ""
            match = re.match(r"\s*((?:> .*\n)+)", body)
            if match:
                abstract = md.render(re.sub(r"^> ", "", match.group(1), flags=re.M))
                body = body[match.end() :]
            talks.append(
                Talk(
                    id=f"day-{number}-talk-{index}",
                    title=talk_title.strip(),
                    source=Source(path, 1),
                    abstract_html=abstract,
                    body_html=md.render(body),
                )
            )
        chapters.append(
            Chapter(
                id=f"day-{number}",
                title=day_title.strip(),
                source=Source(path, 1),
                number=number,
                talks=tuple(talks),
            )
        )
    metadata = Metadata(
        title=title,
        subtitle=str(meta.get("subtitle", "")),
        dates=tuple(meta.get("dates", ())),  # type: ignore[arg-type]
        venue=str(meta.get("venue", "")),
        authors=tuple(meta.get("authors", ())),  # type: ignore[arg-type]
        tags=tuple(meta.get("tags", ())),  # type: ignore[arg-type]
        description=str(meta.get("description", "")),
    )
    return Report(
        name=path.stem,
        meta=metadata,
        source=Source(path, 1),
        chapters=tuple(chapters),
        content_root=path.parent,
    )
