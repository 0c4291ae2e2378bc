"""The print PDF, read back with pypdf/pdfplumber: outline, contents, fonts, metadata, lines.

WeasyPrint takes a second or two per render, so each notes file is rendered once per session
(module-scoped fixtures); the HTML-level tests below them need no rendering at all.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from pipeline import font_faces as fonts
from pipeline.build.reports import build_report
from pipeline.commands.check import check_pdf, unembedded_fonts
from pipeline.config import FontRoles, Settings
from pipeline.dates import korean_dates
from pipeline.errors import ContentError
from pipeline.model import Chapter, Metadata, Report, Source, Talk
from pipeline.pdf.html import build_stamp, prepare_print, render_print_html
from pipeline.pdf.linebreak import WORD_JOINER, join_hangul_words
from pipeline.pdf.write import locked_fetcher, write_pdf
from pipeline.read.report import read_report
from tests.conftest import EPOCH, build_pdf, project_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "content" / "deview-2023.md"
QUIRKS = DATA / "pdf-quirks.md"
ATTACK = DATA / "pdf-attack.md"
MM = 72 / 25.4
MARGIN = 16 * MM  # left and right page margins for A5 (print.html.j2)


def write_report_pdf(report: Report, settings: Settings, out: Path) -> Path:
    return write_pdf(report, settings, out, prepare_print(report, settings))


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Path:
    return build_pdf(SAMPLE, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def quirks_pdf(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Path:
    return build_pdf(QUIRKS, tmp_path_factory.mktemp("quirks"), paper="A5")


@functools.cache  # pdfplumber takes half a second per PDF; each PDF is written once
def page_lines(path: Path) -> list[list[str]]:
    with pdfplumber.open(path) as pdf:
        return [(page.extract_text() or "").splitlines() for page in pdf.pages]


# ---------- outline and contents ----------


def test_outline_is_chapters_then_talks(sample_pdf: Path) -> None:
    reader = PdfReader(sample_pdf)
    outline = reader.outline
    chapters = [item for item in outline if not isinstance(item, list)]
    talks = [item for item in outline if isinstance(item, list)]
    assert [c.title for c in chapters] == ["DAY 1", "DAY 2"]
    assert [len(t) for t in talks] == [4, 3]
    report = read_report(SAMPLE)
    assert [t.title for group in talks for t in group] == [t.title for t in report.talks]
    assert not any(WORD_JOINER in t.title for group in talks for t in group)


def test_contents_page_numbers_are_the_pages_where_talks_start(sample_pdf: Path) -> None:
    reader = PdfReader(sample_pdf)
    starts: list[int] = []
    for item in reader.outline:
        for entry in item if isinstance(item, list) else [item]:
            starts.append(reader.get_destination_page_number(entry) + 1)
    contents = page_lines(sample_pdf)[1]
    assert contents[0] == "차례"
    printed = [int(m.group(1)) for line in contents if (m := re.search(r"(\d+)$", line))]
    assert printed[: len(starts)] == starts
    # ... and the talk's heading is really on that page
    lines = page_lines(sample_pdf)
    for talk, page in zip(read_report(SAMPLE).talks, starts[1:5] + starts[6:], strict=True):
        assert any(line.startswith(talk.title[:12]) for line in lines[page - 1]), talk.title


def test_contents_links_are_clickable(sample_pdf: Path) -> None:
    page = PdfReader(sample_pdf).pages[1]
    links = [a.get_object() for a in page.get("/Annots", [])]
    internal = [a for a in links if a.get("/Subtype") == "/Link" and ("/Dest" in a or "/A" in a)]
    assert len(internal) >= 9  # 2 chapters + 7 talks


# ---------- fonts ----------


def font_dicts(path: Path) -> Iterator[DictionaryObject]:
    for page in PdfReader(path).pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object() if isinstance(ref, IndirectObject) else ref
            yield font


def test_every_font_is_embedded_korean_and_upright(quirks_pdf: Path, sample_pdf: Path) -> None:
    assert unembedded_fonts(PdfReader(sample_pdf)) == unembedded_fonts(PdfReader(quirks_pdf)) == []
    names = {
        str(font["/BaseFont"]) for path in (sample_pdf, quirks_pdf) for font in font_dicts(path)
    }
    assert any("Noto-Serif-CJK-KR" in n for n in names)
    assert any("Noto-Sans-CJK-KR" in n for n in names)
    assert any("Noto-Sans-Mono-CJK-KR" in n for n in names)
    assert any("Color-Emoji" in n for n in names)  # 🎉 and 😊 in the quirks notes
    assert not [n for n in names if "Oblique" in n or "Italic" in n]


def test_resolve_fonts_finds_korean_faces() -> None:
    faces = fonts.resolve_fonts(FontRoles(), ROOT / "fonts")
    assert faces["body"].family == "Noto Serif CJK KR"
    assert faces["body"].path.suffix == ".ttc" and faces["body"].index > 0  # the KR face, not JP
    assert faces["emoji"].path.name.startswith("NotoColorEmoji")


def test_fontconfig_answers_are_remembered_while_fontconfig_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build keeps fontconfig's answers; the next takes them instead of running fc-match,
    unless a font folder, fontconfig's configuration or its environment changed."""
    answers = tmp_path / "fontconfig.json"
    folder = tmp_path / "share-fonts"
    folder.mkdir()
    user_config = tmp_path / "config-fontconfig"
    user_config.mkdir()
    monkeypatch.setattr(fonts, "FONT_DIRS", (folder,))
    monkeypatch.setattr(fonts, "USER_CONFIG", (user_config,))

    def fresh_process() -> None:  # what a new process knows of fontconfig: nothing
        for name in ("_MATCHES", "_PENDING", "_CHARSETS", "_RECALLED", "_ASKED_IN"):
            monkeypatch.setattr(fonts, name, {})

    fresh_process()
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)
    asked = fonts.resolve_fonts(FontRoles(), tmp_path)
    fonts.remember_answers(answers)
    assert answers.is_file()

    started: list[object] = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(
        fonts.subprocess, "Popen", lambda *a, **k: started.append(a) or real_popen(*a, **k)
    )
    fresh_process()
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)
    assert started == []  # every face answered from the file
    assert fonts.resolve_fonts(FontRoles(), tmp_path) == asked

    (folder / "new-font.otf").write_bytes(b"a font installed")
    fresh_process()
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)
    assert started  # asked again
    assert fonts.resolve_fonts(FontRoles(), tmp_path) == asked
    fonts.remember_answers(answers)

    started.clear()
    (user_config / "fonts.conf").write_text("<fontconfig/>", encoding="utf-8")
    fresh_process()
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)
    assert started  # the user's configuration changed: asked again
    fonts.resolve_fonts(FontRoles(), tmp_path)

    for text in ("null", "[]", '{"state": 1}', "{broken", '{"matches": [["x", 0, [], ""]]}'):
        answers.write_text(text, encoding="utf-8")
        fresh_process()
        started.clear()
        fonts.prefetch_faces(FontRoles(), tmp_path, answers)  # not ours: ignored, asked again
        assert started and fonts._MATCHES == {}
        assert fonts.resolve_fonts(FontRoles(), tmp_path) == asked


