"""The images a report refers to: local files checked against the content folder, remote
images linked (or fetched when asked), blog-site paths looked up; and how each is shown."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import lxml.html

from pipeline.config import FetchPolicy
from pipeline.errors import ContentError
from pipeline.model import Image, Source
from pipeline.read.sanitize import absolute_url

log = logging.getLogger(__name__)


class ImageTable:
    """Every image of a report by the ``src`` the notes wrote, checked once."""

    def __init__(self, content_root: Path, fetch: FetchPolicy) -> None:
        self.content_root = content_root
        self.fetch = fetch
        self.images: dict[str, Image] = {}
        self.site_paths: dict[str, str] = {}  # images not found, shown as placeholders: src -> alt
        self.missing_files: list[Path] = []  # where they were looked for

    def add(self, src: str, alt: str, source: Source) -> None:
        """Check an image where the notes name it. A missing file is shown as a placeholder, a
        file outside the content folder is left out; both with a warning."""
        src = src.strip()
        if src in self.images or src in self.site_paths or not src:
            return
        try:
            parsed = urlparse(src)
        except ValueError:  # e.g. "http://[zz/x.png"
            log.warning('%s: image "%s" left out: not a valid address', source, src)
            return
        if parsed.scheme in ("http", "https") or src.startswith("//"):
            self.images[src] = Image(
                src=src, alt=alt, source=source, path=self.fetched(src, source)
            )
        elif parsed.scheme:
            log.warning(
                '%s: image "%s" left out: only local files and http(s) images are allowed',
                source,
                src,
            )
        elif parsed.path.startswith("/"):
            self.site_image(src, alt, source)
        else:
            try:
                path = self.local_path(source.path.resolve().parent, parsed.path, src, source)
            except ContentError as err:  # outside the content folder: never read, left out
                log.warning("%s: %s; left out (hint: %s)", source, err.message, err.hint)
                return
            if not path.is_file():
                log.warning(
                    '%s: image "%s" not found; shown as a placeholder '
                    "(hint: put the file next to the notes, or fix the path)",
                    source,
                    src,
                )
                self.site_paths[src] = alt
                self.missing_files.append(path)
                return
            self.images[src] = Image(
                src=path.relative_to(self.content_root).as_posix(),
                alt=alt,
                source=source,
                path=path,
            )

    def local_path(self, base: Path, written: str, src: str, source: Source) -> Path:
        try:
            path = (base / unquote(written)).resolve()
        except (ValueError, OSError) as err:  # a NUL byte, a name too long...
            raise ContentError(
                source.path,
                source.line,
                f'image "{src}" is not a usable path',
                "fix the image path",
            ) from err
        if not path.is_relative_to(self.content_root):
            raise ContentError(
                source.path,
                source.line,
                f'image "{src}" is outside the content folder',
                "copy the image next to the notes and link it from there",
            )
        return path

    def fetched(self, src: str, source: Source) -> Path | None:
        """The cached copy of a remote image when fetching is on; None shows it as a link."""
        if not self.fetch.enabled:
            return None
        from pipeline.read.fetch import FetchError, fetch_image  # the network code, only when asked

        try:
            return fetch_image(absolute_url(src), self.fetch)
        except FetchError as err:
            log.warning('%s: image "%s" not fetched: %s; shown as a link', source, src, err)
            return None

    def site_image(self, src: str, alt: str, source: Source) -> None:
        """`/images/x.png` is a path on the blog's site: look for it under the content folder."""
        try:
            path = self.local_path(self.content_root, src.lstrip("/"), src, source)
        except ContentError:
            path = None
        if path is not None and path.is_file():
            self.images[src] = Image(
                src=path.relative_to(self.content_root).as_posix(),
                alt=alt,
                source=source,
                path=path,
            )
            return
        if path is not None:
            self.missing_files.append(path)
        log.warning(
            '%s: image "%s" is a path on the blog\'s web site and is not under %s; '
            "shown as its caption",
            source,
            src,
            self.content_root,
        )
        self.site_paths[src] = alt

    def show(self, element: Any) -> None:
        """Rewrite an `<img>` of the sanitised HTML: a local file keeps its (content-relative)
        src; a remote image becomes a link; a missing site image its caption."""
        src = (element.get("src") or "").strip()
        parent = element.getparent()
        in_figure = parent is not None and parent.tag == "figure"  # its caption says what it is
        image = self.images.get(src)
        if image is not None and not image.is_remote:
            element.set("src", image.src)
            return
        if image is None and src not in self.site_paths:
            element.drop_tree()
            return
        if image is None:  # the path, and the alt text (a figure's caption shows it)
            replacement = lxml.html.Element("span", {"class": "missing-image"})
            caption = f": {self.site_paths[src]}" if self.site_paths[src] else ""
            replacement.text = (
                f"이미지 없음 · {src}" if in_figure else f"[이미지 없음 · {src}{caption}]"
            )
            kind = "missing-image"
        else:
            url = absolute_url(src)
            host = urlparse(url).hostname or url
            replacement = lxml.html.Element("a", {"class": "remote-image", "href": url})
            replacement.text = (
                f"원격 이미지 · {host}"
                if in_figure
                else (f"[이미지: {image.alt}]" if image.alt else f"[원격 이미지 · {host}]")
            )
            kind = "remote-image"
        if in_figure:
            parent.set("class", (parent.get("class", "") + f" {kind}").strip())
        replacement.tail = element.tail
        parent.replace(element, replacement)
