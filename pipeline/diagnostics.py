"""The warnings of one report's build: collected through logging, grouped and counted, and the
strict gate that makes them errors.

A warning is something a reader can still use: a missing image shows as a placeholder, a dead
link as plain text (see STYLE.md). Every stage logs its warnings as ``file:line: message`` on
its own logger under ``pipeline``; ``collect_warnings`` attaches one handler for the build of a
report, in each process that works on it (the PDF process sends its own back), so that no
function passes a list of warnings along. They are shown together at the end of the report's
output, grouped: ``12 warnings: 8 missing images (lines 13, 24, ...), ...``.

With ``--strict`` (``strict: true``) warnings are errors: the build checks before it writes, and
``pipeline.output`` asks ``check_before_publishing`` before an output replaces the old one, so a
strict failure never replaces a good output.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ContentError

LOGGER = logging.getLogger("pipeline")
PLACE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+): ")
SHOWN_PLACES = 6  # places listed per group in the summary; every warning is listed above it
STRICT_HINT = (
    "fix them (the README's Warnings table says how), or build without --strict "
    "(and without strict: true in invoke.yaml)"
)


@dataclass(frozen=True)
class Kind:
    """One kind of warning: how the summary names it, how to recognise its message, and what
    the README's Warnings table says about it."""

    noun: str
    plural: str
    pattern: str
    example: str  # the message as a user sees it (without its file:line)
    meaning: str
    action: str

    def matches(self, message: str) -> bool:
        return re.search(self.pattern, message) is not None


KINDS = (
    # before the image kinds: a front-matter `image:` is a cover, not an image of the notes
    Kind(
        "front-matter value left out",
        "front-matter values left out",
        r"front matter [\w\"-]+\b.*; left out",
        'front matter date "2024-02-30" is not a date; left out',
        "a front-matter value the report cannot use (a date that is not one, a cover outside "
        "the content folder or not there, a mapping where text belongs) is left out and the "
        "build goes on",
        "fix the value (dates as `2024-05-22`; a PNG or JPEG cover next to the notes), or "
        "remove the key",
    ),
    Kind(
        "missing image",
        "missing images",
        r'image "[^"]*" not found; shown as a placeholder',
        'image "x.png" not found; shown as a placeholder',
        "a local image is not there; a box with its path and alt text takes its place",
        "put the file next to the notes, or fix the path",
    ),
    Kind(
        "image left out",
        "images left out",
        r'image "[^"]*" (is outside the content folder|is not a usable path|left out: )',
        'image "../x.png" is outside the content folder; left out',
        "an image outside the content folder, with an unusable path, or with a scheme other "
        "than http(s) (`file:`, `data:`...) is never read; it is left out",
        "copy the image next to the notes and link it from there",
    ),
    Kind(
        "blog image path",
        "blog image paths",
        r"is a path on the blog's web site",
        'image "/images/x.png" is a path on the blog\'s web site and is not under content/',
        "a blog-site path is not under the content folder; its caption shows",
        "copy the blog's `images/` folder into the content folder",
    ),
    Kind(
        "missing cover",
        "missing covers",
        r'cover image "[^"]*" not found',
        'cover image "cover.png" not found in the content folder',
        "the front matter's cover is not there; the generated cover is used",
        "put the PNG or JPEG next to the notes, or fix the path",
    ),
    Kind(
        "image without alt text",
        "notes on images without alt text",
        r"images? without alt text",
        "2 images without alt text (notes.md:12, ...); the PDF does not claim PDF/UA-1",
        "a PDF/UA (or PDF/A-3a) document describes every image; the PDF is written, without "
        "that claim",
        "say what each image shows: `![처리 흐름](x.png)`",
    ),
    Kind(
        "note on remote images",
        "notes on remote images",
        r"remote images? shown as captioned links?",
        "3 remote images shown as captioned links",
        "remote images are never downloaded unless asked; each shows as a captioned link",
        "`--fetch-images` (or `remote_images: fetch`) downloads them",
    ),
    Kind(
        "image not fetched",
        "images not fetched",
        r'image "[^"]*" not fetched: ',
        'image "https://..." not fetched: ...; shown as a link',
        "the server, type, size or address of a remote image was refused",
        "check the address; the image stays a link",
    ),
    Kind(
        "dead link",
        "dead links",
        r'link to "[^"]*" (matches no heading|points to nothing)',
        'link to "#x" matches no heading; shown as plain text',
        "a `#anchor` link matches no heading (or, in the EPUB, no element); it shows as plain text",
        "fix the anchor (GitHub-style: lower case, spaces as `-`)",
    ),
    Kind(
        "link to a file not in the report",
        "links to files not in the report",
        r'link to "[^"]*" is not in the report',
        'link to "sessions/01.md" is not in the report; shown as plain text',
        "a link to another file or to a path on the blog's site (not a heading, a footnote or "
        "a web address) has nothing to go to in the book: its text stays, without the link",
        "link the web address (`https://...`), or name the site in the front matter "
        "(`url: https://blog.example.com/`) to resolve site paths against it",
    ),
    Kind(
        "file not in UTF-8",
        "files not in UTF-8",
        r"not UTF-8; decoded as CP949/EUC-KR",
        "not UTF-8; decoded as CP949/EUC-KR",
        "the notes were saved as CP949/EUC-KR; they were read correctly",
        "save the file as UTF-8",
    ),
    Kind(
        "repeated id",
        "repeated ids",
        r'id "[^"]*" is repeated or not valid',
        'id "x" is repeated or not valid: dropped',
        "raw HTML repeats an id (or writes one with a space); the EPUB keeps the first",
        "rename or remove the id in the raw HTML",
    ),
    Kind(
        "image not in the book",
        "images not in the book",
        r'image "[^"]*" is not in the book',
        'image "x" is not in the book: kept as a link',
        "the EPUB has no copy of an image; it shows as a link",
        "give a local image inside the content folder",
    ),
    Kind(
        "attachment link",
        "attachment links",
        r"dropped an attachment link",
        "dropped an attachment link to x",
        '`rel="attachment"` would embed a file in the PDF; the file is not embedded',
        'remove `rel="attachment"` from the raw HTML',
    ),
    Kind(
        "missing library",
        "missing libraries",
        r"libharfbuzz-subset not found",
        "libharfbuzz-subset not found: PDF font subsetting falls back to fontTools",
        "the PDF is the same, but takes about 15 times longer",
        "`apt-get install libharfbuzz-subset0`",
    ),
    Kind(
        "unreadable font",
        "unreadable fonts",
        r"fontconfig could not read",
        "fontconfig could not read fonts/x.otf",
        "a font file in `fonts/` is damaged or not a font; it is not used",
        "replace or remove the file",
    ),
)
OTHER = Kind("other warning", "other warnings", "", "", "", "")


