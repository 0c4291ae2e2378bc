"""A one-document report laid out again after an edit (``pipeline.pdf.relayout``, ``invoke
watch``) is the report a new build lays out: the same bytes, whether the edit was laid out from
the pages it changed or, where that is not safe, whole."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pypdf import PdfReader

from pipeline.pdf.parts.pool import WorkerPool
from pipeline.pdf.relayout import (
    KEPT,
    KeptLayout,
    KeptLayouts,
    changed_elements,
    layout_inputs,
    text_changes,
)
from tests.conftest import build_pdf, make_png

SENTENCES = (
    "발표에서는 서비스 구조를 처음부터 다시 설계한 과정을 차근차근 설명했다.",
    "팀은 배포 주기를 줄이려고 작은 변경을 자주 올리는 방식을 골랐다.",
    "장애가 났을 때 무엇을 먼저 보는지가 가장 기억에 남는 부분이었다.",
    "질문 시간에는 비용과 운영 부담을 어떻게 나누는지에 대한 이야기가 이어졌다.",
    "자료는 발표가 끝난 뒤 공개되었고 예제 코드도 함께 올라왔다.",
)


def notes_text(talks: int = 7) -> str:
    """One day of talks, no page opening a talk: one document of about eight A5 pages, with
    footnotes (links out), inline code broken across lines (its rounded corners cut), a
    contents page and an image."""
    lines = ["# 하루 발표 정리", "", "하루 동안 들은 발표를 정리했다. " + SENTENCES[0], ""]
    lines += ["![구조 그림](img/figure.png)", "", "## DAY 1", ""]
    for talk in range(1, talks + 1):
        lines += [f"### {talk}번째 발표: 구조와 운영", "", f"> {SENTENCES[talk % 5]}", ""]
        for paragraph in range(4):
            first = (talk + paragraph) % 5
            text = " ".join(SENTENCES[(first + k) % 5] for k in range(3))
            lines += [text, ""]
        lines += [
            f"- 설정은 `deploy.pipeline.stages.{talk}.rollout` 값에서 바꾼다고 했다. "
            + SENTENCES[talk % 5],
            f"- 자세한 내용은 [발표 자료](https://example.com/talks/{talk})에 있다.",
            "",
        ]
    return "\n".join(lines)


def swap_words(text: str, occurrence: int) -> str:
    """The first two words of the ``occurrence``-th paragraph line swapped (the same letters:
    no font is cut again)."""
    lines = text.split("\n")
    prose = [i for i, line in enumerate(lines) if re.match(r"[가-힣]+ [가-힣]+ ", line)]
    index = prose[occurrence]
    first, second, rest = lines[index].split(" ", 2)
    lines[index] = f"{second} {first} {rest}"
    return "\n".join(lines)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


pytestmark = pytest.mark.usefixtures("epoch")


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, WorkerPool]]:
    """The notes, and the PDF process's pool as ``invoke watch`` keeps it."""
    content = tmp_path / "content"
    (content / "img").mkdir(parents=True)
    make_png(content / "img" / "figure.png")
    notes = content / "day.md"
    notes.write_text(notes_text(), encoding="utf-8")
    with WorkerPool(keep_layouts=True) as pool:
        yield notes, pool


