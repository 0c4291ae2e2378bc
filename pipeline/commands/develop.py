"""The developers' tasks: `invoke test` (what CI runs), `invoke fuzz`, `invoke bench`. Each runs
tools of the project's environment (this interpreter's) through Invoke's context."""

from __future__ import annotations

import sys

from invoke.context import Context

LINT = ("ruff check .", "ruff format --check .", "mypy --strict pipeline tasks.py")


def run_tests(c: Context, quick: bool = False) -> None:
    """ruff, ruff format, mypy and every test; ``quick``: the tests not marked slow only."""
    if not quick:
        for command in LINT:
            c.run(f"{sys.executable} -m {command}", pty=False)
    c.run(f"{sys.executable} -m pytest" + (" -m 'not slow'" if quick else ""), pty=False)


def run_fuzz(c: Context, examples: int = 5000) -> None:
    """The property test of tests/test_fuzz.py on ``examples`` generated notes."""
    c.run(
        f"{sys.executable} -m pytest -q tests/test_fuzz.py",
        env={"FUZZ_EXAMPLES": str(examples)},
        pty=False,
    )


def run_bench(c: Context, runs: int = 5, quick: bool = False) -> None:
    """bench/bench.py with its extra packages installed; it writes dist/bench.json."""
    c.run(f"{sys.executable} -m pip install -q -e '.[bench]'", pty=False)
    c.run(
        f"{sys.executable} bench/bench.py --runs {runs}" + (" --quick" if quick else ""), pty=False
    )
