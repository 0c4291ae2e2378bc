"""A report's web edition and its cover thumbnail, for the shelf.

The web edition is the HTML preview (``styles/preview.html.j2``, the same template and the
same reading as ``invoke html``) made to stand alone: each face it sets is cut to exactly the
characters it sets there (hb-subset, as for the EPUB) and embedded as a data: URL, and so are
the report's local images. A phone without Korean fonts reads it as the PDF looks, and the
page asks nothing of any server.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.font_faces import family_stacks, font_media_type, require_face, subset_font
from pipeline.model import Report
from pipeline.output import write_atomically
from pipeline.templates import environment

# How preview.css sets each element: (face key, role, bold, CSS family, weight).
FACES = (
    ("body", "body", False, "Shelf Serif", "normal"),
    ("body-bold", "body", True, "Shelf Serif", "bold"),
    ("heading", "heading", False, "Shelf Sans", "normal"),
    ("heading-bold", "heading", True, "Shelf Sans", "bold"),
    ("code", "code", False, "Shelf Mono", "normal"),
)
CODE_TAGS = {"pre", "code", "kbd", "samp"}
SANS_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "nav", "figcaption"}
SANS_CLASSES = {"speaker", "slot", "meta-line"}
BOLD_TAGS = {"b", "strong", "em", "i", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dt"}
BOLD_CLASSES = {"callout-title"}
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
COVERS_KEPT = 200  # thumbnails kept in <out>/.cache/shelf-covers/
THUMBNAIL = (240, 384)  # the cover's 5:8, at twice the size the card shows it


@dataclass(frozen=True)
class WebFont:
    family: str
    weight: str
    media_type: str
    data: bytes

    @property
    def url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    @property
    def format(self) -> str:
        return "opentype" if self.media_type == "font/otf" else "truetype"


def render_web_edition(report: Report, settings: Settings) -> str:
    """The report's preview page with its fonts and images inside: one file to read anywhere."""
    template = environment(settings).get_template("preview.html.j2")
    css = (settings.styles_dir / "preview.css").read_text(encoding="utf-8")
    page = template.render(report=report, settings=settings, css=css)
    fonts = web_fonts(text_by_face(page), settings)
    stacks = family_stacks(settings.fonts, "Shelf")
    fonts_css = (
        environment(settings).get_template("shelf-web.css.j2").render(faces=fonts, stacks=stacks)
    )
    page = template.render(report=report, settings=settings, css=css + fonts_css)
    return embed_images(page, report)


def text_by_face(page: str) -> dict[str, str]:
    """The characters each face sets in the page's body (as preview.css assigns faces)."""
    chars: dict[str, set[str]] = {key: set() for key, *_ in FACES}
    body = lxml_html.document_fromstring(page).find("body")
    if body is None:
        return {key: "" for key in chars}
    keys: dict[etree._Element, str] = {}
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        key = face_of(element, keys.get(parent, "body") if parent is not None else "body")
        keys[element] = key
        if element.text:
            chars[key].update(element.text)
        if element.tail and parent is not None and element is not body:
            chars[keys.get(parent, "body")].update(element.tail)
    return {key: "".join(sorted(value - {"\n", "\t", "\r"})) for key, value in chars.items()}


def face_of(element: etree._Element, inherited: str) -> str:
    """An element's face from its parent's and its own tag and classes."""
    tag = str(element.tag)
    classes = set((element.get("class") or "").split())
    if inherited == "code" or tag in CODE_TAGS:
        return "code"
    sans = inherited.startswith("heading") or tag in SANS_TAGS or bool(classes & SANS_CLASSES)
    bold = inherited.endswith("bold") or tag in BOLD_TAGS or bool(classes & BOLD_CLASSES)
    return ("heading" if sans else "body") + ("-bold" if bold else "")


def web_fonts(text: dict[str, str], settings: Settings) -> list[WebFont]:
    """Each face cut to the characters it sets (hb-subset: 10-40 ms a face; the shelf makes a
    report's web edition once per build of it, so nothing is cached)."""
    fonts = []
    for key, role, bold, family, weight in FACES:
        if not text[key].strip():
            continue
        found = require_face(settings.fonts, role, settings.fonts_dir, bold=bold)
        data = subset_font(found.path, found.index, text[key])
        fonts.append(WebFont(family, weight, font_media_type(data), data))
    return fonts


def embed_images(page: str, report: Report) -> str:
    """The report's local images as data: URLs (a remote one stays a link, as in the preview)."""
    for image in report.images:
        if image.path is None:
            continue
        media_type = IMAGE_TYPES.get(image.path.suffix.lower())
        if media_type is None:
            continue
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        url = f"data:{media_type};base64,{data}"
        page = page.replace(f'src="{html.escape(image.src)}"', f'src="{url}"')
    return page


def cover_thumbnail(epub: Path, cache: Path) -> bytes | None:
    """The EPUB's cover (the front matter's image or the generated one) as a small JPEG;
    None for a drawing (SVG) cover, which the shelf does not rasterise. Made once for a cover
    (decoding the 1600x2560 PNG is 60 ms): kept in ``cache`` by the cover's hash."""
    try:
        with zipfile.ZipFile(epub) as book:
            names = [n for n in book.namelist() if n.rsplit("/", 1)[-1].startswith("cover.")]
            images = [n for n in names if Path(n).suffix.lower() in IMAGE_TYPES]
            if not images:
                raise ContentError(epub, None, "the EPUB has no cover image", "build it again")
            if images[0].lower().endswith(".svg"):
                return None
            data = book.read(images[0])
    except (OSError, zipfile.BadZipFile) as err:
        raise ContentError(
            epub, None, f"the EPUB cannot be read: {err}", "build the EPUB again"
        ) from err
    kept = cache / f"{hashlib.blake2b(data, digest_size=16).hexdigest()}.jpg"
    try:
        return kept.read_bytes()
    except OSError:
        pass
    thumbnail = shrink(data, epub)
    cache.mkdir(parents=True, exist_ok=True)
    for old in sorted(cache.glob("*.jpg"), key=modified)[:-COVERS_KEPT]:
        old.unlink(missing_ok=True)

    def write(target: Path) -> None:
        target.write_bytes(thumbnail)

    write_atomically(kept, write)
    return thumbnail


def modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # another shelf run took it away
        return 0.0


def shrink(data: bytes, epub: Path) -> bytes:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as cover:
            cover.draft("RGB", THUMBNAIL)  # a JPEG is decoded at a fraction of its size
            thumbnail = cover.convert("RGB")
    except (OSError, UnidentifiedImageError) as err:
        raise ContentError(
            epub, None, f"the EPUB's cover cannot be read: {err}", "build the EPUB again"
        ) from err
    thumbnail.thumbnail(THUMBNAIL)
    out = io.BytesIO()
    thumbnail.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()
