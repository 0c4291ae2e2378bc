"""Opt-in remote images, against a local HTTP server the test starts on 127.0.0.1."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from pipeline.read.fetch import FetchError, FetchPolicy, fetch_image
from pipeline.read.report import read_report


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def send(
        self,
        code: int,
        body: bytes,
        content_type: str = "image/png",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/ok.png":
            self.send(200, png_bytes())
        elif self.path == "/redirect":
            self.send(302, b"", headers={"Location": "/ok.png"})
        elif self.path == "/loop":
            self.send(302, b"", headers={"Location": "/loop"})
        elif self.path == "/page":
            self.send(200, b"<html>not an image</html>", "text/html")
        elif self.path == "/fake.png":
            self.send(200, b"this is no png", "image/png")
        elif self.path == "/huge.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()  # no Content-Length: the limit must stop the stream itself
            try:
                for _ in range(64):
                    self.wfile.write(b"\0" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/slow.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def policy(tmp_path: Path) -> FetchPolicy:
    return FetchPolicy(
        enabled=True,
        timeout=1.5,
        max_bytes=512 * 1024,
        allow_private=True,
        cache_dir=tmp_path / "cache",
    )


def test_fetches_and_caches(server: str, policy: FetchPolicy) -> None:
    path = fetch_image(f"{server}/ok.png", policy)
    assert path.parent == policy.cache_dir and path.suffix == ".png"
    assert path.read_bytes() == png_bytes()
    stamp = path.stat().st_mtime_ns
    assert fetch_image(f"{server}/ok.png", policy) == path  # from the cache, not fetched again
    assert path.stat().st_mtime_ns == stamp


def test_follows_a_redirect(server: str, policy: FetchPolicy) -> None:
    assert fetch_image(f"{server}/redirect", policy).read_bytes() == png_bytes()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/loop", "more than 3 redirects"),
        ("/page", "not an image (Content-Type text/html)"),
        ("/fake.png", "the data is not a readable image"),
        ("/huge.png", "larger than 512 KB"),
        pytest.param("/slow.png", "timed out", marks=pytest.mark.slow),
        ("/missing.png", "the server answered 404 Not Found"),
    ],
)
def test_refuses(server: str, policy: FetchPolicy, path: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as error:
        fetch_image(server + path, policy)
    assert str(error.value) == message
    assert time.monotonic() - started < 5
    assert not list(policy.cache_dir.glob("*")) if policy.cache_dir.exists() else True


def test_loopback_needs_explicit_permission(server: str, policy: FetchPolicy) -> None:
    strict = FetchPolicy(enabled=True, cache_dir=policy.cache_dir)
    with pytest.raises(FetchError) as error:
        fetch_image(f"{server}/ok.png", strict)
    assert str(error.value) == (
        "127.0.0.1 is a private, loopback or link-local address "
        "(127.0.0.1); allow it explicitly to fetch from it"
    )


def test_only_http_and_https(policy: FetchPolicy) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch_image("ftp://example.com/a.png", policy)


def test_notes_embed_fetched_images(
    server: str, policy: FetchPolicy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        f"## DAY 1\n\n### 발표\n\n![사진]({server}/ok.png)\n\n![없음]({server}/x.png)\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        report = read_report(notes, fetch=policy)
    fetched, missing = report.images
    assert fetched.path is not None and fetched.path.read_bytes() == png_bytes()
    assert missing.is_remote
    body = report.chapters[0].talks[0].body_html
    assert f'<figure><img src="{server}/ok.png" alt="사진"></figure>' in body  # 사진: no caption
    assert (
        f'<figure class="remote-image"><a class="remote-image" href="{server}/x.png">'
        "원격 이미지 · 127.0.0.1</a><figcaption>없음</figcaption></figure>"
    ) in body
    assert caplog.messages == [
        f'{notes}:7: image "{server}/x.png" not fetched: the server answered 404 Not Found; '
        "shown as a link",
        f"{notes}: 1 remote image shown as captioned link (use --fetch-images to embed them)",
    ]


def test_default_is_no_network(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "## DAY 1\n\n### 발표\n\n![a](https://example.com/a.png)\n"
        "![b](https://example.com/b.png)\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        report = read_report(notes)
    assert all(image.is_remote for image in report.images)
    assert caplog.messages == [
        f"{notes}: 2 remote images shown as captioned links (use --fetch-images to embed them)"
    ]


@pytest.mark.parametrize("url", ["http://example.com:99999/x.png", "http://[zz/x.png"])
def test_malformed_addresses_are_refused(policy: FetchPolicy, url: str) -> None:
    with pytest.raises(FetchError, match="not a valid address"):
        fetch_image(url, policy)
