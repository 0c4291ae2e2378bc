"""invoke check: passes on good outputs, and catches what it promises to catch."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.build.formats import write_format
from pipeline.commands.check import check_epub, check_outputs, check_pdf
from pipeline.config import Settings
from pipeline.model import Report
from pipeline.pdf import html as print_html


@pytest.fixture(scope="module")
def built(sample_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("check")
    for output_format in ("pdf", "epub"):
        write_format(output_format, sample_report, Settings(), out)
    return out


def test_good_outputs_pass(built: Path, sample_report: Report) -> None:
    assert check_outputs(sample_report, built, Settings()) == []


def test_a_missing_output_is_reported(sample_report: Report, tmp_path: Path) -> None:
    findings = check_outputs(sample_report, tmp_path, Settings())
    assert [str(f) for f in findings] == [
        f"error: {tmp_path / 'deview-2023.pdf'}: not built (run invoke build)",
        f"error: {tmp_path / 'deview-2023.epub'}: not built (run invoke build)",
    ]


def test_words_broken_across_lines_are_caught(
    sample_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(print_html, "join_hangul_words", lambda root: None)
    pdf = write_format("pdf", sample_report, Settings(), tmp_path).path
    broken = [f.message for f in check_pdf(pdf, sample_report, Settings())]
    assert broken and all("a line ends inside a Hangul word" in m for m in broken)


def test_a_dead_link_in_the_epub_is_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    source = built / "deview-2023.epub"
    broken = tmp_path / "deview-2023.epub"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename.endswith("nav.xhtml"):
                data = data.replace(b'href="day-2.xhtml#day-2-talk-1"', b'href="day-9.xhtml#x"')
            new.writestr(item, data)
    messages = [f.message for f in check_epub(broken, sample_report, Settings())]
    assert "EPUB/nav.xhtml: a link points nowhere: day-9.xhtml#x" in messages
    assert any(m.startswith("EPUBCheck ERROR") for m in messages)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_the_contents_are_found_below_a_short_introduction(tmp_path: Path) -> None:
    from pipeline.read.report import read_report
    from tests.conftest import DATA

    report = read_report(DATA / "yaml-front-matter.md")
    pdf = write_format("pdf", report, Settings(), tmp_path).path
    assert check_pdf(pdf, report, Settings()) == []
