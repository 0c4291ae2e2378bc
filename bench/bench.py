"""Benchmark: our PDF and EPUB against pandoc (+ WeasyPrint), on the sample, a one-day report and a
large report.

Each run is a fresh process, as a user runs it; ours and pandoc's runs are interleaved so that
both see the same machine. Every figure covers the whole process tree (our PDF is written by a
second process while the first parses; pandoc runs WeasyPrint as a child):

- wall time, and CPU time (user + system of the process and every child it waited for);
- peak memory: the proportional set size (PSS: a page shared by n processes counts 1/n to each)
  of every process of the tree, summed at the same instant, sampled from /proc every 20 ms in a
  run of its own (reading /proc costs CPU, which must not slow the timed runs);
- ours cold (our caches cleared before the run: the build cache with its font hashes, the
  compiled templates, the cut fonts, i.e. ``<out>/.cache/``) and warm (as the previous run left
  them); pandoc keeps no cache. The system's caches (page cache, Python's bytecode) stay warm
  for both (``PYTHONDONTWRITEBYTECODE`` is dropped from the runs' environment, as a user's
  shell does not set it);
- the largest process's peak (PSS) besides the tree's sum: a PDF laid out in parts runs a
  process per core;
- the load average (1 minute) before and after each comparison: the machine is shared, and the
  interleaved runs make the ratios fair, not the seconds.

The one-day report is the common case (most real notes are one day, laid out on one core):
``../shared/corpus/infcon-2022-review.md`` beside the checkout, its remote images removed here,
at run time (pandoc cannot fetch them either, and we do not without ``--fetch``); it is left out
when that corpus is not there. ``invoke watch`` is measured on it too: a one-word edit in one
talk, the seconds until the PDF is replaced.

bench/parts.py adds what a PDF laid out in parts takes: each day's time and the build's time
extrapolated to more cores, `invoke watch` after an edit of one talk, the EPUB rebuilt in a warm
process, and (``--stress``) 5,000 short talks.

Prints a table and writes dist/bench.json. Run: `invoke bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import parts  # bench/parts.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
# an unchanged rebuild of the sample (tests/test_cache.py checks that it rewrites and imports
# nothing it need not; the seconds are measured here, where a shared machine's noise is seen)
UNCHANGED_TARGET = 0.3
SAMPLE = ROOT / "content" / "deview-2023.md"
VENV_BIN = Path(sys.executable).parent
PANDOC_CSS = Path(__file__).resolve().parent / "pandoc-korean.css"
ONE_DAY = ROOT.parent / "shared" / "corpus" / "infcon-2022-review.md"  # never committed
# a Markdown image or an <img> of a remote address: neither tool fetches it
REMOTE_IMAGE = re.compile(
    r"!\[[^\]]*\]\(\s*https?://[^)]*\)|<img\b[^>]*\bsrc=[\"']?https?://[^>]*>", re.IGNORECASE
)


def without_remote_images(text: str) -> str:
    """The notes with their remote images removed (the one-day case)."""
    return REMOTE_IMAGE.sub("", text)


def large_notes(copies: int) -> str:
    """The sample's days repeated, renumbered: `copies` x 2 days, 3.5 talks a day."""
    text = SAMPLE.read_text(encoding="utf-8")
    body = text[text.index("## DAY 1") :]
    days = re.split(r"(?m)^## DAY \d+\n", body)[1:]
    parts = ["# DEVIEW 2023 (large)\n"]
    for copy in range(copies):
        for index, day in enumerate(days):
            parts.append(f"## DAY {copy * len(days) + index + 1}\n{day}")
    return "\n".join(parts)


@dataclass(frozen=True)
class Run:
    """One fresh process (and its children): wall and CPU seconds, peak tree memory (MB)."""

    wall: float
    cpu: float
    peak_mb: float = 0.0
    largest_mb: float = 0.0


def run(command: list[str], env: dict[str, str] | None = None, memory: bool = False) -> Run:
    """Run ``command`` to its end; with ``memory``, sample the tree's memory meanwhile."""
    started = time.perf_counter()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**environment, **(env or {})},
        cwd=ROOT,
    )
    sampler = TreeMemory(process.pid) if memory else None
    _, status, usage = os.wait4(process.pid, 0)  # the usage of every child it waited for too
    elapsed = time.perf_counter() - started
    peak = sampler.stop() if sampler else 0.0
    largest = sampler.largest_kb / 1024 if sampler else 0.0
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, peak, largest)