def test_fontconfig_answers_are_kept_under_the_state_they_were_given_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A font installed while a build runs: the answers it got are not taken for the new
    state, and a long-running process (invoke watch) asks again once fontconfig changed."""
    answers = tmp_path / "fontconfig.json"
    folder = tmp_path / "share-fonts"
    folder.mkdir()
    monkeypatch.setattr(fonts, "FONT_DIRS", (folder,))
    monkeypatch.setattr(fonts, "USER_CONFIG", ())
    for name in ("_MATCHES", "_PENDING", "_CHARSETS", "_RECALLED", "_ASKED_IN"):
        monkeypatch.setattr(fonts, name, {})
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)
    fonts.resolve_fonts(FontRoles(), tmp_path)
    (folder / "new-font.otf").write_bytes(b"installed during the build")
    fonts.remember_answers(answers)
    assert json.loads(answers.read_text(encoding="utf-8"))["state"] != fonts._state_hash()
    fonts.prefetch_faces(FontRoles(), tmp_path, answers)  # the next build of invoke watch
    assert fonts._PENDING  # asks fontconfig again
    fonts.remember_answers(answers)


def test_missing_font_is_a_content_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as err:
        fonts.resolve_fonts(FontRoles(body="Nanum Myeongjo Missing"), tmp_path)
    assert str(err.value) == (
        'invoke.yaml: font "Nanum Myeongjo Missing" (body font) is not installed\n'
        "  hint: install it (Debian: apt-get install fonts-noto-cjk fonts-noto-color-emoji), "
        "or put its .otf/.ttf/.ttc file into fonts/"
    )


def test_font_without_hangul_is_a_content_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as err:
        fonts.resolve_fonts(FontRoles(heading="DejaVu Sans"), tmp_path)
    assert str(err.value).startswith(
        'invoke.yaml: font "DejaVu Sans" (heading font, DejaVuSans.ttf) has no Hangul (가한글)\n'
        "  hint: choose a font with Korean glyphs"
    )


def make_test_font(folder: Path) -> Path:
    """A small Hangul font with a family name of its own, cut from Noto Sans CJK KR."""
    from fontTools.ttLib import TTFont

    source = fonts.find_face("Noto Sans CJK KR", folder)
    assert source is not None
    font = TTFont(io.BytesIO(fonts.subset_font(source.path, source.index, "가한글 ABC")))
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Report Test Sans"
        elif record.nameID == 6:
            record.string = "ReportTestSans"
    folder.mkdir(parents=True, exist_ok=True)
    font.save(folder / "report-test.otf")
    return folder / "report-test.otf"


@pytest.mark.slow
def test_fonts_folder_is_searched_first(tmp_path: Path) -> None:
    """A font dropped into fonts/ is found by its family name, and WeasyPrint uses it."""
    path = make_test_font(tmp_path / "fonts")
    face = fonts.find_face("Report Test Sans", tmp_path / "fonts")
    assert face == fonts.FontFace("Report Test Sans", path, 0)
    settings = project_settings(tmp_path, fonts=FontRoles(heading="Report Test Sans"))
    assert fonts.resolve_fonts(settings.fonts, settings.fonts_dir)["heading"] == face
    report = hostile_report(tmp_path)
    talk = replace(report.chapters[0].talks[0], title="가한글 ABC", body_html="<p>한글</p>")
    report = replace(report, chapters=(replace(report.chapters[0], talks=(talk,)),))
    pdf = write_report_pdf(report, settings, tmp_path / "out")
    assert any("Report-Test-Sans" in str(f["/BaseFont"]) for f in font_dicts(pdf))


def test_missing_harfbuzz_subset_is_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts, "_has_harfbuzz_subset", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert not fonts.check_harfbuzz_subset()
    assert "15x" in caplog.text and "libharfbuzz-subset0" in caplog.text


def test_weasyprint_is_imported_without_a_library_search() -> None:
    """Each missed library name would run ldconfig, gcc and ld: a fifth of a second."""
    count_processes = (
        "import sys\n"
        "started = []\n"
        "sys.addaudithook(lambda event, _: started.append(event) if event == 'subprocess.Popen'"
        " else None)\n"
        "from pipeline.pdf.weasyprint_internals import install\n"
        "install()\n"
        "print(len(started), 'weasyprint.text.ffi' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", count_processes], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.split() == ["0", "True"], result.stderr


def test_weasyprint_imports_the_font_tools_it_rarely_uses_on_first_use() -> None:
    """fontTools' subsetter and instancer stay unimported until WeasyPrint uses them; then
    WeasyPrint gets the real ones, and so does anyone who imports them."""
    probe = (
        "import sys\n"
        "from pipeline.pdf.weasyprint_internals import install\n"
        "install()\n"
        "from weasyprint.pdf import fonts\n"
        "before = [m in sys.modules for m in ('fontTools.subset', 'fontTools.varLib')]\n"
        "options = fonts.subset.Options(retain_gids=True)\n"
        "from fontTools import subset\n"
        "import fontTools.varLib.instancer as instancer\n"
        "print(before, type(options) is subset.Options, callable(fonts.instantiateVariableFont),"
        " hasattr(instancer, 'instantiateVariableFont'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[False, False] True True True", result.stderr


@pytest.mark.slow
def test_weasyprint_is_imported_with_the_search_when_a_soname_does_not_load() -> None:
    """Where a library loads only through the search, the import falls back to it, whole."""
    refuse_fontconfig_by_soname = (
        "import ctypes.util, cffi.api\n"
        "load, search = cffi.api.FFI.dlopen, ctypes.util.find_library\n"
        "def dlopen(self, name, flags=0):\n"
        "    if ctypes.util.find_library is not search and name == 'libfontconfig.so.1':\n"
        "        raise OSError('not there by that name')\n"
        "    return load(self, name, flags)\n"
        "cffi.api.FFI.dlopen = dlopen\n"
        "from pipeline.pdf.weasyprint_internals import install\n"
        "install()\n"
        "import weasyprint\n"
        "assert weasyprint.urls.URLFetcher and weasyprint.text.ffi.fontconfig\n"
        "print(weasyprint.HTML(string='<p>가</p>').write_pdf()[:5])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", refuse_fontconfig_by_soname],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.stdout.strip() == "b'%PDF-'", result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [True, False], ids=["pdf-process", "one-process"])
def test_the_cut_fonts_are_removed(
    parallel: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    outcome = build_report(SAMPLE, tmp_path / "out", ("pdf",), Settings(), True, parallel)
    assert outcome.error is None and not outcome.crash
    assert (tmp_path / "out" / "deview-2023.pdf").is_file()
    assert not list(temporary.iterdir())


# ---------- metadata and reproducibility ----------


def test_metadata_and_language(quirks_pdf: Path) -> None:
    reader = PdfReader(quirks_pdf)
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == "인프콘 2024 조판 시험"
    assert info["/Author"] == "홍길동, 김철수"
    assert info["/Subject"] == "한글 조판 시험용 노트"
    assert info["/Keywords"] == "conference, 한국어, typesetting"
    assert info["/CreationDate"].startswith("D:20231114221320")
    assert info["/ModDate"].startswith("D:20231114221320")
    assert reader.trailer["/Root"]["/Lang"] == "ko"
    assert not any(WORD_JOINER in str(value) for value in info.values())


def test_sample_title(sample_pdf: Path) -> None:
    reader = PdfReader(sample_pdf)
    assert reader.metadata is not None and reader.metadata["/Title"] == "DEVIEW 2023"


def test_two_builds_are_byte_identical(quirks_pdf: Path, tmp_path: Path, epoch: None) -> None:
    again = build_pdf(QUIRKS, tmp_path, paper="A5")
    assert again.read_bytes() == quirks_pdf.read_bytes()


def test_the_date_is_never_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # read into the settings, never by a stage
    report = read_report(QUIRKS)
    assert build_stamp(report, Settings()) == "2024-08-03"
    assert build_stamp(replace(report, meta=replace(report.meta, dates=())), Settings()) == ""
    epoch = Settings(source_date_epoch=int(EPOCH))
    assert build_stamp(report, epoch) == "2023-11-14T22:13:20Z"


def test_korean_dates() -> None:
    import datetime as dt

    assert korean_dates((dt.date(2023, 2, 27),), weekdays=True) == "2023년 2월 27일(월)"
    assert korean_dates((dt.date(2024, 8, 2), dt.date(2024, 8, 3)), weekdays=True) == (
        "2024년 8월 2일(금) – 3일(토)"
    )
    assert korean_dates((dt.date(2024, 8, 31), dt.date(2024, 9, 1)), weekdays=True) == (
        "2024년 8월 31일(토) – 9월 1일(일)"
    )


# ---------- Korean line breaking ----------


@pytest.mark.slow
@pytest.mark.parametrize("notes", [SAMPLE, QUIRKS], ids=["sample", "quirks"])
def test_the_pdf_passes_every_check(notes: Path, request: pytest.FixtureRequest) -> None:
    """invoke check's own PDF checks: fonts, glyphs, no line ending inside a Hangul word..."""
    pdf = request.getfixturevalue("sample_pdf" if notes == SAMPLE else "quirks_pdf")
    settings = Settings(paper="A4" if notes == SAMPLE else "A5")
    assert [str(finding) for finding in check_pdf(pdf, read_report(notes), settings)] == []


