"""Where print lines break: code between words like body text, URLs only after / . ? & =.

The fixture (``tests/data/pdf-wrapping.md``, on A5) has a code block with a Korean comment and
a Korean string longer than the line, a link whose URL becomes a footnote, a URL written in the
text and one in a footnote, all with hyphens.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import lxml.html
import pdfplumber
import pytest

from pipeline.commands.check import broken_words, report_text
from pipeline.config import Settings
from pipeline.pdf.html import prepare_print
from pipeline.pdf.linebreak import WORD_JOINER, ZERO_WIDTH_SPACE, break_urls, breakable_url
from pipeline.pdf.write import write_pdf
from pipeline.read.report import read_report
from tests.conftest import DATA

WRAPPING = DATA / "pdf-wrapping.md"
COMMENT = "# 한글 주석: 이 함수는 사용자가 입력한 값을 꼼꼼하게 검사해서 올바른 설정 파일을 새로 만들어준다"
URLS = [
    "https://example.com/2024/korean-conference-notes/day-one-keynote-speaker-interview-"
    "transcript-with-slides.html?session-id=keynote-2024&speaker-name=hong-gil-dong&lang=ko-KR",
    "https://example.com/archive/conference-notes-2024/the-second-day-closing-panel-discussion-"
    "summary.html?track-name=main-hall&page-number=2",
    "https://example.com/videos/korean-conference-2024/closing-keynote-full-recording.html"
    "?quality=high-definition&start-time=0",
]


@pytest.fixture(scope="module")
def wrapping_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report, settings = read_report(WRAPPING), Settings(paper="A5")
    out = tmp_path_factory.mktemp("wrapping")
    return write_pdf(report, settings, out, prepare_print(report, settings))


def lines_of(pdf: Path) -> list[list[str]]:
    with pdfplumber.open(pdf) as document:
        return [(page.extract_text() or "").splitlines() for page in document.pages]


@pytest.mark.slow
def test_code_wraps_between_words_with_a_hanging_indent(wrapping_pdf: Path) -> None:
    pages = lines_of(wrapping_pdf)
    assert broken_words(pages, report_text(read_report(WRAPPING))) == []
    lines = [line for page in pages for line in page]
    comment = next(i for i, line in enumerate(lines) if line.startswith(COMMENT[:7]))
    assert lines[comment + 1].split()[0] in COMMENT.split(), "the comment wraps"
    with pdfplumber.open(wrapping_pdf) as document:
        words = [w for page in document.pages for w in page.extract_words()]
    first = next(w for w in words if w["text"] == "#")
    going_on = next(w for w in words if w["text"] == lines[comment + 1].split()[0])
    assert going_on["x0"] - first["x0"] > 10  # points: the continuation is indented


@pytest.mark.slow
def test_urls_break_only_after_a_separator(wrapping_pdf: Path) -> None:
    text = "\n".join(line for page in lines_of(wrapping_pdf) for line in page)
    for url in URLS:
        found = re.search("\n?".join(map(re.escape, url)), text)
        assert found is not None, url
        pieces = found.group().split("\n")
        assert len(pieces) > 1, f"{url} fits on one line: the test needs a longer one"
        assert [piece[-1] for piece in pieces[:-1]] == [
            piece[-1] for piece in pieces[:-1] if piece[-1] in "/.?&="
        ], pieces


@pytest.mark.slow
def test_urls_copied_from_poppler_keep_their_hyphens(wrapping_pdf: Path) -> None:
    """poppler takes a hyphen at a line end for a hyphenation and drops it when copying."""
    copied = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(wrapping_pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    joined = copied.replace("\n", "")
    assert [url for url in URLS if url in joined] == URLS


def test_breakable_url() -> None:
    wj, zw = WORD_JOINER, ZERO_WIDTH_SPACE
    assert breakable_url("https://a.kr/x-y?b=1&c") == (
        f"https{wj}:{wj}/{wj}/{zw}a{wj}.{zw}kr{wj}/{zw}x{wj}-{wj}y{wj}?{zw}b{wj}={zw}1{wj}&{zw}c"
    )
    assert breakable_url("office") == "office"  # the fi ligature stays whole


def test_printed_urls_are_made_breakable_and_the_link_kept() -> None:
    root = lxml.html.fragment_fromstring(
        '<p>앞 <a class="url" href="https://a.kr/x-y">https://a.kr/x-y</a> 뒤 '
        '<a href="https://b.kr/p-q">링크</a></p>'
    )
    break_urls(root)
    printed, plain = root.findall("a")
    assert printed.get("href") == "https://a.kr/x-y"
    assert printed.text == breakable_url("https://a.kr/x-y") != "https://a.kr/x-y"
    assert plain.text == "링크"
    assert printed.tail == " 뒤 "
