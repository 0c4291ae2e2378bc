"""The team workflow tasks, run for real: new, share, watch (with its preview), many reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.build.reports import build
from pipeline.commands.new import start_notes
from pipeline.commands.share import share_report
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.read.report import read_report
from tests.conftest import ROOT, project_settings

INVOKE = [sys.executable, "-m", "invoke"]
NOTES = (
    "---\ntitle: {title}\ndate: 2024-05-01\n---\n\n## DAY 1\n\n### 발표 하나 (홍길동 | 회사)\n\n"
    "> 초록.\n\n본문 {body}.\n"
)


def write_notes(path: Path, title: str = "워크플로", body: str = "처음") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTES.format(title=title, body=body), encoding="utf-8")
    return path


def test_new_starts_notes_the_pipeline_understands(tmp_path: Path) -> None:
    settings = Settings(project_root=tmp_path, content=Path("content"))
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    template = tmp_path / "styles" / "new-notes.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n팀 서식\n", encoding="utf-8")
    path = start_notes("pycon-2024", settings, today=dt.date(2024, 8, 10))
    assert path == tmp_path / "content" / "pycon-2024.md"
    assert path.read_text(encoding="utf-8").endswith("\n팀 서식\n")  # the project's template
    report = read_report(path)
    assert report.meta.title == "PYCON 2024" and report.meta.dates == (dt.date(2024, 8, 10),)
    assert [(c.label, len(c.talks)) for c in report.chapters] == [
        ("DAY 1", 2),
        ("DAY 2", 1),
        ("후기", 0),
    ]
    first = report.chapters[0].talks[0]
    assert first.speaker == "홍길동 · 소속 회사" and first.abstract_html
    with pytest.raises(ContentError, match="already exists"):
        start_notes("pycon-2024", settings)
    with pytest.raises(ContentError, match="is not a usable report name"):
        start_notes("../escape", settings)


def test_share_packs_files_checksums_and_summary(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes" / "team-report.md")
    report = read_report(notes)
    pdf, epub = tmp_path / "dist" / "team-report.pdf", tmp_path / "dist" / "team-report.epub"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.7 fake for the packing test")
    epub.write_bytes(b"PK fake epub")
    folder = share_report(
        report,
        [pdf, epub],
        9,
        tmp_path / "dist" / "share",
        dt.date(2024, 5, 2),
        to=tmp_path / "team",
    )
    assert folder == tmp_path / "dist" / "share" / "team-report-2024-05-02"
    for where in (folder, tmp_path / "team" / folder.name):
        assert sorted(p.name for p in where.iterdir()) == [
            "SHA256SUMS",
            "SUMMARY.md",
            "team-report.epub",
            "team-report.pdf",
        ]
        for line in (where / "SHA256SUMS").read_text().splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256((where / name).read_bytes()).hexdigest() == digest
        assert oct(where.stat().st_mode & 0o777) == "0o755"
    summary = (folder / "SUMMARY.md").read_text(encoding="utf-8")
    assert summary.startswith("# 워크플로\n2024-05-01\n\n**DAY 1**\n- 발표 하나 — 홍길동 · 회사\n")
    assert "- `team-report.pdf` (0 KB, 9쪽)" in summary
    # sharing again replaces the folder whole
    assert (
        share_report(report, [pdf, epub], 9, tmp_path / "dist" / "share", dt.date(2024, 5, 2))
        == folder
    )
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_many_reports_build_in_parallel_and_one_error_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    for number in range(3):
        write_notes(content / f"report-{number}.md", title=f"보고서 {number}")
    (content / "broken.md").write_text("---\ntitle: [깨짐\n---\n", encoding="utf-8")
    settings = project_settings(tmp_path)
    outcomes = {o.notes.name: o for o in build(content, tmp_path / "dist", ("html",), settings)}
    assert sorted(outcomes) == ["broken.md", "report-0.md", "report-1.md", "report-2.md"]
    assert outcomes["broken.md"].error is not None
    for number in range(3):
        output = outcomes[f"report-{number}.md"].outputs[0]
        assert output.path.read_text(encoding="utf-8").count(f"보고서 {number}") >= 1
    again = {o.notes.name: o for o in build(content, tmp_path / "dist", ("html",), settings)}
    assert all(o.outputs[0].skipped for name, o in again.items() if name != "broken.md")


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
def test_watch_rebuilds_after_a_save_and_the_preview_reloads(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "content" / "live.md")
    out = tmp_path / "out"
    port = 18000 + os.getpid() % 1000
    log = tmp_path / "watch.log"  # read while the watch runs: each rebuild's lines
    with log.open("wb") as sink:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            [
                *INVOKE,
                "watch",
                "--notes",
                str(notes),
                "--out",
                str(out),
                "--serve",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        html = out / "live.html"
        wait_for(lambda: html.exists() and "본문 처음" in html.read_text(encoding="utf-8"))
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/live.html", timeout=5).read()
        assert b"/__page?path=" in page and "본문 처음".encode() in page
        builds = urllib.request.urlopen(f"http://127.0.0.1:{port}/__build", timeout=5).read()
        write_notes(notes, body="고침")
        wait_for(lambda: "본문 고침" in html.read_text(encoding="utf-8"))
        wait_for(
            lambda: (
                urllib.request.urlopen(f"http://127.0.0.1:{port}/__build", timeout=5).read()
                != builds
            )
        )
        # an error is shown and the watch goes on
        notes.write_text("---\ntitle: [깨짐\n---\n", encoding="utf-8")
        wait_for(lambda: "broken YAML front matter" in log.read_text(encoding="utf-8"))
        assert process.poll() is None
        write_notes(notes, body="다시")
        wait_for(lambda: "본문 다시" in html.read_text(encoding="utf-8"))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        output = log.read_text(encoding="utf-8")
        print(output)
    assert "broken YAML front matter" in output
