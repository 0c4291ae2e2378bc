"""Repairs to the tagged PDF WeasyPrint 70 writes, so that its PDF/UA-1 and PDF/A-3a claims hold.

WeasyPrint 70 builds the structure tree page by page, from the boxes laid out on each page. What
that gets wrong, and what each repair below does about it (checked by ``tests/test_pdf_tags.py``):

- **Margin boxes** (running headers, page numbers): their text is marked content with an MCID,
  mapped to structure elements that the tree never reaches (WeasyPrint's comment: an Artifact
  element is PDF 2.0 only; the ``/Artifact`` marked-content tag is not). -> marked
  ``/Artifact <</Type /Pagination>>``; no CSS makes a margin box an artifact.
- **Leaders** (``leader()``: the contents page's dots) are tagged text, 74 runs of ``. `` read
  before a page number. -> ``/Artifact``, their elements removed.
- **The tree follows the page, not the document**: an element that crosses a page break is one
  element per page (a talk is two ``Art``\\ s, a chapter's ``Sect`` starts again on each page)
  and page-level boxes sit between them. -> fragments of one HTML element are merged again.
- **Footnotes**: the footnote area is a page-level ``NonStruct`` between two pages' content,
  the call a ``Span``. -> the call becomes a ``Reference``, the footnote a ``Note`` (with a
  unique ``/ID``) right after it; its marker is the ``Lbl``.
- **List labels**: a bullet or number drawn by ``.list-label::before`` (print.css; WeasyPrint's
  own ``::marker`` costs more to lay out) is a ``NonStruct`` in the item's body. -> the
  ``LI``'s first element, an ``Lbl``, as a marker is.
- **Repeated table headers** are tagged again on each page (a second ``THead``). -> artifacts;
  the cells of later pages name the first header's cells.
- **Table headers** have an ``/ID`` but no ``/Scope``, and no ``/IDTree`` resolves the IDs. ->
  ``/Scope /Column`` (``/Row`` for ``<th scope="row">``, as WeasyPrint's own header mapping
  reads it) and an ``/IDTree`` of every ID.
- **Links**: a pseudo-element of ``<a>`` (``a::after``: leader and page number) is a ``Link``
  inside the ``Link``, and every inline box inside a link (the speaker's ``<span>``) gets an
  annotation of its own whose structure parent is that box's ``Span``. -> inner Links become
  Spans and every link annotation hangs off its ``Link``. Their ``/Contents`` is the anchor
  name (``day-1``) -> the title of the link's target.
- **An image without alternative text**: WeasyPrint logs an error and still claims PDF/UA.
  -> the ``pdfuaid`` claim is dropped (PDF/A: level A becomes level B) and the caller warns.
- **PDF/A**: every image says ``/Interpolate true`` (ISO 19005-2 6.2.8 forbids it). -> removed.

WeasyPrint's structure elements keep no trace of the HTML element they were made from, and the
repairs need it: while the PDF is written, :func:`recording` wraps WeasyPrint's tree builder so
that each element gets two private keys (``/CRKey``: which element and pseudo-element,
``/CRRole``: a footnote call, a leader...). :func:`repair` reads them and removes them.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from lxml import etree

from pipeline.pdf.weasyprint_format import DRAWS, LAYOUT, MARKED, PAGINATION
from pipeline.pdf.weasyprint_internals import is_box, marking_structure_elements, placed_box

if TYPE_CHECKING:
    import pikepdf

# pikepdf's objects are dynamically typed (an Object is a dictionary, an array, a number...).
PdfObject = Any

KEY = "CRKey"  # the element (and pseudo-element) a structure element was made from
NODE = "CRNode"  # the element alone: a footnote's call and its body share it
ROLE = "CRRole"  # FootnoteArea, FootnoteCall, ListLabel, Leader, RowHeader... (see _mark)
PRIVATE = (KEY, NODE, ROLE)
EMPTY_GROUPS = {"/NonStruct", "/Span", "/Div"}  # removed when nothing is left in them
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
JOINER = "\u2060"  # pipeline.pdf.linebreak's word joiner: layout, not text

XMP_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


# ---------- while WeasyPrint writes: where each structure element comes from ----------


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Leave the private keys on the structure elements of the PDFs written meanwhile."""
    keys: dict[tuple[int, str], int] = {}

    def mark(element: dict[str, Any], box: Any) -> None:
        if KEY not in element and ROLE not in element:
            _mark(element, box, keys)

    with marking_structure_elements(mark):
        yield


