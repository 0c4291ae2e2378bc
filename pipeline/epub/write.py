"""Report -> EPUB 3: ebooklib packages the documents of ``epub.documents``; the zip is rewritten.

ebooklib 0.20 writes the OPF and the container; everything it would get wrong is kept away from
it (see docs/korean-typography.md): content documents, nav and NCX are our own bytes in plain
``EpubItem``s (an ``EpubHtml`` would be re-parsed and pretty-printed), creators get their own ids,
and the zip is rewritten with ``mimetype`` first and stored, fixed entry times and order, so the
same input and ``SOURCE_DATE_EPOCH`` give the same bytes (as Sphinx's EPUB builder does).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
import zipfile
from pathlib import Path

from ebooklib import epub
from lxml import etree

from pipeline.config import Settings
from pipeline.dates import build_time
from pipeline.epub.assets import EmbeddedFont, embed_fonts, make_cover, stylesheets
from pipeline.epub.documents import Ebook, render_ebook
from pipeline.epub.xhtml import XML_NS
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.templates import environment

log = logging.getLogger(__name__)

XHTML = "application/xhtml+xml"
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
OPF_PATH = "EPUB/content.opf"


def write_epub(report: Report, settings: Settings, out_dir: Path) -> Path:
    """Write ``out_dir/<report.name>.epub`` atomically and return its path."""
    cover_href, cover_data = make_cover(report, settings)
    ebook = render_ebook(report, settings, cover_href)
    fonts = embed_fonts(ebook.text, settings)
    book = build_book(report, settings, ebook, fonts, cover_href, cover_data)
    modified = book_time(report, settings)
    raw = io.BytesIO()
    epub.write_epub(
        raw,
        book,
        {
            "raise_exceptions": True,
            "mtime": modified,
            "epub3_landmark": False,
            "epub3_pages": False,
            "compresslevel": 0,  # rewrite_zip compresses, once
        },
    )
    packed = rewrite_zip(raw.getvalue(), modified, report.meta.lang or "ko")

    def write(path: Path) -> None:
        path.write_bytes(packed)

    target = write_atomically(out_dir / f"{report.name}.epub", write)
    log.info("wrote %s (%d bytes)", target, target.stat().st_size)
    return target


def book_identifier(name: str) -> str:
    """The book's stable identity: a name-based (version 5) UUID of the report's name."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'conference-report:{name}')}"


def book_time(report: Report, settings: Settings) -> dt.datetime:
    """The book's ``dcterms:modified`` and zip entry times (the zip format starts in 1980):
    ``SOURCE_DATE_EPOCH`` or the notes' last date (``dates.build_time``), else when the notes
    were last saved, never the clock."""
    moment = build_time(report, settings.source_date_epoch) or notes_saved(report)
    return max(moment, ZIP_EPOCH) if moment is not None else ZIP_EPOCH


def notes_saved(report: Report) -> dt.datetime | None:
    """The modification time of the notes (the latest of a report folder's files), to the
    second: the same file gives the same book."""
    paths = {report.source.path, *(chapter.source.path for chapter in report.chapters)}
    times = [path.stat().st_mtime for path in paths if path.is_file()]
    if not times:
        return None
    return dt.datetime.fromtimestamp(int(max(times)), dt.UTC)


def build_book(
    report: Report,
    settings: Settings,
    ebook: Ebook,
    fonts: list[EmbeddedFont],
    cover_href: str,
    cover_data: bytes,
) -> epub.EpubBook:
    """The ebooklib book: metadata, manifest in a fixed order, spine = reading order."""
    book = epub.EpubBook()
    book.metadata = {}  # drop ebooklib's defaults (random identifier, generator)
    write_metadata(book, report, settings, ebook)
    # ebooklib's set_cover, with the media type given: guessing it reads /etc/mime.types (9 ms)
    cover = epub.EpubCover(file_name=cover_href)
    cover.media_type = IMAGE_TYPES[Path(cover_href).suffix]
    cover.content = cover_data
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
    spine = []
    for document in ebook.documents:
        item = epub.EpubItem(
            uid=document.file_name.removesuffix(".xhtml"),
            file_name=document.file_name,
            media_type=XHTML,
            content=document.content,
        )
        item.properties = ["nav"] if document.kind == "nav" else []
        book.add_item(item)
        spine.append(item)
    book.spine = spine
    book.add_item(
        epub.EpubItem(
            uid="ncx",
            file_name="toc.ncx",
            media_type="application/x-dtbncx+xml",
            content=render_ncx(report, settings, ebook),
        )
    )
    for name, css in stylesheets(settings, ebook, fonts):
        book.add_item(
            epub.EpubItem(
                uid=name.replace("/", "-").replace(".", "-"),
                file_name=name,
                media_type="text/css",
                content=css,
            )
        )
    for font in fonts:
        book.add_item(
            epub.EpubItem(
                uid=font.href.replace("/", "-").replace(".", "-"),
                file_name=font.href,
                media_type=font.media_type,
                content=font.data,
            )
        )
    for href, image in sorted(ebook.images.items()):
        assert image.path is not None
        media_type = IMAGE_TYPES.get(Path(href).suffix)
        if media_type is None:
            raise ContentError(
                image.source.path,
                image.source.line,
                f'image "{image.src}" is not PNG, JPEG, GIF, SVG or WebP',
                "convert it to .png or .jpg",
            )
        book.add_item(
            epub.EpubItem(
                uid=Path(href).stem,
                file_name=href,
                media_type=media_type,
                content=image.read_bytes(),
            )
        )
    book.guide = [
        {"type": kind if kind != "bodymatter" else "text", "href": href, "title": label}
        for kind, href, label in ebook.landmarks
    ]
    return book


