"""Benchmark: our PDF and EPUB against pandoc (+ WeasyPrint), on the sample and a large report.

Each run is a fresh process, as a user runs it; ours and pandoc's runs are interleaved so that
both see the same machine. Prints a table and writes dist/bench.json. Run: `invoke bench`.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "deview-2023.md"
VENV_BIN = Path(sys.executable).parent
PANDOC_CSS = Path(__file__).resolve().parent / "pandoc-korean.css"


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


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time (s) and peak memory (MB) of one fresh process (and its children)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr}")
    # ru_maxrss of wait4 covers the process itself; children (the forked EPUB writer) are
    # counted by the RUSAGE_CHILDREN high-water mark below
    return elapsed, usage.ru_maxrss / 1024


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


def measure(label: str, commands: dict[str, list[str]], runs: int) -> dict[str, dict[str, float]]:
    """Interleave the commands `runs` times; medians, spreads and peak memory."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, float] = {name: 0.0 for name in commands}
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1700000000"}
    for _ in range(runs):
        for name, command in commands.items():
            seconds, megabytes = run(command, env)
            times[name].append(seconds)
            memory[name] = max(memory[name], megabytes)
        print(".", end="", flush=True)
    print(f" {label}")
    return {
        name: {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "peak_mb": memory[name],
            "runs": len(values),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sample only, 3 runs")
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
        if not args.quick:
            inputs["large"] = large
        comparisons = {}
        for label, notes in inputs.items():
            out = work / label
            out.mkdir()
            comparisons[label] = measure(
                label,
                {
                    "ours pdf": ours(notes, out, "pdf"),
                    "pandoc pdf": pandoc_pdf(notes, out),
                    "ours epub": ours(notes, out, "epub"),
                    "pandoc epub": pandoc_epub(notes, out),
                    "ours build": ours(notes, out, "build"),
                },
                runs,
            )
            comparisons[label]["sizes"] = {  # type: ignore[assignment]
                "notes_kb": notes.stat().st_size / 1024,
                "ours pdf_kb": (out / f"{notes.stem}.pdf").stat().st_size / 1024,
                "pandoc pdf_kb": (out / "pandoc.pdf").stat().st_size / 1024,
                "ours epub_kb": (out / f"{notes.stem}.epub").stat().st_size / 1024,
                "pandoc epub_kb": (out / "pandoc.epub").stat().st_size / 1024,
            }
        results["comparisons"] = comparisons
        unchanged = ours(SAMPLE, work / "sample", "build")[:-1]  # no --force
        run(unchanged)
        results["unchanged_rebuild"] = statistics.median(run(unchanged)[0] for _ in range(runs))
        if not args.quick:
            sweep = {}
            for copies in (1, 10, 30):
                notes = work / f"sweep-{copies}x.md"
                notes.write_text(large_notes(copies), encoding="utf-8")
                out = work / f"sweep-{copies}"
                out.mkdir()
                timing = measure(
                    f"{copies}x",
                    {"pdf": ours(notes, out, "pdf"), "epub": ours(notes, out, "epub")},
                    3,
                )
                sweep[f"{copies}x"] = {
                    "notes_kb": notes.stat().st_size / 1024,
                    **{k: v["median"] for k, v in timing.items()},
                }
            results["sweep"] = sweep
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results)
    target = ROOT / "dist" / "bench.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {target}")


def report(results: dict) -> None:  # type: ignore[type-arg]
    print(
        f"\n{results['machine']['platform']}, {results['machine']['cores']} cores, "
        f"median of {results['runs']} runs (min-max), peak memory"
    )
    for label, rows in results["comparisons"].items():
        print(f"\n{label} ({rows['sizes']['notes_kb']:.0f} KB of notes)")
        for name, row in rows.items():
            if name == "sizes":
                continue
            print(
                f"  {name:12} {row['median']:6.2f} s  ({row['min']:.2f}-{row['max']:.2f})"
                f"  {row['peak_mb']:5.0f} MB"
            )
        pdf = rows["ours pdf"]["median"] / rows["pandoc pdf"]["median"]
        epub = rows["ours epub"]["median"] / rows["pandoc epub"]["median"]
        both = rows["ours build"]["median"] / max(
            rows["ours pdf"]["median"], rows["ours epub"]["median"]
        )
        print(
            f"  ratios: pdf {pdf:.2f} x pandoc, epub {epub:.2f} x pandoc, "
            f"build {both:.2f} x the slower alone"
        )
    print(f"\nunchanged rebuild: {results['unchanged_rebuild']:.2f} s")
    for label, row in results.get("sweep", {}).items():
        print(
            f"  {label:4} {row['notes_kb']:6.0f} KB: pdf {row['pdf']:6.2f} s, "
            f"epub {row['epub']:5.2f} s"
        )


if __name__ == "__main__":
    main()
