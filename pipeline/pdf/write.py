"""The print job (HTML and cut fonts, see ``print_html``) -> PDF through WeasyPrint, with a URL
fetcher locked to our own files. The PDF process of a build imports this module, not
``print_html``: Jinja2, lxml.html and the template work stay in the process that prepares the job.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.pdf.fit import fit_document
from pipeline.pdf.parts.split import Book, split_book
from pipeline.pdf.print_fonts import font_configuration
from pipeline.pdf.weasyprint_internals import document_tree
from pipeline.pdf.weasyprint_internals import install as install_weasyprint

if TYPE_CHECKING:
    from weasyprint import HTML, Document
    from weasyprint.urls import URLFetcher

    from pipeline.pdf.fit import Fitting
    from pipeline.pdf.parts.messages import Shared
    from pipeline.pdf.parts.paginate import Paginated
    from pipeline.pdf.parts.pool import WorkerPool
    from pipeline.pdf.relayout import KeptLayout, KeptLayouts

log = logging.getLogger(__name__)

STYLESHEET = "print.css"  # in styles/: what the print document links (pipeline.pdf.html)

# The archive variant is PDF/A-3 level A: tagged like the default, so the archived copy keeps
# its structure for screen readers (level B if an image has no alt text, see pdf.tags).
VARIANTS = {"ua": "pdf/ua-1", "a": "pdf/a-3a", "plain": None}


@dataclass(frozen=True)
class PrintJob:
    """What WeasyPrint is given: the print HTML and the cut fonts (in their own folder, removed
    when the PDF is written). Defined here, not in ``print_html``: the job is sent to the PDF
    process, and unpickling it there imports the module that defines it."""

    html: str
    fonts: tuple[Path, ...]
    folder: Path


def write_pdf(report: Report, settings: Settings, out_dir: Path, job: PrintJob) -> Path:
    """Write ``out_dir/<report.name>.pdf`` (through a temporary file) and return its path."""
    return write_pdf_pages(report, settings, out_dir, job)[0]


def write_pdf_pages(
    report: Report,
    settings: Settings,
    out_dir: Path,
    job: PrintJob,
    jobs: int = 1,
    reuse: bool = True,
    at_once: bool = False,
    pool: WorkerPool | None = None,
) -> tuple[Path, int]:
    """``write_pdf``, also saying how many pages were written. A report of several days that
    open a page is laid out in parts (``pipeline.pdf.parts``), on ``jobs`` processes; with
    one, still in parts: a day at a time takes less memory and, since WeasyPrint's time grows
    faster than the document, less time than the book at once (the large report of ``invoke
    bench``: 311 MB and 11.3 s against 447 MB and 21 s). ``reuse``: days laid out before may be
    reused (not with ``--force``); ``at_once``: one document all the same (tests compare).
    ``pool``: the PDF process's worker processes (``invoke watch`` keeps them between builds);
    by default, workers for this report only."""
    layouts = pool.kept_layouts if pool is not None else None
    keep: KeptLayout | None = None  # the layout to keep for the next build (invoke watch)
    try:
        book = None if at_once else split_book(job.html)
        if book is not None:
            if pool is not None:
                return write_in_parts(report, settings, out_dir, job, book, jobs, reuse, pool)
            from pipeline.pdf.parts.pool import WorkerPool

            with WorkerPool() as own:
                return write_in_parts(report, settings, out_dir, job, book, jobs, reuse, own)
        paginated, keep = paginate_document(report, settings, job, layouts, reuse)
        document = paginated.finish(1, paginated.page_count)
        variant = VARIANTS[settings.pdf_variant]
        missing_alt = 0

        def write(path: Path) -> None:
            nonlocal missing_alt
            if variant is None:
                document.write_pdf(str(path))
                return
            from pipeline.pdf.tags import link_titles, recording, repair

            with recording():
                data = document.write_pdf(pdf_variant=variant)
            titles = link_titles(document_tree(paginated.html))
            missing_alt = repair(data, path, titles).images_without_alt
            if missing_alt:  # before the PDF is put in place: --strict may refuse it
                warn_missing_alt(report, settings, missing_alt)

        path = write_atomically(out_dir / f"{report.name}.pdf", write)
        if layouts is not None and keep is not None:
            layouts.keep(report.name, keep)
            keep = None
        return path, len(document.pages)
    finally:
        if layouts is not None and keep is not None:  # laid out, not written: not kept
            layouts.drop(keep)
        if layouts is None or not layouts.holds(job.folder):
            shutil.rmtree(job.folder, ignore_errors=True)


def paginate_document(
    report: Report,
    settings: Settings,
    job: PrintJob,
    layouts: KeptLayouts | None = None,
    reuse: bool = True,
) -> tuple[Paginated, KeptLayout | None]:
    """The report paginated as one document, with the near-empty page fixes of
    ``pipeline.pdf.fit``; with ``layouts`` (``invoke watch``) and ``reuse``, laid out again
    from the report's last layout where only its text changed (``pipeline.pdf.relayout``).
    Also the layout to keep for the next build (with ``layouts``, when no fix was needed)."""
    from pipeline.pdf.relayout import KeptLayout, layout_inputs, relayout

    inputs = ""
    if layouts is not None:
        inputs = layout_inputs(
            repr(settings), settings.styles_dir, job.fonts, report.referenced_files()
        )
        kept = layouts.take(report.name, inputs)
        if kept is not None:
            try:
                again = relayout(kept, job.html) if reuse else None
            except Exception:  # a way to save time must never fail a build: lay it out whole
                log.debug("relayout failed; laid out whole", exc_info=True)
                again = None
            if again is not None:
                # the kept fonts' folder stays; this build's cut of the same fonts goes
                return again, KeptLayout(inputs, again, kept.folder)
            layouts.drop(kept)
    html = print_html(report, settings, job)
    paginated, fitting = fit_pages(settings, job, html)
    keep = None
    if layouts is not None and not fitting.fixes:
        keep = KeptLayout(inputs, paginated, job.folder)
    return paginated, keep


def book_shared(report: Report, settings: Settings, job: PrintJob, book: Book) -> Shared:
    """What every part of ``book`` is laid out and written with."""
    from pipeline.pdf.parts.messages import Shared
    from pipeline.pdf.tags import link_titles

    return Shared(
        report,
        settings,
        VARIANTS[settings.pdf_variant],
        job.fonts,
        content_root(report).as_uri() + "/",
        locked_fetcher(report, settings),
        link_titles(book.root),
        book.ids,
        frozenset(book.targets),
    )


def write_in_parts(
    report: Report,
    settings: Settings,
    out_dir: Path,
    job: PrintJob,
    book: Book,
    jobs: int,
    reuse: bool,
    pool: WorkerPool,
) -> tuple[Path, int]:
    """The PDF of a book laid out in parts, its days on ``jobs`` processes of ``pool``."""
    from pipeline.pdf.parts.book import write_book
    from pipeline.pdf.parts.cache import PartCache

    install_weasyprint()
    shared = book_shared(report, settings, job, book)
    cache = PartCache(settings.cache_dir / "pdf-parts" / report.name, reuse, pool.kept_parts)
    pages = 0

    def write(path: Path) -> None:
        nonlocal pages
        pages, missing_alt = write_book(pool, shared, book, jobs, path, cache)
        if missing_alt:  # before the PDF is put in place: --strict may refuse it
            warn_missing_alt(report, settings, missing_alt)

    path = write_atomically(out_dir / f"{report.name}.pdf", write)
    return path, pages


def warn_missing_alt(report: Report, settings: Settings, count: int) -> None:
    """An image without alt text costs the PDF its accessibility claim: say so, and where."""
    places = [str(image.source) for image in report.images if not image.alt.strip()]
    where = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    claim = "PDF/UA-1" if settings.pdf_variant == "ua" else "PDF/A-3a, only PDF/A-3b"
    log.warning(
        "%s: %d images without alt text%s; the PDF does not claim %s "
        "(say what each one shows: ![처리 흐름](x.png))",
        report.source.path,
        count,
        f" ({where})" if places else "",
        claim,
    )


# WeasyPrint lays a whole document out in memory, and its time grows faster than the text:
# 1 MB of notes (810 pages) took 95 s and 860 MB here. Larger notes are refused up front.
MAX_TEXT = 600_000  # characters of report HTML, about 1.1 MB of notes or 900 pages


def check_size(report: Report) -> None:
    size = len(report.intro_html) + sum(
        len(chapter.intro_html)
        + sum(len(t.abstract_html) + len(t.body_html) for t in chapter.talks)
        for chapter in report.chapters
    )
    if size > MAX_TEXT:
        raise ContentError(
            report.source.path,
            None,
            f"too large for one PDF ({size // 1000:,}k characters of text; at most "
            f"{MAX_TEXT // 1000:,}k, about 900 pages)",
            "split the notes into several reports (one notes file per day or per track); "
            "the EPUB has no such limit",
        )


def print_html(report: Report, settings: Settings, job: PrintJob) -> HTML:
    """The print job's HTML as WeasyPrint reads it, with the locked URL fetcher."""
    install_weasyprint()
    from pipeline.pdf.html_tree import weasyprint_html

    return weasyprint_html(
        job.html, content_root(report).as_uri() + "/", locked_fetcher(report, settings)
    )