class TreeMemory:
    """Samples the summed PSS of a process and all its descendants until stopped, and the
    largest of them."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.largest_kb = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.done.is_set():
            sizes = [pss_kb(pid) for pid in process_tree(self.pid)]
            self.peak_kb = max(self.peak_kb, sum(sizes))
            self.largest_kb = max(self.largest_kb, *sizes)
            self.done.wait(self.interval)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak_kb / 1024


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc/<pid>/task/<tid>/children."""
    found, index = [root], 0
    while index < len(found):
        pid = found[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(child) for child in handle.read().split()]
        except OSError:  # it ended meanwhile
            continue
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):  # it ended meanwhile (a zombie has no mappings)
        pass
    return 0


def ours(notes: Path, out: Path, task: str) -> list[str]:
    return [str(VENV_BIN / "invoke"), task, "--notes", str(notes), "--out", str(out), "--force"]


def pandoc_pdf(notes: Path, out: Path) -> list[str]:
    return [
        pandoc(),
        str(notes),
        "-o",
        str(out / "pandoc.pdf"),
        "--pdf-engine=weasyprint",
        "--css",
        str(PANDOC_CSS),
        "--metadata",
        "lang=ko",
        "--standalone",
    ]


def pandoc_epub(notes: Path, out: Path) -> list[str]:
    return [
        pandoc(),
        str(notes),
        "-t",
        "epub3",
        "--split-level=2",
        "-o",
        str(out / "pandoc.epub"),
        "--metadata",
        "lang=ko",
    ]


def pandoc() -> str:
    import pypandoc

    return str(pypandoc.get_pandoc_path())


@dataclass(frozen=True)
class Command:
    """A command to measure; ``cold`` clears this folder (our caches) before each run."""

    argv: list[str]
    cold: Path | None = None


