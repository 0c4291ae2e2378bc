"""What `invoke bench` measures of a PDF laid out in parts (pipeline/pdf/parts/), besides the
fresh-process runs of bench.py:

- **parts**: one build of a report in parts, in this process's child, reporting each day's CPU
  time, the front matter's and the merge's: the build's time on N cores is extrapolated from them
  (the days in N runs as the build balances them, the front matter beside them, what is serial
  before and after), and checked against the build measured on this machine's cores;
- **watch**: `invoke watch` on the large report, an edit of one talk (two words swapped: letters
  the notes already use), the time from the save until the PDF, and the EPUB, are replaced;
  then edits that make the first day a page longer, and shorter again (a paragraph of its own
  repeated: every later page is numbered anew); and the EPUB rebuilt in a warm process (what
  the watch does in its own process);
- **stress**: 5,000 short talks in 50 days, built once with every process's memory sampled: the
  largest process and the whole tree.

Run through bench.py; `python bench/parts.py timings NOTES OUT JOBS` and `python bench/parts.py
epub NOTES OUT` are its child processes.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def stress_notes(talks: int = 5000, days: int = 50) -> str:
    """Many short talks: a title, a speaker, two sentences; written for the run, never kept."""
    parts = ["# 스트레스 시험 컨퍼런스\n"]
    per_day = talks // days
    for day in range(1, days + 1):
        parts.append(f"## DAY {day}\n")
        for talk in range(1, per_day + 1):
            parts.append(
                f"### {day}일차 세션 {talk}: 데이터 처리 사례 (발표자{talk} | 회사{day})\n\n"
                "서비스의 데이터를 처리하는 방식을 바꾼 이야기다. 측정하고, 고치고, 다시 쟀다.\n"
            )
    return "\n".join(parts)


def _child(env: dict[str, str], *args: object) -> str:
    """Run this file as a child (``timings`` or ``epub``); the last line it printed."""
    result = subprocess.run(
        [sys.executable, __file__, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
    )
    return result.stdout.splitlines()[-1]


# ---------- parts: per-day times, extrapolated to N cores ----------


def parts_timings(notes: Path, out: Path, jobs: int, env: dict[str, str]) -> dict[str, object]:
    """One build in parts (a child process): its timings, and the wall time extrapolated."""
    found: dict[str, object] = json.loads(_child(env, "timings", notes, out, jobs))
    return found


def child_timings(notes: Path, out: Path, jobs: int) -> None:
    """In a child: build ``notes`` in parts on ``jobs`` processes; print the timings as JSON."""
    sys.path.insert(0, str(ROOT))
    from pipeline.config import load_settings
    from pipeline.pdf.html import prepare_print
    from pipeline.pdf.parts.pool import WorkerPool
    from pipeline.pdf.parts.split import split_book
    from pipeline.pdf.weasyprint_internals import install as install_weasyprint
    from pipeline.pdf.write import write_pdf_pages
    from pipeline.read.report import apply_settings, read_report

    started = time.perf_counter()
    settings = load_settings().override({"out": out})
    report = read_report(notes)
    settings = settings.override(report.settings)
    report = apply_settings(report, settings)
    job = prepare_print(report, settings)
    book = split_book(job.html)
    assert book is not None, "the report is not laid out in parts"
    sizes = {part.name: len(part.html) for part in book.days}
    prepared = time.perf_counter() - started
    install_weasyprint()
    with WorkerPool() as pool:
        write_pdf_pages(report, settings, out, job, jobs, reuse=False, pool=pool)
    timings = pool.last_timings
    result = {
        "prepare": prepared,
        "wall": timings.wall,
        "front": timings.front,
        "merge": timings.merge,
        "parts": timings.parts,
        "sizes": sizes,
        "marks": timings.marks,
    }
    print(json.dumps(result))


def extrapolate(timings: dict[str, object], cores: int) -> float:
    """The PDF stage's wall time on ``cores`` cores, from one build's CPU times: the days in
    ``cores`` runs, balanced by size as the build balances them; the front matter in the
    coordinating process, beside them; all of it no faster than the cores allow; the merge after.
    """
    sys.path.insert(0, str(ROOT))
    from pipeline.pdf.parts.pool import balance
    from pipeline.pdf.parts.split import Part

    parts: dict[str, float] = timings["parts"]  # type: ignore[assignment]
    sizes: dict[str, int] = timings["sizes"]  # type: ignore[assignment]
    runs = balance([Part(name, "x" * sizes[name], frozenset()) for name in sizes], cores)
    longest = max(sum(parts[part.name] for part in run) for run in runs if run)
    front = float(timings["front"])  # type: ignore[arg-type]
    merge = float(timings["merge"])  # type: ignore[arg-type]
    return max(longest, front, (sum(parts.values()) + front) / cores) + merge


# ---------- watch: an edit of one talk ----------


def watch_edits(
    notes: Path, out: Path, edits: int, env: dict[str, str], moves: bool = True
) -> dict[str, float]:
    """`invoke watch` on ``notes``; after its first build, ``edits`` edits of one talk, then
    (``moves``) ``edits`` edits that move every page after the first day: the medians of the
    seconds from the save to the new PDF and to the new EPUB (``pdf``, ``epub``; ``pdf_moved``).
    Without ``moves``, each edit is one word replaced (by the next word of its line)."""
    pdf, epub = out / f"{notes.stem}.pdf", out / f"{notes.stem}.epub"
    process = subprocess.Popen(
        [str(VENV_BIN / "invoke"), "watch", "--notes", str(notes), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    assert process.stdout is not None
    try:
        _wait_for(process, r"wrote|unchanged")
        text = notes.read_text(encoding="utf-8")
        found: dict[str, list[float]] = {"pdf": [], "epub": [], "pdf_moved": []}
        for edit in range(2 * edits if moves else edits):
            time.sleep(1.0)
            moving = edit >= edits
            if not moves:
                text = _replace_one_word(text, len(text) // 3 + 2000 * edit)
            elif not moving:
                text = shorter = _swap_two_words(text, len(text) // 2 + 2000 * edit)
            else:  # longer, shorter again, longer...
                text = _grow_first_day(shorter) if (edit - edits) % 2 == 0 else shorter
            before = {"pdf": pdf.stat().st_mtime_ns, "epub": epub.stat().st_mtime_ns}
            saved = time.perf_counter()
            notes.write_text(text, encoding="utf-8")
            seen: dict[str, float] = {}
            while len(seen) < 2 and time.perf_counter() - saved < 120:
                for name, path in (("pdf", pdf), ("epub", epub)):
                    if name not in seen and path.stat().st_mtime_ns != before[name]:
                        seen[name] = time.perf_counter() - saved
                time.sleep(0.005)
            if moving:
                found["pdf_moved"].append(seen.get("pdf", float("nan")))
            else:
                for name in ("pdf", "epub"):
                    found[name].append(seen.get(name, float("nan")))
            _wait_for(process, r"wrote|error")
    finally:
        process.terminate()
        process.wait()
    return {name: statistics.median(seconds) for name, seconds in found.items() if seconds} | {
        "edits": float(edits)
    }


def _wait_for(process: subprocess.Popen[str], pattern: str, timeout: float = 600) -> str:
    assert process.stdout is not None
    started = time.time()
    while time.time() - started < timeout:
        line = process.stdout.readline()
        if not line:
            break
        if re.search(pattern, line):
            return line
    raise SystemExit(f"invoke watch did not say /{pattern}/")


def _swap_two_words(text: str, after: int) -> str:
    """The first line after ``after`` that starts with two Hangul words: those two swapped."""
    start = text.index("\n", after) + 1
    while not re.match(r"[가-힣]+ [가-힣]+ ", text[start:]):
        start = text.index("\n", start) + 1
    match = re.match(r"([가-힣]+) ([가-힣]+) ", text[start:])
    assert match is not None
    first, second = match.groups()
    return text[:start] + f"{second} {first} " + text[start + match.end() :]


def _replace_one_word(text: str, after: int) -> str:
    """The first line after ``after`` that starts with two Hangul words: its first word
    replaced by the second (letters the notes already use: no font is cut again)."""
    start = text.index("\n", after) + 1
    while not re.match(r"[가-힣]+ [가-힣]+ ", text[start:]):
        start = text.index("\n", start) + 1
    match = re.match(r"([가-힣]+) ([가-힣]+) ", text[start:])
    assert match is not None
    return text[:start] + match[2] + text[start + len(match[1]) :]


def _grow_first_day(text: str) -> str:
    """The first day's longest paragraph said four times more: the day a page longer or two,
    in letters the notes already use (no font is cut again)."""
    start = text.index("## DAY 1\n")
    end = text.find("\n## ", start + 1)
    day = text[start : end if end > 0 else len(text)]
    paragraph = max((line for line in day.splitlines() if line[:1] not in "#>-*|`!["), key=len)
    at = text.index(paragraph, start) + len(paragraph)
    return text[:at] + f"\n\n{paragraph}" * 4 + text[at:]


# ---------- the EPUB in a warm process ----------


def warm_epub(notes: Path, out: Path, env: dict[str, str], runs: int = 5) -> float:
    """The median time of an EPUB rebuilt in a process that built it before (invoke watch)."""
    return float(_child(env, "epub", notes, out, runs))


def child_epub(notes: Path, out: Path, runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from pipeline.build.reports import build_report
    from pipeline.config import load_settings

    settings = load_settings().override({"out": out})
    build_report(notes, out, ("epub",), settings, force=True)  # the cold build
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        build_report(notes, out, ("epub",), settings, force=True)
        times.append(time.perf_counter() - started)
    print(statistics.median(times))


if __name__ == "__main__":
    if sys.argv[1] == "timings":
        child_timings(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "epub":
        child_epub(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
