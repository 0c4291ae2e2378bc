"""`invoke watch`: rebuild when notes, images, styles, fonts or settings are saved.

Changes are debounced by watchfiles; the content-hash cache makes each rebuild write only what
changed, and the PDF stage lays out again only the days that changed (``pipeline.pdf.parallel``)
in a PDF process kept warm; the EPUB is rebuilt in this process, its imports warm, its cover and
font subsets cached. An error is shown and the watch goes on. With ``serve``, the HTML preview is
served on localhost and the open page reloads itself after each rebuild.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import watchfiles

from pipeline.build.reports import keep_pdf_process

log = logging.getLogger(__name__)

RELOAD_SCRIPT = b"""<script>
(function () {
  var seen = null;
  setInterval(function () {
    fetch("/__build").then(function (r) { return r.text(); }).then(function (n) {
      if (seen !== null && n !== seen) { location.reload(); }
      seen = n;
    }).catch(function () {});
  }, 800);
})();
</script>
"""


class Preview:
    """Serves the output folder; HTML pages get a script that reloads them after a rebuild."""

    def __init__(self, folder: Path, port: int) -> None:
        self.builds = 0
        handler = partial(PreviewHandler, preview=self, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PreviewHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args: object, preview: Preview, **kwargs: object) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/__build":
            self.reply(str(self.preview.builds).encode(), "text/plain")
            return
        path = Path(self.translate_path(self.path))
        if path.suffix == ".html" and path.is_file():
            page = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>")
            self.reply(page, "text/html; charset=utf-8")
            return
        super().do_GET()

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def watch(
    paths: Iterable[Path],
    rebuild: Callable[[], None],
    preview: Preview | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build once, then again after every batch of saved changes, until ``stop`` is set. The
    PDF process is kept for every rebuild: WeasyPrint stays imported, and the days laid out
    by the last build stay in its memory, so an edit lays out its own day only."""
    keep_pdf_process()
    existing = [str(p) for p in paths if p.exists()]
    started = time.time()
    rebuild()
    while saved_since(existing, started):  # saved while the first build ran
        started = time.time()
        rebuild()
    if preview is not None:
        preview.builds += 1
    for changes in watchfiles.watch(
        *existing,
        debounce=300,
        stop_event=stop,
        watch_filter=ignore_temporary_files,
        raise_interrupt=False,
    ):
        log.info("changed: %s", ", ".join(sorted({Path(p).name for _, p in changes})))
        rebuild()
        if preview is not None:
            preview.builds += 1


def saved_since(paths: Iterable[str], moment: float) -> bool:
    for path in map(Path, paths):
        files = path.rglob("*") if path.is_dir() else [path]
        if any(
            f.is_file()
            and f.stat().st_mtime > moment
            and ignore_temporary_files(watchfiles.Change.modified, str(f))
            for f in files
        ):
            return True
    return False


def ignore_temporary_files(change: watchfiles.Change, path: str) -> bool:
    """Editors' swap files and our own partial outputs are not changes to the notes."""
    name = Path(path).name
    return not (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".part", ".tmp")))
