"""`invoke new NAME`: start a notes file in the shape the pipeline understands best."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.commands.build import settings_for
from pipeline.commands.run import say
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.output import write_text_atomically
from pipeline.templates import environment

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def new_notes(name: str) -> None:
    """Start the project's ``content/NAME.md`` and say where it is."""
    say(f"wrote {start_notes(name, settings_for())}")


def start_notes(name: str, settings: Settings, today: dt.date | None = None) -> Path:
    """Write ``content/NAME.md`` from the starter template; never overwrite existing notes."""
    if not NAME.match(name):
        raise ContentError(
            name,
            None,
            "is not a usable report name",
            "use ASCII letters, digits, '-', '_' or '.', e.g. pycon-2024",
        )
    target = settings.project_root / settings.content / f"{name}.md"
    if target.exists():
        raise ContentError(target, None, "already exists", "choose another name")
    title = name.replace("-", " ").replace("_", " ").upper()
    text = (
        environment(settings)
        .get_template("new-notes.md.j2")
        .render(title=title, today=(today or dt.date.today()).isoformat())
    )
    return write_text_atomically(target, text)
