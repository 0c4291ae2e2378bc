"""The live preview's web server (`invoke watch --serve`): the outputs and nothing else.

What it answers comes from a table of addresses made after each build (``site_routes``): `/` is
the report's preview, or an index of the reports when several are watched; `/NAME.pdf` and
`/NAME.epub` are the outputs; the images a preview shows come from its report's content folder.
Every other address, the build cache in the output folder among them, is a short Korean 404
page. No directory is ever listed, and no requested path is ever joined onto a folder: an
address is looked up in the table or not found, so `..` (encoded or not) leads nowhere, and the
files in the table are checked to lie inside their folder once symlinks are resolved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from functools import partial
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import TemplateError

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.model import Metadata
from pipeline.templates import environment

TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}
TYPES[".epub"] = "application/epub+zip"
BODY_START = re.compile(rb"<body[^>]*>")
# The preview is our own HTML: its attributes are always double-quoted (Jinja, nh3). A regular
# expression finds the images of a large report's page in 30 ms, an HTML parser in 2 s.
IMAGE_SOURCE = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"', re.IGNORECASE)
SHELF = "/shelf/"


@dataclass(frozen=True)
class BuiltReport:
    """One report as the last build left it: its error, its warnings, what the index shows."""

    name: str
    notes: Path
    error: str = ""  # why the last build of it failed ("" when it did not)
    warnings: tuple[str, ...] = ()
    meta: Metadata | None = None  # None when the notes could not be read
    talks: int = 0

    @property
    def content_root(self) -> Path:
        """The folder its images' addresses are relative to (as ``read_report`` reads it)."""
        return self.notes if self.notes.is_dir() else self.notes.parent


@dataclass(frozen=True)
class Build:
    """The last build of the watched notes."""

    number: int = 0  # 0 until the first build is over
    finished: dt.datetime | None = None
    reports: tuple[BuiltReport, ...] = ()
    error: str = ""  # what stopped the whole build (bad settings, no notes at all)


@dataclass(frozen=True)
class Route:
    """What one address answers: a report's preview, the index, a file or a redirect."""

    kind: Literal["preview", "index", "file", "redirect"]
    path: Path | None = None  # the file (for a preview, its HTML, which may not exist yet)
    report: BuiltReport | None = None
    location: str = ""  # where a redirect points
    version: str = ""  # changes when the page should reload


@dataclass
class Site:
    """Everything the server answers, replaced as a whole after each build."""

    build: Build
    routes: dict[str, Route] = field(default_factory=dict)


class Preview:
    """Serves the previews, PDFs and EPUBs of ``out_dir`` on localhost; an open page reloads
    itself when a build changed it, and shows the last build's error until a build succeeds."""

    def __init__(
        self, out_dir: Path, settings: Settings, port: int, shelf: Path | None = None
    ) -> None:
        self.out_dir = out_dir
        self.shelf = shelf  # a team shelf (``invoke shelf --to DIR``) served at /shelf/
        self.settings = settings.override({"out": out_dir})
        self.site = Site(Build())
        self.images = ImageCache()
        handler = partial(PreviewHandler, self)
        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as err:
            raise ContentError(
                f"127.0.0.1:{port}",
                None,
                f"cannot serve the preview on port {port}: {err.strerror}",
                f"choose another --port, e.g. --port {port + 1 if port else 8001}",
            ) from None
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def show(self, build: Build) -> None:
        """Serve what this build left (called after each build, before any request sees it)."""
        self.site = Site(build, site_routes(build, self.out_dir, self.images))

    def page(self, route: Route, site: Site) -> bytes:
        """The HTML of a preview (with the build's status and the reload script) or the index."""
        live = self.template("preview-live.html.j2").module
        css = (self.settings.styles_dir / "preview-live.css").read_text(encoding="utf-8")
        report = route.report
        errors = [e for e in (site.build.error, report.error if report else "") if e]
        if route.kind == "preview" and route.path is not None and route.path.is_file():
            assert report is not None
            status = live.status(site.build, errors, report.warnings, route.version)
            html = route.path.read_bytes()
            html = html.replace(b"</head>", str(live.head(css)).encode() + b"</head>", 1)
            start = BODY_START.search(html)
            end = start.end() if start else 0
            return html[:end] + str(status).encode() + html[end:]
        reports = site.build.reports if route.kind == "index" else (report,)
        return self.render(
            "preview-index.html.j2",
            css=css,
            build=site.build,
            reports=reports,
            links={r.name: report_links(r, site.routes) for r in reports if r is not None},
            errors=[e for e in [site.build.error] if e],  # a report's own error is in its entry
            version=route.version,
            shelf=SHELF if self.shelf and (self.shelf / "index.html").is_file() else "",
        )

    def missing(self) -> bytes:
        css = (self.settings.styles_dir / "preview-live.css").read_text(encoding="utf-8")
        return self.render("preview-missing.html.j2", css=css)

    def render(self, name: str, **context: Any) -> bytes:
        return str(self.template(name).render(**context)).encode()

    def template(self, name: str) -> Any:
        return environment(self.settings).get_template(name)


