"""`invoke goldens`: the text the tests compare against, written again on purpose after a
deliberate change: the outline goldens in tests/golden/, and the README's option table."""

from __future__ import annotations

from pathlib import Path

from pipeline.commands.options import options_table
from pipeline.commands.outline import describe_report
from pipeline.commands.run import say
from pipeline.config import PROJECT_ROOT
from pipeline.errors import ContentError
from pipeline.output import write_text_atomically
from pipeline.read.report import read_report

SAMPLE = Path("content") / "deview-2023.md"
FIXTURES = Path("tests") / "data"
GOLDEN = Path("tests") / "golden"
# fixtures of errors, and of the PDF's and the EPUB's own tests, have no outline golden
NOT_OUTLINED = ("broken-", "missing-", "image-outside", "pdf-", "epub-")
README_START = "<!-- options: written by `invoke goldens` from pipeline/commands/options.py -->\n"
README_END = "<!-- end of options -->\n"


def outline_fixtures(root: Path = PROJECT_ROOT) -> list[str]:
    """The fixtures in tests/data whose outline has a golden (besides the sample's)."""
    return sorted(
        p.name for p in (root / FIXTURES).glob("*.md") if not p.name.startswith(NOT_OUTLINED)
    )


def outline_goldens(root: Path = PROJECT_ROOT) -> list[tuple[Path, Path]]:
    """Each notes file with an outline golden, and its golden."""
    notes = [root / SAMPLE, *(root / FIXTURES / name for name in outline_fixtures(root))]
    return [(path, root / GOLDEN / f"{path.stem}.txt") for path in notes]


def readme_with_options(readme: str) -> str:
    """The README with its option table (between the two markers) written from the table."""
    before, found, rest = readme.partition(README_START)
    _, end, after = rest.partition(README_END)
    if not (found and end):
        hint = f"put back the two lines {README_START.strip()} and {README_END.strip()}"
        raise ContentError("README.md", None, "has no place for the option table", hint)
    return before + README_START + options_table() + README_END + after


def write_goldens(root: Path = PROJECT_ROOT) -> None:
    """Write every outline golden and the README's option table again."""
    for notes, golden in outline_goldens(root):
        write_text_atomically(golden, describe_report(read_report(notes)))
        say(f"wrote {golden.relative_to(root)}")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if readme_with_options(text) != text:
        write_text_atomically(readme, readme_with_options(text))
        say("wrote the option table in README.md")
