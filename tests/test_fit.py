"""A layout that fits the report: its shape chosen from the model (article, compact, book), no
near-empty pages, no loose lines, headings that never end on one word, A5 openers on right-hand
pages; and `invoke check` reports near-empty pages and loose lines on a file that has them.

The PDFs are read back with pdfplumber and pypdf; each is rendered once per module.
"""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from pipeline.commands.check import check_pdf
from pipeline.commands.pages import layout_problems, page_fill, text_block
from pipeline.config import Settings
from pipeline.model import Report
from pipeline.pdf import fit, weasyprint_internals
from pipeline.pdf import html as print_html
from pipeline.pdf.fit import PageFill, plan_fixes
from pipeline.pdf.html import prepare_print, render_print_html
from pipeline.pdf.layout import FEW_TALKS, plan_layout
from pipeline.pdf.linebreak import WORD_JOINER
from pipeline.pdf.write import render_pdf
from pipeline.read.report import read_report
from tests.conftest import DATA, SAMPLE, build_pdf

TAIL = DATA / "pdf-layout-tail.md"  # DAY 1's last lines would have page 6 to themselves
LOOSE = DATA / "pdf-layout-loose.md"  # lines that justifying would stretch past an em
ARTICLE = DATA / "pdf-layout-single-talk.md"  # the notes of one talk
COMPACT = DATA / "no-days.md"  # one day, three talks


pytestmark = pytest.mark.usefixtures("epoch")  # every build here is stamped alike


def text_lines(path: Path) -> list[list[str]]:
    with pdfplumber.open(path) as pdf:
        return [(page.extract_text() or "").splitlines() for page in pdf.pages]


def near_empty(path: Path) -> list[str]:
    return [problem for problem in layout_problems(path) if "near-empty" in problem]


# ---------- the shape, from the model ----------


def test_the_layout_follows_the_size_and_shape_of_the_report(sample_report: Report) -> None:
    assert plan_layout(read_report(ARTICLE)).kind == "article"
    assert (plan_layout(read_report(COMPACT)).kind, plan_layout(read_report(COMPACT)).contents) == (
        "compact",
        "block",
    )
    book = plan_layout(sample_report)  # two days, seven talks
    assert (book.kind, book.contents) == ("book", "page")
    assert book.openers == {chapter.id for chapter in sample_report.chapters}
    # the same talks over one day: a contents page, and no opener repeating it
    one_day = replace(
        sample_report,
        chapters=(replace(sample_report.chapters[0], talks=sample_report.talks),),
    )
    assert len(one_day.talks) > FEW_TALKS
    assert (plan_layout(one_day).contents, plan_layout(one_day).openers) == ("page", frozenset())
    # few talks over two days: a compact report, days running on
    few = replace(
        sample_report,
        chapters=tuple(replace(c, talks=c.talks[:1]) for c in sample_report.chapters),
    )
    assert plan_layout(few).kind == "compact" and not plan_layout(few).openers


def test_the_print_html_follows_the_layout(sample_report: Report) -> None:
    article = render_print_html(read_report(ARTICLE), Settings())
    assert '<nav class="contents">' not in article and "chapter-opener" not in article
    assert re.search(r'<h2 class="talk-title"', article)
    assert "<h4" not in article and re.search("<h3[ >]", article)  # its headings, a level up
    compact = render_print_html(read_report(COMPACT), Settings())
    assert '<nav class="contents">' in compact and "opens-page" not in compact
    assert 'class="layout-compact"' in compact
    book = render_print_html(sample_report, Settings())
    assert book.count("chapter day opens-page") == 2 and '<h3 class="talk-title"' in book


def test_a_heading_keeps_its_last_two_words_together() -> None:
    html = render_print_html(read_report(TAIL), Settings())
    heading = re.search(r'<h3 class="talk-title" data-bookmark="([^"]*)">(.*?)</h3>', html)
    assert heading is not None
    bookmark, text = heading.groups()
    assert bookmark.endswith("다시 설계한 이야기") and WORD_JOINER not in bookmark
    assert text.endswith(
        f"한 {WORD_JOINER}이{WORD_JOINER}야{WORD_JOINER}기"
    )  # after the last space
    assert text.count(f" {WORD_JOINER}") == 1
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and WORD_JOINER not in title.group(1)


# ---------- what the fit plans, on pages described by hand ----------


def part(classes: str, label: str = "") -> ET.Element:
    element = ET.Element("section", {"class": classes})
    if label:
        ET.SubElement(element, "header", {"data-label": label})
    return element


def page(number: int, fill: float, *parts: ET.Element, **more: object) -> PageFill:
    return PageFill(number, "text", fill, 1000.0, 23.0, parts, **more)  # type: ignore[arg-type]


