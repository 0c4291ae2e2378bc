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
import time
import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin, urlparse

from pipeline.config import FetchPolicy
from pipeline.output import write_atomically

IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
               "image/webp": ".webp"}


class FetchError(Exception):
    """Why a remote image was not fetched (it then stays a captioned link)."""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # we follow redirects ourselves, checking each address


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
        check_address(url, policy)
        request = urllib.request.Request(url, headers={"User-Agent": "conference-report"})
        try:
            opener = urllib.request.build_opener(NoRedirects, urllib.request.ProxyHandler({}))
            response = opener.open(request, timeout=remaining(deadline))
        except urllib.error.HTTPError as err:
            if err.code in (301, 302, 303, 307, 308) and err.headers.get("Location"):
                url = urljoin(url, err.headers["Location"])
                err.close()
                continue
            raise FetchError(f"the server answered {err.code} {err.reason}") from err
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", err)
            raise FetchError(f"cannot download: {reason}") from err
        with response:
            return read_image(response, policy, deadline)
    raise FetchError(f"more than {policy.max_redirects} redirects")


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timed out")
    return left


def check_address(url: str, policy: FetchPolicy) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError("only http and https images are fetched")
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as err:
        raise FetchError(f"cannot resolve {parsed.hostname}") from err
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global and not policy.allow_private:
            raise FetchError(f"{parsed.hostname} is a private, loopback or link-local address "
                             f"({address}); allow it explicitly to fetch from it")


def read_image(response: http.client.HTTPResponse, policy: FetchPolicy,
               deadline: float) -> tuple[bytes, str]:
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
        except (TimeoutError, socket.timeout) as err:
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
