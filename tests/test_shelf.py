"""The team shelf: what `invoke shelf` writes, read back as a reader, a catalogue client and a
feed reader would; replacing, removing, and two adds at once. The browser's view of it is in
test_shelf_browser.py."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
from fontTools.ttLib import TTFont
from lxml import etree
from lxml import html as lxml_html

from pipeline.build.reports import build
from pipeline.commands.shelf import shelve, unshelve
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.read.report import read_report
from pipeline.shelf.entry import safe_name
from pipeline.shelf.web import text_by_face
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.slow  # one build of three small reports (PDF and EPUB) per module

NOTES = DATA / "shelf"
ATOM = "{http://www.w3.org/2005/Atom}"
ACQUISITION = "http://opds-spec.org/acquisition"
OPDS_NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
READIUM = ROOT / "tests" / "shelf-tools" / "opds.js"  # r2-opds-js, installed by ./bootstrap


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shelf fixtures' notes (copied, to be edited) and their PDFs and EPUBs."""
    root = tmp_path_factory.mktemp("shelf-build")
    notes = root / "notes"
    shutil.copytree(NOTES, notes)
    out = root / "dist"
    outcomes = list(build(notes, out, ("pdf", "epub"), Settings(), jobs=2))
    assert all(o.error is None and not o.crash for o in outcomes), outcomes
    return notes, out


@pytest.fixture
def shelf(built: tuple[Path, Path], tmp_path: Path) -> Path:
    notes, out = built
    folder = tmp_path / "shelf"
    result = shelve([notes], out, folder, Settings())
    assert {entry.report for entry in result.written} == {
        "feconf-2024",
        "pycon-2023",
        "데브콘 2022",
    }
    return folder


def test_safe_names_survive_every_file_system() -> None:
    assert safe_name("deview-2023") == "deview-2023"
    assert re.fullmatch(r"r-[0-9a-f]{8}", safe_name("데브콘"))
    assert re.fullmatch(r"deview-2023-[0-9a-f]{8}", safe_name("DEVIEW 2023"))
    assert re.fullmatch(r"con-[0-9a-f]{8}", safe_name("CON"))  # Windows reserves it
    assert re.fullmatch(r"a-b-[0-9a-f]{8}", safe_name('a:b*?"<>|'))
    assert safe_name("데브콘 2022") != safe_name("데브콘 2023")
    assert len(safe_name("가" * 300)) <= 70
    for name in ("../../etc", "..", ".", "a/b", "a\\b"):
        assert re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", safe_name(name)), name
        assert "/" not in safe_name(name) and ".." not in safe_name(name)


def test_the_shelf_holds_every_file_of_each_report(shelf: Path, built: tuple[Path, Path]) -> None:
    _, out = built
    for name in ("index.html", "shelf.css", "shelf.js", "opds.xml", "feed.atom"):
        assert (shelf / name).is_file(), name
    folders = sorted(p.name for p in (shelf / "reports").iterdir())
    korean = safe_name("데브콘 2022")
    assert folders == sorted(["feconf-2024", "pycon-2023", korean])
    for path in shelf.rglob("*"):  # every name portable: ASCII, no case or reserved trouble
        assert path.name == "SHA256SUMS" or re.fullmatch(r"\.?[a-z0-9][a-z0-9_.-]*", path.name), (
            path
        )
    folder = shelf / "reports" / "feconf-2024"
    assert sorted(p.name for p in folder.iterdir()) == [
        "SHA256SUMS",
        "cover.jpg",
        "entry.json",
        "feconf-2024.epub",
        "feconf-2024.html",
        "feconf-2024.pdf",
        "index.html",
    ]
    assert (folder / "feconf-2024.pdf").read_bytes() == (out / "feconf-2024.pdf").read_bytes()
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) == 3
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_index_lists_reports_newest_event_first_with_their_facts(shelf: Path) -> None:
    page = lxml_html.parse(str(shelf / "index.html")).getroot()
    assert page.get("lang") == "ko"
    assert page.find(".//main") is not None and page.find(".//header") is not None
    cards = [li for li in page.iter("li") if "card" in (li.get("class") or "").split()]
    titles = [card.findtext(".//h3/a") for card in cards]
    assert titles == ["FEConf 2024 참관기", "파이콘 한국 2023", "데브콘 2022 기록"]
    first = cards[0].text_content()
    for fact in ("2024년 10월 26일 – 27일", "세종대학교 광개토관", "3개", "김철수", "frontend"):
        assert fact in first, fact
    assert cards[0].get("data-year") == "2024" and cards[2].get("data-year") == "-"
    cover = cards[0].find(".//img")
    assert cover.get("alt") == "FEConf 2024 참관기 표지"
    assert cover.get("src") == "reports/feconf-2024/cover.jpg"
    years = [o.get("value") for o in page.get_element_by_id("year-filter").iter("option")]
    assert years == ["", "2024", "2023", "-"]
    tags = [o.text for o in page.get_element_by_id("tag-filter").iter("option")]
    assert tags[:2] == ["모든 태그", "컨퍼런스 (2)"]
    index = json.loads(page.get_element_by_id("shelf-index").text)
    pycon = next(r for r in index["reports"] if r["name"] == "pycon-2023")
    assert ["day-1-talk-1", "비동기 파이썬의 현재", "홍길동 · 파이썬재단"] in pycon["talks"]