def test_joiners_never_reach_extracted_text(quirks_pdf: Path) -> None:
    assert not any(WORD_JOINER in line for page in page_lines(quirks_pdf) for line in page)


def test_an_over_long_word_still_breaks(quirks_pdf: Path) -> None:
    word = "가장긴한글단어가줄보다길면"
    lines = [line for page in page_lines(quirks_pdf) for line in page]
    start = next(i for i, line in enumerate(lines) if word in line)
    assert not lines[start].endswith("입니다")  # the word went on to a second line


def test_no_glyph_leaves_the_text_block(quirks_pdf: Path) -> None:
    """Long code lines, URLs and over-long words wrap inside the margins (cover excepted)."""
    outside = []
    with pdfplumber.open(quirks_pdf) as pdf:
        for number, page in enumerate(pdf.pages[1:], start=2):
            for char in page.chars:
                if char["x0"] < MARGIN - 0.5 or char["x1"] > page.width - MARGIN + 0.5:
                    outside.append((number, char["text"], round(char["x1"])))
            assert page.width == pytest.approx(148 * MM, abs=1)  # A5
    assert outside == []


def test_code_is_highlighted_and_wrapped(quirks_pdf: Path) -> None:
    with pdfplumber.open(quirks_pdf) as pdf:
        mono = [c for page in pdf.pages for c in page.chars if "Mono" in c["fontname"]]
    assert mono, "code is set in the monospace role"
    colours = {str(c["non_stroking_color"]) for c in mono}
    assert len(colours) > 2  # Pygments token colours
    rows = {(c["page_number"], round(c["top"])) for c in mono}
    assert len(rows) > 6  # 4 source lines, wrapped into more


