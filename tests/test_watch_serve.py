"""`invoke watch --serve`: `/` is the report (or an index of the reports), only the outputs are
served, an edit reloads the open page, a broken edit shows its error there until it is fixed.

The pages are opened in Debian's chromium (/usr/bin/chromium, installed by ./bootstrap) driven
by Playwright, which never downloads a browser. With PREVIEW_SCREENSHOTS=docs the browser tests
also write the README's screenshots (small palette PNGs) into docs/.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from pipeline.commands.serve import Build, BuiltReport, ImageCache, Preview, site_routes
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.model import Metadata
from tests.conftest import ROOT, SAMPLE, make_png

INVOKE = [sys.executable, "-m", "invoke", "--search-root", str(ROOT)]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTSIDE = ["/.cache/", "/.cache/fontconfig.json", "/../pyproject.toml", "/%2e%2e/"]
OUTSIDE += ["/%2E%2E/pyproject.toml", "/..%2fpyproject.toml", "/.cache", "//etc/passwd"]
NOT_FOUND = "찾을 수 없는 주소입니다"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request with the path sent as it is (no client tidies `..` away)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_for(condition: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def builds(port: int) -> int:
    try:
        return int(get(port, "/__build")[2])
    except OSError:
        return -1


@contextmanager
def watching(notes: Path, out: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`invoke watch --serve` running until the block ends (then stopped, whatever happened),
    in the folder of ``out``: paths relative to it are what the user reads."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*INVOKE, "watch", "--notes", str(notes), "--out", str(out), "--serve"]
            + ["--port", str(port)],
            cwd=out.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: builds(port) >= 1 or process.poll() is not None, 120)
        assert process.poll() is None, log.read_text(encoding="utf-8")
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def save_by_renaming(path: Path, text: str) -> None:
    """Save as many editors do: a new file renamed over the old one."""
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@contextmanager
def browser(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is missing: run ./bootstrap (it installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile for each test
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 960, "height": 720},
        )
        context.set_default_timeout(30_000)
        try:
            yield context.new_page()
        finally:
            context.close()


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """A screenshot of the page, checked to show something; copied into PREVIEW_SCREENSHOTS."""
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot))
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, "a blank page"
        folder = os.environ.get("PREVIEW_SCREENSHOTS")
        if folder:
            image.convert("RGB").quantize(64).save(ROOT / folder / f"{name}.png", optimize=True)
    return shot


def assert_only_outputs(port: int) -> None:
    for path in OUTSIDE:
        status, headers, body = get(port, path)
        assert status == 404, path
        page = body.decode()
        assert NOT_FOUND in page and 'href="/"' in page and 'lang="ko"' in page, path
        assert "Directory listing" not in page and "fontconfig" not in page


NOTES = """---
title: {title}
date: {date}
---

## DAY 1

