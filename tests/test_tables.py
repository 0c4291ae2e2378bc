"""Programme tables: columns sized to their content, nothing broken inside a word (issue 25).

The fixture (``tests/data/pdf-tables.md``) holds a programme (time, agenda, speaker, slide
links), times written as spaced ranges and prices, an HTML table with a day row across its
columns, a table of bare URLs, one of long file paths and one of six columns of identifiers:
on A5 they take each step of ``pipeline.pdf.tables`` (widths, smaller type, breaks at allowed
points, records). The PDF's words are read per cell from its structure tree
(``pipeline.commands.cells``) and compared with the notes' cells. The corpus beside the
repository (../shared/corpus), when it is there, is checked the same way, A4 and A5.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import lxml.html
import pdfplumber
import pytest

from pipeline.commands.cells import (
    CellText,
    broken_cell_words,
    notes_cells,
    pdf_cells,
    split_times,
)
from pipeline.config import Settings
from pipeline.pdf.html import prepare_print, render_print_html
from pipeline.pdf.tables import MM, TEXT_WIDTH, Column, share_widths
from pipeline.pdf.write import write_pdf
from pipeline.read.report import read_report
from pipeline.table_cells import TIME_RANGE, keep_time_ranges
from tests.conftest import DATA, ROOT, SAMPLE, build_pdf

TABLES = DATA / "pdf-tables.md"
CORPUS = ROOT.parent / "shared" / "corpus"
HEADER_FILL = (0.933333, 0.952941, 0.980392)  # print.css th background #eef3fa


@pytest.fixture(scope="module", params=["A4", "A5"])
def tables_pdf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pdf(TABLES, tmp_path_factory.mktemp(request.param), paper=request.param)


@pytest.mark.slow
def test_no_word_breaks_inside_a_cell(tables_pdf: Path) -> None:
    cells = pdf_cells(tables_pdf)
    notes = notes_cells(read_report(TABLES))
    assert len(cells) >= 60 and len(notes) >= 70
    assert broken_cell_words(cells, notes) == []
    # cells do wrap: the check has line breaks to judge
    assert sum(len(cell.lines) > 1 for cell in cells) >= 5


@pytest.mark.slow
def test_times_and_numbers_stay_on_one_line(tables_pdf: Path) -> None:
    lines = {line for cell in pdf_cells(tables_pdf) for line in cell.lines}
    text = "\n".join(lines)
    notes = notes_cells(read_report(TABLES))
    times = {match.group() for cell in notes for match in TIME_RANGE.finditer(cell)}
    assert {"14:00~14:10", "09:30 - 10:40", "13:00 ~ 14:00"} <= times
    for time in times:
        assert time in text, time
    for number in ("80,000원", "100,000원", "1,204"):
        assert number in text, number


def test_each_step_of_fitting_on_a5() -> None:
    html = render_print_html(read_report(TABLES), Settings(paper="A5"))
    tables = lxml.html.document_fromstring(html).xpath("//table")
    first = tables[0]  # the programme: widths from the content, short columns whole
    widths = [float(re.findall(r"[\d.]+", col.get("style"))[0]) for col in first.iter("col")]
    assert len(widths) == 4 and abs(sum(widths) - 100) < 0.1
    assert not first.get("class")
    assert tables[1].find("colgroup") is None  # the prices fit at their natural widths
    urls, paths, packages = tables[-3:]
    assert urls.get("class") == "table-small"
    assert paths.get("class") == "table-small"
    assert "\u200b" in paths.xpath("string(.//td[2])")  # the path breaks after / . _
    assert "\u200b" not in paths.xpath("string(.//td[3])")  # 1,204 does not
    assert packages.get("class") == "table-records"
    labels = [
        td.get("data-label").replace("\u2060", "") for td in packages.xpath(".//tbody/tr[1]/td")
    ]
    assert labels == ["Package Name", "AS-IS", "TO-BE", "Support Custom Lint", "비고", "담당자"]


def test_a4_keeps_the_programme_a_table() -> None:
    html = render_print_html(read_report(TABLES), Settings(paper="A4"))
    tables = lxml.html.document_fromstring(html).xpath("//table")
    assert [t.get("class") for t in tables[:-1]] == [None] * (len(tables) - 1)
    assert tables[-1].get("class") == "table-records"  # six columns of long identifiers


@pytest.mark.slow
def test_the_text_width_is_the_laid_out_one(tmp_path: Path) -> None:
    """``TEXT_WIDTH`` repeats print.css's margins: a full-width table's header spans it."""
    for paper in ("A4", "A5"):
        pdf = build_pdf(TABLES, tmp_path / paper, paper=paper)
        with pdfplumber.open(pdf) as document:
            fills = [
                rect
                for page in document.pages
                for rect in page.rects
                if tuple(round(c, 6) for c in rect["non_stroking_color"] or ()) == HEADER_FILL
            ]
        width = max(r["x1"] for r in fills) - min(r["x0"] for r in fills)
        assert abs(width - TEXT_WIDTH[paper]) < 0.5, (paper, width / MM)


def test_short_columns_get_their_width_and_text_the_rest() -> None:
    columns = [Column(60, 60), Column(60, 400), Column(60, 150), Column(30, 30)]
    widths = share_widths(columns, 330)
    assert widths is not None and len(widths) == 4
    assert widths[0] == pytest.approx(100 * 60 / 330, abs=0.1)
    assert widths[3] == pytest.approx(100 * 30 / 330, abs=0.1)
    assert widths[1] > widths[2] > 100 * 60 / 330
    assert share_widths(columns, 700) == ()  # fits as it is
    assert share_widths(columns, 200) is None  # not even the longest units fit


def test_a_word_broken_in_a_cell_is_reported() -> None:
    notes = ["Slide", "14:00~14:10", "Shane Coughlan, Linux Foundation", "https://a.example/b/c"]
    cells = [
        CellText(2, ("Slid", "e")),
        CellText(2, ("14:00~14", ":10")),
        CellText(2, ("Shane Coughlan,", "Linux Foundation")),  # at a space: fine
        CellText(2, ("https://a.example/", "b/c")),  # after a slash: fine
    ]
    assert broken_cell_words(cells, notes) == [(2, "Slid|e"), (2, "14:00~14|:10")]


def test_a_time_range_broken_at_its_spaces_is_reported() -> None:
    cells = [
        CellText(3, ("13:00 ~", "14:00", "등록")),
        CellText(3, ("14:00 ~ 15:00", "(초청강연 1)")),
        CellText(4, ("발표 시작은", "9:30")),
    ]
    assert split_times(cells) == [(3, "13:00 ~|14:00")]


def test_spaced_time_ranges_are_kept_whole() -> None:
    assert keep_time_ranges("09:30 - 10:40 세션") == "09:30\u00a0-\u00a010:40 세션"
    assert keep_time_ranges("13:00 ~ 14:00") == "13:00\u00a0~\u00a014:00"
    assert keep_time_ranges("오후 2:00 발표") == "오후 2:00 발표"


def corpus_notes() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [SAMPLE, *sorted(CORPUS.glob("*.md"))]


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus beside the repository")
@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_no_word_breaks_inside_a_cell_of_the_corpus(paper: str, tmp_path: Path) -> None:
    logging.disable(logging.WARNING)  # the corpus' own warnings (missing images...)
    try:
        broken = {}
        checked = 0
        for notes in corpus_notes():
            if notes.name == "README.md":
                continue
            report = read_report(notes)
            cells = notes_cells(report)
            if not cells:
                continue
            pdf = build_pdf(report, tmp_path / notes.stem, paper=paper)
            laid_out = pdf_cells(pdf)
            found: list[object] = list(broken_cell_words(laid_out, cells))
            found += split_times(laid_out)  # the programme's times on one line each
            checked += 1
            if found:
                broken[notes.name] = found
    finally:
        logging.disable(logging.NOTSET)
    assert checked >= 3
    assert broken == {}


def test_a_number_broken_at_its_separator_is_reported() -> None:
    notes = ["80,000원", "3.14", "edit?usp=sharing&key=0-abc"]
    cells = [
        CellText(1, ("80,", "000원")),
        CellText(1, ("3.", "14")),
        CellText(1, ("edit?usp=sharing&key=", "0-abc")),  # after "=": a URL's point
    ]
    assert broken_cell_words(cells, notes) == [(1, "80,|000원"), (1, "3.|14")]


def test_screen_tables_keep_times_label_cells_and_break_urls() -> None:
    """EPUB and preview: the same table rules for a browser (ebook.css, preview.css)."""
    from pipeline.epub.xhtml import to_xhtml
    from pipeline.preview import render_preview

    report = read_report(TABLES)
    body = "".join(talk.body_html for chapter in report.chapters for talk in chapter.talks)
    xhtml = to_xhtml(body, {})
    root = lxml.html.fragment_fromstring(xhtml, create_parent="div")
    tables = root.xpath("//table")
    programme, prices = tables[:2]
    links, paths, packages = tables[-3:]
    assert programme.get("class") == "table-wide"  # records on a narrow screen only
    assert "table-records" in paths.get("class") and "table-records" in packages.get("class")
    assert links.get("class") == "table-wide"  # a URL's parts: too wide for a phone only
    assert not tables[-4].xpath(".//@data-label")  # its first row is a day across the columns
    assert prices.xpath("string(.//tbody/tr[1]/td[2])") == "09:30\u00a0-\u00a010:40"
    assert prices.xpath(".//tbody/tr[1]/td[2]/@data-label") == ["시간"]
    link = links.xpath(".//tbody/tr[1]/td[3]/a")[0]
    assert link.text == "https://" and len(link.findall("wbr")) == 11
    assert "<wbr/>" in xhtml  # XHTML: an empty element
    preview = render_preview(report, Settings())
    assert 'class="table-wide table-records"' in preview
    assert "09:30\u00a0-\u00a010:40" in preview and 'data-label="Speaker"' in preview


@pytest.mark.slow
def test_invoke_check_reports_a_word_broken_in_a_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The print as it was (cells breaking anywhere, tables not measured) fails the check."""
    import shutil

    from pipeline.commands.check import check_pdf
    from pipeline.pdf import html as print_html
    from tests.conftest import project_settings

    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    css = tmp_path / "styles" / "print.css"
    rule = "td, th, td *, th * { overflow-wrap: normal; }"
    assert rule in css.read_text(encoding="utf-8")
    css.write_text(
        css.read_text(encoding="utf-8").replace(rule, rule.replace("normal", "anywhere")),
        encoding="utf-8",
    )
    monkeypatch.setattr(print_html, "fit_tables", lambda root, settings: None)
    settings = project_settings(tmp_path, paper="A4")
    report = read_report(TABLES)
    pdf = write_pdf(report, settings, tmp_path / "out", prepare_print(report, settings))
    found = [f.message for f in check_pdf(pdf, report, settings) if "table cell" in f.message]
    assert "page 2: a word breaks inside a table cell: Slid|e" in found
    assert "page 2: a word breaks inside a table cell: 14:00~14|:10" in found
    assert "page 3: a time breaks inside a table cell: 13:00 ~|14:00" in found