def test_a_report_page_has_its_days_talks_speakers_files_and_checksums(
    shelf: Path, built: tuple[Path, Path]
) -> None:
    notes, _ = built
    report = read_report(notes / "feconf-2024.md")
    folder = shelf / "reports" / "feconf-2024"
    page = lxml_html.parse(str(folder / "index.html")).getroot()
    assert page.get("lang") == "ko"
    assert page.findtext(".//h1") == "FEConf 2024 참관기"
    listed = {
        li.get("id"): (li.findtext("a"), li.findtext("span"))
        for li in page.iter("li")
        if li.get("id")
    }
    assert listed == {talk.id: (talk.title, talk.speaker) for talk in report.talks}
    links = {
        a.get("class"): a.get("href")
        for a in page.iter("a")
        if a.get("class") in ("web", "epub", "pdf")
    }
    assert links == {
        "web": "feconf-2024.html",
        "epub": "feconf-2024.epub",
        "pdf": "feconf-2024.pdf",
    }
    text = page.text_content()
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    for line in sums.splitlines():
        assert line.split()[0] in text
    assert re.search(r"인쇄용, \d+쪽", text)


def test_the_web_edition_stands_alone_with_its_fonts_cut_to_its_text(shelf: Path) -> None:
    page = (shelf / "reports" / "feconf-2024" / "feconf-2024.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in page and 'name="viewport"' in page
    fonts = re.findall(
        r'font-family: "(Shelf \w+)";\s+font-style: normal;\s+font-weight: (\w+);'
        r'\s+font-display: swap;\s+src: url\("data:font/(\w+);base64,([^"]+)"\)',
        page,
    )
    assert {(family, weight) for family, weight, _, _ in fonts} == {
        ("Shelf Serif", "normal"),
        ("Shelf Serif", "bold"),
        ("Shelf Sans", "normal"),
        ("Shelf Sans", "bold"),
        ("Shelf Mono", "normal"),
    }
    keys = {
        ("Shelf Serif", "normal"): "body",
        ("Shelf Serif", "bold"): "body-bold",
        ("Shelf Sans", "normal"): "heading",
        ("Shelf Sans", "bold"): "heading-bold",
        ("Shelf Mono", "normal"): "code",
    }
    needed = text_by_face(page)
    assert "리" in needed["heading-bold"] and "절" in needed["body-bold"] and "s" in needed["code"]
    import base64
    import io

    for family, weight, _, data in fonts:
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        cmap = set(font.getBestCmap())
        chars = {ord(c) for c in needed[keys[(family, weight)]] if not c.isspace()}
        assert chars <= cmap, (family, weight, [chr(c) for c in chars - cmap])
        assert len(cmap) < 400  # a subset, not the 20,000-glyph face
    assert not re.search(r'(src|href)="https?:', page)
    assert "url(http" not in page


def test_opds_catalogue_navigates_by_year_and_tag_and_links_inside_the_shelf(shelf: Path) -> None:
    feeds = [shelf / "opds.xml", *sorted((shelf / "opds").glob("*.xml"))]
    names = {f.name for f in feeds}
    assert {
        "opds.xml",
        "all.xml",
        "years.xml",
        "tags.xml",
        "year-2024.xml",
        "year-none.xml",
    } <= names
    assert f"tag-{safe_name('컨퍼런스')}.xml" in names
    for feed in feeds:
        root = etree.parse(str(feed)).getroot()
        assert root.tag == f"{ATOM}feed", feed
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ko"
        for required in ("id", "title", "updated", "author"):
            assert root.find(f"{ATOM}{required}") is not None, (feed, required)
        rels = {link.get("rel") for link in root.findall(f"{ATOM}link")}
        assert {"self", "start"} <= rels
        for link in root.iter(f"{ATOM}link"):
            assert_inside(shelf, feed, link.get("href"))
    all_reports = etree.parse(str(shelf / "opds" / "all.xml")).getroot()
    entries = all_reports.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries][0] == "FEConf 2024 참관기"
    feconf = entries[0]
    acquisitions = {
        link.get("type"): link
        for link in feconf.findall(f"{ATOM}link")
        if link.get("rel") == ACQUISITION
    }
    assert set(acquisitions) == {"application/epub+zip", "application/pdf"}
    epub = shelf / "reports" / "feconf-2024" / "feconf-2024.epub"
    assert int(acquisitions["application/epub+zip"].get("length")) == epub.stat().st_size
    rels = {link.get("rel") for link in feconf.findall(f"{ATOM}link")}
    assert {"http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"} <= rels
    assert feconf.findtext(f"{ATOM}summary").startswith("2024년 10월 26일 – 27일 · 세종대학교")
    assert "박서버 · 토스" in feconf.findtext(f"{ATOM}content")
    years = etree.parse(str(shelf / "opds" / "years.xml")).getroot()
    assert [e.findtext(f"{ATOM}title") for e in years.findall(f"{ATOM}entry")] == [
        "2024",
        "2023",
        "날짜 없음",
    ]