def measure(label: str, commands: dict[str, Command], runs: int) -> dict[str, dict[str, float]]:
    """Interleave the commands `runs` times; medians and spreads of wall and CPU time; then one
    more run of each, sampled, for its peak memory; the load average before and after."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    load_before = os.getloadavg()[0]
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1700000000"}

    def once(command: Command, memory: bool = False) -> Run:
        if command.cold is not None:
            shutil.rmtree(command.cold, ignore_errors=True)
        return run(command.argv, env, memory)

    for _ in range(runs):
        for name, command in commands.items():
            results[name].append(once(command))
        print(".", end="", flush=True)
    memory = {name: once(command, memory=True) for name, command in commands.items()}
    print(f" {label}")
    load_after = os.getloadavg()[0]
    load = {"min": min(load_before, load_after), "max": max(load_before, load_after)}
    return {"load": load} | {  # type: ignore[dict-item]
        name: {
            "median": statistics.median(r.wall for r in values),
            "min": min(r.wall for r in values),
            "max": max(r.wall for r in values),
            "cpu": statistics.median(r.cpu for r in values),
            "peak_mb": memory[name].peak_mb,
            "largest_mb": memory[name].largest_mb,
            "runs": len(values),
        }
        for name, values in results.items()
    }


def ours_cold_and_warm(notes: Path, out: Path, task: str) -> dict[str, Command]:
    argv = ours(notes, out, task)
    return {
        f"ours {task} cold": Command(argv, cold=out / ".cache"),
        f"ours {task} warm": Command(argv),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sample only, 3 runs")
    parser.add_argument(
        "--only",
        choices=("sample", "one-day", "large"),
        action="append",
        help="only these comparisons (and the one-day watch edit with one-day), not the sweep",
    )
    parser.add_argument(
        "--stress", action="store_true", help="also 5,000 short talks: memory per process"
    )
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    results: dict[str, object] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
        },
        "runs": runs,
    }
    try:
        inputs = {"sample": SAMPLE}
        large = work / "deview-large.md"
        large.write_text(large_notes(30), encoding="utf-8")
        one_day = work / "one-day" / "infcon-2022-review.md"
        if not args.quick and ONE_DAY.is_file():
            one_day.parent.mkdir()
            text = without_remote_images(ONE_DAY.read_text(encoding="utf-8"))
            one_day.write_text(text, encoding="utf-8")
            inputs["one-day"] = one_day
        if not args.quick:
            inputs["large"] = large
        if args.only:
            inputs = {label: notes for label, notes in inputs.items() if label in args.only}
        comparisons = {}
        for label, notes in inputs.items():
            out = work / f"{label}-out"
            out.mkdir()
            comparisons[label] = measure(
                label,
                {
                    **ours_cold_and_warm(notes, out, "pdf"),
                    "pandoc pdf": Command(pandoc_pdf(notes, out)),
                    **ours_cold_and_warm(notes, out, "epub"),
                    "pandoc epub": Command(pandoc_epub(notes, out)),
                    **ours_cold_and_warm(notes, out, "build"),
                    **(
                        {"ours pdf jobs1": Command([*ours(notes, out, "pdf"), "--jobs", "1"])}
                        if label == "large"
                        else {}
                    ),
                },
                runs,
            )
            comparisons[label]["sizes"] = {  # type: ignore[assignment]
                "notes_kb": notes.stat().st_size / 1024,
                "ours pdf_kb": (out / f"{notes.stem}.pdf").stat().st_size / 1024,
                "ours pages": page_count(out / f"{notes.stem}.pdf"),
                "pandoc pages": page_count(out / "pandoc.pdf"),
                "pandoc pdf_kb": (out / "pandoc.pdf").stat().st_size / 1024,
                "ours epub_kb": (out / f"{notes.stem}.epub").stat().st_size / 1024,
                "pandoc epub_kb": (out / "pandoc.epub").stat().st_size / 1024,
            }
        results["comparisons"] = comparisons
        if "one-day" in inputs:
            results["one_day_watch"] = measure_one_day_watch(work, one_day, runs)
        unchanged = ours(SAMPLE, work / "sample-out", "build")[:-1]  # no --force
        run(unchanged)
        again = [run(unchanged) for _ in range(runs)]
        results["unchanged_rebuild"] = {
            "median": statistics.median(r.wall for r in again),
            "cpu": statistics.median(r.cpu for r in again),
        }
        if not args.quick and not args.only:
            sweep = {}
            for copies in (1, 10, 30):
                notes = work / f"sweep-{copies}x.md"
                notes.write_text(large_notes(copies), encoding="utf-8")
                out = work / f"sweep-{copies}"
                out.mkdir()
                timing = measure(
                    f"{copies}x",
                    {
                        "pdf": Command(ours(notes, out, "pdf")),
                        "epub": Command(ours(notes, out, "epub")),
                    },
                    3,
                )
                sweep[f"{copies}x"] = {
                    "notes_kb": notes.stat().st_size / 1024,
                    **{k: v["median"] for k, v in timing.items()},
                }
            results["sweep"] = sweep
            results.update(measure_parts(work, large))
        if args.stress:
            results["stress"] = measure_stress(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results)
    target = ROOT / "dist" / "bench.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {target}")


def measure_parts(work: Path, large: Path) -> dict[str, object]:
    """The large report laid out in parts: per-day times extrapolated to 1, 2 and 4 cores;
    invoke watch after an edit of one talk; the EPUB rebuilt in a warm process."""
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1700000000"}
    timings = parts.parts_timings(large, work / "parts", len(os.sched_getaffinity(0)), env)
    print(". parts")
    watched = work / "watch"
    watched.mkdir()
    notes = watched / large.name
    shutil.copy(large, notes)
    watch = parts.watch_edits(notes, watched / "out", 3, env)
    print(". watch")
    warm = {
        label: parts.warm_epub(notes, work / f"warm-{label}", env)
        for label, notes in (("sample", SAMPLE), ("large", large))
    }
    print(". warm epub")
    return {
        "parts": {
            "cores": len(os.sched_getaffinity(0)),
            "measured_wall": timings["wall"],
            "extrapolated": {n: parts.extrapolate(timings, n) for n in (1, 2, 4)},
            "days_cpu": sum(timings["parts"].values()),  # type: ignore[attr-defined]
            "front_cpu": timings["front"],
            "merge": timings["merge"],
            "prepare": timings["prepare"],
        },
        "watch": {
            "edit_pdf": watch["pdf"],
            "edit_epub": watch["epub"],
            "moved_pdf": watch["pdf_moved"],
            "warm_epub": warm,
        },
    }


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def measure_one_day_watch(work: Path, notes: Path, edits: int) -> dict[str, float]:
    """`invoke watch` on the one-day report: ``edits`` one-word edits, each in another talk;
    the median seconds from the save until the PDF, and the EPUB, are replaced."""
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1700000000"}
    watched = work / "watch-one-day"
    watched.mkdir()
    copy = watched / notes.name
    shutil.copy(notes, copy)
    load = os.getloadavg()[0]
    found = parts.watch_edits(copy, watched / "out", edits, env, moves=False)
    print(". one-day watch")
    return {"edit_pdf": found["pdf"], "edit_epub": found["epub"], "edits": edits, "load": load}


def measure_stress(work: Path) -> dict[str, float]:
    """5,000 short talks built once, each process's memory sampled."""
    notes = work / "stress.md"
    notes.write_text(parts.stress_notes(), encoding="utf-8")
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1700000000"}
    found = run(ours(notes, work / "stress", "pdf"), env, memory=True)
    pages = len(__import__("pypdf").PdfReader(work / "stress" / "stress.pdf").pages)
    print(". stress")
    return {
        "wall": found.wall,
        "peak_mb": found.peak_mb,
        "largest_mb": found.largest_mb,
        "pages": pages,
        "notes_kb": notes.stat().st_size / 1024,
    }


