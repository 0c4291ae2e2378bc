"""How long the team shelf takes (issue 24's targets: a shelf of 37 built reports under 5 s,
adding one under 1 s), with the CPU seconds beside the wall time: on a machine shared with other
work the wall time says more about the neighbours than about the shelf.

    .venv/bin/python bench/shelf.py [NOTES...]   (default: content ../shared/corpus)

The reports are built first into a temporary output folder (not timed); then, each in a fresh
shelf folder: a new shelf with the cover thumbnails made anew, a new shelf with them kept, the
same shelf again with nothing changed, and one report taken off and added again. Prints JSON.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.build.reports import build  # noqa: E402
from pipeline.commands.shelf import find_reports, shelve, unshelve  # noqa: E402
from pipeline.config import load_settings  # noqa: E402
from pipeline.read.notes import report_name  # noqa: E402


def cpu_seconds() -> float:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, run: object) -> dict[str, object]:
    wall, cpu = time.monotonic(), cpu_seconds()
    assert callable(run)
    result = run()
    return {
        "run": label,
        "wall_s": round(time.monotonic() - wall, 2),
        "cpu_s": round(cpu_seconds() - cpu, 2),
        "written": len(result.written) if hasattr(result, "written") else 1,
    }


def main(notes: list[Path]) -> None:
    settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "dist"
        for path in notes:
            for outcome in build(path, out, ("pdf", "epub"), settings):
                assert outcome.error is None and not outcome.crash, outcome
        reports = find_reports(notes)
        covers = out / ".cache" / "shelf-covers"
        first, second = Path(scratch) / "shelf-1", Path(scratch) / "shelf-2"
        runs = [
            timed("new shelf, thumbnails made", lambda: shelve(notes, out, first, settings)),
            timed("new shelf, thumbnails kept", lambda: shelve(notes, out, second, settings)),
            timed("the same again, nothing changed", lambda: shelve(notes, out, second, settings)),
        ]
        one = reports[0]
        for attempt in (1, 2, 3):
            unshelve(second, report_name(one), settings)
            runs.append(timed(f"add one ({attempt})", lambda: shelve([one], out, second, settings)))
        assert covers.is_dir()
    result = {
        "reports": len(reports),
        "cores": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "runs": runs,
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or [Path("content"), Path("../shared/corpus")])
