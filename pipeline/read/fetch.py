"""Opt-in fetching of remote images, with the limits a build on a laptop needs.

Off by default: the book never touches the network unless the user asks (`--fetch-images`
or `remote_images: fetch` in invoke.yaml). When on: http(s) only, a timeout for the whole
download, a size limit, an image content type that Pillow can open, few redirects, and no
private, loopback or link-local addresses unless explicitly allowed. Results are cached under
`.cache/images/`, keyed by URL, so a rebuild does not fetch again.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import ssl
import time
from io import BytesIO
from pathlib import Path
from urllib.parse import ParseResult, urljoin, urlparse

from pipeline.config import FetchPolicy
from pipeline.output import write_atomically

IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


class FetchError(Exception):
    """Why a remote image was not fetched (it then stays a captioned link)."""


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next
    (a host that answers a public address to the check and 127.0.0.1 to the download)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def fetch_image(url: str, policy: FetchPolicy) -> Path:
    """The cached file of a remote image, fetched now if it is not cached yet."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    for suffix in IMAGE_TYPES.values():
        cached = policy.cache_dir / f"{digest}{suffix}"
        if cached.is_file():
            return cached
    data, suffix = download(url, policy)

    def write(path: Path) -> None:
        path.write_bytes(data)

    return write_atomically(policy.cache_dir / f"{digest}{suffix}", write)


def download(url: str, policy: FetchPolicy) -> tuple[bytes, str]:
    deadline = time.monotonic() + policy.timeout
    for _ in range(policy.max_redirects + 1):
        parsed, address = check_address(url, policy)
        kind = PinnedHTTPSConnection if parsed.scheme == "https" else PinnedHTTPConnection
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        connection = kind(parsed.hostname or "", port, address, remaining(deadline))
        target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        try:
            connection.request("GET", target, headers={"User-Agent": "conference-report"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location", ""))
                continue
            if response.status != 200:
                raise FetchError(f"the server answered {response.status} {response.reason}")
            return read_image(response, policy, deadline)
        except (OSError, http.client.HTTPException) as err:
            raise FetchError(f"cannot download: {err}") from err
        finally:
            connection.close()
    raise FetchError(f"more than {policy.max_redirects} redirects")


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timed out")
    return left


def check_address(url: str, policy: FetchPolicy) -> tuple[ParseResult, str]:
    """The URL's parts and the one address to connect to, after checking that it is allowed."""
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError as err:  # "http://[zz/", a port out of range
        raise FetchError(f"not a valid address ({err})") from err
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError("only http and https images are fetched")
    try:
        infos = socket.getaddrinfo(parsed.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"cannot resolve {parsed.hostname}") from err
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global and not policy.allow_private:
            raise FetchError(
                f"{parsed.hostname} is a private, loopback or link-local address "
                f"({address}); allow it explicitly to fetch from it"
            )
    return parsed, str(infos[0][4][0])


def read_image(
    response: http.client.HTTPResponse, policy: FetchPolicy, deadline: float
) -> tuple[bytes, str]:
    content_type = response.headers.get_content_type()
    if content_type not in IMAGE_TYPES:
        raise FetchError(f"not an image (Content-Type {content_type})")
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > policy.max_bytes:
        raise FetchError(f"larger than {policy.max_bytes // 1024} KB")
    chunks: list[bytes] = []
    size = 0
    while True:
        try:  # each read waits at most the socket timeout; the deadline bounds the sum
            chunk = response.read1(65536)
        except TimeoutError as err:
            raise FetchError("timed out") from err
        if not chunk:
            break
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"larger than {policy.max_bytes // 1024} KB")
        chunks.append(chunk)
        remaining(deadline)
    data = b"".join(chunks)
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise FetchError("the data is not a readable image") from err
    return data, IMAGE_TYPES[content_type]
