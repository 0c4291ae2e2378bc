"""Warnings: every one of a report in one run, grouped and counted; placeholders in every format;
--strict makes them errors and replaces no output; invoke outline and check show them."""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.build.reports import build, describe_outcome, describe_warnings
from pipeline.commands.run import Failed
from pipeline.commands.verdict import check_reports
from pipeline.config import load_settings
from pipeline.diagnostics import KINDS, WarningsAsErrors, kind_of, warnings_table
from pipeline.pdf import write as pdf_write
from tests.conftest import ROOT, make_png, project_settings

INVOKE = [sys.executable, "-m", "invoke"]
HEAD = "---\ntitle: 경고\ndate: 2024-05-01\n---\n\n## DAY 1\n\n### 발표 (홍길동 | 회사)\n\n"
HINT = "(hint: put the file next to the notes, or fix the path)"


def warned_notes(content: Path) -> Path:
    """Notes that warn twelve times: eight missing images (lines 10, 12, ... 24), an image
    outside the content folder (26), a file: URL (28), a dead link (30), a remote image (32)."""
    lines = [f"![구조도 {n}](img/{n}.png)\n" for n in range(1, 9)]
    lines += [
        '<img src="../secret.png">\n',
        '<img src="file:///etc/hostname">\n',
        "[없는 곳](#nowhere)\n",
        "![원격](https://example.com/r.png)\n",
    ]
    notes = content / "warn.md"
    content.mkdir(parents=True, exist_ok=True)
    notes.write_text(HEAD + "\n".join(lines), encoding="utf-8")
    (content.parent / "secret.png").write_bytes(b"TOP-SECRET")
    return notes


def expected_messages(notes: Path) -> list[str]:
    return [
        *(
            f'{notes}:{8 + 2 * n}: image "img/{n}.png" not found; shown as a placeholder {HINT}'
            for n in range(1, 9)
        ),
        f'{notes}:26: image "../secret.png" is outside the content folder; left out '
        "(hint: copy the image next to the notes and link it from there)",
        f'{notes}:28: image "file:///etc/hostname" left out: only local files and http(s) '
        "images are allowed",
        f'{notes}:30: link to "#nowhere" matches no heading; shown as plain text',
        f"{notes}: 1 remote image shown as captioned link (use --fetch-images to embed them)",
    ]


GROUPS = (
    "8 missing images (lines 10, 12, 14, 16, 18, 20, ...), 2 images left out (lines 26, 28), "
    "1 dead link (line 30), 1 note on remote images"
)


def test_every_warning_of_a_report_in_one_run_grouped_and_counted(tmp_path: Path) -> None:
    notes = warned_notes(tmp_path / "content")
    (outcome,) = build(notes, tmp_path / "out", ("html",), project_settings(tmp_path))
    assert outcome.error is None and not outcome.outputs[0].skipped
    assert describe_warnings(outcome) == "\n".join(
        [*(f"warning: {m}" for m in expected_messages(notes)), f"warn: 12 warnings: {GROUPS}"]
    )
    # an unchanged rebuild shows the warnings the output was built with
    (again,) = build(notes, tmp_path / "out", ("html",), project_settings(tmp_path))
    assert again.outputs[0].skipped and again.warnings == outcome.warnings


def test_a_report_folder_names_the_file_of_each_warning(
    folder_report: Path, tmp_path: Path
) -> None:
    day2 = folder_report / "day2.md"
    day2.write_text(day2.read_text(encoding="utf-8") + "\n![없음](img/none.png)\n", "utf-8")
    lines = day2.read_text(encoding="utf-8").count("\n")
    (outcome,) = build(folder_report, tmp_path / "out", ("html",), project_settings(tmp_path))
    assert describe_warnings(outcome).splitlines()[-1] == (
        f"folder-report: 1 warning: 1 missing image (line day2.md:{lines})"
    )