def _mark(element: dict[str, Any], box: Any, keys: dict[tuple[int, str], int]) -> None:
    box = placed_box(box)
    if is_box(box, "FootnoteAreaBox"):
        element[ROLE] = "/FootnoteArea"
        return
    if box.element is None:  # a margin box's content: marked, so that no ancestor claims it
        element[ROLE] = "/Unattached"
        return
    tag = str(box.element_tag)
    element[NODE] = keys.setdefault((id(box.element), ""), len(keys))
    element[KEY] = keys.setdefault((id(box.element), tag), len(keys))
    role = ""
    if getattr(box, "is_leader", False):
        role = "Leader"
    elif tag.endswith("::footnote-call"):
        role = "FootnoteCall"
    elif tag.endswith("::footnote-marker"):
        role = "FootnoteMarker"
    elif tag.endswith("::before") and "list-label" in (box.element.get("class") or "").split():
        role = "ListLabel"
    elif tag == "th":
        role = "RowHeader" if box.element.get("scope") == "row" else "ColumnHeader"
    if role:
        element[ROLE] = f"/{role}"


# ---------- what a link's description says ----------


def link_titles(root: ElementTree.Element) -> dict[str, str]:
    """Each internal link's anchor -> what a reader hears for it: the target's heading (its
    bookmark label, free of layout, where it has one), else the start of the target's text."""
    targets = {str(e.get("id")): e for e in root.iter() if e.get("id")}
    titles: dict[str, str] = {}
    for link in root.iter("a"):
        anchor = (link.get("href") or "")[1:]
        target = targets.get(anchor)
        if not (link.get("href") or "").startswith("#") or target is None or anchor in titles:
            continue
        heading = next((e for e in target.iter() if e.tag in HEADINGS), None)
        text = (
            "" if heading is None else heading.get("data-bookmark") or "".join(heading.itertext())
        )
        text = " ".join((text or "".join(target.itertext())).replace(JOINER, "").split())
        if text:
            titles[anchor] = text if len(text) <= 80 else text[:79] + "…"
    return titles


# ---------- after: the repairs ----------


@dataclass(frozen=True)
class Repaired:
    """What the repair found: images shipped without alternative text lose the claims."""

    images_without_alt: int


@dataclass(eq=False)
class Node:
    obj: PdfObject
    tag: str
    key: int | None
    node: int | None
    role: str
    kids: list[Node | Mcid | Objr] = field(default_factory=list)


@dataclass(frozen=True)
class Mcid:
    page: int
    mcid: int


@dataclass(frozen=True)
class Objr:
    obj: PdfObject


def repair(data: bytes, target: Path, titles: Mapping[str, str]) -> Repaired:
    """Repair the tagged PDF ``data`` (written under :func:`recording`) into ``target``;
    ``titles`` are the link descriptions (:func:`link_titles`)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        repaired = repair_pdf(pdf, titles)
        with target.open("wb") as out:  # a file object: the target may be /proc/self/fd/N
            pdf.save(
                out,
                deterministic_id=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
            )
    return repaired


def repair_pdf(pdf: pikepdf.Pdf, titles: Mapping[str, str], id_prefix: str = "") -> Repaired:
    """The repairs, on an open PDF. ``id_prefix`` starts every structure ``/ID`` (a part of a
    book laid out in parts, pipeline.pdf.parts.merge, keeps its IDs apart from the others')."""
    missing_alt = 0
    if "/StructTreeRoot" in pdf.Root:
        missing_alt = _repair_structure(pdf, id_prefix)
        _title_links(pdf, titles)
    if missing_alt:
        _drop_accessibility_claims(pdf)
    if _claims_pdfa(pdf):
        _no_interpolation(pdf)
    return Repaired(missing_alt)


def _repair_structure(pdf: pikepdf.Pdf, id_prefix: str = "") -> int:
    import pikepdf

    pages = [page.obj for page in pdf.pages]
    page_index = {page.objgen: number for number, page in enumerate(pages)}
    root = pdf.Root.StructTreeRoot
    document = _read(root.K[0] if isinstance(root.K, pikepdf.Array) else root.K, page_index, 0)

    layout: set[tuple[int, int]] = set()
    _drop_leaders(document, layout)
    _place_footnotes(document)
    _place_list_labels(document, None)
    renamed: dict[str, str] = {}
    _merge(document, renamed)
    _fix_links(document, None)
    _prune(document)
    missing_alt = _fix_elements(document, renamed, id_prefix)

    parents: dict[int, dict[int, PdfObject]] = {n: {} for n in range(len(pages))}
    annotations: dict[int, PdfObject] = {}
    ids: dict[str, PdfObject] = {}
    _write(document, root, pages, page_index, parents, annotations, ids)
    _mark_artifacts(pdf, pages, parents, layout)

    nums: list[Any] = []
    for number in range(len(pages)):
        by_mcid = parents[number]
        size = max(by_mcid, default=-1) + 1
        nums += [number, pikepdf.Array([by_mcid.get(mcid) for mcid in range(size)])]
    for key in sorted(annotations):
        nums += [key, annotations[key]]
    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
    root.ParentTreeNextKey = max([len(pages) - 1, *annotations]) + 1
    if ids:
        names: list[Any] = []
        for name in sorted(ids):  # a name tree is sorted; our IDs are ASCII
            names += [pikepdf.String(name), ids[name]]
        root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(names)))
    return missing_alt