# ---------- footnotes, links, lists ----------


def test_footnotes_are_page_footnotes(quirks_pdf: Path) -> None:
    lines = [line for page in page_lines(quirks_pdf) for line in page]
    assert any(line.startswith("1. 각주의 내용이다.") for line in lines)
    assert any(line.startswith("2. https://example.com/slides/very/long/path") for line in lines), (
        "an external link's URL is printed as a footnote"
    )
    assert not any("↩" in line for line in lines)


def test_long_tables_repeat_their_header(quirks_pdf: Path) -> None:
    pages = [
        lines
        for lines in page_lines(quirks_pdf)
        if any("세션 1의" in line or "세션 45의" in line for line in lines)
    ]
    assert len(pages) >= 2
    assert all(any(line.startswith("순서 세션 발표자") for line in lines) for lines in pages)


def test_links_are_clickable(quirks_pdf: Path) -> None:
    uris = {
        annot.get_object()["/A"].get("/URI")
        for page in PdfReader(quirks_pdf).pages
        for annot in page.get("/Annots", [])
        if "/A" in annot.get_object()
    }
    assert "https://example.com/slides/very/long/path/that/keeps/going/2024" in uris


def test_ordered_lists_keep_their_start(quirks_pdf: Path) -> None:
    lines = [line for page in page_lines(quirks_pdf) for line in page]
    assert any(line.startswith("3. 셋째 항목부터") for line in lines)


