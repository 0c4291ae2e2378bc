"""A built report made ready for the shelf, outside the shelf's lock: its entry, its web edition,
its cover thumbnail, its checksums. A report whose PDF and EPUB are those already on the shelf
(and made by the same shelf code) is left as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.diagnostics import collect_warnings
from pipeline.errors import ContentError
from pipeline.read.notes import report_name
from pipeline.shelf import entry as entry_module
from pipeline.shelf import pages, web
from pipeline.shelf.entry import FORMAT, ShelfFile, entry_from_report, read_entry, safe_name
from pipeline.shelf.store import Prepared

# What else a report's files on the shelf are made from (its entry, web edition and page):
# a change to these makes every report's files again.
MADE_BY = (Path(web.__file__), Path(entry_module.__file__), Path(pages.__file__))
TEMPLATES = (
    "preview.html.j2",
    "preview.css",
    "meta-line.html.j2",
    "shelf-web.css.j2",
    "shelf-page.html.j2",
    "shelf-report.html.j2",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def count_pages(pdf: Path) -> int:
    """The page tree's /Count, what a reader shows (qpdf reads it in 2 ms; pypdf parses every
    object of a tagged PDF's object streams first: 80 ms)."""
    import pikepdf

    try:
        with pikepdf.open(pdf) as document:
            return len(document.pages)
    except (pikepdf.PdfError, OSError) as err:
        raise ContentError(pdf, None, f"the PDF cannot be read: {err}", "build it again") from err


def built_outputs(notes: Path, out_dir: Path) -> tuple[Path, Path]:
    """The report's PDF and EPUB in the output folder; an error says how to build them."""
    name = report_name(notes)
    outputs = (out_dir / f"{name}.pdf", out_dir / f"{name}.epub")
    for path in outputs:
        if not path.is_file():
            raise ContentError(
                path,
                None,
                "not built yet",
                f"build it first: invoke build --notes {notes} --out {out_dir}",
            )
    return outputs


def source_digest(sums: tuple[str, str], settings: Settings) -> str:
    """What the shelf's files of a report are made from: its outputs, and the shelf's code."""
    digest = hashlib.blake2b(f"{FORMAT}|{sums[0]}|{sums[1]}".encode(), digest_size=16)
    for path in (*MADE_BY, *(settings.styles_dir / name for name in TEMPLATES)):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current(notes: Path, out_dir: Path, shelf: Path, settings: Settings) -> bool:
    """The shelf holds this very build of the report already."""
    pdf, epub = built_outputs(notes, out_dir)
    kept = read_entry(shelf / "reports" / safe_name(report_name(notes)) / "entry.json")
    return kept is not None and kept.digest == source_digest((sha256(pdf), sha256(epub)), settings)


def prepare_report(notes: Path, out_dir: Path, settings: Settings) -> Prepared:
    """Read the report as its build did, and make what the shelf shows of it."""
    from pipeline.read.report import apply_settings, read_report

    pdf, epub = built_outputs(notes, out_dir)
    with collect_warnings(notes):  # the build has told them already
        report = read_report(notes, settings.fetch_policy)
        report_settings = settings.override(report.settings)
        report = apply_settings(report, report_settings)
        page = web.render_web_edition(report, report_settings).encode("utf-8")
    name = safe_name(report.name)
    sums = (sha256(pdf), sha256(epub))
    files: dict[str, ShelfFile] = {
        "pdf": ShelfFile(f"{name}.pdf", pdf.stat().st_size, sums[0], "application/pdf"),
        "epub": ShelfFile(f"{name}.epub", epub.stat().st_size, sums[1], "application/epub+zip"),
        "web": ShelfFile(f"{name}.html", len(page), hashlib.sha256(page).hexdigest(), "text/html"),
    }
    files["pdf"] = replace(files["pdf"], pages=count_pages(pdf))
    contents: dict[str, bytes | Path] = {
        files["pdf"].href: pdf,
        files["epub"].href: epub,
        files["web"].href: page,
    }
    thumbnail = web.cover_thumbnail(epub, settings.cache_dir / "shelf-covers")
    if thumbnail is not None:
        files["cover"] = ShelfFile(
            "cover.jpg", len(thumbnail), hashlib.sha256(thumbnail).hexdigest(), "image/jpeg"
        )
        contents["cover.jpg"] = thumbnail
    contents["SHA256SUMS"] = "".join(
        f"{files[key].sha256}  {files[key].href}\n" for key in ("pdf", "epub", "web")
    ).encode("utf-8")
    entry = entry_from_report(report, files, source_digest(sums, settings))
    return Prepared(entry, contents)
