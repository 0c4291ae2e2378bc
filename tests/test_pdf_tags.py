"""The tagged PDF read back as a screen reader would: the structure tree (pikepdf) and the text
each element owns (pdfplumber's marked-content ids). PDF/UA-1 findings, one test each, and the
PDF/A rules we can check without veraPDF (see README, "What the PDF claims").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from lxml import etree

from pipeline.read.report import read_report
from tests.conftest import DATA, SAMPLE, build_pdf, make_png

pytestmark = pytest.mark.slow  # every test here builds PDFs (conftest: --quick skips them)

QUIRKS = DATA / "pdf-quirks.md"
HEADINGS = {f"/H{n}" for n in range(1, 7)}
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


@pytest.fixture(scope="module")
def quirks(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Tagged:
    return Tagged.read(build_pdf(QUIRKS, tmp_path_factory.mktemp("quirks"), paper="A5"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Tagged:
    return Tagged.read(build_pdf(SAMPLE, tmp_path_factory.mktemp("sample")))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> pikepdf.Pdf:
    out = tmp_path_factory.mktemp("archive")
    return pikepdf.open(build_pdf(QUIRKS, out, paper="A5", pdf_variant="a"))


# ---------- the tree, as plain objects ----------


@dataclass(eq=False)
class Element:
    tag: str
    obj: pikepdf.Dictionary
    parent: Element | None
    kids: list[Element] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page index, MCID)
    annotations: list[pikepdf.Dictionary] = field(default_factory=list)

    def walk(self) -> Iterator[Element]:
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def ancestors(self) -> Iterator[Element]:
        parent = self.parent
        while parent is not None:
            yield parent
            parent = parent.parent


@dataclass
class Tagged:
    path: Path
    pdf: pikepdf.Pdf
    document: Element
    text: dict[tuple[int, int], str]  # (page, MCID) -> the text it marks
    artifact_text: list[str]  # per page: the text marked as artifacts

    @classmethod
    def read(cls, path: Path) -> Tagged:
        pdf = pikepdf.open(path)
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        text: dict[tuple[int, int], str] = {}
        artifacts = []
        with pdfplumber.open(path) as plumber:
            for number, page in enumerate(plumber.pages):
                artifact = ""
                for char in page.chars:
                    if char.get("mcid") is not None:
                        key = (number, char["mcid"])
                        text[key] = text.get(key, "") + char["text"]
                    elif char.get("tag") == "Artifact":
                        artifact += char["text"]
                    else:
                        raise AssertionError(f"untagged text on page {number + 1}: {char['text']}")
                artifacts.append(artifact)
        root = pdf.Root.StructTreeRoot
        document = cls._element(root.K[0], None, pages, 0)
        return cls(path, pdf, document, text, artifacts)

    @classmethod
    def _element(
        cls, obj: pikepdf.Dictionary, parent: Element | None, pages: dict, page: int
    ) -> Element:
        if "/Pg" in obj:
            page = pages[obj.Pg.objgen]
        element = Element(str(obj.S), obj, parent)
        kids = obj.get("/K")
        items = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
        for item in items:
            if isinstance(item, int):
                element.mcids.append((page, item))
            elif item.get("/Type") == "/OBJR":
                element.annotations.append(item.Obj)
            elif item.get("/Type") == "/MCR":
                element.mcids.append((pages[item.Pg.objgen] if "/Pg" in item else page, item.MCID))
            else:
                element.kids.append(cls._element(item, element, pages, page))
        return element

    def text_of(self, element: Element) -> str:
        return "".join(self.text.get(m, "") for e in element.walk() for m in e.mcids)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.document.walk() if e.tag == tag]


def bare(text: str) -> str:
    return "".join(text.split())


def xmp(pdf: pikepdf.Pdf) -> etree._Element:
    return etree.fromstring(pdf.Root.Metadata.read_bytes())


def xmp_values(pdf: pikepdf.Pdf, name: str) -> list[str]:
    """An XMP property's values, written as an attribute or as an element."""
    root = xmp(pdf)
    values = [d.get(name) for d in root.iter(f"{RDF}Description") if d.get(name) is not None]
    return values + [e.text or "" for e in root.iter(name)]


# ---------- artifacts ----------