def relaid(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pipeline.pdf.relayout"]


@pytest.mark.slow
def test_an_edit_is_laid_out_from_the_pages_it_changed(
    tmp_path: Path, watched: tuple[Path, WorkerPool], caplog: pytest.LogCaptureFixture
) -> None:
    """Edits early, in the middle and at the end: each lays out a few pages again, and the PDF
    is byte for byte the one a new build writes."""
    notes, pool = watched
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="pipeline.pdf.relayout")
    first = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    pages = len(PdfReader(first).pages)
    assert pages >= 8 and relaid(caplog) == []
    text = notes.read_text(encoding="utf-8")
    prose = len(re.findall(r"(?m)^[가-힣]+ [가-힣]+ ", text))
    for step, occurrence in enumerate((2, prose // 2, prose - 1)):
        text = swap_words(text, occurrence)
        notes.write_text(text, encoding="utf-8")
        caplog.clear()
        again = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
        (said,) = relaid(caplog)
        found = re.fullmatch(r"relayout: pages \[([\d, ]+)\] of (\d+) laid out again", said)
        assert found, said
        assert int(found[2]) == pages and len(found[1].split(",")) < pages // 2
        fresh = build_pdf(notes, tmp_path / f"fresh-{step}", paper="A5")
        assert digest(again) == digest(fresh)
    caplog.clear()  # built again unchanged (a save that changes nothing the print shows)
    again = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    assert relaid(caplog) == ["relayout: the same document; its layout kept"]
    assert digest(again) == digest(fresh)


@pytest.mark.slow
def test_an_edit_that_moves_the_talks_after_it_numbers_the_contents_again(
    tmp_path: Path, watched: tuple[Path, WorkerPool], caplog: pytest.LogCaptureFixture
) -> None:
    """A paragraph that grows by lines moves every talk after it to other pages: the pages
    from the edit on, and the contents (their page numbers), are laid out again; and back. A new structure (an emphasis) is laid out whole. Each PDF is a new build's."""
    notes, pool = watched
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="pipeline.pdf.relayout")
    first = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    contents = contents_numbers(first)
    # first an edit that moves nothing (the contents' page is kept), then one that moves the
    # talks after it, then back
    text = swap_words(notes.read_text(encoding="utf-8"), 20)
    grown = move_sentences(text)
    for step, edited in enumerate((text, grown, text)):
        notes.write_text(edited, encoding="utf-8")
        caplog.clear()
        again = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
        (said,) = relaid(caplog)
        # the contents' page, not next to the edit, laid out again when talks moved
        assert said.startswith("relayout: pages [1, ") == (step > 0), said
        assert digest(again) == digest(build_pdf(notes, tmp_path / f"fresh-{step}", paper="A5"))
        assert (contents_numbers(again) != contents) == (edited is grown)
    notes.write_text(text.replace("값에서 바꾼다고", "*값에서* 바꾼다고", 1), "utf-8")
    caplog.clear()
    again = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    assert relaid(caplog) == ["relayout: more than texts changed; laid out whole"]
    assert digest(again) == digest(build_pdf(notes, tmp_path / "fresh-2", paper="A5"))


def move_sentences(text: str, into: int = 8) -> str:
    """All but the first sentence of each paragraph of the last talk moved to the end of an
    earlier paragraph (``into``: in the second talk, pages after the contents): the talks
    between move down by their lines, the last page stays about as full (no page to fit),
    every paragraph keeps some text (the same structure)."""
    lines = text.split("\n")
    prose = [i for i, line in enumerate(lines) if re.match(r"[가-힣]+ [가-힣]+ ", line)]
    for index in prose[-4:]:
        kept, moved = lines[index].split(". ", 1)
        lines[index] = kept + "."
        lines[prose[into]] += " " + moved
    return "\n".join(lines)


def contents_numbers(pdf: Path) -> list[str]:
    """The page numbers the contents page lists, in order."""
    text = PdfReader(pdf).pages[1].extract_text()
    return re.findall(r"(?m)(\d+)\s*$", text)


@pytest.mark.slow
def test_a_cell_of_a_table_across_pages_lays_out_the_whole_table_again(
    tmp_path: Path, watched: tuple[Path, WorkerPool], caplog: pytest.LogCaptureFixture
) -> None:
    """A table's columns are sized from every cell: a longer cell on one page moves the
    columns on every page of the table, so every page of it is laid out again."""
    notes, pool = watched
    rows = [f"| {n} | {SENTENCES[n % 5][:12]} | 발표자 |" for n in range(1, 91)]
    notes.write_text(
        "# 표 정리\n\n## DAY 1\n\n### 시간표\n\n| 순서 | 세션 | 발표 |\n|---|---|---|\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="pipeline.pdf.relayout")
    first = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    table_pages = len(PdfReader(first).pages) - 2  # all but the cover and the contents
    assert table_pages >= 3
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("| 7 | ", "| 7 발표자 발표자 발표자 | ", 1), encoding="utf-8")
    caplog.clear()
    again = build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    (said,) = relaid(caplog)
    found = re.fullmatch(r"relayout: pages \[([\d, ]+)\] of (\d+) laid out again", said)
    assert found and len(found[1].split(",")) >= table_pages, said
    assert digest(again) == digest(build_pdf(notes, tmp_path / "fresh", paper="A5"))


@pytest.mark.slow
def test_other_settings_lay_the_report_out_whole(
    tmp_path: Path, watched: tuple[Path, WorkerPool], caplog: pytest.LogCaptureFixture
) -> None:
    """The paper size (and the accent) are in the print document's <style>: a build with
    other settings is not laid out from the kept layout."""
    notes, pool = watched
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="pipeline.pdf.relayout")
    build_pdf(notes, out, paper="A5", reuse=True, pool=pool)
    notes.write_text(swap_words(notes.read_text(encoding="utf-8"), 3), encoding="utf-8")
    caplog.clear()
    again = build_pdf(notes, out, paper="A4", reuse=True, pool=pool)
    assert relaid(caplog) == []  # not even tried
    assert digest(again) == digest(build_pdf(notes, tmp_path / "fresh", paper="A4"))


