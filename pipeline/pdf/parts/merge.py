"""The parts of a book, each a PDF (``part``), merged into one PDF with pikepdf.

The first part (the front matter) is the base: its catalogue, metadata (XMP, document
information, output intent for PDF/A), language and viewer preferences are the book's. Every
other part brings its pages (each already numbered in the book, and ending with the blank page
a right-hand opener after it needs), and the merge joins what WeasyPrint writes once per
document:

- the **structure tree**: one ``Document`` holding the front matter's elements, then each
  part's (its days' ``Sect``\\ s); the parent tree renumbered (a page's key is its index, then
  one key per link annotation), the ``/IDTree`` of every part's IDs (unique: ``part.py``);
- the **outline**: each part's bookmarks (Day > Talk) after the ones before;
- the **named destinations**: one sorted name tree, so a link in one part reaches an anchor in
  another (the contents, a link to another day's talk);
- the **fonts**: embedded once, cut to the glyphs of every part (``weasyprint_format``).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.pdf.parts.part import PartPdf
from pipeline.pdf.weasyprint_format import embed_font, unite

PdfObject = Any  # pikepdf's objects are dynamically typed


def merge_parts(parts: Sequence[PartPdf], fonts: Mapping[str, Path], target: Path) -> int:
    """Merge the parts into ``target`` (a path or /proc/self/fd/N); returns the page count.
    ``fonts``: the book's font files by digest (``part.font_sources``)."""
    import pikepdf

    from pipeline.pdf.tags import _drop_accessibility_claims

    pdf = pikepdf.open(io.BytesIO(parts[0].data))
    book = _Book(pdf)
    book.take_native(parts[0])
    for part in parts[1:]:
        book.add(part)
    book.finish(parts, fonts)
    if any(part.missing_alt for part in parts):
        _drop_accessibility_claims(pdf)
    with target.open("wb") as out:
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    count = len(pdf.pages)
    pdf.close()
    return count


