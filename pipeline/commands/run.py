"""How a command runs as an `invoke` task: the process set up once, lines for the user, and
the one place where an error of the notes (or a failed verdict) becomes a clean exit status 1."""

from __future__ import annotations

import atexit
import gc
import logging
import sys
from collections.abc import Callable
from typing import ParamSpec

from invoke.exceptions import Exit

from pipeline.errors import ContentError

P = ParamSpec("P")
NOISY = ("fontTools", "weasyprint")  # their warnings are about their internals, not the notes


class Failed(Exception):
    """A command ran to the end and its verdict is a failure (some reports failed, --strict
    found warnings): the message says how many; exit status 1."""


def run(command: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run ``command`` as a task does: the process set up, a ContentError or a failed verdict
    turned into one clean message and exit status 1, never a traceback."""
    start()
    try:
        command(*args, **kwargs)
    except ContentError as err:
        raise Exit(f"error: {err}", code=1) from None
    except Failed as failed:
        raise Exit(str(failed), code=1) from None


def start() -> None:
    """Set up the process for a command: warnings on stderr as `warning: ...`, and the garbage
    collector's pace. Called by `run`, never on import (importing tasks.py changes nothing)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr
    )
    logging.addLevelName(logging.WARNING, "warning")
    logging.addLevelName(logging.INFO, "info")
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # A build allocates millions of short-lived objects (imports, parse trees, layout boxes)
    # that reference counting frees: the cycle collector's default pace (every 700
    # allocations) costs 7% of a PDF build, a pace of 50,000 almost nothing (and about 10% more
    # peak memory). Its last pass over every object at exit (40 ms) is skipped: the memory goes
    # back with the process, and nothing of ours waits for a finaliser (outputs are written and
    # closed by pipeline.output).
    gc.set_threshold(50_000)
    atexit.unregister(gc.freeze)  # once, however many commands one process runs
    atexit.register(gc.freeze)


def say(line: str, error: bool = False) -> None:
    """A line for the user: on stdout, or on stderr when it is an error; shown at once."""
    stream = sys.stderr if error else sys.stdout
    stream.write(line + "\n")
    stream.flush()