def test_readiums_opds_parser_reads_every_catalogue_file(shelf: Path) -> None:
    """Readium's r2-opds-js (the OPDS parser of the Thorium reader) reads each feed."""
    feeds = [shelf / "opds.xml", *sorted((shelf / "opds").glob("*.xml"))]
    run = subprocess.run(
        ["node", str(READIUM), *map(str, feeds)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    names = [feed.relative_to(shelf).as_posix() for feed in feeds]
    read = dict(zip(names, json.loads(run.stdout), strict=True))
    assert [link["title"] for link in read["opds.xml"]["navigation"]] == [
        "모든 보고서 (최근 행사 순)",
        "최근 올라온 보고서",
        "연도별",
        "태그별",
    ]
    assert [link["title"] for link in read["opds/years.xml"]["navigation"]] == [
        "2024",
        "2023",
        "날짜 없음",
    ]
    books = read["opds/all.xml"]["publications"]
    assert [book["metadata"]["title"] for book in books] == [
        "FEConf 2024 참관기",
        "파이콘 한국 2023",
        "데브콘 2022 기록",
    ]
    pycon = books[1]
    assert pycon["metadata"]["author"] == "이영희" and pycon["metadata"]["language"] == "ko"
    assert [subject["name"] for subject in pycon["metadata"]["subject"]] == ["python", "컨퍼런스"]
    downloads = {
        link["type"]: link["href"]
        for link in pycon["links"]
        if link["rel"] == "http://opds-spec.org/acquisition"
    }
    assert downloads == {
        "application/epub+zip": "../reports/pycon-2023/pycon-2023.epub",
        "application/pdf": "../reports/pycon-2023/pycon-2023.pdf",
    }
    assert [image["href"] for image in pycon["images"]] == ["../reports/pycon-2023/cover.jpg"] * 2
    for name, feed in read.items():
        for book in feed.get("publications", ()):
            for link in book["links"] + book["images"]:
                assert_inside(shelf, shelf / name, link["href"])


def test_a_feed_reader_parses_the_catalogue_and_the_feed(shelf: Path) -> None:
    catalogue = feedparser.parse((shelf / "opds.xml").read_bytes())
    assert not catalogue.bozo, catalogue.get("bozo_exception")
    assert [e.title for e in catalogue.entries] == [
        "모든 보고서 (최근 행사 순)",
        "최근 올라온 보고서",
        "연도별",
        "태그별",
    ]
    assert catalogue.entries[1].links[0].rel == "http://opds-spec.org/sort/new"
    assert catalogue.entries[2].links[0].type == OPDS_NAVIGATION
    books = feedparser.parse((shelf / "opds" / "year-2023.xml").read_bytes())
    assert not books.bozo
    assert [e.title for e in books.entries] == ["파이콘 한국 2023"]
    downloads = [link for link in books.entries[0].links if link.rel == ACQUISITION]
    assert [link.type for link in downloads] == ["application/epub+zip", "application/pdf"]
    assert [t.term for t in books.entries[0].tags] == ["python", "컨퍼런스"]
    feed = feedparser.parse((shelf / "feed.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "팀 서가: 새 보고서"
    assert sorted(e.title for e in feed.entries) == sorted(
        ["FEConf 2024 참관기", "파이콘 한국 2023", "데브콘 2022 기록"]
    )
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:")
        for link in entry.links:
            assert_inside(shelf, shelf / "feed.atom", link.href)


def assert_inside(shelf: Path, feed: Path, href: str | None) -> None:
    """A catalogue's link resolves to a file inside the shelf."""
    assert href and not urlsplit(href).scheme, href
    target = Path(unquote(urlsplit(urljoin(feed.as_uri(), href)).path))
    assert target.resolve().is_relative_to(shelf.resolve()), href
    assert target.is_file(), (feed, href)


def test_an_unchanged_report_is_left_alone_and_a_new_build_replaces_its_files(
    shelf: Path, built: tuple[Path, Path], tmp_path: Path
) -> None:
    notes, out = built
    folders = {p.name: p for p in (shelf / "reports").iterdir()}
    stamps = {
        p: p.stat().st_mtime_ns for p in shelf.rglob("*") if p.parent.parent.name == "reports"
    }
    again = shelve([notes], out, shelf, Settings())
    assert again.written == () and len(again.unchanged) == 3
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # a newer build of one report replaces its files; the others' are not touched
    edited = tmp_path / "notes"
    shutil.copytree(notes, edited)
    source = edited / "pycon-2023.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace("코엑스", "수원컨벤션센터"), encoding="utf-8"
    )
    rebuilt = tmp_path / "dist"
    shutil.copytree(out, rebuilt)
    assert all(o.error is None for o in build(source, rebuilt, ("pdf", "epub"), Settings(), jobs=1))
    before = json.loads((folders["pycon-2023"] / "entry.json").read_text(encoding="utf-8"))
    result = shelve([source], rebuilt, shelf, Settings())
    assert [entry.name for entry in result.written] == ["pycon-2023"]
    after = json.loads((folders["pycon-2023"] / "entry.json").read_text(encoding="utf-8"))
    assert after["venue"] == "수원컨벤션센터" and after["added"] == before["added"]
    assert "수원컨벤션센터" in (shelf / "index.html").read_text(encoding="utf-8")
    for path, stamp in stamps.items():
        if "pycon-2023" not in path.parts:
            assert path.stat().st_mtime_ns == stamp, path
    assert len(list((shelf / "reports").iterdir())) == 3


def test_a_report_can_be_removed(shelf: Path) -> None:
    korean = safe_name("데브콘 2022")
    tag_feed = shelf / "opds" / f"tag-{safe_name('모임')}.xml"
    assert tag_feed.is_file()
    removed = unshelve(shelf, "데브콘 2022", Settings())  # by the report's own name
    assert removed.name == korean
    assert not (shelf / "reports" / korean).exists()
    assert not tag_feed.exists()  # no report has the tag any more
    assert not (shelf / "opds" / "year-none.xml").exists()
    index = (shelf / "index.html").read_text(encoding="utf-8")
    assert "데브콘 2022 기록" not in index and "파이콘 한국 2023" in index
    assert "데브콘" not in (shelf / "feed.atom").read_text(encoding="utf-8")
    unshelve(shelf, "pycon-2023", Settings())  # by its shelf name
    with pytest.raises(ContentError) as caught:
        unshelve(shelf, "pycon-2023", Settings())
    assert str(caught.value) == (
        f'{shelf}: no report "pycon-2023" on the shelf\n  hint: the shelf holds: feconf-2024'
    )
    assert [p.name for p in (shelf / "reports").iterdir()] == ["feconf-2024"]


def test_errors_say_what_to_do(built: tuple[Path, Path], tmp_path: Path) -> None:
    notes, _ = built
    with pytest.raises(ContentError) as caught:
        shelve([notes / "pycon-2023.md"], tmp_path / "empty", tmp_path / "shelf", Settings())
    assert str(caught.value) == (
        f"{tmp_path / 'empty' / 'pycon-2023.pdf'}: not built yet\n"
        f"  hint: build it first: invoke build --notes {notes / 'pycon-2023.md'} --out {tmp_path / 'empty'}"
    )
    assert not (tmp_path / "shelf").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ContentError) as caught:
        shelve([notes / "pycon-2023.md"], built[1], blocker, Settings())
    assert (
        str(caught.value)
        == f"{blocker}: is a file, not a folder\n  hint: choose another --to folder"
    )
    with pytest.raises(ContentError) as caught:
        unshelve(tmp_path / "nothing", "x", Settings())
    assert str(caught.value) == (
        f"{tmp_path / 'nothing'}: is not a shelf (no reports/ folder)\n  hint: check --to"
    )


def test_nothing_outside_the_shelf_is_written(built: tuple[Path, Path], tmp_path: Path) -> None:
    notes, out = built
    watched = [notes, out]

    def snapshot() -> dict[Path, int]:
        return {
            p: p.stat().st_mtime_ns
            for folder in watched
            for p in folder.rglob("*")
            if ".cache" not in p.parts  # the build's own cache (compiled templates)
        }

    before = snapshot()
    shelve([notes], out, tmp_path / "shelf", Settings())
    assert snapshot() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shelf"]


def add_one(
    notes: Path, out: Path, shelf: Path, barrier: multiprocessing.synchronize.Barrier
) -> None:
    barrier.wait()
    shelve([notes], out, shelf, Settings(), jobs=1)


def test_two_people_adding_at_once_both_land(built: tuple[Path, Path], tmp_path: Path) -> None:
    notes, out = built
    context = multiprocessing.get_context("fork")
    for attempt in range(3):  # the race is real: each run starts both adds together
        shelf = tmp_path / f"shelf-{attempt}"
        barrier = context.Barrier(2)
        workers = [
            context.Process(target=add_one, args=(notes / name, out, shelf, barrier))
            for name in ("feconf-2024.md", "pycon-2023.md")
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        index = (shelf / "index.html").read_text(encoding="utf-8")
        assert "FEConf 2024 참관기" in index and "파이콘 한국 2023" in index
        catalogue = (shelf / "opds" / "all.xml").read_text(encoding="utf-8")
        assert catalogue.count("<entry>") == 2
        leftovers = [p for p in shelf.rglob("*") if p.name.endswith(".part")]
        assert leftovers == []
        assert os.path.exists(shelf / ".shelf.lock")


def blocked_on_a_lock(pid: int) -> bool:
    """The process waits for a file lock (/proc/locks lists it with "->")."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[1] == "->" and fields[2] == "FLOCK" and fields[5] == str(pid):
            return True
    return False


def add_when_told(
    notes: Path, out: Path, shelf: Path, go: multiprocessing.synchronize.Event
) -> None:
    go.wait()
    shelve([notes], out, shelf, Settings(), jobs=1)


def test_an_add_waits_while_another_holds_the_shelf(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    """The lock is what makes two adds safe: a second add waits for it (a test that fails if
    the lock goes, which the race above may not: its window is small). The worker is forked
    before the lock is taken: a child forked under it would hold it too (flock follows the
    open file, not the process)."""
    from pipeline.shelf.store import locked

    notes, out = built
    shelf = tmp_path / "shelf"
    context = multiprocessing.get_context("fork")
    go = context.Event()
    worker = context.Process(target=add_when_told, args=(notes / "pycon-2023.md", out, shelf, go))
    worker.start()
    try:
        with locked(shelf):
            go.set()
            waited = False
            while worker.is_alive() and not waited:
                waited = blocked_on_a_lock(worker.pid or 0)
                worker.join(0.05)
            assert waited, "the add did not wait for the shelf's lock"
            assert not (shelf / "index.html").exists()
        worker.join(120)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            worker.kill()
    assert "파이콘 한국 2023" in (shelf / "index.html").read_text(encoding="utf-8")


def test_a_new_title_names_the_shelf_on_every_page(shelf: Path, built: tuple[Path, Path]) -> None:
    notes, out = built
    shelve([notes / "pycon-2023.md"], out, shelf, Settings(), title="플랫폼팀 서가")
    for page in (shelf / "index.html", *(shelf / "reports").glob("*/index.html")):
        assert "<title>" in (text := page.read_text(encoding="utf-8"))
        assert "플랫폼팀 서가" in text and "팀 서가</a>" not in text.replace(
            "플랫폼팀 서가</a>", ""
        ), page
    assert (
        json.loads((shelf / "shelf.json").read_text(encoding="utf-8"))["title"] == "플랫폼팀 서가"
    )
    shelve([notes / "pycon-2023.md"], out, shelf, Settings())  # kept for later runs
    assert "<title>플랫폼팀 서가</title>" in (shelf / "index.html").read_text(encoding="utf-8")


def test_hostile_titles_and_tags_stay_text_in_every_file() -> None:
    """What the notes say is text everywhere: in the page, its JSON block, its attributes and
    the catalogue's XML (a double quote in a tag once ended the card's data attribute)."""
    from pipeline.shelf.entry import Entry, ShelfDay, ShelfFile, ShelfTalk
    from pipeline.shelf.pages import ShelfInfo, render_report_page, render_shelf

    hostile = '</script><img src=x onerror="alert(1)">\' & "'
    files = {
        key: ShelfFile(f"x.{key}", 1, "0" * 64, "application/octet-stream")
        for key in ("pdf", "epub", "web")
    }
    entry = Entry(
        name="x",
        report="x",
        title=hostile,
        dates=("2024-01-02",),
        tags=(hostile, '"태그"'),
        days=(ShelfDay("day-1", "DAY 1", "DAY 1", "", (ShelfTalk("t", hostile, hostile),)),),
        files=files,
        added="2024-01-02T00:00:00Z",
        updated="2024-01-02T00:00:00Z",
    )
    info = ShelfInfo(hostile, "urn:x", "2024-01-02T00:00:00Z")
    rendered = render_shelf([entry], info, Settings())
    rendered["reports/x/index.html"] = render_report_page(entry, info, Settings())
    for name, text in rendered.items():
        if name.endswith(".xml") or name.endswith(".atom"):
            root = etree.fromstring(text.encode("utf-8"))
            titles = [element.text or "" for element in root.iter(f"{ATOM}title")]
            assert any(title.startswith(hostile) for title in titles), name
        elif name.endswith(".html"):
            page = lxml_html.document_fromstring(text)
            assert [img.get("src") for img in page.iter("img")] in ([], ["x.cover"]), name
            assert len(page.findall(".//script")) <= 2, name
    page = lxml_html.document_fromstring(rendered["index.html"])
    index = json.loads(page.get_element_by_id("shelf-index").text)
    assert index["reports"][0]["title"] == hostile
    assert index["reports"][0]["talks"] == [["t", hostile, hostile]]
    card = page.get_element_by_id("report-x")
    assert json.loads(card.get("data-tags")) == [hostile, '"태그"']


def test_the_web_edition_carries_its_images(folder_report: Path) -> None:
    """A local image goes inside the page (the shelf holds no copy of the notes' folder)."""
    import base64

    from pipeline.shelf.web import render_web_edition

    page = render_web_edition(read_report(folder_report), Settings())
    found = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="구조도"', page)
    assert len(found) == 1
    image = (folder_report / "img" / "diagram.png").read_bytes()
    assert base64.b64decode(found[0]) == image
    assert "img/diagram.png" not in page