def test_strict_fails_with_every_problem_and_replaces_nothing(tmp_path: Path) -> None:
    content, out = tmp_path / "content", tmp_path / "out"
    notes = warned_notes(content)
    good = HEAD + "좋은 내용.\n"
    notes.write_text(good, encoding="utf-8")
    settings = project_settings(tmp_path)
    (first,) = build(notes, out, ("html",), settings)
    before = (out / "warn.html").read_bytes()
    warned_notes(content)
    strict = project_settings(tmp_path, strict=True)
    (failed,) = build(notes, out, ("html",), strict)
    assert isinstance(failed.error, WarningsAsErrors) and failed.outputs == ()
    assert str(failed.error) == "\n".join(
        [
            f"{notes}: 12 warnings, which --strict makes errors: {GROUPS}",
            *expected_messages(notes),
            "  hint: fix them (the README's Warnings table says how), or build without --strict "
            "(and without strict: true in invoke.yaml)",
        ]
    )
    assert (out / "warn.html").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [".cache", "warn.html"]
    # built without --strict, the output is written; an unchanged one still fails --strict
    (written,) = build(notes, out, ("html",), settings)
    after = (out / "warn.html").read_bytes()
    assert after != before and len(written.warnings) == 12
    (unchanged,) = build(notes, out, ("html",), strict)
    assert unchanged.outputs[0].skipped and isinstance(unchanged.error, WarningsAsErrors)
    assert describe_outcome(unchanged).splitlines()[1] == (
        f"error: {notes}: 12 warnings, which --strict makes errors: {GROUPS}"
    )
    assert (out / "warn.html").read_bytes() == after


def test_strict_true_in_invoke_yaml(tmp_path: Path) -> None:
    path = tmp_path / "invoke.yaml"
    path.write_text("report:\n  strict: true\n", encoding="utf-8")
    assert load_settings(path).strict is True
    path.write_text("report:\n  strict: sometimes\n", encoding="utf-8")
    with pytest.raises(Exception, match='"strict" must be true or false'):
        load_settings(path)


def test_the_tasks_take_strict_and_exit_with_status_1(tmp_path: Path) -> None:
    notes = warned_notes(tmp_path / "content")
    for task in ("html", "outline"):
        command = [*INVOKE, task, "--notes", str(notes)]
        if task == "html":
            command += ["--out", str(tmp_path / "out")]
        lenient = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert lenient.returncode == 0, lenient.stderr
        assert lenient.stderr.splitlines()[-1] == f"warn: 12 warnings: {GROUPS}"
        strict = subprocess.run([*command, "--strict"], cwd=ROOT, capture_output=True, text=True)
        assert strict.returncode == 1
        assert f"error: {notes}: 12 warnings, which --strict makes errors: {GROUPS}\n" in (
            strict.stderr
        )
        assert all(message in strict.stderr for message in expected_messages(notes))
    for task in ("pdf", "epub", "build", "check"):
        help_text = subprocess.run(
            [*INVOKE, "--help", task], cwd=ROOT, capture_output=True, text=True
        ).stdout
        assert "--strict" in help_text, task


