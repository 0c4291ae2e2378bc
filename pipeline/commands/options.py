"""Every task's options and what each does: the one table that `invoke --help TASK` shows (the
tasks' ``help=``) and that the README's option table is written from (`invoke goldens`)."""

from __future__ import annotations

NOTES = "a notes file, a report folder, or a folder of reports (default: content/)"
OUT = "the output folder (default: dist/)"
PAPER = "paper size: A4 (default), A5, B5 or Letter"
VARIANT = "PDF flavour: ua (tagged PDF/UA-1, default), a (tagged PDF/A-3a, for archiving) or plain"
FORCE = "rebuild even when nothing changed"
JOBS = (
    "processes to use (default: one per core): reports side by side, and the days of a "
    "report's PDF laid out in parallel (1: one day at a time)"
)
FETCH = "download remote images (http/https, limited, cached in .cache/) instead of linking them"
STRICT = "make warnings errors: exit status 1, every problem listed, no output replaced (for CI)"
LABELS = "a folder of notes with expected/NAME.json labels (default: ../shared/corpus)"

BUILD = {
    "notes": NOTES,
    "out": OUT,
    "paper": PAPER,
    "variant": VARIANT,
    "fetch_images": FETCH,
    "force": FORCE,
    "jobs": JOBS,
    "strict": STRICT,
}

# task -> its options (as the task function names them) -> what each does, in README order
TASKS: dict[str, dict[str, str]] = {
    "outline": {
        "notes": NOTES,
        "json": "print the outline as JSON (schema: README)",
        "strict": STRICT,
        "pages": "lay the PDF out (nothing is written): each page, how full, what was fitted",
        "paper": PAPER,
    },
    "accuracy": {
        "corpus": LABELS,
        "verbose": "list every miss",
        "cv": "score by cross-validation: each fold read by a model trained on the others",
        "folds": "folds for --cv (default 5)",
        "one_line": "the best each file reaches with one front-matter line",
    },
    "train": {"corpus": LABELS},
    "html": {"notes": NOTES, "out": OUT, "fetch_images": FETCH, "strict": STRICT},
    "pdf": BUILD,
    "epub": {
        key: BUILD[key] for key in ("notes", "out", "fetch_images", "force", "jobs", "strict")
    },
    "build": BUILD,
    "watch": {
        "notes": NOTES,
        "out": OUT,
        "serve": "serve the preview on localhost (the outputs only); it reloads after a rebuild",
        "port": "the preview's port (default 8000)",
        "shelf": "with --serve, also serve this team shelf (invoke shelf --to DIR) at /shelf/",
    },
    "new": {"name": "the report's file name, e.g. pycon-2024"},
    "check": {
        "notes": NOTES,
        "out": OUT,
        "strict": "also fail on the check's own warnings (images without alt text)",
        "allow_warnings": "pass a report whose notes have warnings (missing images, dead links...)",
    },
    "share": {
        "notes": "the report to share (a notes file or a report folder)",
        "out": OUT,
        "to": "also copy the folder into this team folder (atomically)",
        "shelf": "also put the report on this team shelf (see invoke shelf)",
    },
    "shelf": {
        "notes": "a notes file, a report folder or a folder of reports to put on the shelf "
        "(repeat for more; default: content/); each is built first where it is not built yet",
        "to": "the shelf folder (made if needed): serve it as it is, or share it",
        "out": OUT,
        "remove": "take the report NAME off the shelf instead (its name as the shelf lists it)",
        "title": "the shelf's title (kept for later runs; default: 팀 서가)",
        "jobs": JOBS,
    },
    "bench": {"runs": "runs per measurement (default 5)", "quick": "the sample only, 3 runs"},
    "test": {"quick": "only the tests not marked slow, without the lint: the inner loop (< 15 s)"},
    "fuzz": {"examples": "how many generated notes to try (default 5000)"},
    "goldens": {},
}


def help_for(task: str) -> dict[str, str]:
    """The ``help=`` of a task: each of its options and what it does."""
    return dict(TASKS[task])


def options_table() -> str:
    """The README's option table: one row per option and meaning, with the tasks that take it."""
    rows: dict[tuple[str, str], list[str]] = {}
    for task, options in TASKS.items():
        for option, meaning in options.items():
            rows.setdefault((option, meaning), []).append(task)
    lines = ["| option | tasks | what it does |", "|---|---|---|"]
    for (option, meaning), tasks in sorted(rows.items(), key=lambda row: row[0][0]):
        flag = "--" + option.replace("_", "-")
        escaped = meaning.replace("|", "\\|")
        lines.append(f"| `{flag}` | {', '.join(tasks)} | {escaped} |")
    return "\n".join(lines) + "\n"