class _Book:
    """The merged PDF being put together."""

    def __init__(self, pdf: PdfObject) -> None:
        self.pdf = pdf
        root = pdf.Root
        self.tree = root.get("/StructTreeRoot")
        self.document = None
        if self.tree is not None:
            kids = self.tree.K
            self.document = kids[0] if isinstance(kids, list) or _is_array(kids) else kids
        self.page_parents: list[PdfObject] = []  # by merged page index: its MCIDs' elements
        self.annotations: list[tuple[PdfObject, PdfObject]] = []  # (annotation, its element)
        self.ids: list[tuple[str, PdfObject]] = []
        self.dests: list[tuple[str, PdfObject]] = []
        self.font_dicts: list[tuple[PartPdf, PdfObject]] = []
        self.color_spaces: PdfObject = None

    # ---------- the front matter: the base's own objects ----------

    def take_native(self, part: PartPdf) -> None:
        pdf = self.pdf
        pages = list(pdf.pages)
        nums = _nums(self.tree)
        by_key = dict(nums)
        for index in range(len(pages)):
            self.page_parents.append(by_key.get(index))
        for page in pages:
            for annotation in page.obj.get("/Annots", ()):
                key = annotation.get("/StructParent")
                if key is not None and int(key) in by_key:
                    self.annotations.append((annotation, by_key[int(key)]))
        self.ids += _name_tree(self.tree.get("/IDTree") if self.tree is not None else None)
        names = pdf.Root.get("/Names")
        self.dests += _name_tree(names.get("/Dests") if names is not None else None)
        self._font_dicts(part, pages)

    # ---------- another part: copied in ----------

    def add(self, part: PartPdf) -> None:
        import pikepdf

        source = pikepdf.open(io.BytesIO(part.data))
        pages = list(source.pages)
        tree = source.Root.get("/StructTreeRoot")
        nums = dict(_nums(tree))
        kids = []
        if tree is not None:
            document = tree.K[0] if _is_array(tree.K) else tree.K
            kids = list(document.K) if _is_array(document.K) else [document.K]
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary):
                    del kid["/P"]  # re-parented below; not a path back to the old tree
        names = source.Root.get("/Names")
        dests = _name_tree(names.get("/Dests") if names is not None else None)
        ids = _name_tree(tree.get("/IDTree") if tree is not None else None)
        outlines = source.Root.get("/Outlines")
        first = len(self.pdf.pages)
        with warnings.catch_warnings():  # about destinations: the merge carries them over
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            self.pdf.pages.extend(source.pages)
        annotations = [
            (annotation, int(annotation.StructParent))
            for page in pages
            for annotation in page.obj.get("/Annots", ())
            if "/StructParent" in annotation
        ]
        carried = [
            *kids,
            *(nums.get(index) for index in range(len(pages))),
            *(nums.get(key) for _, key in annotations),
            *(value for _, value in dests),
            *(value for _, value in ids),
            outlines,
        ]
        holder = source.make_indirect(pikepdf.Array(carried))
        copied = list(self.pdf.copy_foreign(holder))
        cursor = 0
        if self.document is not None:
            for kid in copied[: len(kids)]:
                if isinstance(kid, pikepdf.Dictionary):
                    kid.P = self.document
                self.document.K.append(kid)
        cursor = len(kids)
        self.page_parents += copied[cursor : cursor + len(pages)]
        cursor += len(pages)
        new_annotations = [
            annotation
            for page in list(self.pdf.pages)[first:]
            for annotation in page.obj.get("/Annots", ())
            if "/StructParent" in annotation
        ]
        self.annotations += list(
            zip(new_annotations, copied[cursor : cursor + len(annotations)], strict=True)
        )
        cursor += len(annotations)
        self.dests += [
            (key, value) for (key, _), value in zip(dests, copied[cursor:], strict=False)
        ]
        cursor += len(dests)
        self.ids += [(key, value) for (key, _), value in zip(ids, copied[cursor:], strict=False)]
        cursor += len(ids)
        self._outline(copied[cursor])
        self._font_dicts(part, list(self.pdf.pages)[first:])
        source.close()

    def _outline(self, copied: PdfObject) -> None:
        import pikepdf

        if not isinstance(copied, pikepdf.Dictionary) or "/First" not in copied:
            return
        root = self.pdf.Root.get("/Outlines")
        if root is None:
            root = self.pdf.Root.Outlines = self.pdf.make_indirect(pikepdf.Dictionary(Count=0))
        item = copied.First
        while True:
            item.Parent = root
            if "/First" not in root:
                root.First = item
                if "/Prev" in item:
                    del item["/Prev"]
            else:
                item.Prev = root.Last
                root.Last.Next = item
            root.Last = item
            if "/Next" not in item:
                break
            item = item.Next
        root.Count = int(root.get("/Count", 0)) + int(copied.get("/Count", 0))

    def _font_dicts(self, part: PartPdf, pages: list[PdfObject]) -> None:
        """Note each part's font dictionary (filled in by ``finish``); and let every part share
        the first one's colour spaces (WeasyPrint writes the same dictionary in each)."""
        seen = set()
        for page in pages:
            resources = page.obj.get("/Resources")
            if resources is None or resources.objgen in seen:
                continue
            seen.add(resources.objgen)
            fonts = resources.get("/Font")
            if fonts is not None:
                self.font_dicts.append((part, fonts))
            spaces = resources.get("/ColorSpace")
            if spaces is None:
                continue
            if self.color_spaces is None:
                self.color_spaces = spaces
            elif spaces.is_indirect and repr(spaces) == repr(self.color_spaces):
                resources.ColorSpace = self.color_spaces

    # ---------- once every part is in ----------

    def finish(self, parts: Sequence[PartPdf], fonts: Mapping[str, Path]) -> None:
        import pikepdf

        uses: dict[str, list[Any]] = {}
        for part in parts:
            for key, use in part.fonts.items():
                uses.setdefault(key, []).append(use)
        embedded = {key: embed_font(self.pdf, unite(found), fonts) for key, found in uses.items()}
        for part, font_dict in self.font_dicts:
            for name in part.fonts:
                font_dict[pikepdf.Name("/" + name)] = embedded[name]
        if self.dests:
            names = self.pdf.Root.get("/Names")
            if names is None:
                names = self.pdf.Root.Names = pikepdf.Dictionary()
            names.Dests = pikepdf.Dictionary(Names=_flat(self.dests))
        if self.tree is None:
            return
        pages = list(self.pdf.pages)
        nums: list[Any] = []
        for index, (page, parents) in enumerate(zip(pages, self.page_parents, strict=True)):
            if parents is None:
                continue
            page.obj.StructParents = index
            nums += [index, parents]
        next_key = len(pages)
        for annotation, element in self.annotations:
            annotation.StructParent = next_key
            nums += [next_key, element]
            next_key += 1
        self.tree.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
        self.tree.ParentTreeNextKey = next_key
        if self.ids:
            self.tree.IDTree = self.pdf.make_indirect(pikepdf.Dictionary(Names=_flat(self.ids)))


def _is_array(value: PdfObject) -> bool:
    import pikepdf

    return isinstance(value, pikepdf.Array)


def _nums(tree: PdfObject) -> list[tuple[int, PdfObject]]:
    """A structure tree's parent tree as (key, value) pairs (WeasyPrint writes one flat array)."""
    if tree is None or "/ParentTree" not in tree:
        return []
    items = list(tree.ParentTree.get("/Nums", ()))
    return [(int(key), value) for key, value in zip(items[::2], items[1::2], strict=True)]


def _name_tree(tree: PdfObject) -> list[tuple[str, PdfObject]]:
    """A flat name tree's (name, value) pairs (as WeasyPrint and pipeline.pdf.tags write them)."""
    if tree is None or "/Names" not in tree:
        return []
    items = list(tree.Names)
    return [(str(key), value) for key, value in zip(items[::2], items[1::2], strict=True)]


def _flat(pairs: list[tuple[str, PdfObject]]) -> PdfObject:
    import pikepdf

    ordered = sorted(pairs, key=lambda pair: pair[0])
    return pikepdf.Array([item for key, value in ordered for item in (pikepdf.String(key), value)])