def test_a_tail_is_pulled_back_by_tightening_its_chapter() -> None:
    cover, day1, day2 = part("cover"), part("chapter opens-page", "DAY 1"), part("chapter")
    pages = [
        replace(page(1, 0.7, cover), kind="cover"),
        page(2, 0.5, day1, opener_only=frozenset({id(day1)})),
        page(3, 1.0, day1),
        page(4, 0.98, day1),
        page(5, 0.08, day1),  # three lines alone
        page(6, 0.5, day2),
    ]
    (fix,) = plan_fixes(pages)
    assert (fix.action, fix.level, fix.page, fit.label(fix.part)) == ("tighten", 2, 5, "DAY 1")
    # tightened once already: one level more; at the last level: a page break instead
    assert [f.level for f in plan_fixes(pages, {day1: replace(fix, level=1)})] == [2]
    assert plan_fixes(pages, {day1: fix}) == []  # no break point on the page before


def test_a_long_tail_gets_a_page_break_and_a_short_day_joins_its_opener() -> None:
    day1, day2 = part("chapter runs-on", "DAY 1"), part("chapter runs-on", "DAY 2")
    talk = ET.Element("article")
    points = (fit.Breakpoint(talk, 0.6, 0, day2),)
    pages = [page(1, 0.9, day1), page(2, 0.95, day1, day2, breakpoints=points), page(3, 0.2, day2)]
    (fix,) = plan_fixes(pages)  # too much to pull back from two pages: move a talk instead
    assert (fix.action, fix.element, fix.page) == ("break", talk, 3)
    opener = part("chapter opens-page", "DAY 3")
    pages = [page(1, 0.5, opener, opener_only=frozenset({id(opener)})), page(2, 0.15, opener)]
    assert [(f.action, f.part) for f in plan_fixes(pages)] == [("join", opener)]
    # a short chapter that must start its own page: nothing before it to pull back
    assert plan_fixes([page(1, 0.9, day1), page(2, 0.1, part("chapter opens-page"))]) == []


# ---------- the PDFs ----------


@pytest.fixture(scope="module")
def tail_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tail fixture as built, and as it was before (no fit, no heading joiners)."""
    fitted = build_pdf(TAIL, tmp_path_factory.mktemp("fitted"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fit, "RENDERS", 1)
        patch.setattr(print_html, "keep_last_words_together", lambda heading: None)
        plain = build_pdf(TAIL, tmp_path_factory.mktemp("plain"))
    return fitted, plain


@pytest.mark.slow
def test_a_chapter_s_last_lines_are_pulled_back(tail_pdfs: tuple[Path, Path]) -> None:
    fitted, plain = tail_pdfs
    assert [problem[:18] for problem in near_empty(plain)] == ["page 6: near-empty"]
    assert near_empty(fitted) == []
    assert len(PdfReader(fitted).pages) == len(PdfReader(plain).pages) - 1
    # the two days are still there, each opening its own page; only DAY 1 is tighter
    reader = PdfReader(fitted)
    days = [item for item in reader.outline if not isinstance(item, list)]
    assert [d.title for d in days] == ["DAY 1", "DAY 2"]
    assert [reader.get_destination_page_number(d) + 1 for d in days] == [3, 6]
    assert leading(fitted, 4) < leading(plain, 4) and leading(fitted, 7) == leading(plain, 8)


def leading(path: Path, number: int) -> float:
    """The most common distance between the baselines of a page's body lines, in pt."""
    with pdfplumber.open(path) as pdf:
        baselines = sorted(
            {
                round(c["matrix"][5], 1)
                for c in pdf.pages[number - 1].chars
                if abs(c["size"] - 10) < 0.05
            }
        )
    steps = [round(b - a, 1) for a, b in zip(baselines, baselines[1:], strict=False)]
    return max(set(steps), key=steps.count)


@pytest.mark.slow
def test_a_heading_never_ends_on_a_line_of_one_word(tail_pdfs: tuple[Path, Path]) -> None:
    fitted, plain = tail_pdfs
    assert last_title_lines(plain)[0] == "이야기"  # the fixture's first title, unjoined
    assert all(len(line.split()) >= 2 for line in last_title_lines(fitted))


def last_title_lines(path: Path) -> list[str]:
    """The last line of each talk title (15 pt) that takes more than one line."""
    ends = []
    with pdfplumber.open(path) as pdf:
        for pdf_page in pdf.pages:
            rows: dict[float, list[str]] = {}
            for word in pdf_page.extract_words(extra_attrs=["size"]):
                if abs(word["size"] - 15) < 0.1:
                    rows.setdefault(round(word["top"]), []).append(word["text"])
            headings: list[list[float]] = []
            for top in sorted(rows):  # a title's lines are 15 pt x 1.45 apart
                if headings and top - headings[-1][-1] < 25:
                    headings[-1].append(top)
                else:
                    headings.append([top])
            ends += [" ".join(rows[tops[-1]]) for tops in headings if len(tops) > 1]
    return ends