def fit_pages(settings: Settings, job: PrintJob, html: HTML) -> tuple[Paginated, Fitting]:
    """``html`` paginated, laid out again, a little tighter, where a chapter's tail would be
    alone on a page (``pipeline.pdf.fit``); what the fitting did. Every layout has the same
    font configuration: the fonts are registered once, and the layouts share their computed
    styles (``weasyprint_internals``)."""
    config = font_configuration(job.fonts)
    return fit_document(lambda: paginate_html(settings, job, html, config), lambda laid: laid.pages)


def paginate_html(settings: Settings, job: PrintJob, html: HTML, config: Any = None) -> Paginated:
    """``html`` paginated with the job's fonts (``config``: their font configuration, made
    once), its margin boxes not yet made."""
    from pipeline.pdf.parts.paginate import paginate

    config = config or font_configuration(job.fonts)
    return paginate(html, config, [], pdf_variant=VARIANTS[settings.pdf_variant])


def render_pdf(report: Report, settings: Settings, job: PrintJob) -> Document:
    """Lay the report out as the build does, without the fitting: an inspectable document,
    not yet written."""
    paginated = paginate_html(settings, job, print_html(report, settings, job))
    return paginated.finish(1, paginated.page_count)


def content_root(report: Report) -> Path:
    """Local images' ``src`` is relative to the content root (see ``model.Image``)."""
    root = report.content_root
    return (root if root.is_absolute() else Path.cwd() / root).resolve()