@pytest.mark.slow
def test_placeholders_show_path_and_alt_text_in_pdf_epub_and_preview(tmp_path: Path) -> None:
    notes = warned_notes(tmp_path / "content")
    out = tmp_path / "out"
    (outcome,) = build(notes, out, ("html", "pdf", "epub"), project_settings(tmp_path))
    assert outcome.error is None and len(outcome.warnings) == 12
    figure = '<span class="missing-image">이미지 없음 · img/1.png</span><figcaption>구조도 1'
    assert figure in (out / "warn.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "warn.epub") as book:
        xhtml = "".join(
            book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml")
        )
        assert figure in xhtml and 'figure class="missing-image"' in xhtml
        assert all(b"TOP-SECRET" not in book.read(name) for name in book.namelist())
    text = "".join(page.extract_text() for page in PdfReader(out / "warn.pdf").pages)
    text = text.replace("\u2060", "")
    for number in range(1, 9):
        assert f"이미지 없음 · img/{number}.png" in text and f"구조도 {number}" in text
    assert "secret" not in text and b"TOP-SECRET" not in (out / "warn.pdf").read_bytes()


@pytest.mark.slow
def test_warnings_of_the_pdf_process_come_back_and_strict_keeps_the_old_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, out = tmp_path / "content", tmp_path / "out"
    notes = content / "quiet.md"
    content.mkdir()
    notes.write_text(HEAD + "좋은 내용.\n", encoding="utf-8")
    (first,) = build(notes, out, ("pdf", "epub"), project_settings(tmp_path))
    assert first.error is None and first.warnings == ()
    good = (out / "quiet.pdf").stat()
    fit: Callable[..., object] = pdf_write.fit_pages

    def warning_fit(*args: object) -> object:  # runs in the forked PDF process
        logging.getLogger("pipeline.pdf.write").warning("fontconfig could not read x.otf")
        return fit(*args)

    monkeypatch.setattr(pdf_write, "fit_pages", warning_fit)
    strict = project_settings(tmp_path, strict=True)
    (failed,) = build(notes, out, ("pdf", "epub"), strict, force=True)
    assert str(failed.error).splitlines()[:2] == [
        f"{notes}: 1 warning, which --strict makes errors: 1 unreadable font",
        "fontconfig could not read x.otf",
    ]
    kept = (out / "quiet.pdf").stat()  # not replaced: the same file (a rename makes a new one)
    assert (kept.st_ino, kept.st_mtime_ns) == (good.st_ino, good.st_mtime_ns)
    assert sorted(p.name for p in out.iterdir()) == [".cache", "quiet.epub", "quiet.pdf"]
    (lenient,) = build(notes, out, ("pdf", "epub"), project_settings(tmp_path), force=True)
    assert lenient.error is None and lenient.warnings == ("fontconfig could not read x.otf",)
    assert (out / "quiet.pdf").stat().st_ino != good.st_ino


def test_check_fails_a_report_with_warnings_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "content" / "one.md"
    notes.parent.mkdir()
    notes.write_text(HEAD + "![없는 그림](img/a.png)\n", encoding="utf-8")
    # only the notes' warnings are tested here: the output checks have tests of their own
    monkeypatch.setattr("pipeline.commands.check.check_outputs", lambda *args: [])
    with pytest.raises(Failed, match=r"^1 report\(s\) failed the check$"):
        check_reports(notes=str(notes), out=str(tmp_path))
    message = f'{notes}:10: image "img/a.png" not found; shown as a placeholder {HINT}'
    assert capsys.readouterr().out == (
        "one: FAILED (1 errors, 0 warnings)\n"
        f"  error: {message}\n"
        "  the notes had 1 warning: 1 missing image (line 10); --allow-warnings lets them pass\n"
    )
    check_reports(notes=str(notes), out=str(tmp_path), allow_warnings=True)
    assert capsys.readouterr().out == f"one: ok (0 errors, 1 warnings)\n  warning: {message}\n"


def test_the_readme_lists_every_kind_of_warning() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Warnings\n", 1)[1].split("\n## ", 1)[0]
    assert warnings_table() in section, "paste warnings_table() into the README's Warnings"
    for kind in KINDS:  # each example is recognised as its own kind
        assert kind_of(kind.example) is kind, kind.example


def test_every_warning_the_pipeline_logs_is_a_known_kind() -> None:
    """A new warning needs a row in diagnostics.KINDS (and so in the README)."""
    import ast

    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "warning"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and "%s: %s;" not in node.args[0].value  # an error's message, tested above
                and node.args[0].value != "%s"  # a warning passed on from another process
            ):
                example = node.args[0].value.replace("%d", "2").replace("%s", "s")
                assert kind_of(example).noun != "other warning", f"{path}: {example}"


@pytest.mark.slow
def test_strict_keeps_the_old_pdf_when_the_pdf_stage_warns(tmp_path: Path) -> None:
    """An image without alt text is found while the tagged PDF is written: still before it is
    put in place, so --strict refuses it."""
    notes = tmp_path / "content" / "alt.md"
    make_png(tmp_path / "content" / "img" / "a.png")
    notes.write_text(HEAD + "![처리 흐름](img/a.png)\n", encoding="utf-8")
    out = tmp_path / "out"
    (good,) = build(notes, out, ("pdf",), project_settings(tmp_path))
    assert good.error is None and good.warnings == ()
    before = (out / "alt.pdf").stat()
    notes.write_text(HEAD + "![](img/a.png)\n", encoding="utf-8")
    (failed,) = build(notes, out, ("pdf",), project_settings(tmp_path, strict=True))
    assert str(failed.error).splitlines()[0] == (
        f"{notes}: 1 warning, which --strict makes errors: 1 image without alt text"
    )
    after = (out / "alt.pdf").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
