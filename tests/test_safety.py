"""Output safety: a failed, killed or concurrent build never leaves a partial or broken file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.build.reports import build
from pipeline.errors import ContentError
from pipeline.output import write_atomically, write_text_atomically
from tests.conftest import ROOT, SAMPLE, project_settings

INVOKE = [sys.executable, "-m", "invoke"]


def leftovers(folder: Path) -> list[str]:
    """Hidden files beside the outputs: temporary files (the build cache, .cache/, is none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".cache")


def test_a_failing_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = write_text_atomically(tmp_path / "report.html", "good")

    def fail(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_text(encoding="utf-8") == "good"
    assert leftovers(tmp_path) == []


def test_a_failing_build_leaves_the_previous_output_byte_identical(tmp_path: Path) -> None:
    notes = tmp_path / "report.md"
    notes.write_text("## DAY 1\n\n### 발표\n\n좋은 내용.\n", encoding="utf-8")
    settings = project_settings(tmp_path)
    (good,) = build(notes, tmp_path / "dist", ("html",), settings)
    before = good.outputs[0].path.read_bytes()
    notes.write_text("---\ntitle: [broken\n---\n## DAY 1\n\n### 발표\n", encoding="utf-8")
    (bad,) = build(notes, tmp_path / "dist", ("html",), settings)
    assert bad.error is not None and "front matter" in bad.error.message
    assert (tmp_path / "dist" / "report.html").read_bytes() == before
    assert leftovers(tmp_path / "dist") == []


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "dist"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        write_text_atomically(blocker / "report.html", "x")
    assert (
        str(error.value)
        == f"{blocker}: is a file, not a folder\n  hint: choose another --out folder"
    )
    readonly = Path("/proc/version")  # a read-only file system even for root
    with pytest.raises(ContentError) as error:
        write_text_atomically(readonly / "x" / "report.html", "x")
    assert "cannot write the output" in str(error.value) or "is a file" in str(error.value)


@pytest.mark.slow
def test_a_killed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run(
        [*INVOKE, "epub", "--notes", str(SAMPLE), "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    before = (out / "deview-2023.epub").read_bytes()
    for delay in (0.6, 1.2, 1.8):  # kill it at different moments of the PDF build
        process = subprocess.Popen(
            [
                *INVOKE,
                "build",
                "--notes",
                str(SAMPLE),
                "--out",
                str(out),
                "--force",
                "--variant",
                "plain",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert leftovers(out) == []
        epub = out / "deview-2023.epub"
        assert epub.read_bytes() == before or zipfile.ZipFile(epub).testzip() is None
        pdf = out / "deview-2023.pdf"
        assert not pdf.exists() or pdf.read_bytes().rstrip().endswith(b"%%EOF")


@pytest.mark.slow
def test_two_builds_at_once_never_leave_a_corrupt_file(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    command = [*INVOKE, "epub", "--notes", str(SAMPLE), "--out", str(out), "--force"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    second = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    assert first.wait() == 0 and second.wait() == 0
    with zipfile.ZipFile(out / "deview-2023.epub") as book:
        assert book.testzip() is None
        assert book.namelist()[0] == "mimetype"
    assert leftovers(out) == []