def test_print_html_adaptations() -> None:
    html = render_print_html(read_report(QUIRKS), Settings())
    head, body = html.split("<body", 1)
    assert WORD_JOINER not in head
    assert WORD_JOINER not in "".join(re.findall(r'data-bookmark="[^"]*"', body))
    assert f"데{WORD_JOINER}이{WORD_JOINER}터{WORD_JOINER}를" in body
    code = "".join(re.findall(r"<pre.*?</pre>", body, re.S))
    assert f"한{WORD_JOINER}글" in code  # a Korean comment wraps between words, like the text
    assert "very_long_function_name" in code  # Latin is left alone
    assert 'style="counter-reset: list-item 2"' in body
    assert 'class="footnote"' in body and "footnotes" not in body.replace('"footnote"', "")
    assert 'class="footnote url-note"' in body
    assert 'href="#day-1-talk-2"' in body
    assert '<meta name="dcterms.created"' in head


def test_list_items_get_a_label_where_their_first_line_is_text() -> None:
    """A label (print.css) before text, in the item or its first paragraph; an item that opens
    with an image, a checkbox, code or a list keeps WeasyPrint's marker."""
    from lxml import html as lxml_html

    from pipeline.pdf.html import _label_list_items

    scope = lxml_html.fragment_fromstring(
        "<div><ul>"
        "<li>text</li>"
        "<li><strong>bold</strong> text</li>"
        "<li><p>loose</p></li>"
        '<li><img src="a.png" alt="a"></li>'
        '<li><input type="checkbox"> task</li>'
        '<li><p><input type="checkbox"> loose task</p></li>'
        "<li><pre>code</pre></li>"
        "<li><ul><li>nested</li></ul></li>"
        "</ul></div>"
    )
    _label_list_items(scope)
    items = scope.xpath("./ul/li")
    labelled = [("labelled" in item.get("class", "")) for item in items]
    assert labelled == [True, True, True, False, False, False, False, False]
    hosts = [e.tag for e in scope.xpath(".//*[contains(@class, 'list-label')]")]
    assert hosts == ["li", "li", "p", "li"]  # the last: the nested item's text