def warnings_table() -> str:
    """The README's Warnings table: every kind of warning, what it means, what to do."""
    rows = ["| warning | what it means | what to do |", "|---|---|---|"]
    rows += [f"| `{kind.example}` | {kind.meaning} | {kind.action} |" for kind in KINDS]
    return "\n".join(rows) + "\n"


def kind_of(message: str) -> Kind:
    return next((kind for kind in KINDS if kind.matches(message)), OTHER)


def count_text(count: int) -> str:
    return f"{count} warning{'s' if count != 1 else ''}"


def summary(messages: Sequence[str], notes: Path) -> str:
    """``12 warnings: 8 missing images (lines 13, 24, ...), 4 dead links (lines 40, 52, ...)``;
    a place in another file of a report folder is ``day1.md:4``."""
    return f"{count_text(len(messages))}: {groups_text(messages, notes)}"


def groups_text(messages: Sequence[str], notes: Path) -> str:
    """Each kind of warning, counted, with its lines, in the order they first came."""
    groups: dict[Kind, list[str]] = {}
    for message in messages:
        groups.setdefault(kind_of(message), []).append(place_of(message, notes))
    parts = []
    for kind, places in groups.items():
        text = f"{len(places)} {kind.noun if len(places) == 1 else kind.plural}"
        known = [place for place in places if place]
        if known:
            shown = ", ".join(known[:SHOWN_PLACES]) + (", ..." if len(known) > SHOWN_PLACES else "")
            text += f" (line{'s' if len(known) > 1 else ''} {shown})"
        parts.append(text)
    return ", ".join(parts)


def place_of(message: str, notes: Path) -> str:
    """``13`` for a line of the report's own notes, ``day1.md:4`` for another file's."""
    found = PLACE.match(message)
    if found is None:
        return ""
    path = Path(found["file"])
    main = notes / "index.md" if notes.is_dir() else notes
    if path == main or path.resolve() == main.resolve():
        return found["line"]
    return f"{path.name}:{found['line']}"


def describe_warnings(name: str, notes: Path, messages: Sequence[str]) -> str:
    """What a build prints after a report: every warning, then the grouped count."""
    lines = [f"warning: {message}" for message in messages]
    return "\n".join([*lines, f"{name}: {summary(messages, notes)}"])


class WarningsAsErrors(ContentError):
    """A strict build's error: the report had warnings, every one of them in the message."""

    def __reduce__(self) -> tuple[type[ContentError], tuple[Path, int | None, str, str]]:
        return (WarningsAsErrors, (self.path, self.line, self.message, self.hint))


def strict_error(notes: Path, messages: Sequence[str]) -> WarningsAsErrors:
    """The error a strict build gives for a report that had warnings: every one of them."""
    heading = f"{count_text(len(messages))}, which --strict makes errors: "
    heading += groups_text(messages, notes)
    return WarningsAsErrors(notes, None, "\n".join([heading, *messages]), STRICT_HINT)


class WarningLog(logging.Handler):
    """Collects the warnings logged while one report is built (each message once)."""

    def __init__(self, notes: Path, strict: bool = False, out_dir: Path | None = None) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes
        self.strict = strict
        self.out_dir = out_dir
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)

    def fail_if_strict(self) -> None:
        """With --strict, a report that had warnings stops here, before anything is written."""
        if self.strict and self.messages:
            raise strict_error(self.notes, self.messages)


_current: WarningLog | None = None


@contextmanager
def collect_warnings(
    notes: Path, strict: bool = False, out_dir: Path | None = None
) -> Iterator[WarningLog]:
    """Collect the warnings of the ``pipeline`` loggers instead of printing them as they come.
    It replaces the log of an enclosing build (a forked PDF process collects its own)."""
    global _current
    previous, propagate = _current, LOGGER.propagate
    if previous is not None:
        LOGGER.removeHandler(previous)
    log = WarningLog(notes, strict, out_dir)
    LOGGER.addHandler(log)
    LOGGER.propagate = False
    _current = log
    try:
        yield log
    finally:
        LOGGER.removeHandler(log)
        LOGGER.propagate = propagate
        _current = previous
        if previous is not None:
            LOGGER.addHandler(previous)


def check_before_publishing(target: Path) -> None:
    """Called before a new output replaces ``target``: a strict build that had warnings stops
    (the files of the cache beside the outputs are not outputs)."""
    log = _current
    if log is not None and log.out_dir is not None and target.parent == log.out_dir:
        log.fail_if_strict()
