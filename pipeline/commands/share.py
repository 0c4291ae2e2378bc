"""`invoke share`: a folder to hand to the team: PDF, EPUB, checksums and a chat-ready summary."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path

from pipeline.build.formats import count_pages
from pipeline.commands.build import build_all, settings_for
from pipeline.commands.run import say
from pipeline.commands.shelf import put_on_shelf
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.output import write_text_atomically
from pipeline.read.report import read_report


def share_notes(
    notes: str, out: str | None = None, to: str | None = None, shelf: str | None = None
) -> None:
    """Build the report at ``notes``, pack it into ``<out>/share/<name>-<date>/`` (and copy it
    to the team folder ``to``), and put it on the team ``shelf`` if given."""
    settings = settings_for()
    out_dir = Path(out) if out else settings.out
    build_all(notes, out_dir, ("pdf", "epub"), settings)
    report = read_report(Path(notes))
    outputs = [out_dir / f"{report.name}.pdf", out_dir / f"{report.name}.epub"]
    pages = count_pages(outputs[0])
    target = Path(to) if to else None
    folder = share_report(report, outputs, pages, out_dir / "share", dt.date.today(), target)
    say(f"shared {folder}" + (f" and {Path(to) / folder.name}" if to else ""))
    if shelf:
        put_on_shelf([Path(notes)], out_dir, Path(shelf), settings)


def share_report(
    report: Report,
    outputs: list[Path],
    pages: int | None,
    share_dir: Path,
    day: dt.date,
    to: Path | None = None,
) -> Path:
    """Write ``share_dir/<name>-<date>/`` (replacing an older one), optionally copy it to ``to``."""
    folder = share_dir / f"{report.name}-{day.isoformat()}"
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=ensure(share_dir)))
    staging.chmod(0o755)  # mkdtemp makes it private; the team must be able to read it
    try:
        for path in outputs:
            shutil.copy2(path, staging / path.name)
        sums = "".join(f"{sha256(staging / p.name)}  {p.name}\n" for p in outputs)
        (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
        summary = summarize(report, [staging / p.name for p in outputs], pages)
        write_text_atomically(staging / "SUMMARY.md", summary)
        replace_folder(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if to is not None:
        copy_folder(folder, to / folder.name)
    return folder


def ensure(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ContentError(
            folder, None, f"cannot create the folder: {err.strerror}", "choose a writable folder"
        ) from err
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_folder(new: Path, target: Path) -> None:
    """Swap ``new`` into place: readers see the old folder or the new one, never half of one."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


def copy_folder(folder: Path, target: Path) -> None:
    """Copy into a team folder atomically: a hidden copy beside the target, then a rename."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=ensure(target.parent)))
    try:
        shutil.rmtree(staging)
        shutil.copytree(folder, staging)
        replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def summarize(report: Report, files: list[Path], pages: int | None) -> str:
    """A short Markdown summary to paste into a chat."""
    meta = report.meta
    lines = [f"# {meta.title}"]
    if meta.subtitle:
        lines.append(f"_{meta.subtitle}_")
    facts = []
    if meta.dates:
        first, last = meta.dates[0].isoformat(), meta.dates[-1].isoformat()
        facts.append(first if first == last else f"{first} – {last}")
    if meta.venue:
        facts.append(meta.venue)
    if meta.authors:
        facts.append(", ".join(meta.authors))
    if facts:
        lines.append(" · ".join(facts))
    lines.append("")
    for chapter in report.chapters:
        title = (
            chapter.label
            if chapter.label == chapter.title
            else f"{chapter.label} · {chapter.title}"
        )
        lines.append(f"**{title}**")
        for talk in chapter.talks:
            speaker = f" — {talk.speaker}" if talk.speaker else ""
            lines.append(f"- {talk.title}{speaker}")
        lines.append("")
    lines.append("파일:")
    for path in files:
        extra = f", {pages}쪽" if path.suffix == ".pdf" and pages else ""
        lines.append(f"- `{path.name}` ({path.stat().st_size / 1024:.0f} KB{extra})")
    return "\n".join(lines) + "\n"
