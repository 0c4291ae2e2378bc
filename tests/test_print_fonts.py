"""The print fonts' cuts kept for the next build (pipeline.pdf.print_fonts): the same face cut
to the same characters is the same bytes, so it is cut once; new letters make a new cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.pdf import print_fonts


def settings_in(tmp_path: Path) -> Settings:
    return Settings().override({"out": tmp_path / "out"})


def cut(settings: Settings, text: str, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    return {
        path.name: path.read_bytes() for path in print_fonts.cut_fonts(settings, text, "", folder)
    }


def test_a_cut_is_made_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in(tmp_path)
    monkeypatch.setattr(print_fonts, "_cuts", {})
    first = cut(settings, "<p>데이터를 <strong>처리</strong>하는 방식</p>", tmp_path / "a")
    kept = sorted((settings.cache_dir / "cut-fonts").glob("*.otf"))
    assert len(kept) == len(first) >= 3

    def no_cut(*args: object) -> Path:
        raise AssertionError("cut again")

    monkeypatch.setattr(print_fonts, "_write_cut", no_cut)
    again = cut(settings, "<p>데이터를 <strong>처리</strong>하는 방식</p>", tmp_path / "b")
    assert again == first  # from memory
    monkeypatch.setattr(print_fonts, "_cuts", {})
    assert cut(settings, "<p>데이터를 <strong>처리</strong>하는 방식</p>", tmp_path / "c") == first


def test_new_letters_make_new_cuts_and_old_ones_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path)
    monkeypatch.setattr(print_fonts, "_cuts", {})
    monkeypatch.setattr(print_fonts, "CUTS_KEPT", 4)
    first = cut(settings, "<p>가나다</p>", tmp_path / "a")
    second = cut(settings, "<p>가나다라</p>", tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)
    fresh = print_fonts._write_cut  # the cut as made without the cache: the same bytes
    face = print_fonts.resolve_fonts(settings.fonts, settings.fonts_dir)["body"]
    characters = "".join(sorted(set("<p>가나다라</p>") | set(print_fonts.GENERATED)))
    made = fresh(face, characters, tmp_path / "fresh.otf").read_bytes()
    assert second["body-Regular.otf"] == made
    assert len(list((settings.cache_dir / "cut-fonts").glob("*.otf"))) <= 4
