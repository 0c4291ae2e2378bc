"""The build cache never serves a stale report: each input changed in turn makes the next build
rebuild; an unchanged rebuild stays fast; the cache lives with the outputs, never in the
project's folder."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import font_faces as fonts
from pipeline.build import cache
from pipeline.build.reports import build
from pipeline.config import Settings, load_settings
from tests.conftest import DATA, ROOT, SAMPLE, make_png, project_settings
from tests.conftest import PROJECT_NOTES as NOTES

INVOKE = [sys.executable, "-m", "invoke"]


class Project:
    """A project in a test's folder: notes with an image, a cover and a missing image, its own
    copy of the styles, a fonts/ folder, and settings read as a build reads them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notes = root / "content" / "talks.md"
        self.notes.parent.mkdir(parents=True)
        self.notes.write_text(NOTES, encoding="utf-8")
        make_png(root / "content" / "img" / "a.png")
        make_png(root / "content" / "cover.png", (300, 400), "teal")
        shutil.copytree(ROOT / "styles", root / "styles")
        (root / "fonts").mkdir()
        self.settings = project_settings(root)
        self.out = root / "out"

    def build(self, settings: Settings | None = None) -> bool:
        """Build the EPUB; True when it was written, False when it was skipped as unchanged."""
        (outcome,) = build(self.notes, self.out, ("epub",), settings or self.settings)
        assert outcome.error is None and not outcome.crash, outcome
        return not outcome.outputs[0].skipped


def fake_libraries(folder: Path, pango: str) -> None:
    """A library folder where the Pango soname points to ``pango``'s file."""
    folder.mkdir(exist_ok=True)
    (folder / pango).write_bytes(pango.encode())
    link = folder / "libpango-1.0.so.0"
    link.unlink(missing_ok=True)
    link.symlink_to(pango)