{talks}
"""
TALK = "### {title} (홍길동 | 회사)\n\n> 초록.\n\n본문 {body}.\n\n![그림](images/pic.png)\n\n"


def notes_text(title: str, date: str, talks: list[str], body: str = "처음") -> str:
    listed = "".join(TALK.format(title=talk, body=body) for talk in talks)
    return NOTES.format(title=title, date=date, talks=listed)


# -- the server alone, in this process: what is answered and what is not ------------------


def test_only_the_outputs_and_the_images_the_previews_show_are_served(tmp_path: Path) -> None:
    content, out = tmp_path / "content", tmp_path / "out"
    (out / ".cache").mkdir(parents=True)
    (out / ".cache" / "fontconfig.json").write_text("{}", encoding="utf-8")
    make_png(content / "images" / "pic.png")
    make_png(content / "images" / "그림 1.png")
    make_png(tmp_path / "secret.png")
    (content / "images" / "escape.png").symlink_to(tmp_path / "secret.png")
    (content / "alpha.md").write_text("# 알파\n", encoding="utf-8")
    page = (
        '<html><head></head><body><img src="images/pic.png"><img src="images/escape.png">'
        '<img src="../secret.png"><img src="https://example.invalid/x.png">'
        '<img alt="&quot;" src="images/그림 1.png"></body></html>'
    )
    (out / "alpha.html").write_text(page, encoding="utf-8")
    (out / "alpha.pdf").write_bytes(b"%PDF-1.7\n")
    (out / "alpha.epub").symlink_to(tmp_path / "secret.png")  # a link out of the folder
    report = BuiltReport("alpha", content / "alpha.md")
    routes = site_routes(Build(1, dt.datetime.now(), (report,)), out, ImageCache())
    assert sorted(routes) == [
        "/",
        "/alpha.html",
        "/alpha.pdf",
        "/images/pic.png",
        "/images/그림 1.png",
    ]

    preview = Preview(out, Settings(), 0)
    preview.start()
    try:
        preview.show(Build(1, dt.datetime.now(), (report,)))
        port = int(preview.server.server_address[1])
        status, headers, body = get(port, "/")
        assert status == 200 and b'<aside class="live-status"' in body
        assert get(port, "/images/pic.png")[1]["Content-Type"] == "image/png"
        assert get(port, "/images/" + quote("그림 1.png"))[0] == 200  # as a browser asks
        assert get(port, "/alpha.pdf")[2] == b"%PDF-1.7\n"
        assert get(port, "/alpha.pdf", "HEAD")[1]["Content-Length"] == "9"
        assert_only_outputs(port)
        for path in ["/images/escape.png", "/../secret.png", "/alpha.epub", "/images/"]:
            assert get(port, path)[0] == 404, path
    finally:
        preview.stop()


def test_a_port_taken_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ContentError) as caught:
            Preview(tmp_path, Settings(), port)
    assert str(caught.value) == (
        f"127.0.0.1:{port}: cannot serve the preview on port {port}: Address already in use\n"
        f"  hint: choose another --port, e.g. --port {port + 1}"
    )


def test_the_index_of_several_reports_links_what_each_has(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "alpha.html").write_text("<html><body></body></html>", encoding="utf-8")
    (out / "alpha.pdf").write_bytes(b"%PDF-1.7\n")
    meta = Metadata("알파 <컨퍼런스>", dates=(dt.date(2024, 5, 1), dt.date(2024, 5, 2)))
    reports = (
        BuiltReport("alpha", tmp_path / "alpha.md", meta=meta, talks=12),
        BuiltReport("beta", tmp_path / "beta", error="error: beta/index.md:2: 깨짐"),
    )
    preview = Preview(out, Settings(), 0)
    preview.show(Build(3, dt.datetime(2024, 5, 1, 9, 30), reports))
    site = preview.site
    assert site.routes["/beta.html"].location == "/beta/"
    page = preview.page(site.routes["/"], site).decode()
    assert "알파 &lt;컨퍼런스&gt;" in page and "2024-05-01 – 2024-05-02" in page
    assert "발표 12개" in page and 'href="/alpha/"' in page and 'href="/alpha.pdf"' in page
    assert "EPUB 없음" in page and 'href="/beta/"' not in page
    assert "error: beta/index.md:2: 깨짐" in page and 'data-build="3"' in page


def test_an_open_page_finds_its_version_whatever_its_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "데뷰 2023.html").write_text("<html><body>데뷰</body></html>", encoding="utf-8")
    reports = (BuiltReport("데뷰 2023", tmp_path / "a.md"), BuiltReport("b", tmp_path / "b.md"))
    preview = Preview(out, Settings(), 0)
    preview.start()
    try:
        preview.show(Build(1, dt.datetime.now(), reports))
        port = int(preview.server.server_address[1])
        index = get(port, "/")[2].decode()
        assert 'href="/%EB%8D%B0%EB%B7%B0%202023/"' in index
        version = preview.site.routes["/데뷰 2023/"].version
        pathname = quote("/데뷰 2023/")  # location.pathname, then encodeURIComponent
        assert get(port, "/__page?path=" + quote(pathname, safe=""))[2].decode() == version
        assert "데뷰" in get(port, pathname)[2].decode()
    finally:
        preview.stop()


def test_a_team_shelf_is_served_under_shelf_and_linked_from_the_index(tmp_path: Path) -> None:
    out, shelf = tmp_path / "out", tmp_path / "shelf"
    (shelf / "reports" / "alpha").mkdir(parents=True)
    out.mkdir()
    (shelf / "index.html").write_text("<h1>팀 서가</h1>", encoding="utf-8")
    (shelf / "reports" / "alpha" / "index.html").write_text("알파", encoding="utf-8")
    (shelf / ".shelf.lock").write_text("", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("비밀", encoding="utf-8")
    (shelf / "secret.txt").symlink_to(tmp_path / "secret.txt")
    reports = (BuiltReport("alpha", tmp_path / "alpha.md"), BuiltReport("beta", tmp_path / "b"))
    preview = Preview(out, Settings(), 0, shelf)
    preview.start()
    try:
        preview.show(Build(1, dt.datetime.now(), reports))
        port = int(preview.server.server_address[1])
        assert 'href="/shelf/"' in get(port, "/")[2].decode()
        assert get(port, "/shelf/")[2].decode() == "<h1>팀 서가</h1>"
        assert get(port, "/shelf/reports/alpha/index.html")[2].decode() == "알파"
        for path in ["/shelf/.shelf.lock", "/shelf/secret.txt", "/shelf/../secret.txt"]:
            assert get(port, path)[0] == 404, path
        assert get(port, "/shelf/%2e%2e/secret.txt")[0] == 404
    finally:
        preview.stop()


def test_a_broken_template_of_the_preview_is_said_not_a_traceback(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    (tmp_path / "styles" / "preview-live.html.j2").write_text("{% macro head( %}", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "alpha.html").write_text("<html><body></body></html>", encoding="utf-8")
    preview = Preview(out, Settings(project_root=tmp_path), 0)
    preview.start()
    try:
        preview.show(Build(1, dt.datetime.now(), (BuiltReport("alpha", tmp_path / "a.md"),)))
        status, headers, body = get(int(preview.server.server_address[1]), "/")
        assert status == 500 and headers["Content-Type"] == "text/plain; charset=utf-8"
        assert body.decode().startswith("error: the preview's page could not be made: ")
    finally:
        preview.stop()


# -- invoke watch --serve for real, pages in chromium --------------------------------------


@pytest.mark.slow
def test_watching_the_sample_serves_its_preview_at_the_root(tmp_path: Path) -> None:
    notes = tmp_path / "content" / SAMPLE.name
    notes.parent.mkdir()
    good = SAMPLE.read_text(encoding="utf-8")
    notes.write_text(good, encoding="utf-8")
    out, port, log = tmp_path / "out", free_port(), tmp_path / "watch.log"
    with watching(notes.relative_to(tmp_path), out, port, log) as process:
        assert f"serving the preview on http://127.0.0.1:{port}/\n" in log.read_text()
        status, headers, body = get(port, "/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>DEVIEW 2023</h1>" in body.decode()
        assert (out / ".cache" / "fontconfig.json").is_file()  # there, and not served
        assert_only_outputs(port)
        assert get(port, "/deview-2023.pdf")[2].startswith(b"%PDF-")
        assert get(port, "/deview-2023.epub")[2].startswith(b"PK")

        taken = subprocess.run(
            [*INVOKE, "watch", "--notes", str(notes), "--out", str(tmp_path / "other")]
            + ["--serve", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert taken.returncode == 1 and "Traceback" not in taken.stderr
        assert f"cannot serve the preview on port {port}: Address already in use" in taken.stderr
        assert f"hint: choose another --port, e.g. --port {port + 1}" in taken.stderr

        with browser(tmp_path) as page:
            page.goto(f"http://127.0.0.1:{port}/")
            assert page.locator("h1").first.inner_text() == "DEVIEW 2023"
            first = int(page.locator(".live-status").get_attribute("data-build"))
            screenshot(page, tmp_path, "preview-report")

            save_by_renaming(notes, good.replace("# DEVIEW 2023", "# DEVIEW 2023 고침", 1))
            page.wait_for_function("document.querySelector('h1').textContent.includes('고침')")
            assert int(page.locator(".live-status").get_attribute("data-build")) > first

            notes.write_text("---\ntitle: [깨짐\n---\n" + good, encoding="utf-8")
            failed = page.locator(".live-status.failed", has_text="broken YAML front matter")
            failed.wait_for()
            assert "error: content/deview-2023.md:3: broken YAML" in failed.inner_text()
            assert "DEVIEW 2023 고침" in page.locator("h1").nth(0).inner_text()  # the last good
            screenshot(page, tmp_path, "preview-error")

            notes.write_text(good, encoding="utf-8")
            failed.wait_for(state="detached")
            page.wait_for_function("document.querySelector('h1').textContent === 'DEVIEW 2023'")
            assert page.locator(".live-status").inner_text().startswith("빌드 ")
        assert process.poll() is None


@pytest.mark.slow
def test_watching_a_folder_of_two_reports_serves_an_index(tmp_path: Path) -> None:
    content = tmp_path / "content"
    alpha, beta = content / "alpha.md", content / "beta" / "index.md"
    make_png(content / "images" / "pic.png", colour="navy")
    make_png(content / "beta" / "images" / "pic.png", colour="darkred")
    alpha.write_text(
        notes_text("알파 컨퍼런스", "2024-05-01", ["첫 발표", "둘째 발표"]), encoding="utf-8"
    )
    beta_good = notes_text("베타 밋업", "2024-06-15", ["하나뿐인 발표"])
    beta.write_text(beta_good, encoding="utf-8")
    out, port, log = tmp_path / "out", free_port(), tmp_path / "watch.log"
    with watching(content.relative_to(tmp_path), out, port, log):
        assert f"serving the preview on http://127.0.0.1:{port}/\n" in log.read_text()
        wait_for(lambda: "발표 1개" in get(port, "/")[2].decode())  # the index read the notes
        index = get(port, "/")[2].decode()
        assert "알파 컨퍼런스" in index and "베타 밋업" in index and "발표 2개" in index
        assert "2024-05-01" in index and "2024-06-15" in index
        for link in ["/alpha/", "/alpha.pdf", "/alpha.epub", "/beta/", "/beta.pdf", "/beta.epub"]:
            assert f'href="{link}"' in index
            assert get(port, link)[0] == 200, link
        assert get(port, "/alpha.html")[1]["Location"] == "/alpha/"
        alpha_image, beta_image = (
            get(port, "/alpha/images/pic.png"),
            get(port, "/beta/images/pic.png"),
        )
        assert alpha_image[0] == beta_image[0] == 200 and alpha_image[2] != beta_image[2]
        assert (out / ".cache" / "fontconfig.json").is_file()  # there, and not served
        assert_only_outputs(port)
        for path in ["/images/pic.png", "/alpha/../../pyproject.toml", "/beta/index.md"]:
            assert get(port, path)[0] == 404, path

        with browser(tmp_path) as page:
            page.goto(f"http://127.0.0.1:{port}/")
            assert page.locator(".live-report h2").all_inner_texts() == [
                "알파 컨퍼런스",
                "베타 밋업",
            ]
            screenshot(page, tmp_path, "preview-index")
            first = int(page.locator(".live-status").get_attribute("data-build"))

            save_by_renaming(alpha, notes_text("알파 컨퍼런스", "2024-05-01", ["하나", "둘", "셋"]))
            page.get_by_text("발표 3개").wait_for()  # the index is made again on each build
            assert int(page.locator(".live-status").get_attribute("data-build")) > first

            beta.write_text("---\ntitle: [깨짐\n---\n", encoding="utf-8")
            page.locator(".live-report.failed", has_text="broken YAML front matter").wait_for()

            page.goto(f"http://127.0.0.1:{port}/beta/")
            assert "broken YAML front matter" in page.locator(".live-status.failed").inner_text()
            assert page.locator("h1").nth(0).inner_text() == "베타 밋업"  # the last good preview
            page.wait_for_function(  # its image, from its own folder
                "() => { const i = document.querySelector('img');"
                " return i && i.complete && i.naturalWidth === 400; }"
            )

            beta.write_text(beta_good.replace("하나뿐인 발표", "고친 발표"), encoding="utf-8")
            page.get_by_text("고친 발표").first.wait_for()
            assert page.locator(".live-status.failed").count() == 0