def allowed_roots(report: Report, settings: Settings) -> tuple[Path, ...]:
    """The only folders WeasyPrint may read from: the notes' content root, styles/, fonts/."""
    folders = (content_root(report), settings.styles_dir, settings.fonts_dir)
    return tuple(folder.resolve() for folder in folders)


def locked_fetcher(report: Report, settings: Settings) -> URLFetcher:
    """A WeasyPrint URL fetcher that reads files under :func:`allowed_roots` and nothing else."""
    # Remote images fetched by the reading stage (opt-in) are served from their cached copy.
    fetched = {image.src: image.path for image in report.images if image.path is not None}
    return _fetcher(allowed_roots(report, settings), fetched)


def stylesheet_url(settings: Settings) -> str:
    """The print stylesheet as the print document links it."""
    return (settings.styles_dir / STYLESHEET).resolve().as_uri()


def parse_stylesheet_ahead(settings: Settings) -> None:
    """Parse the print stylesheet (and what it imports) before the print document comes: the
    PDF process of a build is idle while the other reads the notes and cuts the fonts, and the
    sheet is kept for the document (``weasyprint_internals``: parsed once per process, again
    if a file of styles/ changes). It reads styles/ and nothing else."""
    from pipeline.pdf.weasyprint_internals import parse_stylesheet

    folders = (settings.styles_dir.resolve(),)
    parse_stylesheet(stylesheet_url(settings), _fetcher(folders, {}))


def _fetcher(roots: tuple[Path, ...], fetched: dict[str, Path]) -> URLFetcher:
    from weasyprint.urls import URLFetcher

    class LockedFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            cached = fetched.get(url)
            if parts.scheme in ("http", "https") and cached is not None:
                return super().fetch(cached.resolve().as_uri(), headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused to fetch {url}: only the project's own files are read")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise ValueError(f"refused to read {path}: outside the content, styles and fonts")
            return super().fetch(path.as_uri(), headers)

    return LockedFetcher(allowed_protocols=("file", "data"), allow_redirects=False)