def write_metadata(book: epub.EpubBook, report: Report, settings: Settings, ebook: Ebook) -> None:
    meta = report.meta
    lang = meta.lang or "ko"
    book.IDENTIFIER_ID = "book-id"
    book.set_identifier(book_identifier(report.name))
    book.title = meta.title
    book.add_metadata("DC", "title", meta.title, {"id": "main-title"})
    book.add_metadata(None, "meta", "main", {"refines": "#main-title", "property": "title-type"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(
            None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"}
        )
    book.set_language(lang)
    authors = meta.authors
    for number, author in enumerate(authors, start=1):
        book.add_author(author, role="aut", uid=f"creator-{number}")
    if settings.source_date_epoch is not None or report.meta.dates:
        book.add_metadata("DC", "date", book_time(report, settings).date().isoformat())
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for tag in meta.tags:
        book.add_metadata("DC", "subject", tag)
    for prop, value in accessibility(report, ebook):
        book.add_metadata(None, "meta", value, {"property": prop})


def accessibility(report: Report, ebook: Ebook) -> list[tuple[str, str]]:
    """Schema.org accessibility metadata that is true of this book (EPUB Accessibility 1.1)."""
    # every image of the notes counts: embedded ones and remote ones shown as links
    every_alt = all(image.alt.strip() for image in (*ebook.images.values(), *report.images))
    remote = any(image.is_remote for image in report.images)
    # The cover is an image: the book always has visual content besides its text.
    items = [("schema:accessMode", "textual"), ("schema:accessMode", "visual")]
    if every_alt:
        items.append(("schema:accessModeSufficient", "textual"))
    items.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if every_alt:
        features.append("alternativeText")
    items += [("schema:accessibilityFeature", feature) for feature in features]
    items.append(("schema:accessibilityHazard", "none"))
    summary = (
        "장(날짜)과 발표마다 제목이 달린 구조와 차례가 있고, 읽는 순서가 정해져 있습니다. "
        "글꼴 크기와 줄 간격은 읽기 프로그램의 설정을 따릅니다. "
    )
    summary += (
        "모든 그림에 대체 텍스트가 있습니다."
        if every_alt
        else "대체 텍스트가 없는 그림이 있습니다."
    )
    if remote:
        summary += " 원격 이미지는 책에 넣지 않고 링크로 남겼습니다."
    items.append(("schema:accessibilitySummary", summary))
    if every_alt:  # WCAG 2.1 AA (1.1.1) needs a text alternative for every image
        items.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return items


def render_ncx(report: Report, settings: Settings, ebook: Ebook) -> bytes:
    """The EPUB 2 table of contents, with its real depth and play order."""
    order = 0
    toc = []
    for number, entry in enumerate(ebook.toc, start=1):
        order += 1
        children = []
        for child_number, child in enumerate(entry.children, start=1):
            children.append(
                {
                    "nav_id": f"nav-{number}-{child_number}",
                    "order": order + child_number,
                    "label": child.label,
                    "href": child.href,
                }
            )
        toc.append(
            {
                "nav_id": f"nav-{number}",
                "order": order,
                "label": entry.label,
                "href": entry.href,
                "children": children,
            }
        )
        order += len(children)
    depth = 2 if any(entry.children for entry in ebook.toc) else 1
    text = (
        environment(settings)
        .get_template("ebook-toc.ncx.j2")
        .render(
            lang=report.meta.lang or "ko",
            identifier=book_identifier(report.name),
            depth=depth,
            title=report.meta.title,
            toc=toc,
        )
    )
    return text.encode("utf-8")


def rewrite_zip(data: bytes, modified: dt.datetime, lang: str) -> bytes:
    """``mimetype`` first and stored, fixed times and order; the OPF's package gets xml:lang."""
    stamp = modified.astimezone(dt.UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        ordered = ["mimetype", *(name for name in names if name != "mimetype")]
        for name in ordered:
            content = source.read(name)
            if name == OPF_PATH:
                content = finish_opf(content, lang)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                target.writestr(info, content)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, content, compresslevel=9)
    return out.getvalue()


def finish_opf(content: bytes, lang: str) -> bytes:
    """What ebooklib cannot say: the package's language (Ace checks ``xml:lang``)."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    root.set(f"{{{XML_NS}}}lang", lang)
    text: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
    return text
