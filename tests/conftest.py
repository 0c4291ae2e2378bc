"""Fixtures that climb the pipeline: notes -> report -> html -> outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from pipeline.config import Settings
from pipeline.model import Report
from pipeline.read.report import read_report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "content" / "deview-2023.md"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


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
