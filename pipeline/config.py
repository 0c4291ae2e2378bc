"""Settings for a build: paper, font roles, people, colours. Read once, passed down as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PAPER_SIZES = ("A4", "A5", "B5", "Letter")
PdfVariant = Literal["ua", "a", "plain"]


@dataclass(frozen=True)
class FontRoles:
    """Family names (fontconfig names, or families of files dropped into fonts/) for each role."""

    body: str = "Noto Serif CJK KR"
    heading: str = "Noto Sans CJK KR"
    code: str = "Noto Sans Mono CJK KR"
    emoji: str = "Noto Color Emoji"


@dataclass(frozen=True)
class Settings:
    """Everything a build needs besides the notes."""

    project_root: Path = PROJECT_ROOT
    paper: str = "A4"
    fonts: FontRoles = field(default_factory=FontRoles)
    accent: str = "#1f5fa8"
    author: str = ""  # the author or team, when the notes name none
    pdf_variant: PdfVariant = "ua"

    @property
    def fonts_dir(self) -> Path:
        return self.project_root / "fonts"

    @property
    def styles_dir(self) -> Path:
        return self.project_root / "styles"
