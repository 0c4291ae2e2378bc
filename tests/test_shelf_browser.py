"""The team shelf in a real browser: Debian's chromium driven by Playwright (nothing downloaded).
Search for a speaker, open the talk's report, download its EPUB; filters; no request leaves
the shelf; axe-core finds no accessibility violation."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from pipeline.build.reports import build
from pipeline.commands.shelf import shelve
from pipeline.config import Settings
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.slow  # a build of three small reports and a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "tests" / "shelf-tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shelf-browser")
    out = root / "dist"
    outcomes = list(build(DATA / "shelf", out, ("pdf", "epub"), Settings(), jobs=2))
    assert all(o.error is None and not o.crash for o in outcomes), outcomes
    folder = root / "shelf"
    shelve([DATA / "shelf"], out, folder, Settings())
    return folder


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(shelf: Path) -> Iterator[str]:
    """The shelf served as a static host would serve it."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(shelf))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "./bootstrap installs Debian's chromium"
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1000, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield opened
    context.close()
    assert errors == []  # no script error, no resource refused by the page's policy


def search_and_open(page: Page, start: str, shelf: Path) -> None:
    page.goto(start + "index.html")
    assert page.locator("#filters").is_visible()  # the script runs
    page.fill("#search", "홍길동")
    results = page.locator("#result-list li")
    assert results.count() == 1
    assert (
        results.first.inner_text() == "비동기 파이썬의 현재 홍길동 · 파이썬재단 — 파이콘 한국 2023"
    )
    assert page.locator("#results-count").inner_text() == "“홍길동”: 1건"
    results.first.locator("a").click()
    page.wait_for_load_state()
    assert page.url == start + "reports/pycon-2023/index.html#day-1-talk-1"
    assert page.locator("h1").inner_text() == "파이콘 한국 2023"
    target = page.locator("li:target")
    assert target.inner_text() == "비동기 파이썬의 현재 홍길동 · 파이썬재단"
    with page.expect_download() as download:
        page.click("a.epub")
    saved = download.value.path()
    expected = shelf / "reports" / "pycon-2023" / "pycon-2023.epub"
    assert Path(saved).read_bytes() == expected.read_bytes()


def test_search_finds_a_speaker_and_opens_the_talks_report_from_a_web_server(
    page: Page, site: str, shelf: Path
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    search_and_open(page, site, shelf)
    assert requests and all(url.startswith(site) for url in requests), requests


def test_search_works_from_a_shared_drive_without_a_server(page: Page, shelf: Path) -> None:
    search_and_open(page, shelf.as_uri() + "/", shelf)


def test_filters_by_year_and_tag(page: Page, site: str) -> None:
    page.goto(site + "index.html")
    cards = page.locator(".card:visible h3")
    assert cards.all_inner_texts() == ["FEConf 2024 참관기", "파이콘 한국 2023", "데브콘 2022 기록"]
    page.select_option("#year-filter", "2023")
    assert cards.all_inner_texts() == ["파이콘 한국 2023"]
    page.select_option("#year-filter", "")
    page.select_option("#tag-filter", "컨퍼런스")
    assert cards.all_inner_texts() == ["FEConf 2024 참관기", "파이콘 한국 2023"]
    page.fill("#search", "타입")  # a search keeps to the filtered reports
    assert page.locator("#result-list li a").all_inner_texts() == [
        "타입스크립트 5 마이그레이션",
        "파이썬 타입 힌트 실전",
    ]
    page.select_option("#tag-filter", "python")
    assert page.locator("#result-list li a").all_inner_texts() == ["파이썬 타입 힌트 실전"]


def test_the_web_edition_reads_on_a_phone_in_its_own_fonts(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site + "reports/feconf-2024/feconf-2024.html")
    faces = page.evaluate(
        """async () => { await document.fonts.ready;
        return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family); }"""
    )
    assert {'"Shelf Serif"', '"Shelf Sans"'} <= set(faces) or {"Shelf Serif", "Shelf Sans"} <= set(
        faces
    ), faces
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    assert [url for url in requests if not url.startswith(("data:", site))] == []
    context.close()


@pytest.mark.parametrize(
    "path",
    ["index.html", "reports/pycon-2023/index.html", "reports/feconf-2024/feconf-2024.html"],
)
def test_axe_finds_no_accessibility_violation(browser: Browser, site: str, path: str) -> None:
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.goto(site + path)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async rules => (await axe.run(document, {runOnly: {type: 'tag', values: rules}}))"
        ".violations.map(v => [v.id, v.nodes.length, v.help])",
        AXE_RULES,
    )
    context.close()
    assert found == []


def test_the_pages_screenshots(browser: Browser, site: str, tmp_path: Path) -> None:
    """The index and a report page draw (docs/shelf-*.png are made the same way)."""
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    for path, name in (("index.html", "index"), ("reports/feconf-2024/index.html", "report")):
        page.goto(site + path)
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
    context.close()


def test_an_opds_client_browses_the_catalogue_and_downloads_an_epub(site: str, shelf: Path) -> None:
    """As an e-reader does: start at opds.xml, follow 연도별 > 2024, download the EPUB."""
    import hashlib
    import urllib.request

    import feedparser

    def feed(url: str) -> Any:
        parsed = feedparser.parse(url)  # fetched by feedparser itself, links resolved by it
        assert parsed.status == 200 and not parsed.bozo, parsed.get("bozo_exception")
        return parsed

    def follow(parsed: Any, title: str) -> str:
        entry = next(e for e in parsed.entries if e.title == title)
        return str(entry.links[0].href)

    root = feed(site + "opds.xml")
    years = feed(follow(root, "연도별"))
    books = feed(follow(years, "2024"))
    assert [e.title for e in books.entries] == ["FEConf 2024 참관기"]
    epub = next(
        link.href
        for link in books.entries[0].links
        if link.rel == "http://opds-spec.org/acquisition" and link.type == "application/epub+zip"
    )
    assert epub == site + "reports/feconf-2024/feconf-2024.epub"
    with urllib.request.urlopen(epub) as answer:
        data = answer.read()
    sums = (shelf / "reports" / "feconf-2024" / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"{hashlib.sha256(data).hexdigest()}  feconf-2024.epub" in sums
    links = books.entries[0].links
    cover = next(link.href for link in links if link.rel == "http://opds-spec.org/image")
    with urllib.request.urlopen(cover) as answer:
        assert answer.read()[:3] == b"\xff\xd8\xff"  # a JPEG