def test_joiners_span_inline_elements() -> None:
    import lxml.html

    root = lxml.html.fragment_fromstring(
        "<p><strong>API</strong>를 <code>x</code>값 데이터 <em>강조</em>된 말</p>"
    )
    join_hangul_words(root)
    text = root.text_content()
    J = WORD_JOINER
    assert text == f"API{J}를 x{J}값 데{J}이{J}터 강{J}조{J}된 말"
    assert root.find("code").text == f"x{J}"  # code is joined like the text around it


# ---------- security ----------


def hostile_report(tmp_path: Path) -> Report:
    """Raw HTML straight into the model, as if the reading stage had let it through."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "escape.png").symlink_to("/etc/hostname")
    body = (
        '<p><a rel="attachment" href="file:///etc/passwd">비밀번호</a></p>'
        '<p><img src="file:///etc/hostname" alt="호스트"></p>'
        '<p><img src="escape.png" alt="심볼릭 링크"></p>'
        '<p><img src="../../../../etc/hostname" alt="상위 폴더"></p>'
        '<link rel="attachment" href="file:///etc/passwd">'
        '<p><img src="http://127.0.0.1:9/x.png" alt="네트워크"></p>'
    )
    talk = Talk(id="t", title="공격", source=Source(content / "n.md", 1), body_html=body)
    chapter = Chapter(
        id="d", title="DAY 1", source=Source(content / "n.md", 1), number=1, talks=(talk,)
    )
    return Report(
        name="hostile",
        meta=Metadata(title="공격"),
        source=Source(content / "n.md", 1),
        chapters=(chapter,),
        content_root=content,
    )


def assert_nothing_leaked(path: Path) -> None:
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert "/EmbeddedFiles" not in root.get("/Names", {})
    assert "/AF" not in root
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
        xobjects = page["/Resources"].get("/XObject", {})
        assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    text = "\n".join(page.extract_text() for page in reader.pages)
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    assert passwd not in text
    assert b"root:x:0:0" not in path.read_bytes()


@pytest.mark.slow
def test_notes_cannot_attach_or_read_files(tmp_path: Path, epoch: None) -> None:
    assert_nothing_leaked(build_pdf(ATTACK, tmp_path / "notes", pdf_variant="a"))
    assert_nothing_leaked(write_report_pdf(hostile_report(tmp_path), Settings(), tmp_path / "raw"))


def test_the_fetcher_reads_only_project_files(tmp_path: Path) -> None:
    report = hostile_report(tmp_path)
    fetcher = locked_fetcher(report, Settings())
    assert fetcher.fetch((ROOT / "styles" / "print.css").as_uri()).read()
    for url in (
        "file:///etc/passwd",
        (report.content_root / "escape.png").as_uri(),  # a symlink out of the content
        (report.content_root / ".." / ".." / "etc" / "passwd").as_uri(),
        "http://127.0.0.1:9/x.png",
        "ftp://example.com/x",
        "file://otherhost/etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# ---------- variants ----------


def test_variants(quirks_pdf: Path, tmp_path: Path, epoch: None) -> None:
    """PDF/UA (the default) is tagged and prints the same pages as the plain variant."""
    tagged = PdfReader(quirks_pdf)
    assert "/StructTreeRoot" in tagged.trailer["/Root"]
    assert tagged.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert b'pdfuaid:part="1"' in tagged.trailer["/Root"]["/Metadata"].get_object().get_data()
    plain = build_pdf(QUIRKS, tmp_path / "plain", paper="A5", pdf_variant="plain")
    assert "/StructTreeRoot" not in PdfReader(plain).trailer["/Root"]
    assert page_lines(plain) == page_lines(quirks_pdf)
    archive = PdfReader(build_pdf(QUIRKS, tmp_path / "a", paper="A5", pdf_variant="a"))
    root = archive.trailer["/Root"]
    assert "/OutputIntents" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp or b'pdfaid:part="3"' in xmp


def test_paper_size_is_a_setting() -> None:
    for paper in ("A4", "A5", "B5", "Letter"):
        html = render_print_html(read_report(SAMPLE), Settings(paper=paper))
        assert f"@page {{ size: {paper}; }}" in html


@pytest.mark.slow
def test_a_short_introduction_leads_the_contents_page(tmp_path: Path) -> None:
    """A line or two before the first chapter does not get a page of its own."""
    pages = page_lines(build_pdf(DATA / "yaml-front-matter.md", tmp_path))
    assert "처음 가 본 FEConf." in pages[1] and "차례" in pages[1]
    report = read_report(DATA / "yaml-front-matter.md")
    long = replace(report, intro_html="<p>" + "길게 쓴 머리말 " * 60 + "</p>")
    figure = replace(report, intro_html='<p>짧은 머리말</p><figure><img src="a.png"></figure>')
    for intro, kind in ((report, "intro-lead"), (long, "intro-page"), (figure, "intro-page")):
        html = render_print_html(intro, Settings())
        contents = html.index('<nav class="contents">')
        assert (html.index(f'class="intro {kind}') < contents) == (kind == "intro-lead")


def test_a_chapter_date_is_printed_once() -> None:
    import datetime as dt

    report = read_report(QUIRKS)
    day = dt.date(2024, 10, 26)
    named = replace(report.chapters[0], title="2024년 10월 26일", date=day)
    plain = replace(report.chapters[1], date=day)
    html = render_print_html(replace(report, chapters=(named, plain)), Settings())
    assert html.count('class="chapter-date"') == 1
    assert "2024년 10월 26일(토)" in html.replace(WORD_JOINER, "")


def test_the_cover_image_must_be_in_the_content_folder(caplog: pytest.LogCaptureFixture) -> None:
    report = read_report(QUIRKS)
    assert (DATA / "pdf-img" / "diagram.png").as_uri() in render_print_html(report, Settings())
    outside = replace(report, meta=replace(report.meta, cover=Path("/etc/hostname")))
    with caplog.at_level(logging.WARNING):
        assert "/etc/hostname" not in render_print_html(outside, Settings())
    assert 'cover image "/etc/hostname" not found in the content folder' in caplog.text


def test_cut_fonts_keep_cid_equal_to_glyph_id(tmp_path: Path) -> None:
    """A reader maps a PDF code (a glyph id) to a CID and finds the glyph through the CFF
    charset: a cut whose charset kept the original CIDs drew no Hangul in MuPDF and pdf.js."""
    from fontTools.ttLib import TTFont

    from pipeline.pdf.cid_charset import identity_charset

    source = fonts.find_face("Noto Sans CJK KR", tmp_path)
    assert source is not None
    cut = fonts.subset_font(source.path, source.index, "가한글 fi ABC 데이터")
    before = TTFont(io.BytesIO(cut))["CFF "].cff.topDictIndex[0].charset
    assert before != [".notdef"] + [f"cid{i:05d}" for i in range(1, len(before))]
    fixed = TTFont(io.BytesIO(identity_charset(cut)))
    charset = fixed["CFF "].cff.topDictIndex[0].charset
    assert charset == [".notdef"] + [f"cid{i:05d}" for i in range(1, len(charset))]
    original = TTFont(io.BytesIO(cut))
    for name_before, name_after in zip(
        original.getGlyphOrder(), fixed.getGlyphOrder(), strict=True
    ):
        glyphs_before = original["CFF "].cff.topDictIndex[0].CharStrings
        glyphs_after = fixed["CFF "].cff.topDictIndex[0].CharStrings
        assert glyphs_before[name_before].bytecode == glyphs_after[name_after].bytecode
