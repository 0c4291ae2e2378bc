"""invoke check: passes on good outputs, and catches what it promises to catch."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from pipeline.build.formats import write_format
from pipeline.commands.check import broken_words, check_epub, check_outputs, check_pdf
from pipeline.config import Settings
from pipeline.model import Image, Report, Source
from pipeline.pdf import html as print_html
from pipeline.read.report import read_report


@pytest.fixture(scope="module")
def built(sample_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("check")
    for output_format in ("pdf", "epub"):
        write_format(output_format, sample_report, Settings(), out)
    return out


def test_good_outputs_pass(built: Path, sample_report: Report) -> None:
    assert check_outputs(sample_report, built, Settings()) == []


def test_a_missing_output_is_reported(sample_report: Report, tmp_path: Path) -> None:
    findings = check_outputs(sample_report, tmp_path, Settings())
    assert [str(f) for f in findings] == [
        f"error: {tmp_path / 'deview-2023.pdf'}: not built (run invoke build)",
        f"error: {tmp_path / 'deview-2023.epub'}: not built (run invoke build)",
    ]


@pytest.mark.slow
def test_words_broken_across_lines_are_caught(
    sample_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(print_html, "join_hangul_words", lambda root: None)
    pdf = write_format("pdf", sample_report, Settings(), tmp_path).path
    broken = [f.message for f in check_pdf(pdf, sample_report, Settings())]
    assert broken and all("a line ends inside a Hangul word" in m for m in broken)


def test_a_dead_link_in_the_epub_is_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    source = built / "deview-2023.epub"
    broken = tmp_path / "deview-2023.epub"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename.endswith("nav.xhtml"):
                data = data.replace(b'href="day-2.xhtml#day-2-talk-1"', b'href="day-9.xhtml#x"')
            new.writestr(item, data)
    messages = [f.message for f in check_epub(broken, sample_report, Settings())]
    assert "EPUB/nav.xhtml: a link points nowhere: day-9.xhtml#x" in messages
    assert any(m.startswith("EPUBCheck ERROR") for m in messages)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.slow
def test_the_contents_are_found_below_a_short_introduction(tmp_path: Path) -> None:
    from tests.conftest import DATA

    report = read_report(DATA / "yaml-front-matter.md")
    pdf = write_format("pdf", report, Settings(), tmp_path).path
    assert check_pdf(pdf, report, Settings()) == []


# ---------- each check fails on a bad file ----------


def tampered(pdf: Path, folder: Path, change: Callable[[PdfWriter], None]) -> Path:
    """A copy of ``pdf`` (same name, in ``folder``) with one thing broken by ``change``."""
    writer = PdfWriter(clone_from=pdf)
    change(writer)
    folder.mkdir(exist_ok=True)
    writer.write(folder / pdf.name)
    return folder / pdf.name


def pdf_messages(pdf: Path, report: Report) -> list[str]:
    return [f.message for f in check_pdf(pdf, report, Settings())]


def test_a_font_that_is_not_embedded_is_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    names = []

    def unembed_first_font(writer: PdfWriter) -> None:
        font = next(iter(writer.pages[0]["/Resources"]["/Font"].values())).get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            descriptor.pop(NameObject(key), None)
        names.append(font["/BaseFont"])

    pdf = tampered(built / "deview-2023.pdf", tmp_path, unembed_first_font)
    assert f"font not embedded: {names[0]}" in pdf_messages(pdf, sample_report)


@pytest.mark.slow
def test_a_character_without_a_glyph_is_caught_in_code_too(tmp_path: Path) -> None:
    """The PDF is read, not the notes: code counts, and an empty box is found where it is."""
    notes = tmp_path / "glyph.md"
    notes.write_text(
        "## DAY 1\n\n### 발표\n\n본문.\n\n```python\nprint('\U00013000')\n```\n",
        encoding="utf-8",
    )
    report = read_report(notes)
    pdf = write_format("pdf", report, Settings(), tmp_path).path
    assert pdf_messages(pdf, report) == [
        "1 characters have no glyph in the report's fonts: \U00013000 (U+13000)"
    ]


def test_a_pdf_without_an_outline_or_with_other_chapters_is_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    pdf = tampered(
        built / "deview-2023.pdf",
        tmp_path,
        lambda writer: writer.root_object.pop(NameObject("/Outlines")),
    )
    assert "the PDF has no outline (bookmarks)" in pdf_messages(pdf, sample_report)
    renamed = replace(sample_report.chapters[1], number=3)
    other = replace(sample_report, chapters=(sample_report.chapters[0], renamed))
    assert "the outline's chapters ['DAY 1', 'DAY 2'] are not ['DAY 1', 'DAY 3']" in (
        pdf_messages(built / "deview-2023.pdf", other)
    )


def test_contents_page_numbers_that_do_not_match_are_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    def move_first_talk_to_the_last_page(writer: PdfWriter) -> None:
        day = writer.root_object["/Outlines"]["/First"].get_object()
        talk = day["/First"].get_object()
        talk["/Dest"][0] = writer.pages[-1].indirect_reference

    pdf = tampered(built / "deview-2023.pdf", tmp_path, move_first_talk_to_the_last_page)
    reader = PdfReader(pdf)
    day, last = reader.get_destination_page_number(reader.outline[0]) + 1, len(reader.pages)
    problems = [m for m in pdf_messages(pdf, sample_report) if m.startswith("contents page")]
    assert len(problems) == 1 and f"do not match the pages [{day}, {last}, " in problems[0]


def test_a_dead_link_in_the_pdf_is_caught(
    built: Path, sample_report: Report, tmp_path: Path
) -> None:
    def point_a_contents_link_nowhere(writer: PdfWriter) -> None:
        link = writer.pages[1]["/Annots"][0].get_object()
        link[NameObject("/Dest")] = TextStringObject("nowhere")

    pdf = tampered(built / "deview-2023.pdf", tmp_path, point_a_contents_link_nowhere)
    assert "page 2: a link points to a missing destination: nowhere" in pdf_messages(
        pdf, sample_report
    )


def test_images_without_alt_text_are_listed(built: Path, sample_report: Report) -> None:
    source = Source(sample_report.source.path, 12)
    images = tuple(Image(f"img/{n}.png", "", source) for n in range(4))
    findings = check_outputs(replace(sample_report, images=images), built, Settings())
    assert [str(f) for f in findings] == [
        f"warning: {sample_report.source.path}: 4 images without alt text: "
        f"{source}, {source}, {source} and 1 more"
    ]


@pytest.mark.slow
def test_a_word_split_in_code_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code was left unjoined, and the check skipped it: a Korean comment wrapped mid-word."""
    from pipeline.pdf import linebreak
    from tests.conftest import DATA

    monkeypatch.setattr(linebreak, "UNTOUCHED", linebreak.VERBATIM)  # code as it was
    report, settings = read_report(DATA / "pdf-wrapping.md"), Settings(paper="A5")
    pdf = write_format("pdf", report, settings, tmp_path).path
    split = [f.message for f in check_pdf(pdf, report, settings) if "Hangul word" in f.message]
    assert split == [  # one talk: a compact layout, its text from page 2 (pdf.layout)
        "page 2: a line ends inside a Hangul word: 파일|을",
        "page 2: a line ends inside a Hangul word: 오|래",
    ]