def _read(obj: PdfObject, page_index: Mapping[Any, int], page: int) -> Node:
    """The structure element ``obj`` and everything under it, as plain Python objects."""
    import pikepdf

    where = obj.get("/Pg")
    if where is not None:
        page = page_index[where.objgen]
    role = obj.get("/" + ROLE)
    node = Node(
        obj,
        str(obj.get("/S")),
        obj.get("/" + KEY),
        obj.get("/" + NODE),
        str(role)[1:] if role is not None else "",
    )
    kids = obj.get("/K")
    if kids is None:
        return node
    for item in list(kids) if kids._type_code == pikepdf.ObjectType.array else [kids]:
        if type(item) is int:
            node.kids.append(Mcid(page, item))
            continue
        kind = item.get("/Type")
        if kind == "/OBJR":
            node.kids.append(Objr(item))
        elif kind == "/MCR":
            mcr_page = item.get("/Pg")
            node.kids.append(Mcid(page_index[mcr_page.objgen] if mcr_page else page, item.MCID))
        else:
            node.kids.append(_read(item, page_index, page))
    return node


def _nodes(node: Node) -> Iterator[tuple[Node, Node]]:
    """Every element under ``node`` with its parent, parents first."""
    for kid in list(node.kids):
        if isinstance(kid, Node):
            yield node, kid
            yield from _nodes(kid)


def _mcids(node: Node) -> Iterator[Mcid]:
    for kid in node.kids:
        if isinstance(kid, Mcid):
            yield kid
        elif isinstance(kid, Node):
            yield from _mcids(kid)


def _objrs(node: Node) -> Iterator[Objr]:
    for kid in node.kids:
        if isinstance(kid, Objr):
            yield kid
        elif isinstance(kid, Node):
            yield from _objrs(kid)


def _drop_leaders(node: Node, layout: set[tuple[int, int]]) -> None:
    """Leaders are layout: their text becomes an artifact, their links stay with the parent."""
    kept: list[Node | Mcid | Objr] = []
    for kid in node.kids:
        if isinstance(kid, Node) and kid.role == "Leader":
            layout.update((m.page, m.mcid) for m in _mcids(kid))
            kept += _objrs(kid)
            continue
        if isinstance(kid, Node):
            _drop_leaders(kid, layout)
        kept.append(kid)
    node.kids = kept


def _place_footnotes(document: Node) -> None:
    """Each footnote leaves its page's footnote area for a ``Note`` after its ``Reference``."""
    areas = [k for k in document.kids if isinstance(k, Node) and k.role == "FootnoteArea"]
    if not areas:
        return
    document.kids = [k for k in document.kids if not (isinstance(k, Node) and k in areas)]
    calls = {
        kid.node: (parent, kid) for parent, kid in _nodes(document) if kid.role == "FootnoteCall"
    }
    last: dict[int, Node] = {}  # a footnote split over two pages follows its first part
    for area in areas:
        for note in area.kids:
            if not isinstance(note, Node):
                continue
            note.tag = "/Note"
            found = calls.get(note.node)
            if found is None:  # no call in the tree: the note still belongs to the document
                document.kids.append(note)
                continue
            parent, call = found
            call.tag = "/Reference"
            after = last.get(id(call), call)
            parent.kids.insert(parent.kids.index(after) + 1, note)
            last[id(call)] = note
            for _, inner in _nodes(note):
                if inner.role == "FootnoteMarker":
                    inner.tag = "/Lbl"
                    break


def _place_list_labels(node: Node, item: Node | None) -> None:
    """A list item's bullet or number drawn by print.css (``.list-label::before``, see
    pipeline/pdf/html.py) is its ``Lbl``, first in the ``LI``, as WeasyPrint tags a marker."""
    labels = [k for k in node.kids if isinstance(k, Node) and k.role == "ListLabel"]
    if labels and item is not None:
        node.kids = [k for k in node.kids if k not in labels]
        for label in labels:
            label.tag = "/Lbl"
        item.kids[:0] = labels
    for kid in list(node.kids):
        if isinstance(kid, Node):
            _place_list_labels(kid, kid if kid.tag == "/LI" else item)