def test_every_tagged_run_belongs_to_the_tree(quirks: Tagged, sample: Tagged) -> None:
    """Marked content with an MCID that no element reaches is read by nobody, or wrongly."""
    for tagged in (quirks, sample):
        owned = {m for e in tagged.document.walk() for m in e.mcids}
        orphans = sorted(set(tagged.text) - owned)
        assert not orphans, f"{tagged.path.name}: (page, MCID) outside the tree: {orphans[:5]}"


def test_running_headers_and_page_numbers_are_artifacts(quirks: Tagged) -> None:
    pages = len(quirks.pdf.pages)
    tagged_text = " ".join(quirks.text.values())
    for number in range(2, pages):  # the cover and contents carry none
        artifact = quirks.artifact_text[number]
        assert f"{number + 1} / {pages}" in artifact, f"page {number + 1}: {artifact!r}"
    assert "인프콘 2024 조판 시험" in "".join(quirks.artifact_text[2:])  # the running header
    assert not re.search(rf"\b\d+ / {pages}\b", tagged_text)


def test_contents_leaders_are_artifacts(sample: Tagged) -> None:
    """A screen reader reads "DAY 1 3", not "DAY 1" and seventy dots: each leader is a dotted
    stroke drawn as an artifact (a background), one per entry, never text."""
    contents = [e for e in sample.document.walk() if e.tag == "/Link" and e.mcids[:1] != []]
    assert contents
    for link in sample.all("/Link"):
        assert ". ." not in sample.text_of(link), sample.text_of(link)
    assert ". ." not in sample.artifact_text[1]
    page = sample.pdf.pages[1]
    content = b"".join(s.read_bytes() for s in _as_list(page.obj.Contents))
    forms = page.obj.Resources.get("/XObject", {})
    dotted = [
        name
        for name, form in forms.items()
        if form.get("/Subtype") == "/Form" and re.search(rb"\[[\d.]+ [\d.]+\] 0 d", _drawn(form))
    ]
    entries = len(read_report(SAMPLE).chapters) + len(read_report(SAMPLE).talks)
    assert len(dotted) == entries  # the dots are still drawn, one stroke per entry
    for name in dotted:  # each inside marked artifact content
        drawn = content.index(f"{name} Do".encode())
        assert content.rfind(b"/Artifact", 0, drawn) > content.rfind(b"EMC", 0, drawn)


def _as_list(contents: pikepdf.Object) -> list[pikepdf.Stream]:
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def _drawn(form: pikepdf.Stream) -> bytes:
    """A form's content and that of the forms it draws."""
    data = form.read_bytes()
    inner = form.get("/Resources", {}).get("/XObject", {})
    return data + b"".join(
        _drawn(child) for child in inner.values() if child.get("/Subtype") == "/Form"
    )


# ---------- links ----------


def test_every_link_annotation_hangs_off_a_link(sample: Tagged, quirks: Tagged) -> None:
    for tagged in (sample, quirks):
        parents = {a.objgen: e.tag for e in tagged.document.walk() for a in e.annotations}
        parent_tree = dict(_nums(tagged.pdf.Root.StructTreeRoot.ParentTree))
        for page in tagged.pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                if annotation.Subtype != "/Link":
                    continue
                assert parents.get(annotation.objgen) == "/Link", annotation.get("/Contents")
                owner = parent_tree[int(annotation.StructParent)]
                assert owner.S == "/Link"
                assert any(
                    k.get("/Obj") == annotation
                    for k in owner.K
                    if isinstance(k, pikepdf.Dictionary)
                )


def test_no_link_inside_a_link(sample: Tagged, quirks: Tagged) -> None:
    for tagged in (sample, quirks):
        for link in tagged.all("/Link"):
            assert not [a for a in link.ancestors() if a.tag == "/Link"], tagged.text_of(link)


def test_a_link_describes_its_target(sample: Tagged) -> None:
    report = read_report(SAMPLE)
    titles = {t.id: t.title for t in report.talks} | {c.id: c.label for c in report.chapters}
    described = {}
    for page in sample.pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            if "/Dest" in annotation:
                described[str(annotation.Dest)] = str(annotation.Contents)
    assert set(described) == set(titles)
    assert described == titles