def test_a_space_in_the_notes_is_never_a_split() -> None:
    """The notes' own word boundaries decide, even where they write the words both ways."""
    source = "좋은 세션 이었다. 끝으로 다른 세션이었다. 여러 데이터를 처리한다"
    assert broken_words([["오늘은 좋은 세션", "이었다. 끝으로"]], source) == []
    assert broken_words([["끝으로 다른 세션", "이었다. 여러"]], source) == [(1, "세션|이었다.")]
    assert broken_words([["여러 데이", "터를 처리한다"]], source) == [(1, "데이|터를")]
    assert broken_words([["여러 데이터를", "처리한다"]], source) == []


@pytest.mark.slow
def test_text_a_viewer_draws_blank_is_caught(
    sample_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cut fonts before the fix: poppler drew them, MuPDF drew no Hangul on any page."""
    from pipeline.pdf import print_fonts as fonts

    monkeypatch.setattr(fonts, "identity_charset", lambda otf: otf)
    pdf = write_format("pdf", sample_report, Settings(), tmp_path).path
    blank = [m for m in pdf_messages(pdf, sample_report) if "leaves out" in m]
    pages = len(PdfReader(pdf).pages)
    assert [m.split(":")[0] for m in blank] == [f"page {n}" for n in range(1, pages + 1)]
    assert blank[3].startswith(
        "page 4: MuPDF (SumatraPDF, mutool) leaves out 100% of what poppler (Evince, Okular, "
        "pdftoppm) draws "
    )
    assert blank[3].endswith("; its readers see a gap there (a font it cannot read?)")