def _merge(node: Node, renamed: dict[str, str]) -> None:
    """Fragments of one element, on consecutive pages or lines, become one element again."""
    if node.tag == "/Table":
        _drop_repeated_headers(node, renamed)
    merged: list[Node | Mcid | Objr] = []
    for kid in node.kids:
        last = merged[-1] if merged else None
        if (
            isinstance(kid, Node)
            and isinstance(last, Node)
            and kid.key is not None
            and (kid.key, kid.tag) == (last.key, last.tag)
        ):
            last.kids += kid.kids
            continue
        merged.append(kid)
    node.kids = merged
    for kid in merged:
        if isinstance(kid, Node):
            _merge(kid, renamed)


def _drop_repeated_headers(table: Node, renamed: dict[str, str]) -> None:
    """A header row group repeated on a later page is pagination: its cells' IDs are renamed
    to the first one's."""
    first: dict[int, Node] = {}
    kept: list[Node | Mcid | Objr] = []
    for kid in table.kids:
        if isinstance(kid, Node) and kid.tag in ("/THead", "/TFoot") and kid.key is not None:
            if kid.key in first:
                original = {
                    cell.key: str(cell.obj.ID)
                    for _, cell in _nodes(first[kid.key])
                    if cell.tag == "/TH" and "/ID" in cell.obj
                }
                for _, cell in _nodes(kid):
                    if cell.tag == "/TH" and "/ID" in cell.obj and cell.key in original:
                        renamed[str(cell.obj.ID)] = original[cell.key]
                continue
            first[kid.key] = kid
        kept.append(kid)
    table.kids = kept


def _fix_links(node: Node, link: Node | None) -> None:
    """One ``Link`` per link: inner Links are Spans; every annotation hangs off the Link."""
    if node.tag == "/Link":
        if link is None:
            link = node
        else:
            node.tag = "/Span"
    if link is not None and node is not link:
        moved = [kid for kid in node.kids if isinstance(kid, Objr)]
        if moved:
            node.kids = [kid for kid in node.kids if not isinstance(kid, Objr)]
            link.kids += moved
    for kid in list(node.kids):
        if isinstance(kid, Node):
            _fix_links(kid, link)


def _prune(node: Node) -> bool:
    """Drop grouping elements left empty (a ``<br>``'s, the leaders' parents): whether
    anything is left under ``node``."""
    kept: list[Node | Mcid | Objr] = []
    for kid in node.kids:
        if isinstance(kid, Node) and not _prune(kid) and kid.tag in EMPTY_GROUPS:
            continue
        kept.append(kid)
    node.kids = kept
    return bool(kept)


def _fix_elements(document: Node, renamed: Mapping[str, str], id_prefix: str = "") -> int:
    """Table header scopes, cells naming headers that moved, note IDs; images without alt."""
    import pikepdf

    missing_alt = 0
    notes = 0
    for _, node in _nodes(document):
        attributes = node.obj.get("/A")
        if node.tag == "/TH":
            scope = pikepdf.Name("/Row" if node.role == "RowHeader" else "/Column")
            if isinstance(attributes, pikepdf.Dictionary):
                attributes.Scope = scope
            else:
                node.obj.A = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=scope)
            if id_prefix and "/ID" in node.obj:
                node.obj.ID = pikepdf.String(id_prefix + str(node.obj.ID))
        elif node.tag == "/TD" and isinstance(attributes, pikepdf.Dictionary):
            headers = attributes.get("/Headers")
            if isinstance(headers, pikepdf.Array) and (renamed or id_prefix):
                attributes.Headers = pikepdf.Array(
                    [pikepdf.String(id_prefix + renamed.get(str(h), str(h))) for h in headers]
                )
        elif node.tag == "/Note":
            notes += 1
            node.obj.ID = pikepdf.String(f"{id_prefix}note-{notes}")
        elif node.tag == "/Figure" and not str(node.obj.get("/Alt", "")).strip():
            missing_alt += 1
    return missing_alt


