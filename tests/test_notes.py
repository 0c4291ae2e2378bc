"""Reading notes files: encodings, line endings, front matter, and the errors for bad ones."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from pipeline.errors import ContentError
from pipeline.read.notes import read_notes
from pipeline.read.report import read_report
from tests.conftest import DATA

KOREAN = "# 컨퍼런스\n\n## DAY 1\n\n### 발표\n\n데이터를 읽었다.\n"


def write(tmp_path: Path, data: bytes, name: str = "notes.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        KOREAN.encode("utf-8"),
        b"\xef\xbb\xbf" + KOREAN.encode("utf-8"),
        KOREAN.replace("\n", "\r\n").encode("utf-8"),
        KOREAN.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf-8", "bom", "crlf", "cr"],
)
def test_utf8_variants_read_the_same(tmp_path: Path, data: bytes) -> None:
    notes = read_notes(write(tmp_path, data))
    assert notes.text == KOREAN
    report = read_report(notes.path)
    assert [c.label for c in report.chapters] == ["DAY 1"]
    assert report.chapters[0].talks[0].title == "발표"


def test_cp949_is_decoded_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, KOREAN.encode("cp949"))
    with caplog.at_level(logging.WARNING):
        notes = read_notes(path)
    assert notes.text == KOREAN
    assert caplog.messages == [
        f"{path}: not UTF-8; decoded as CP949/EUC-KR (save it as UTF-8 to silence this)"
    ]


def test_decomposed_hangul_is_composed(tmp_path: Path) -> None:
    import unicodedata

    path = write(tmp_path, unicodedata.normalize("NFD", KOREAN).encode("utf-8"))
    assert read_notes(path).text == KOREAN


def test_binary_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ContentError) as error:
        read_notes(path)
    assert str(error.value) == (
        f"{path}: is a binary file, not Markdown notes\n"
        "  hint: give the .md file you wrote your notes in"
    )


def test_undecodable_file_names_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"# title\n\nok line\n\xff\xfe\xfa broken\n")
    with pytest.raises(ContentError) as error:
        read_notes(path)
    assert str(error.value) == (
        f"{path}:4: cannot decode the notes: byte 0xff at offset 17 is neither UTF-8 nor "
        "CP949/EUC-KR\n  hint: save the file as UTF-8"
    )


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as error:
        read_notes(tmp_path / "nothere.md")
    assert (
        str(error.value) == f"{tmp_path / 'nothere.md'}: notes file not found\n"
        "  hint: check the --notes path"
    )


def test_yaml_front_matter() -> None:
    report = read_report(DATA / "yaml-front-matter.md")
    meta = report.meta
    assert meta.title == "FEConf 2024 참관기"
    assert meta.subtitle == "프런트엔드 개발자 컨퍼런스"
    assert meta.dates == (dt.date(2024, 10, 26), dt.date(2024, 10, 27))
    assert meta.venue == "세종대학교 광개토관"
    assert meta.authors == ("김철수", "이영희")
    assert meta.tags == ("frontend", "feconf")
    assert meta.description == "# 이 줄은 제목이 아니다 두 날의 기록"
    assert meta.lang == "ko"
    # a `#` line inside a front matter value never becomes a heading; the `---` after the
    # introduction is a rule, not a fence or a heading underline (dropped: it ends the part)
    assert report.intro_html.strip() == "<p>처음 가 본 FEConf.</p>"
    assert [c.label for c in report.chapters] == ["DAY 1"]


def test_toml_front_matter() -> None:
    meta = read_report(DATA / "toml-front-matter.md").meta
    assert (meta.title, meta.authors, meta.tags) == (
        "INFCON 2024 후기",
        ("우명규",),
        ("infcon", "인프런"),
    )
    assert meta.dates == (dt.date(2024, 7, 5),)


def test_hexo_front_matter_without_opening_fence() -> None:
    report = read_report(DATA / "hexo-front-matter.md")
    assert report.meta.title == "GDG DevFest 2016"
    assert report.meta.tags == ("gdg", "devfest")
    assert report.intro_html.strip() == "<p>관람 후기!!</p>"  # the closing rule is dropped
    assert "categories" not in report.intro_html


def test_broken_yaml_is_an_error_at_its_line() -> None:
    with pytest.raises(ContentError) as error:
        read_report(DATA / "broken-yaml.md")
    assert str(error.value) == (
        f"{DATA / 'broken-yaml.md'}:4: broken YAML front matter: expected ',' or ']', but got ':'"
        "\n  hint: fix the front matter syntax, or remove the block if it is not front matter"
    )


def test_broken_toml_is_an_error_at_its_line() -> None:
    with pytest.raises(ContentError) as error:
        read_report(DATA / "broken-toml.md")
    assert str(error.value) == (
        f"{DATA / 'broken-toml.md'}:2: broken TOML front matter: Invalid value "
        "(at end of document)"
        "\n  hint: fix the front matter syntax, or remove the block if it is not front matter"
    )


def test_template_expression_heading_shows_the_title() -> None:
    report = read_report(DATA / "template-title.md")
    assert report.meta.title == "VuePress 컨퍼런스 노트"
    assert report.meta.subtitle == ""
    assert "{{" not in report.intro_html


def test_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "## DAY 1\n\n### 발표\n".encode(), name="pycon-2023.md")
    assert read_report(path).meta.title == "pycon-2023"


def test_a_cover_that_cannot_be_used_is_left_out_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The build goes on with the generated cover; the warning names the key and its line."""
    from tests.conftest import make_png

    content = tmp_path / "content"
    make_png(tmp_path / "secret" / "private.png")
    make_png(content / "img" / "cover.png")
    notes = content / "notes.md"
    hint = "(hint: copy a PNG or JPEG next to the notes and name it in cover:)"
    for key, cover, problem in [
        ("cover", "../secret/private.png", "is outside the content folder"),
        ("cover", "img/none.png", "is not there"),
        ("cover", "notes.md", "is not a PNG or JPEG image"),
        ("image", "/assets/post_header/conference.jpg", "is outside the content folder"),
        ("image", "https://example.com/og.jpg", "is a web address, not a file"),
    ]:
        notes.write_text(f"---\ntitle: 표지\n{key}: {cover}\n---\n\n## DAY 1\n", encoding="utf-8")
        caplog.clear()
        assert read_report(notes).meta.cover is None
        assert f'{notes}:3: front matter {key} "{cover}" {problem}; left out {hint}' in {
            r.getMessage() for r in caplog.records
        }
    notes.write_text("---\ntitle: 표지\ncover: img/cover.png\n---\n\n## DAY 1\n", encoding="utf-8")
    assert read_report(notes).meta.cover == (content / "img" / "cover.png").resolve()


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: &a [*a]", "broken YAML front matter: aliases (*name) are not allowed"),
        (
            "a: &a [x, x]\nb: &b [*a, *a]\ntitle: *b",
            "broken YAML front matter: aliases (*name) are not allowed",
        ),
        ("title: " + "[" * 5000 + "]" * 5000, "front matter nested too deeply"),
    ],
)
def test_hostile_yaml_is_refused_quickly(tmp_path: Path, front: str, message: str) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(f"---\n{front}\n---\n\n## DAY 1\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_report(notes)
    assert message in str(error.value)