# ---------- headings and the shape of the document ----------


def test_a_day_opener_is_one_heading(quirks: Tagged) -> None:
    for heading in (e for e in quirks.document.walk() if e.tag in HEADINGS):
        assert not [a for a in heading.ancestors() if a.tag in HEADINGS], quirks.text_of(heading)
    days = [quirks.text_of(h) for h in quirks.all("/H2")]
    assert days == ["차례", "DAY1", "DAY2"]


def test_days_contain_their_talks_and_a_talk_is_one_article(quirks: Tagged) -> None:
    report = read_report(QUIRKS)
    sections = [e for e in quirks.document.kids if e.tag == "/Sect"]
    chapters = [s for s in sections if any(k.tag == "/Art" for k in s.kids)]
    # (a line break drops the space it replaces: compare without spaces)
    assert [
        [
            bare(quirks.text_of(h))
            for a in s.kids
            if a.tag == "/Art"
            for h in a.walk()
            if h.tag == "/H3"
        ]
        for s in chapters
    ] == [[bare(t.title) for t in c.talks] for c in report.chapters]
    first = next(a for a in chapters[0].kids if a.tag == "/Art")
    pages = {page for e in first.walk() for page, _ in e.mcids}
    assert len(pages) >= 2, "the first talk of the quirks notes crosses a page"
    # nothing but the document's parts at the top: no page-level leftovers between them
    assert [e.tag for e in quirks.document.kids] == ["/Sect", "/NonStruct"] + ["/Sect"] * len(
        report.chapters
    )


def test_footnotes_are_notes_after_their_reference(quirks: Tagged) -> None:
    notes = quirks.all("/Note")
    assert [quirks.text_of(n)[:8] for n in notes] == ["1.각주의 내용", "2.https:"]
    ids = [str(n.obj.ID) for n in notes]
    assert len(set(ids)) == len(ids)
    for note in notes:
        siblings = note.parent.kids if note.parent else []
        before = siblings[siblings.index(note) - 1]
        assert before.tag == "/Reference"
        assert quirks.text_of(before) == quirks.text_of(note).split(".")[0]
        assert note.parent is not None and note.parent.tag == "/P"
        assert note.kids[0].tag == "/Lbl"


# ---------- lists ----------


def test_each_list_item_starts_with_its_label(quirks: Tagged, sample: Tagged) -> None:
    """Bullets and numbers (print.css draws them, see pipeline/pdf/html.py) are each item's
    Lbl, before its body, read as a marker is; the ordered list starting at 3 says 3 and 4."""
    labels = []
    for tagged in (quirks, sample):
        for item in tagged.all("/LI"):
            if not item.kids or item.kids[0].tag != "/Lbl":
                assert all(k.tag != "/Lbl" for k in item.kids)  # no label, as in the openers
                continue
            assert [k.tag for k in item.kids[1:]] in (["/LBody"], ["/P"]), item.kids
            labels.append(bare(tagged.text_of(item.kids[0])))
    assert {"•", "–", "3.", "4."} <= set(labels)
    assert len(labels) >= 29 + 5  # the sample's 29 and the quirks' nested and numbered lists


# ---------- tables ----------


def test_table_headers_have_a_scope_and_resolvable_ids(quirks: Tagged) -> None:
    id_tree = dict(_names(quirks.pdf.Root.StructTreeRoot.IDTree))
    headers = quirks.all("/TH")
    assert headers
    for cell in headers:
        assert cell.obj.A.Scope in ("/Column", "/Row")
        assert id_tree[str(cell.obj.ID)] == cell.obj
    for cell in quirks.all("/TD"):
        for name in cell.obj.A.Headers:
            assert id_tree[str(name)].S == "/TH"


def test_a_table_across_pages_is_one_table_with_one_header(quirks: Tagged) -> None:
    long = [t for t in quirks.all("/Table") if "세션 45의" in quirks.text_of(t)]
    assert len(long) == 1
    assert [k.tag for k in long[0].kids] == ["/THead", "/TBody"]
    assert len({page for e in long[0].walk() for page, _ in e.mcids}) >= 2
    repeated = [
        n for n in range(len(quirks.pdf.pages)) if "순서세션발표자" in quirks.artifact_text[n]
    ]
    assert repeated, "the header repeated on a later page is an artifact"