@pytest.mark.slow
def test_each_input_changed_makes_the_next_build_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(tmp_path)
    code = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "CODE_DIR", code)
    monkeypatch.setattr(cache, "LIBRARY_DIRS", (tmp_path / "lib",))
    monkeypatch.setattr(fonts, "FONTCONFIG_DIRS", (tmp_path / "fontconfig",))
    site = tmp_path / "site-packages"
    (site / "weasyprint-70.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    fake_libraries(tmp_path / "lib", "libpango-1.0.so.0.5000.12")
    (tmp_path / "fontconfig").mkdir()
    monkeypatch.setattr(cache, "code_hash", lambda: cache.folder_hash(code, ".py"))

    def epoch(value: str) -> Settings:
        settings = load_settings(tmp_path / "invoke.yaml", {"SOURCE_DATE_EPOCH": value})
        return dataclasses.replace(settings, out=project.out)

    def edit(path: Path, text: str) -> Callable[[], None]:
        return lambda: path.write_text(path.read_text(encoding="utf-8") + text, "utf-8")

    changes: dict[str, Callable[[], object]] = {
        "the notes": edit(project.notes, "\n더 적음.\n"),
        "an image": lambda: make_png(tmp_path / "content" / "img" / "a.png", colour="red"),
        "the cover": lambda: make_png(tmp_path / "content" / "cover.png", (300, 400), "red"),
        "a missing image appearing": lambda: make_png(tmp_path / "content" / "img" / "later.png"),
        "a template": edit(tmp_path / "styles" / "ebook-chapter.xhtml.j2", "\n"),
        "a stylesheet": edit(tmp_path / "styles" / "ebook.css", "\n/* changed */\n"),
        "a font dropped into fonts/": lambda: shutil.copy(
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Oblique.ttf", tmp_path / "fonts"
        ),
        "the code of a subpackage": edit(code / "epub" / "xhtml.py", "\n# changed\n"),
        "a package's version": lambda: (site / "weasyprint-70.0.dist-info").rename(
            site / "weasyprint-71.0.dist-info"
        ),
        "Pango's version": lambda: fake_libraries(tmp_path / "lib", "libpango-1.0.so.0.5200.0"),
        "fontconfig's cache (a font installed)": lambda: (
            tmp_path / "fontconfig" / "new-font.cache-9"
        ).write_bytes(b"x"),
        "the output itself": lambda: (project.out / "talks.epub").write_bytes(b"damaged"),
    }
    assert project.build()
    assert not project.build()
    for name, change in changes.items():
        change()
        assert project.build(), f"{name} changed, and the build said unchanged"
        assert not project.build(), f"nothing changed after {name}, and the build rebuilt"
    # settings: invoke.yaml's, a report's front matter, and SOURCE_DATE_EPOCH
    accent = dataclasses.replace(project.settings, accent="#aa3300")
    assert project.build(accent) and not project.build(accent)
    assert project.build(epoch("1500000000")) and not project.build(epoch("1500000000"))
    book = zipfile.ZipFile(project.out / "talks.epub")
    assert "2017-07-14" in book.read("EPUB/content.opf").decode()
    assert project.build(epoch("1700000000"))
    edit(project.notes, "")()  # the same bytes: still unchanged
    assert not project.build(epoch("1700000000"))
    project.notes.write_text(NOTES.replace("date: 2024-05-01", "date: 2024-05-02"), "utf-8")
    assert project.build(epoch("1700000000"))
    # --strict writes the same bytes: it is no reason to rebuild
    strict = dataclasses.replace(epoch("1700000000"), strict=True)
    (outcome,) = build(project.notes, project.out, ("epub",), strict)
    assert outcome.outputs[0].skipped


@pytest.mark.slow
def test_a_chapter_file_of_a_report_folder_makes_it_rebuild(
    folder_report: Path, tmp_path: Path
) -> None:
    settings = project_settings(tmp_path)
    out = tmp_path / "out"

    def written() -> bool:
        (outcome,) = build(folder_report, out, ("html",), settings)
        return not outcome.outputs[0].skipped

    assert written() and not written()
    day2 = folder_report / "day2.md"
    day2.write_text(day2.read_text(encoding="utf-8") + "\n추가.\n", encoding="utf-8")
    assert written() and not written()
    (folder_report / "day3.md").write_text("## DAY 3\n\n### 새 발표\n", encoding="utf-8")
    assert written() and not written()


# What an unchanged rebuild must not load: the reading past the front matter, the templates,
# the writers and the libraries they use. Its time (0.2 s) is measured by `invoke bench`.
NOT_LOADED_WHEN_UNCHANGED = (
    "pipeline.read.report",
    "pipeline.pdf",
    "pipeline.epub",
    "pipeline.templates",
    "markdown_it",
    "jinja2",
    "weasyprint",
    "ebooklib",
    "pikepdf",
    "lxml",
)


@pytest.mark.slow
def test_an_unchanged_rebuild_rewrites_nothing_and_loads_no_writer(tmp_path: Path) -> None:
    command = [*INVOKE, "build", "--notes", str(SAMPLE), "--out", str(tmp_path)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    outputs = [tmp_path / "deview-2023.pdf", tmp_path / "deview-2023.epub"]
    before = [(path.stat().st_ino, path.stat().st_mtime_ns) for path in outputs]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.startswith("deview-2023: unchanged:"), result.stdout
    assert [(path.stat().st_ino, path.stat().st_mtime_ns) for path in outputs] == before
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "pipeline.build.cache" in imported  # the importtime lines were read
    loaded = sorted(
        name
        for name in imported
        if any(name == root or name.startswith(root + ".") for root in NOT_LOADED_WHEN_UNCHANGED)
    )
    assert loaded == []


def tree_state(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its content hash (or "folder")."""
    state = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_dir():
            state[name] = "folder"
        else:
            state[name] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    return state


@pytest.mark.slow
def test_a_build_of_notes_elsewhere_leaves_the_checkout_untouched(tmp_path: Path) -> None:
    """A read-only copy of the checkout. Root may write anyway, so the test compares every
    file before and after instead of relying on the permissions."""
    checkout = tmp_path / "checkout"
    shutil.copytree(
        ROOT,
        checkout,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "dist", ".cache", "__pycache__", ".*_cache", "node_modules"
        ),
    )
    notes = tmp_path / "elsewhere" / "notes"
    shutil.copytree(DATA / "folder-report", notes / "report")
    make_png(notes / "report" / "img" / "diagram.png")
    subprocess.run(["chmod", "-R", "a-w", str(checkout)], check=True)
    before = tree_state(checkout)
    # the copy's code, not the installed checkout's; Python's own bytecode caches aside
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "import pipeline; print(pipeline.__file__)"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip() == str(checkout / "pipeline" / "__init__.py")
    out = tmp_path / "elsewhere" / "out"
    for task in ("build", "html", "build"):  # the second build is the unchanged one
        result = subprocess.run(
            [*INVOKE, task, "--notes", str(notes), "--out", str(out)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout
    assert (out / "report.pdf").is_file() and (out / ".cache" / "builds").is_dir()
    subprocess.run(["chmod", "-R", "u+w", str(checkout)], check=True)
    assert tree_state(checkout) == before
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.slow
def test_a_killed_pdf_build_leaves_no_cut_fonts_behind(tmp_path: Path) -> None:
    """The cut fonts are kept in the output's cache, never in /tmp; a killed build's folder is
    removed by the next build."""
    out, temporary = tmp_path / "out", tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    command = [*INVOKE, "pdf", "--notes", str(SAMPLE), "--out", str(out), "--force"]
    fonts = out / ".cache" / "fonts"
    killed_with_fonts = 0
    for _ in range(20):  # until a build is killed while its fonts are cut
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (fonts.is_dir() and any(fonts.iterdir())):
            time.sleep(0.005)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        killed_with_fonts += bool(fonts.is_dir() and any(fonts.iterdir()))
        if killed_with_fonts:
            break
    assert killed_with_fonts, "no build was killed while its fonts were cut"
    assert list(temporary.iterdir()) == []  # nothing of ours in the temporary folder
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    assert list(fonts.iterdir()) == []  # the killed build's cut fonts are gone too
    assert list(temporary.iterdir()) == []


@pytest.mark.slow
def test_notes_without_a_date_rebuild_when_saved_again(tmp_path: Path) -> None:
    """Such an EPUB is stamped with the notes' save time: a new save time is a new input.
    Notes with a date are compared by content only."""
    notes = tmp_path / "content" / "undated.md"
    notes.parent.mkdir()
    notes.write_text("## 첫째 날\n\n### 발표\n\n내용.\n", encoding="utf-8")
    settings, out = project_settings(tmp_path), tmp_path / "out"

    def written() -> bool:
        (outcome,) = build(notes, out, ("epub",), settings)
        return not outcome.outputs[0].skipped

    assert written() and not written()
    saved = notes.stat().st_mtime
    os.utime(notes, (saved + 100, saved + 100))
    assert written() and not written()
    notes.write_text("---\ndate: 2024-05-01\n---\n\n## 첫째 날\n\n### 발표\n", encoding="utf-8")
    assert written()
    os.utime(notes, (saved + 200, saved + 200))
    assert not written()


def test_a_retrained_model_is_a_change_of_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`invoke train` rewrites the models beside the modules: an unchanged rebuild must not
    keep outputs read with the old ones."""
    from pipeline.build import cache

    (tmp_path / "read").mkdir()
    (tmp_path / "read" / "reading.py").write_text("X = 1\n", encoding="utf-8")
    model = tmp_path / "read" / "reading-model.json"
    model.write_text('{"weights": {"default": 1.0}}\n', encoding="utf-8")
    monkeypatch.setattr(cache, "CODE_DIR", tmp_path)
    code_hash = cache.code_hash.__wrapped__  # not the process's kept answer
    before = code_hash()
    model.write_text('{"weights": {"default": 0.5}}\n', encoding="utf-8")
    assert code_hash() != before