def _write(
    node: Node,
    parent: PdfObject,
    pages: list[PdfObject],
    page_index: Mapping[Any, int],
    parents: dict[int, dict[int, PdfObject]],
    annotations: dict[int, PdfObject],
    ids: dict[str, PdfObject],
) -> None:
    """Put the repaired tree back into the PDF objects, and note who owns what."""
    import pikepdf

    obj = node.obj
    for key in PRIVATE:
        if "/" + key in obj:
            del obj["/" + key]
    obj.S = pikepdf.Name(node.tag)
    obj.P = parent
    if "/ID" in obj:
        ids[str(obj.ID)] = obj
    page = page_index[obj.Pg.objgen] if "/Pg" in obj else None
    kids: list[Any] = []
    for kid in node.kids:
        if isinstance(kid, Node):
            _write(kid, obj, pages, page_index, parents, annotations, ids)
            kids.append(kid.obj)
        elif isinstance(kid, Mcid):
            if kid.page == page:
                kids.append(kid.mcid)
            else:
                kids.append(
                    pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=pages[kid.page], MCID=kid.mcid)
                )
            parents[kid.page][kid.mcid] = obj
        else:
            kids.append(kid.obj)
            annotations[int(kid.obj.Obj.StructParent)] = obj
    obj.K = pikepdf.Array(kids)


def _mark_artifacts(
    pdf: pikepdf.Pdf,
    pages: list[PdfObject],
    parents: Mapping[int, Mapping[int, PdfObject]],
    layout: set[tuple[int, int]],
) -> None:
    """Marked content that no structure element owns any more is an artifact."""
    for number, page in enumerate(pages):
        owned = parents[number]

        def artifact(
            match: re.Match[bytes], number: int = number, owned: Mapping[int, Any] = owned
        ) -> bytes:
            mcid = int(match[2])
            if mcid in owned:
                return match[0]
            return LAYOUT if (number, mcid) in layout else PAGINATION

        for stream in _content_streams(pdf, page):
            data = stream.read_bytes()
            changed = MARKED.sub(artifact, data)
            if changed != data:
                stream.write(changed)


def _content_streams(pdf: pikepdf.Pdf, page: PdfObject) -> Iterator[PdfObject]:
    """A page's content streams, and those of the forms it draws (marked content inside
    WeasyPrint's groups counts with the page's)."""
    import pikepdf

    contents = page.Contents
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    seen: set[Any] = set()
    while streams:
        stream = streams.pop()
        if stream.objgen in seen:
            continue
        seen.add(stream.objgen)
        yield stream
        resources = stream.get("/Resources") or page.get("/Resources")
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            continue
        for name in DRAWS.findall(stream.read_bytes()):
            form = xobjects.get("/" + name.decode("latin-1"))
            if form is not None and form.get("/Subtype") == "/Form":
                streams.append(form)


def _title_links(pdf: pikepdf.Pdf, titles: Mapping[str, str]) -> None:
    """A link's ``/Contents`` says where it goes: the target's title, not its anchor."""
    import pikepdf

    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            destination = annotation.get("/Dest")
            if annotation.get("/Subtype") == "/Link" and isinstance(destination, pikepdf.String):
                title = titles.get(str(destination))
                if title:
                    annotation.Contents = pikepdf.String(title)


def _edit_xmp(pdf: pikepdf.Pdf, edit: Callable[[etree._Element], bool]) -> None:
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return
    root = etree.fromstring(metadata.read_bytes())
    if edit(root):
        metadata.write(etree.tostring(root.getroottree(), encoding="utf-8"))


def _drop_accessibility_claims(pdf: pikepdf.Pdf) -> None:
    """No PDF/UA claim, and PDF/A level B instead of A, for a PDF with an image lacking alt."""

    def edit(root: etree._Element) -> bool:
        changed = False
        for description in root.iter(f"{XMP_RDF}Description"):
            for name in [n for n in description.attrib if n.startswith(PDFUAID)]:
                del description.attrib[name]
                changed = True
            for part in [c for c in description if str(c.tag).startswith(PDFUAID)]:
                description.remove(part)
                changed = True
            for conformance in (f"{PDFAID}conformance",):
                if description.get(conformance) == "A":
                    description.set(conformance, "B")
                    changed = True
                for child in description.iter(conformance):
                    if child.text == "A":
                        child.text = "B"
                        changed = True
        for description in list(root.iter(f"{XMP_RDF}Description")):
            if len(description) == 0 and set(description.attrib) <= {f"{XMP_RDF}about"}:
                description.getparent().remove(description)
        return changed

    _edit_xmp(pdf, edit)


def _claims_pdfa(pdf: pikepdf.Pdf) -> bool:
    metadata = pdf.Root.get("/Metadata")
    return metadata is not None and b"http://www.aiim.org/pdfa/ns/id/" in metadata.read_bytes()


def _no_interpolation(pdf: pikepdf.Pdf) -> None:
    """PDF/A forbids ``/Interpolate true`` on images (ISO 19005-2 6.2.8); viewers choose."""
    import pikepdf

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            if "/Interpolate" in obj:
                del obj["/Interpolate"]