def site_routes(build: Build, out_dir: Path, images: ImageCache) -> dict[str, Route]:
    """The address table of a build. One report: its preview is `/` (and `/NAME.html`); several:
    the index is `/` and each preview `/NAME/`, so that the relative addresses of its images
    stay its own. The outputs are `/NAME.pdf` and `/NAME.epub` in both cases."""
    single = len(build.reports) == 1
    routes: dict[str, Route] = {}
    if not single:
        shown = [(r.name, r.error, r.meta, r.talks) for r in build.reports]
        version = hashlib.sha256(repr((build.number, build.error, shown)).encode()).hexdigest()
        routes["/"] = Route("index", version=version[:16])
    for report in build.reports:
        html = out_dir / f"{report.name}.html"
        version = page_version(html, report, build)
        base = "/" if single else f"/{report.name}/"
        routes[base] = Route("preview", html, report, version=version)
        if single:
            routes[f"/{report.name}.html"] = routes[base]
        else:
            routes[f"/{report.name}.html"] = Route("redirect", location=base)
            routes[f"/{report.name}"] = Route("redirect", location=base)
        for suffix in (".pdf", ".epub"):
            output = out_dir / f"{report.name}{suffix}"
            if inside(output, out_dir):
                routes[f"/{report.name}{suffix}"] = Route("file", output)
        for src, image in images.shown_in(html, report.content_root).items():
            routes.setdefault(base + src, Route("file", image))
    return routes


def shelf_routes(shelf: Path) -> dict[str, Route]:
    """The files of a team shelf, read at each request (``invoke shelf`` may have changed it):
    its pages link to each other by relative addresses, so it works under /shelf/ as it does
    on any host. Hidden files (its lock) and links out of the folder are left out."""
    routes: dict[str, Route] = {}
    for folder, folders, files in os.walk(shelf):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(folder) / name
            if not name.startswith(".") and inside(path, shelf):
                address = SHELF + path.relative_to(shelf).as_posix()
                routes[address] = Route("file", path)
                if name == "index.html":
                    routes[address.removesuffix("index.html")] = routes[address]
    return routes


def report_links(report: BuiltReport, routes: dict[str, Route]) -> dict[str, str]:
    """The index's links of a report to what is there: preview, pdf, epub -> address."""
    links = {}
    for kind, address in (
        ("preview", f"/{report.name}/"),
        ("pdf", f"/{report.name}.pdf"),
        ("epub", f"/{report.name}.epub"),
    ):
        route = routes.get(address)
        if route is not None and route.path is not None and route.path.is_file():
            links[kind] = address
    return links


def page_version(html: Path, report: BuiltReport, build: Build) -> str:
    """Changes when a preview page would look different: its HTML (by content: a rebuild that
    writes the same page reloads nothing), its errors or its warnings."""
    try:
        written = hashlib.sha256(html.read_bytes()).hexdigest()
    except FileNotFoundError:
        written = "none"
    state = "\n".join([written, build.error, report.error, *report.warnings])
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def inside(path: Path, folder: Path) -> bool:
    """A file that is in ``folder`` once symlinks are resolved (a link out of it is not)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


class ImageCache:
    """The images each preview shows, found in its HTML once per version of the file."""

    def __init__(self) -> None:
        self.found: dict[Path, tuple[tuple[int, int], dict[str, Path]]] = {}

    def shown_in(self, html: Path, content_root: Path) -> dict[str, Path]:
        """Each local ``<img src>`` of the page (as its address, decoded) -> its file in the
        content folder; an address that leaves the folder or names no file is left out."""
        try:
            stat = html.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_mtime_ns, stat.st_size)
        kept = self.found.get(html)
        if kept is not None and kept[0] == key:
            return kept[1]
        images = {}
        for found in IMAGE_SOURCE.finditer(html.read_text(encoding="utf-8")):
            src = unescape(found.group(1))
            parts = urlsplit(src)
            if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
                continue  # remote, or not relative to the page
            address = unquote(parts.path)
            file = content_root / address
            if inside(file, content_root):
                images[address] = file
        self.found[html] = (key, images)
        return images


class PreviewHandler(BaseHTTPRequestHandler):
    """Answers from the preview's address table; GET and HEAD only."""

    server_version = "report-preview"

    def __init__(self, preview: Preview, *args: Any, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self.answer(send_body=False)

    def answer(self, send_body: bool) -> None:
        try:
            self.answer_from(self.preview.site, send_body)  # one build's table for the request
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a download cancelled, a page reloaded)
        except (TemplateError, OSError) as err:  # a template of styles/ being edited, say
            text = f"error: the preview's page could not be made: {err}\n"
            self.reply(500, text.encode(), "text/plain; charset=utf-8", send_body)

    def answer_from(self, site: Site, send_body: bool) -> None:
        parts = urlsplit(self.path)
        address = unquote(parts.path)
        if address == "/__build":  # the build counter
            self.reply(200, str(site.build.number).encode(), "text/plain", send_body)
            return
        if address == "/__page":  # what an open page compares its version with
            asked = parse_qs(parts.query).get("path", [""])[0]  # location.pathname: encoded
            route = site.routes.get(unquote(asked))
            self.reply(200, (route.version if route else "").encode(), "text/plain", send_body)
            return
        route = site.routes.get(address)
        if route is None and self.preview.shelf and address.startswith(SHELF):
            route = shelf_routes(self.preview.shelf).get(address)
        if route is None:
            self.reply(404, self.preview.missing(), TYPES[".html"], send_body)
        elif route.kind == "redirect":
            self.send_response(302)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif route.kind == "file":
            assert route.path is not None
            self.send_file(route.path, send_body)
        else:
            self.reply(200, self.preview.page(route, site), TYPES[".html"], send_body)

    def send_file(self, path: Path, send_body: bool) -> None:
        try:
            file = path.open("rb")  # an output replaced since is read whole, old or new
        except OSError:
            self.reply(404, self.preview.missing(), TYPES[".html"], send_body)
            return
        with file:
            size = os.fstat(file.fileno()).st_size
            kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            self.headers_for(200, size, kind or "application/octet-stream")
            if send_body:
                shutil.copyfileobj(file, self.wfile)

    def reply(self, status: int, body: bytes, content_type: str, send_body: bool) -> None:
        self.headers_for(status, len(body), content_type)
        if send_body:
            self.wfile.write(body)

    def headers_for(self, status: int, size: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
