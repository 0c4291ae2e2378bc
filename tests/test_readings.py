"""A report's reading is kept for the next build (``pipeline.build.readings``): the same EPUB
and the same warnings from the kept reading, and the notes read again whenever anything the
reading depends on changed: the notes, a file they refer to, a file they named that was
missing (an image, a cover), the settings; never kept when remote images are fetched."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import pipeline.read.report
from pipeline.build.reports import build
from pipeline.config import Settings
from pipeline.model import Report
from tests.conftest import EPOCH, make_png, project_settings
from tests.conftest import PROJECT_NOTES as NOTES


class Counted:
    """The notes' project, and how many times the notes were read by its builds."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.notes = root / "content" / "talks.md"
        self.notes.parent.mkdir(parents=True)
        self.notes.write_text(NOTES, encoding="utf-8")
        make_png(root / "content" / "img" / "a.png")
        self.settings = project_settings(root, source_date_epoch=int(EPOCH))
        self.out = root / "out"
        self.reads = 0
        read = pipeline.read.report.read_report

        def counting(*args: object, **kwargs: object) -> Report:
            self.reads += 1
            return read(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pipeline.read.report, "read_report", counting)

    def build(self, settings: Settings | None = None) -> tuple[bytes, tuple[str, ...]]:
        """A forced EPUB build: its bytes and its warnings."""
        (outcome,) = build(self.notes, self.out, ("epub",), settings or self.settings, force=True)
        assert outcome.error is None and not outcome.crash, outcome
        return (self.out / "talks.epub").read_bytes(), outcome.warnings


def test_a_kept_reading_gives_the_same_epub_and_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Counted(tmp_path, monkeypatch)
    first, warnings = project.build()
    assert project.reads == 1
    assert any("later.png" in message for message in warnings)  # the missing image
    assert len(list((project.out / ".cache" / "readings").glob("*.reading"))) == 1
    again, warnings_again = project.build()
    assert project.reads == 1  # the kept reading
    assert again == first and warnings_again == warnings


def test_the_notes_are_read_again_when_an_input_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Counted(tmp_path, monkeypatch)
    project.build()
    content = project.notes.parent
    make_png(content / "img" / "a.png", colour="teal")  # a file the notes refer to
    project.build()
    assert project.reads == 2
    make_png(content / "img" / "later.png")  # the missing image comes
    _, warnings = project.build()
    assert project.reads == 3
    assert not any("later.png" in message for message in warnings)
    project.notes.write_text(NOTES.replace("홍길동", "김철수"), encoding="utf-8")
    project.build()
    assert project.reads == 4
    project.build(dataclasses.replace(project.settings, author="이영희"))  # a setting
    assert project.reads == 5
    project.build()
    assert project.reads == 5  # each of them kept


def test_a_cover_that_comes_later_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notes name a cover that is not there yet (it is not among the missing images): the
    file that comes changes the notes' folder, and the reading is done again."""
    project = Counted(tmp_path, monkeypatch)
    _, warnings = project.build()
    assert any("cover.png" in message for message in warnings)
    make_png(project.notes.parent / "cover.png", (300, 400), "teal")
    _, warnings = project.build()
    assert project.reads == 2
    assert not any("cover.png" in message for message in warnings)
    project.build()
    assert project.reads == 2


def test_notes_whose_remote_images_are_fetched_are_read_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Counted(tmp_path, monkeypatch)
    fetching = dataclasses.replace(project.settings, remote_images="fetch")
    project.build(fetching)
    project.build(fetching)
    assert project.reads == 2
    assert not (project.out / ".cache" / "readings").exists()
