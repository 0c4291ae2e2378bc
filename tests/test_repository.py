"""What the code cites is in the repository: the documents it points to, the licence."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_every_document_the_code_cites_is_in_the_repository() -> None:
    cited = {}
    for path in [
        *(ROOT / "pipeline").rglob("*.py"),
        *(ROOT / "styles").iterdir(),
        ROOT / "tasks.py",
    ]:
        text = path.read_text(encoding="utf-8")
        assert "KOREAN.md" not in text, f"{path} cites the notes outside the repository"
        for name in re.findall(r"\bdocs/[\w./-]+\.md\b", text):
            cited[name] = path
    assert "docs/korean-typography.md" in cited
    assert [name for name in cited if not (ROOT / name).is_file()] == []


def test_the_licence_pyproject_names_is_there() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 the conference-report authors\n")