def report(results: dict) -> None:  # type: ignore[type-arg]
    print(
        f"\n{results['machine']['platform']}, {results['machine']['cores']} cores, "
        f"median of {results['runs']} runs (min-max) of wall time, median CPU time (user + "
        "system, whole process tree), peak memory (PSS summed over the process tree); ours "
        "cold: our caches cleared before each run"
    )
    for label, rows in results["comparisons"].items():
        load = rows["load"]
        print(
            f"\n{label} ({rows['sizes']['notes_kb']:.0f} KB of notes, PDF "
            f"{rows['sizes']['ours pages']} pages, pandoc's {rows['sizes']['pandoc pages']}; "
            "load average "
            f"{load['min']:.1f}-{load['max']:.1f})"
        )
        for name, row in rows.items():
            if name in ("sizes", "load"):
                continue
            print(
                f"  {name:16} {row['median']:6.2f} s  ({row['min']:.2f}-{row['max']:.2f})"
                f"  cpu {row['cpu']:6.2f} s  {row['peak_mb']:5.0f} MB"
                f" (largest process {row['largest_mb']:4.0f} MB)"
            )
        for which in ("cold", "warm"):
            pdf = rows[f"ours pdf {which}"]["median"] / rows["pandoc pdf"]["median"]
            epub = rows[f"ours epub {which}"]["median"] / rows["pandoc epub"]["median"]
            both = rows[f"ours build {which}"]["median"] / max(
                rows[f"ours pdf {which}"]["median"], rows[f"ours epub {which}"]["median"]
            )
            print(
                f"  {which}: pdf {pdf:.2f} x pandoc, epub {epub:.2f} x pandoc, "
                f"build {both:.2f} x the slower alone"
            )
    if "one_day_watch" in results:
        watch = results["one_day_watch"]
        print(
            f"\ninvoke watch, a one-word edit of the one-day report: PDF replaced "
            f"{watch['edit_pdf']:.2f} s after the save, EPUB {watch['edit_epub']:.2f} s "
            f"(median of {watch['edits']}; load average {watch['load']:.1f})"
        )
    unchanged = results["unchanged_rebuild"]
    target = "met" if unchanged["median"] <= UNCHANGED_TARGET else "MISSED"
    print(
        f"\nunchanged rebuild: {unchanged['median']:.2f} s (cpu {unchanged['cpu']:.2f} s; "
        f"target {UNCHANGED_TARGET} s: {target})"
    )
    for label, row in results.get("sweep", {}).items():
        print(
            f"  {label:4} {row['notes_kb']:6.0f} KB: pdf {row['pdf']:6.2f} s, "
            f"epub {row['epub']:5.2f} s"
        )
    if "parts" in results:
        found = results["parts"]
        extrapolated = found["extrapolated"]
        print(
            f"\nlarge PDF in parts: days {found['days_cpu']:.2f} s CPU, front matter "
            f"{found['front_cpu']:.2f} s, merge {found['merge']:.2f} s; the PDF process took "
            f"{found['measured_wall']:.2f} s on {found['cores']} cores (model: "
            f"{extrapolated[found['cores']]:.2f} s); model for 1, 2, 4 cores: "
            + ", ".join(f"{extrapolated[n]:.2f} s" for n in (1, 2, 4))
            + f"; 4 cores vs 1: {extrapolated[1] / extrapolated[4]:.2f} x faster"
        )
        watch = results["watch"]
        print(
            f"invoke watch, one talk of the large report edited: PDF replaced "
            f"{watch['edit_pdf']:.2f} s after the save, EPUB {watch['edit_epub']:.2f} s; "
            f"the first day a page longer or shorter (every later page numbered anew): PDF "
            f"{watch['moved_pdf']:.2f} s; EPUB rebuilt in a warm process: "
            + ", ".join(f"{label} {seconds:.3f} s" for label, seconds in watch["warm_epub"].items())
        )
    if "stress" in results:
        stress = results["stress"]
        print(
            f"\nstress ({stress['notes_kb']:.0f} KB of notes, {stress['pages']} pages): "
            f"{stress['wall']:.1f} s, {stress['peak_mb']:.0f} MB summed, largest process "
            f"{stress['largest_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
