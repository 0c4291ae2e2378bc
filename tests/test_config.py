"""invoke.yaml and front matter settings: every bad key reported together, with its line."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from pipeline.config import (
    REPORT_KEYS,
    SETTINGS,
    FontRoles,
    Settings,
    load_settings,
    settings_yaml,
    with_options,
)
from pipeline.errors import ContentError
from pipeline.pdf.html import render_print_html
from pipeline.preview import render_preview
from pipeline.read.report import read_report
from tests.conftest import ROOT, SAMPLE


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "invoke.yaml")
    assert settings == Settings(project_root=tmp_path)


def test_reads_the_report_section(tmp_path: Path) -> None:
    path = tmp_path / "invoke.yaml"
    path.write_text(
        "run:\n  echo: true\nreport:\n  paper: A5\n  out: build/\n"
        "  fonts:\n    body: Nanum Myeongjo\n  accent: '#aa3300'\n"
        "  remote_images: fetch\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.paper == "A5"
    assert settings.out == Path("build/")
    assert settings.fonts.families() == {**FontRoles().families(), "body": "Nanum Myeongjo"}
    assert (settings.fonts.origin, settings.fonts.origin_line) == (str(path), 6)
    assert settings.accent == "#aa3300"
    assert settings.remote_images == "fetch"


def test_every_bad_key_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "invoke.yaml"
    path.write_text(
        "report:\n  paper: A3\n  fonts:\n    body: X\n    title: Y\n  colour: red\n"
        "  accent: blue\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_settings(path)
    assert str(error.value) == (
        f'{path}:2: paper "A3" is not one of A4, A5, B5, Letter\n'
        f'{path}:5: unknown font role "title" (known: body, heading, code, emoji)\n'
        f'{path}:6: unknown setting "colour" (known: content, out, paper, fonts, accent, author, '
        "pdf_variant, remote_images, allow_private_addresses, strict)\n"
        f'{path}:7: accent "blue" is not a colour like "#1f5fa8"\n'
        "  hint: fix or remove these settings (see the README's Configuration)"
    )


def test_broken_yaml(tmp_path: Path) -> None:
    path = tmp_path / "invoke.yaml"
    path.write_text("report:\n  paper: [A4\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"invoke.yaml:3: broken YAML"):
        load_settings(path)


def test_front_matter_overrides_per_report(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: 작은 책\npaper: A5\naccent: '#123456'\nlayout: post\n---\n\n## DAY 1\n",
        encoding="utf-8",
    )
    report = read_report(notes)
    assert report.settings == {"paper": "A5", "accent": "#123456"}
    assert Settings().override(report.settings).paper == "A5"


def test_bad_front_matter_setting_is_left_out_with_a_warning_naming_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Front matter never stops a build (issue 22): the value is left out, the report keeps
    invoke.yaml's setting, and --strict makes the warning an error."""
    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: 작은 책\npaper: A6\nauthor: 팀\n---\n\n## DAY 1\n", encoding="utf-8"
    )
    assert read_report(notes).settings == {"author": "팀"}
    assert [r.getMessage() for r in caplog.records] == [
        f'{notes}:3: front matter paper "A6" is not one of A4, A5, B5, Letter; left out '
        "(hint: see the README's Configuration)"
    ]


def test_a_missing_font_names_where_it_was_set(tmp_path: Path) -> None:
    from pipeline.font_faces import resolve_fonts

    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: 글꼴\nfonts:\n  body: Nope Font\n---\n\n## DAY 1\n", encoding="utf-8"
    )
    settings = Settings().override(read_report(notes).settings)
    with pytest.raises(ContentError) as error:
        resolve_fonts(settings.fonts, settings.fonts_dir)
    assert str(error.value).startswith(
        f'{notes}:3: font "Nope Font" (body font) is not installed\n  hint: install it'
    )


def test_styles_come_from_the_project_root_and_caches_live_with_the_outputs(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    preview_css = tmp_path / "styles" / "preview.css"
    preview_css.write_text(".project-rule { color: red }\n", encoding="utf-8")
    settings = Settings(project_root=tmp_path, out=tmp_path / "out")
    assert settings.fetch_policy.cache_dir == tmp_path / "out" / ".cache" / "images"
    report = read_report(SAMPLE)
    assert ".project-rule" in render_preview(report, settings)
    assert (tmp_path / "styles" / "print.css").as_uri() in render_print_html(report, settings)
    assert list((tmp_path / "out" / ".cache" / "templates").iterdir())  # compiled templates
    assert not (tmp_path / ".cache").exists()


def test_each_kind_of_setting_refuses_a_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "invoke.yaml"
    path.write_text(
        "report:\n  content: ''\n  out: 3\n  fonts: Noto\n  pdf_variant: x\n"
        "  remote_images: always\n  allow_private_addresses: yes please\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_settings(path)
    assert str(error.value) == (
        f'{path}:2: "content" must be a folder path\n'
        f'{path}:3: "out" must be a folder path\n'
        f'{path}:4: "fonts" must map roles (body, heading, code, emoji) to family names\n'
        f'{path}:5: pdf_variant "x" is not one of ua, a, plain\n'
        f'{path}:6: remote_images "always" is not one of link, fetch\n'
        f'{path}:7: "allow_private_addresses" must be true or false\n'
        "  hint: fix or remove these settings (see the README's Configuration)"
    )


def test_a_command_line_option_is_checked_like_a_setting() -> None:
    with pytest.raises(ContentError) as error:
        with_options(Settings(), paper="A6", pdf_variant="plain")
    assert str(error.value) == (
        'options: paper "A6" is not one of A4, A5, B5, Letter\n'
        "  hint: fix or remove these settings (see the README's Configuration)"
    )
    assert with_options(Settings(), paper=None, pdf_variant="plain").pdf_variant == "plain"


def test_front_matter_may_set_only_the_per_report_settings(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: 책\nout: elsewhere/\nremote_images: fetch\nauthor: 팀\n---\n\n## DAY 1\n",
        encoding="utf-8",
    )
    assert read_report(notes).settings == {"author": "팀"}
    assert REPORT_KEYS == ("paper", "fonts", "accent", "author", "pdf_variant")


def test_the_table_gives_the_defaults_and_the_readme_shows_the_table() -> None:
    assert {row.key: row.default for row in SETTINGS} == {
        field.name: getattr(Settings(), field.name)
        for field in dataclasses.fields(Settings)
        if field.name not in ("project_root", "source_date_epoch")  # not from invoke.yaml
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    block = configuration.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == settings_yaml(), "paste settings_yaml() into the README's Configuration"
    prose = " ".join(readme.split())  # sentences wrap anywhere
    for sentence in ("A report's front matter may override", "the per-report settings"):
        listed = prose.split(sentence, 1)[1].split("(", 1)[0].split(" for that", 1)[0]
        assert sorted(re.findall(r"`(\w+)`", listed)) == sorted(REPORT_KEYS), sentence