@pytest.mark.slow
def test_check_reports_near_empty_pages_on_a_bad_file(tail_pdfs: tuple[Path, Path]) -> None:
    fitted, plain = tail_pdfs
    report = read_report(TAIL)
    warnings = [f.message for f in check_pdf(plain, report, Settings()) if f.severity == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith("page 6: near-empty, its text ends")
    assert check_pdf(fitted, report, Settings()) == []


@pytest.mark.slow
def test_loose_lines_are_set_flush_left_and_check_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = read_report(LOOSE)
    good = build_pdf(LOOSE, tmp_path / "good")
    assert check_pdf(good, report, Settings()) == []
    monkeypatch.setattr(weasyprint_internals, "MAX_STRETCH", 1000.0)  # justified as WeasyPrint does
    bad = build_pdf(LOOSE, tmp_path / "bad")
    loose = [f.message for f in check_pdf(bad, report, Settings()) if "loose line" in f.message]
    assert len(loose) == 3
    assert loose[0].startswith("page 2: a loose line, gaps of 23.9 em between words: 발표자료:")


@pytest.mark.slow
def test_the_notes_of_one_talk_are_an_article(tmp_path: Path) -> None:
    pdf = build_pdf(ARTICLE, tmp_path)
    pages = text_lines(pdf)
    assert len(pages) == 2  # the cover, and the page the text needs
    assert pages[1][1] == "무엇을 테스트할 것인가?"  # under the running header: the title block
    assert not any("차례" in line for lines in pages for line in lines)
    outline = [item.title for item in PdfReader(pdf).outline]
    assert outline == ["무엇을 테스트할 것인가?", "Reference"]
    assert check_pdf(pdf, read_report(ARTICLE), Settings()) == []


@pytest.mark.slow
def test_a_compact_report_has_its_contents_over_its_text(tmp_path: Path) -> None:
    pdf = build_pdf(COMPACT, tmp_path)
    report = read_report(COMPACT)
    pages = text_lines(pdf)
    assert "차례" in pages[1] and any(
        line.startswith(report.talks[0].title) for line in pages[1][3:]
    )
    assert check_pdf(pdf, report, Settings()) == []


@pytest.mark.slow
def test_an_a5_opener_starts_a_right_hand_page(tmp_path: Path, sample_report: Report) -> None:
    pdf = build_pdf(SAMPLE, tmp_path, paper="A5")
    reader = PdfReader(pdf)
    days = [item for item in reader.outline if not isinstance(item, list)]
    starts = [reader.get_destination_page_number(day) + 1 for day in days]
    assert len(starts) == 2 and all(number % 2 == 1 for number in starts)
    pages = text_lines(pdf)
    blank = [n for n, lines in enumerate(pages, start=1) if lines == [f"{n} / {len(pages)}"]]
    assert blank and all(n % 2 == 0 and n + 1 in starts for n in blank)
    assert check_pdf(pdf, sample_report, Settings(paper="A5")) == []


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_check_measures_pages_as_weasyprint_lays_them_out(paper: str) -> None:
    """invoke check reads the text block from the PDF (print.css's margins, by paper): it must
    find each page as full as the fit measured it on WeasyPrint's own boxes."""
    report, settings = read_report(TAIL), Settings(paper=paper)
    job = prepare_print(report, settings)
    try:
        document = render_pdf(report, settings, job)
        data = document.write_pdf()
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)
    measured = fit.measure_pages(weasyprint_internals.document_page_boxes(document))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for fill, pdf_page in zip(measured, pdf.pages, strict=True):
            if fill.kind != "text":
                continue
            top, bottom, size = text_block(pdf_page)
            assert page_fill(pdf_page, top, bottom) == pytest.approx(fill.fill, abs=0.02)
            if not fill.opener_only:  # the body's type size, as print.css sets it
                body = [c for c in pdf_page.chars if "Serif" in c["fontname"]]
                assert min(abs(c["size"] - size) for c in body) < 0.05


@pytest.mark.slow
def test_outline_pages_says_what_was_fitted() -> None:
    """`invoke outline --pages`: each page, how full, and what was laid out again."""
    from pipeline.commands.outline import describe_layout, describe_pages

    report = read_report(TAIL)
    assert describe_layout(report).startswith("print layout: book (7 talks, 2 days)")
    lines = describe_pages(report, Settings()).splitlines()
    assert lines[0] == "pages: 7 (A4), laid out 2x"
    assert lines[1] == "  page 1: cover" and lines[2].startswith("  page 2: the contents (")
    assert lines[3].startswith("  page 3: DAY 1 opener (")
    assert not any("NEAR-EMPTY" in line for line in lines)
    assert lines[-1] == (
        "fitted: DAY 1: laid out tighter (level 2) to pull its last lines back from page 6"
    )
