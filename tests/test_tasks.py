"""tasks.py stays thin and says what the README says: every option's help from one table, the
README's option table written from it, the README's task table naming every task; importing
tasks.py changes nothing in the process; an error of the notes is one clean message."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pytest
from invoke.collection import Collection
from invoke.exceptions import Exit

import tasks
from pipeline.commands import run as commands_run
from pipeline.commands.goldens import readme_with_options
from pipeline.commands.options import TASKS, help_for
from pipeline.commands.run import Failed, run
from pipeline.errors import ContentError
from tests.conftest import ROOT

COLLECTION = Collection.from_module(tasks)
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_task_takes_its_help_from_the_table() -> None:
    assert set(COLLECTION.tasks) == set(TASKS)
    for name, task in COLLECTION.tasks.items():
        options = [p for p in inspect.signature(task.body).parameters if p != "c"]
        assert sorted(task.help) == sorted(options), f"{name}: an option without help"
        assert task.help == help_for(name), name


def test_the_readme_option_table_is_the_table() -> None:
    assert readme_with_options(README) == README, "run `invoke goldens` to write it again"


def test_the_readme_task_table_names_every_task() -> None:
    section = README.split("\n## The tasks\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `invoke (\w+)", section, re.MULTILINE)
    assert sorted(listed) == sorted(COLLECTION.tasks)


def test_the_pdf_variant_is_described_as_what_is_made() -> None:
    # pipeline/pdf/write.py claims PDF/A-3a (level A: tagged), not 3b
    assert "PDF/A-3a" in help_for("pdf")["variant"] and "3b" not in help_for("pdf")["variant"]


def test_importing_tasks_changes_nothing_in_the_process() -> None:
    script = (
        "import gc, logging\n"
        "before = (gc.get_threshold(), list(logging.getLogger().handlers),"
        " logging.getLevelName(logging.WARNING))\n"
        "import tasks\n"
        "after = (gc.get_threshold(), list(logging.getLogger().handlers),"
        " logging.getLevelName(logging.WARNING))\n"
        "assert before == after, (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True)


def test_run_turns_an_error_of_the_notes_or_a_failed_verdict_into_exit_status_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands_run, "start", lambda: None)  # pytest's process stays as it is

    def broken() -> None:
        raise ContentError("notes.md", 3, "front matter: a [ is never closed", "quote the title")

    with pytest.raises(Exit) as exited:
        run(broken)
    assert exited.value.code == 1
    assert exited.value.message == (
        "error: notes.md:3: front matter: a [ is never closed\n  hint: quote the title"
    )

    def failed() -> None:
        raise Failed("2 of 3 reports failed")

    with pytest.raises(Exit) as exited:
        run(failed)
    assert (exited.value.code, exited.value.message) == (1, "2 of 3 reports failed")


def test_a_task_given_a_missing_notes_file_says_so_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "pdf", "--notes", "/nonexistent.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: /nonexistent.md: no such notes file or folder\n  hint: check the --notes path\n"
    )
