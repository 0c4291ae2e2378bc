"""Fixtures that climb the pipeline: notes -> report -> html -> outputs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pipeline.config import Settings, source_date_epoch
from pipeline.model import Report
from pipeline.read.report import read_report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "content" / "deview-2023.md"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z: the SOURCE_DATE_EPOCH of the tests' builds


# A test that uses one of these fixtures renders a PDF or runs EPUBCheck: it is slow, and
# `invoke test --quick` skips it. Mark any other test that takes a second with @pytest.mark.slow.
SLOW_FIXTURES = {"sample_pdf", "quirks_pdf", "epubcheck", "built"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


# Notes of a project in a test's folder: a local image, a cover and an image not there yet.
PROJECT_NOTES = """---
title: 캐시 시험
date: 2024-05-01
cover: cover.png
---

## DAY 1

### 발표 (홍길동 | 회사)

![구조도](img/a.png)

![아직 없는 그림](img/later.png)
"""


def project_settings(root: Path, **options: Any) -> Settings:
    """Settings for a project at ``root``, a test's own folder: its fonts/, .cache/ and styles/
    are there (styles/ links to the real one; copy it instead to change a template)."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "styles").exists():
        (root / "styles").symlink_to(ROOT / "styles")
    return Settings(project_root=root, **options)


@pytest.fixture(scope="session")
def sample_report() -> Report:
    return read_report(SAMPLE)


def make_png(path: Path, size: tuple[int, int] = (400, 200), colour: str = "navy") -> Path:
    """A plain image made by the test (only the quirks fixture keeps a tiny committed one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def folder_report(tmp_path: Path) -> Path:
    """The folder-report fixture with its image, copied where the test may write."""
    folder = tmp_path / "folder-report"
    shutil.copytree(DATA / "folder-report", folder)
    make_png(folder / "img" / "diagram.png")
    return folder


@pytest.fixture(scope="module")
def epoch() -> Iterator[None]:
    """SOURCE_DATE_EPOCH set for a module's builds, as a reproducible build sets it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield


def build_pdf(
    notes: Path | Report,
    out: Path,
    jobs: int = 1,
    reuse: bool = False,
    at_once: bool = False,
    pool: Any = None,
    **options: Any,
) -> Path:
    """The print PDF of the notes at ``notes`` (or of a report already read), written into
    ``out`` as a build writes it: SOURCE_DATE_EPOCH read from the environment (see ``epoch``),
    the cache with the output, laid out in parts on ``jobs`` processes (``at_once``: the whole
    book in one layout), the parts of an earlier build in ``out`` reused only with ``reuse``;
    ``pool``: the worker pool to lay the parts out with (its timings, its kept layouts)."""
    from pipeline.pdf.html import prepare_print  # the PDF stage only where a test builds one
    from pipeline.pdf.write import write_pdf_pages

    report = notes if isinstance(notes, Report) else read_report(notes)
    epoch = source_date_epoch(os.environ)
    settings = Settings(source_date_epoch=epoch, **options).override({"out": out})
    job = prepare_print(report, settings)
    return write_pdf_pages(report, settings, out, job, jobs, reuse, at_once, pool)[0]