def test_a_text_that_shows_on_no_page_is_not_laid_out_from_the_kept_pages(
    tmp_path: Path,
) -> None:
    """A <style> of the print document changed in its text: it shows on no page, and may
    change every page."""
    from pipeline.pdf.html_tree import weasyprint_html
    from pipeline.pdf.parts.paginate import paginate
    from pipeline.pdf.relayout import relayout
    from pipeline.pdf.weasyprint_internals import font_configuration

    page = "<html><head><style>p {{ font-size: {0}pt }}</style></head><body><p>가나다</p></body>"
    config, _ = font_configuration(())
    html = weasyprint_html(page.format(10), tmp_path.as_uri() + "/", None)
    kept = KeptLayout("inputs", paginate(html, config, []), tmp_path)
    assert relayout(kept, page.format(30)) is None


def test_kept_layouts_are_the_last_few_and_take_their_fonts_with_them(tmp_path: Path) -> None:
    def layout(name: str, inputs: str = "same") -> KeptLayout:
        folder = tmp_path / name
        folder.mkdir()
        return KeptLayout(inputs, None, folder)  # type: ignore[arg-type]

    layouts = KeptLayouts()
    names = [f"report-{n}" for n in range(KEPT + 1)]
    for name in names:
        layouts.keep(name, layout(name))
    assert not (tmp_path / names[0]).exists()  # the oldest went, with its fonts
    assert layouts.take(names[0], "same") is None
    assert layouts.take(names[1], "other") is None  # laid out from other inputs: dropped
    assert not (tmp_path / names[1]).exists()
    taken = layouts.take(names[2], "same")
    assert taken is not None and taken.folder.exists() and layouts.holds(taken.folder) is False
    layouts.close()
    assert not any((tmp_path / name).exists() for name in names[3:])


def tree(html: str) -> ET.Element:
    return ET.fromstring(html)


def test_only_texts_that_stay_texts_are_changes() -> None:
    old = tree("<div><p>하나 <a href='#x'>둘</a> 셋</p><p>넷</p></div>")
    found = text_changes(old, tree("<div><p>하나 <a href='#x'>둘</a> 다섯</p><p>넷</p></div>"))
    assert found is not None and [(e.tag, field, text) for e, field, text in found] == [
        ("a", "tail", " 다섯")
    ]
    assert [e.tag for e in changed_elements(old, found)] == ["p"]  # a tail is its parent's
    assert text_changes(old, tree("<div><p>하나 <a href='#y'>둘</a> 셋</p><p>넷</p></div>")) is None
    assert text_changes(old, tree("<div><p>하나 <b>둘</b> 셋</p><p>넷</p></div>")) is None
    assert text_changes(old, tree("<div><p>하나 <a href='#x'>둘</a> 셋</p></div>")) is None
    assert text_changes(old, tree("<div><p>하나 <a href='#x'>둘</a></p><p>넷</p></div>")) is None
    assert text_changes(old, tree("<div><p>하나 <a href='#x'>둘</a> 셋</p><p>넷</p></div>")) == []


def test_the_layout_is_not_reused_when_an_image_or_a_style_changes(tmp_path: Path) -> None:
    styles, image = tmp_path / "styles", make_png(tmp_path / "a.png")
    styles.mkdir()
    (styles / "print.css").write_text("p { color: black }", encoding="utf-8")
    (tmp_path / "font.otf").write_bytes(b"font")
    (tmp_path / "other.otf").write_bytes(b"other font")
    fonts = (tmp_path / "font.otf",)
    first = layout_inputs("pdf/ua-1", styles, fonts, [image])
    assert layout_inputs("pdf/ua-1", styles, fonts, [image]) == first
    assert layout_inputs(None, styles, fonts, [image]) != first
    assert layout_inputs("pdf/ua-1", styles, (tmp_path / "other.otf",), [image]) != first
    make_png(image, colour="red")
    assert layout_inputs("pdf/ua-1", styles, fonts, [image]) != first
    (styles / "print.css").write_text("p { color: red }", encoding="utf-8")
    assert layout_inputs("pdf/ua-1", styles, fonts, [image]) != first
