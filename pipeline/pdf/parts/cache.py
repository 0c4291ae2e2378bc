"""Each day's laid-out PDF, kept for the next build of the report (``book``).

A part is found by its key (a hash of what it is laid out from: its HTML, which holds the paper
size and the fonts' names; the styles; the cut fonts' content; the PDF variant; the PDF stage's
code and WeasyPrint's version) and then by the numbers it was laid out with (its first page
number, the book's total): the key alone gives its page count and anchors, enough to number
the book before any part is laid out again. Entries live in memory (``invoke watch`` keeps its
process) and in ``<out>/.cache/pdf-parts/<report>/``; the entries a build did not use are
removed after it.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.output import write_atomically
from pipeline.pdf.parts.part import PartPdf, font_sources
from pipeline.pdf.parts.split import Part

CODE = Path(__file__).resolve().parent.parent  # the PDF stage
SUFFIX = ".part"


@dataclass(frozen=True)
class PartPagination:
    """A part as paginated: its page count, the pages its anchors are on (from 1), and the
    side its first page must be (``right``, ``left`` or None)."""

    pages: int
    anchors: dict[str, int]
    first_side: str | None


@dataclass(frozen=True)
class Entry:
    layout: PartPagination
    numbering: tuple[object, ...]  # first page, total, ends with a blank page (and more)
    part: PartPdf


def part_key(part: Part, settings: Settings, fonts: tuple[Path, ...]) -> str:
    """The hash of everything a part's layout depends on."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(part.html.encode())
    digest.update(settings.pdf_variant.encode())
    add_styles_and_fonts(digest, settings.styles_dir, fonts)
    digest.update(_code())
    return digest.hexdigest()


def add_styles_and_fonts(digest: Any, styles: Path, fonts: tuple[Path, ...]) -> None:
    """Add to ``digest`` what a layout takes from styles/ (each stylesheet) and from the
    fonts (by content, not by path: a build's cut fonts are in a folder of their own)."""
    for path in sorted(styles.glob("*.css")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update("\0".join(sorted(font_sources(fonts))).encode())


_code_digest: bytes | None = None


def _code() -> bytes:
    global _code_digest
    if _code_digest is None:
        from importlib.metadata import version

        digest = hashlib.blake2b(digest_size=20)
        for path in sorted(CODE.rglob("*.py")):
            digest.update(path.read_bytes())
        digest.update(version("weasyprint").encode())
        _code_digest = digest.digest()
    return _code_digest


class PartCache:
    """The parts of one report; ``folder`` None: kept in memory only; ``reuse`` False: found
    nothing (``--force``), still stored. ``memory``: the entries the PDF process keeps between
    builds (its worker pool's, ``invoke watch``), by key."""

    def __init__(
        self, folder: Path | None, reuse: bool = True, memory: dict[str, Entry] | None = None
    ) -> None:
        self.folder = folder
        self.reuse = reuse
        self.memory: dict[str, Entry] = {} if memory is None else memory

    def _entry(self, key: str) -> Entry | None:
        if not self.reuse:
            return None
        found = self.memory.get(key)
        if found is None and self.folder is not None:
            try:
                found = pickle.loads((self.folder / f"{key}{SUFFIX}").read_bytes())
            except (
                OSError,
                ImportError,
                pickle.UnpicklingError,
                EOFError,
                AttributeError,
                ValueError,
            ):
                return None
            if isinstance(found, Entry):
                self.memory[key] = found
        return found if isinstance(found, Entry) else None

    def layout(self, key: str) -> PartPagination | None:
        entry = self._entry(key)
        return entry.layout if entry is not None else None

    def part(self, key: str, numbering: tuple[object, ...]) -> PartPdf | None:
        entry = self._entry(key)
        return entry.part if entry is not None and entry.numbering == numbering else None

    def store(
        self, key: str, layout: PartPagination, numbering: tuple[object, ...], part: PartPdf
    ) -> None:
        entry = Entry(layout, numbering, part)
        self.memory[key] = entry
        if self.folder is None:
            return
        data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)

        def write(path: Path) -> None:
            path.write_bytes(data)

        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.folder / f"{key}{SUFFIX}", write)

    def keep(self, keys: set[str]) -> None:
        """Forget the parts of this report that the build did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob(f"*{SUFFIX}"):
            if path.stem not in keys:
                self.memory.pop(path.stem, None)
                path.unlink(missing_ok=True)