# ---------- alternative text and the claims ----------


NO_ALT = """---
title: 대체 텍스트 시험
---

## DAY 1

### 발표

본문 문단이다.

![{alt}](diagram.png)
"""


@pytest.mark.parametrize("alt", ["", "처리 흐름을 그린 그림"], ids=["no-alt", "alt"])
def test_an_image_without_alt_costs_the_claims(
    alt: str, tmp_path: Path, epoch: None, caplog: pytest.LogCaptureFixture
) -> None:
    make_png(tmp_path / "diagram.png")
    notes = tmp_path / "notes.md"
    notes.write_text(NO_ALT.format(alt=alt), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        ua = pikepdf.open(build_pdf(notes, tmp_path / "ua"))
        pdfa = pikepdf.open(build_pdf(notes, tmp_path / "a", pdf_variant="a"))
    warned = [m for m in caplog.messages if "without alt text" in m]
    if alt:
        assert xmp_values(ua, f"{PDFUAID}part") == ["1"]
        assert xmp_values(pdfa, f"{PDFAID}conformance") == ["A"]
        assert not warned
    else:
        assert xmp_values(ua, f"{PDFUAID}part") == []
        assert xmp_values(pdfa, f"{PDFAID}conformance") == ["B"]
        assert len(warned) == 2 and "notes.md:11" in warned[0] and "PDF/UA-1" in warned[0]
    assert "/StructTreeRoot" in ua.Root and "/StructTreeRoot" in pdfa.Root


# ---------- PDF/A ----------


def test_pdfa_is_level_a_and_tagged(archive: pikepdf.Pdf) -> None:
    assert xmp_values(archive, f"{PDFAID}part") == ["3"]
    assert xmp_values(archive, f"{PDFAID}conformance") == ["A"]
    assert "/StructTreeRoot" in archive.Root and archive.Root.MarkInfo.Marked
    tagged = Tagged.read(Path(archive.filename))
    assert tagged.all("/Note") and tagged.all("/Art")  # the same repaired tree as PDF/UA
    assert not [k for e in tagged.document.walk() for k in e.obj.keys() if k.startswith("/CR")]


def test_pdfa_images_do_not_interpolate(archive: pikepdf.Pdf) -> None:
    """ISO 19005-2 6.2.8 (veraPDF rule 6.2.8-3): Interpolate shall not be true."""
    images = [
        o
        for o in archive.objects
        if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
    ]
    assert len(images) >= 2  # the cover and the diagram
    assert not [o for o in images if o.get("/Interpolate") is True]


def test_pdfa_output_intent_and_identification(archive: pikepdf.Pdf) -> None:
    """An sRGB output intent (6.2.3), the file identifier (6.1.3), XMP identification (6.6.4)."""
    intents = archive.Root.OutputIntents
    assert [str(i.S) for i in intents] == ["/GTS_PDFA1"]
    profile = intents[0].DestOutputProfile
    assert profile.N == 3 and profile.read_bytes()[36:40] == b"acsp"  # an ICC profile
    assert len(archive.trailer.ID) == 2
    assert xmp_values(archive, f"{PDFAID}part") == ["3"]
    title = [e.text for e in xmp(archive).iter(f"{RDF}li")]
    assert "인프콘 2024 조판 시험" in title


def test_no_private_keys_are_left(quirks: Tagged) -> None:
    for element in quirks.document.walk():
        assert not [k for k in element.obj.keys() if k.startswith("/CR")]


# ---------- helpers ----------


def _nums(tree: pikepdf.Dictionary) -> Iterator[tuple[int, pikepdf.Object]]:
    if "/Nums" in tree:
        nums = list(tree.Nums)
        yield from zip((int(n) for n in nums[::2]), nums[1::2], strict=True)
    for kid in tree.get("/Kids", ()):
        yield from _nums(kid)


def _names(tree: pikepdf.Dictionary) -> Iterator[tuple[str, pikepdf.Object]]:
    if "/Names" in tree:
        names = list(tree.Names)
        yield from zip((str(n) for n in names[::2]), names[1::2], strict=True)
    for kid in tree.get("/Kids", ()):
        yield from _names(kid)
