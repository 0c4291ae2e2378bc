"""Hostile and broken input: no leaks, no network, no scripts; bounded time on pathological
Markdown; a clear error or a correct output, never a traceback."""

from __future__ import annotations

import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.build.formats import write_format
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.preview import render_preview
from pipeline.read.report import read_report
from tests.conftest import project_settings

SECRET = "TOP-SECRET-7f3a9c-비밀"


class CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    CountingHandler.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def attack_notes(secret: Path, url: str) -> str:
    uri = secret.as_uri()
    return f"""# 공격

## DAY 1

### 모든 수단

<script>fetch("{url}/script")</script>
<img src="{uri}" onerror="fetch('{url}/onerror')">
<img src="{url}/image.png">
<iframe src="{uri}"></iframe>
<iframe src="{url}/frame"></iframe>
<object data="{uri}"></object>
<embed src="{uri}">
<link rel="stylesheet" href="{uri}">
<link rel="stylesheet" href="{url}/style.css">
<a rel="attachment" href="{uri}">첨부</a>
<a href="javascript:fetch('{url}/js')">링크</a>
<p style="background:url({uri})">배경</p>
<div style="background-image:url({url}/bg.png)">배경 2</div>
<meta http-equiv="refresh" content="0; url={url}/refresh">
<svg><script>fetch("{url}/svg")</script><image href="{uri}"/></svg>
<video src="{url}/video.mp4"></video>

![원격]({url}/markdown.png)

끝.
"""


def pdf_bytes_everywhere(path: Path) -> bytes:
    """The PDF file, every stream decompressed, and every attachment."""
    data = path.read_bytes()
    reader = PdfReader(path)
    parts = [data]
    for number in range(1, len(reader.xref_objStm) + 1000):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: BLE001 - gaps in the object numbering
            continue
        if hasattr(obj, "get_data"):
            parts.append(obj.get_data())
    for name, contents in reader.attachments.items():
        parts.append(name.encode())
        parts.extend(contents)
    for raw in data.split(b"stream")[1:]:
        try:
            parts.append(zlib.decompressobj().decompress(raw.lstrip(b"\r\n")))
        except zlib.error:
            pass
    return b"\n".join(parts)


@pytest.mark.slow
def test_no_byte_of_an_outside_file_and_no_request(tmp_path: Path, server: str) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    notes = tmp_path / "project" / "content" / "attack.md"
    notes.parent.mkdir(parents=True)
    notes.write_text(attack_notes(secret, server), encoding="utf-8")
    report = read_report(notes)
    settings = project_settings(tmp_path / "project")
    pdf = write_format("pdf", report, settings, tmp_path / "dist").path
    epub = write_format("epub", report, settings, tmp_path / "dist").path
    html = render_preview(report, settings)

    everything = pdf_bytes_everywhere(pdf)
    assert SECRET.encode() not in everything
    assert not PdfReader(pdf).attachments
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            content = book.read(name)
            assert SECRET.encode() not in content, name
            if name.endswith((".xhtml", ".opf", ".ncx", ".css")):
                text = content.decode("utf-8").lower()
                for forbidden in (
                    "<script",
                    "javascript:",
                    "onerror",
                    "onclick",
                    "<iframe",
                    "<object",
                    "<embed",
                    "http-equiv",
                    "file:",
                    "<video",
                    '<link rel="stylesheet" href="file',
                ):
                    assert forbidden not in text, (name, forbidden)
    for forbidden in ("<script", "javascript:", "onerror", "<iframe", "file:", "<video"):
        assert (
            forbidden not in html.lower().split("<style>")[0] + html.lower().split("</style>")[-1]
        )
    assert CountingHandler.hits == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nested-blockquotes", "## DAY 1\n\n### 발표\n\n" + "> " * 10_000 + "깊다\n"),
        ("nested-lists", "## DAY 1\n\n### 발표\n\n" + "- " * 10_000 + "항목\n"),
        (
            "nested-html",
            "## DAY 1\n\n### 발표\n\n" + "<div>" * 10_000 + "x" + "</div>" * 10_000 + "\n",
        ),
        ("long-line", "## DAY 1\n\n### 발표\n\n" + "가나다라 " * 200_000 + "\n"),
        ("unmatched-emphasis", "## DAY 1\n\n### 발표\n\n" + "**굵게 " * 10_000 + "\n"),
        (
            "many-headings",
            "## DAY 1\n\n" + "".join(f"### 발표 {i}\n\n본문.\n\n" for i in range(5_000)),
        ),
    ],
)
def test_pathological_markdown_in_bounded_time(tmp_path: Path, name: str, text: str) -> None:
    notes = tmp_path / f"{name}.md"
    notes.write_text(text, encoding="utf-8")
    started = time.monotonic()
    report = read_report(notes)
    render_preview(report, Settings())
    write_format("epub", report, project_settings(tmp_path), tmp_path / "dist")
    assert time.monotonic() - started < 60
    assert report.chapters and report.chapters[0].talks


def test_whitespace_only_notes_are_an_error(tmp_path: Path) -> None:
    notes = tmp_path / "blank.md"
    notes.write_text(" \n\t\n\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_report(notes)
    assert str(error.value) == (
        f"{notes}: the notes are empty\n"
        "  hint: write a title (# ...) and your notes, then build again"
    )


def test_notes_without_headings_are_one_chapter(tmp_path: Path) -> None:
    notes = tmp_path / "plain.md"
    notes.write_text("그냥 적은 메모.\n\n둘째 문단.\n", encoding="utf-8")
    report = read_report(notes)
    assert [c.title for c in report.chapters] == ["세션"]
    assert "둘째 문단." in report.chapters[0].intro_html


@pytest.mark.slow
def test_very_large_notes_finish_or_fail_clearly(tmp_path: Path) -> None:
    """10 MB, 100,000+ lines: the EPUB is written, the PDF is refused with a clear error,
    and the build's peak memory stays under 2 GB."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, SAMPLE

    day = SAMPLE.read_text(encoding="utf-8").split("## DAY 1", 1)[1]
    notes = tmp_path / "huge.md"
    notes.write_text(
        "# 아주 큰 노트\n" + "".join(f"\n## DAY {n}{day}" for n in range(1, 1121)), encoding="utf-8"
    )
    assert notes.stat().st_size > 10_000_000 and notes.read_text().count("\n") > 100_000
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invoke",
            "build",
            "--notes",
            str(notes),
            "--out",
            str(tmp_path / "dist"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert os.waitstatus_to_exitcode(status) == 1
    assert f"error: {notes}: too large for one PDF (" in stderr
    assert "hint: split the notes into several reports" in stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "dist" / "huge.epub").stat().st_size > 1_000_000
    assert not (tmp_path / "dist" / "huge.pdf").exists()
    assert usage.ru_maxrss < 2 * 1024 * 1024  # KB
