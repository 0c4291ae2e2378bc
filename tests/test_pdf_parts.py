"""A book laid out in parts, on several processes, is the book laid out at once.

``tests/data/pdf-parts.md`` (three days, A5: a day opens a right-hand page, so blank pages come
between days; footnotes, a table across pages, an image, links to another day and out) is built
both ways and compared: every page as a picture, its text, the outline, the links, the tagged
structure, the fonts. Then what only the parts do: the same bytes on a rebuild, a day edited laid
out again alone, PDF/A.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from pipeline.config import Settings
from pipeline.pdf.html import prepare_print
from pipeline.pdf.parts import pool as workers
from pipeline.pdf.parts.messages import Order, Shared
from pipeline.pdf.parts.pool import WorkerPool
from pipeline.pdf.parts.split import split_book
from pipeline.pdf.parts.worker import PartLayouter
from pipeline.read.report import read_report
from tests.conftest import DATA, EPOCH, build_pdf
from tests.test_pdf_tags import Tagged

# builds PDFs (conftest: --quick skips them), each stamped alike
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("epoch")]

PARTS = DATA / "pdf-parts.md"
build = functools.partial(build_pdf, paper="A5")  # the fixture is an A5 book


@pytest.fixture(scope="module")
def once(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Path:
    return build(PARTS, tmp_path_factory.mktemp("once"), jobs=1, at_once=True)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory, epoch: None) -> Path:
    with WorkerPool() as pool:
        path = build(PARTS, tmp_path_factory.mktemp("parts"), jobs=2, pool=pool)
    assert len(pool.last_timings.parts) == 3  # the three days, laid out apart
    return path


def test_the_fixture_is_cut_into_a_front_matter_and_three_days() -> None:
    report = read_report(PARTS)
    book = split_book(prepare_print(report, Settings(paper="A5")).html)
    assert book is not None
    assert [part.name for part in book.parts] == ["front", "day-1", "day-2", "day-3"]
    assert "day-3-talk-3" in book.targets and "day-3-talk-3" in book.parts[3].ids


# ---------- the same book ----------


def test_every_page_looks_the_same(once: Path, parts: Path, tmp_path: Path) -> None:
    for name, path in (("once", once), ("parts", parts)):
        subprocess.run(["pdftoppm", "-r", "40", "-png", path, tmp_path / name], check=True)
    pictures = sorted(p.name for p in tmp_path.glob("once-*.png"))
    assert len(pictures) == len(PdfReader(once).pages) > 12
    for picture in pictures:
        a = Image.open(tmp_path / picture).convert("RGB")
        b = Image.open(tmp_path / picture.replace("once", "parts")).convert("RGB")
        assert ImageChops.difference(a, b).getbbox() is None, picture


def test_the_text_is_the_same(once: Path, parts: Path) -> None:
    with pdfplumber.open(once) as a, pdfplumber.open(parts) as b:
        assert [p.extract_text() for p in a.pages] == [p.extract_text() for p in b.pages]
    # and the page numbers are the book's: "n / N" on every page but the cover
    with pdfplumber.open(parts) as pdf:
        total = len(pdf.pages)
        for number, page in enumerate(pdf.pages[1:], start=2):
            assert f"{number} / {total}" in (page.extract_text() or ""), number


def outline(path: Path) -> list[tuple[int, str, int]]:
    reader = PdfReader(path)
    found: list[tuple[int, str, int]] = []

    def walk(items: list[object], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))  # type: ignore[attr-defined,arg-type]

    walk(reader.outline, 0)  # type: ignore[arg-type]
    return found


def test_the_outline_is_the_same(once: Path, parts: Path) -> None:
    found = outline(parts)
    assert found == outline(once)
    assert [title for depth, title, _ in found if depth == 0] == ["DAY 1", "DAY 2", "DAY 3"]
    assert len(found) == 12


def links(path: Path) -> dict[tuple[int, str], tuple[int, ...]]:
    """Per page and target (a page and point, or a URL), the box the links to it cover."""
    pdf = pikepdf.open(path)
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = list(pdf.Root.Names.Dests.Names)
    dests = {
        str(name): (pages[value[0].objgen], round(float(value[2])), round(float(value[3])))
        for name, value in zip(names[::2], names[1::2], strict=True)
    }
    boxes: dict[tuple[int, str], list[list[float]]] = {}
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", ()):
            if "/Dest" in annotation:
                target = str(dests[str(annotation.Dest)])
            else:
                target = str(annotation.A.URI)
            boxes.setdefault((index, target), []).append([float(v) for v in annotation.Rect])
    return {
        key: (
            round(min(r[0] for r in rects)),
            round(min(r[1] for r in rects)),
            round(max(r[2] for r in rects)),
            round(max(r[3] for r in rects)),
        )
        for key, rects in boxes.items()
    }


def test_links_go_to_the_same_places(once: Path, parts: Path) -> None:
    found = links(parts)
    assert found == links(once)
    contents = [target for page, target in found if page == 1]
    assert len(contents) == 12  # the contents page reaches every day and talk, in other parts
    assert "https://example.com/slides/build-times" in {target for _, target in found}


def structure(path: Path) -> list[tuple[str, str]]:
    tagged = Tagged.read(path)
    return [(e.tag, tagged.text_of(e)) for e in tagged.document.walk()]


def test_the_tagged_structure_is_the_same(once: Path, parts: Path) -> None:
    found = structure(parts)
    assert found == structure(once)
    tags = [tag for tag, _ in found]
    assert tags.count("/Document") == 1 and tags.count("/Sect") >= 3
    assert tags.count("/Note") == 10 and tags.count("/Table") == 1  # 9 notes, 1 link's URL
    ids = PdfReader(parts).trailer["/Root"]["/StructTreeRoot"]["/IDTree"]["/Names"][::2]
    assert len(ids) == len(set(ids))


def test_each_font_is_embedded_once(once: Path, parts: Path) -> None:
    def fonts(path: Path) -> list[str]:
        pdf = pikepdf.open(path)
        found = {
            font.objgen: str(font.BaseFont)
            for page in pdf.pages
            for font in page.obj.Resources.get("/Font", {}).values()
        }
        return sorted(found.values())

    assert fonts(parts) == sorted(set(fonts(parts))) == fonts(once)
    assert os.path.getsize(parts) <= os.path.getsize(once) * 1.01


# ---------- what only the parts do ----------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_rebuild_gives_the_same_bytes(parts: Path, tmp_path: Path) -> None:
    assert digest(build(PARTS, tmp_path, jobs=2)) == digest(parts)


def test_one_process_lays_the_days_out_in_parts_too(parts: Path, tmp_path: Path) -> None:
    """`--jobs 1` (or one core): a day at a time, less memory than the book at once."""
    with WorkerPool() as pool:
        path = build(PARTS, tmp_path, jobs=1, pool=pool)
    assert len(pool.last_timings.parts) == 3
    assert digest(path) == digest(parts)


def editable_copy(tmp_path: Path) -> Path:
    """The fixture's notes and images in a folder of their own, to edit."""
    notes = tmp_path / "notes" / "book.md"
    notes.parent.mkdir()
    shutil.copy(PARTS, notes)
    shutil.copytree(DATA / "pdf-img", notes.parent / "pdf-img")
    return notes


def test_an_edited_day_is_laid_out_again_alone(tmp_path: Path) -> None:
    notes = editable_copy(tmp_path)
    out = tmp_path / "out"
    build(notes, out, jobs=2, reuse=True)
    text = notes.read_text(encoding="utf-8")
    edited = text.replace("운영 부담도 덜었다.", "운영 부담은 줄었다.", 1)  # in DAY 1, same letters
    assert edited != text
    notes.write_text(edited, encoding="utf-8")
    with WorkerPool() as pool:
        again = build(notes, out, jobs=2, reuse=True, pool=pool)
    assert set(pool.last_timings.parts) == {"day-1"}  # the others were reused
    assert pool.last_timings.reused == 3  # the front matter and the other two days
    assert digest(again) == digest(build(notes, tmp_path / "fresh", jobs=2))


def test_a_day_that_grows_renumbers_the_days_after_it_one_worker_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--jobs 1`: the edited day is laid out, then the days after it (their page numbers
    changed), never two workers at once; the book is the one a fresh build gives."""
    notes = editable_copy(tmp_path)
    out = tmp_path / "out"
    build(notes, out, jobs=1, reuse=True)
    pages = len(PdfReader(out / "book.pdf").pages)
    text = notes.read_text(encoding="utf-8")
    sentence = "운영 부담도 덜었다."
    edited = text.replace(sentence, " ".join([sentence] * 120), 1)  # DAY 1 grows, same letters
    notes.write_text(edited, encoding="utf-8")

    started: list[object] = []
    finished: set[int] = set()
    most = [0]
    real_init, real_written = workers.Worker.__init__, WorkerPool.written

    def init(self: object, *args: object, **options: object) -> None:
        busy = [worker for worker in started if id(worker) not in finished]
        most[0] = max(most[0], len(busy) + 1)
        real_init(self, *args, **options)  # type: ignore[arg-type]
        started.append(self)

    def written(self: WorkerPool, running: list[workers.Worker]) -> list[object]:
        found = real_written(self, running)
        finished.update(id(worker) for worker in running)
        return found  # type: ignore[return-value]

    monkeypatch.setattr(workers.Worker, "__init__", init)
    monkeypatch.setattr(WorkerPool, "written", written)
    with WorkerPool() as pool:
        again = build(notes, out, jobs=1, reuse=True, pool=pool)
    assert len(PdfReader(again).pages) > pages
    assert set(pool.last_timings.parts) == {"day-1", "day-2", "day-3"}
    assert len(started) == 2 and most[0] == 1
    monkeypatch.undo()
    assert digest(again) == digest(build(notes, tmp_path / "fresh", jobs=2))


def _finished_again_and_afresh() -> dict[str, tuple[bool, bool]]:
    """In a process of its own (the test's forks workers, so it lays nothing out): each part of
    the fixture laid out once and finished three times, with other numbers, sides and contents,
    the last time with the target of a link to another day gone from the book; for each part,
    whether its PDF is the one a new layout gives, and whether it dropped a link."""
    from pipeline.pdf.parts.part import write_part
    from pipeline.pdf.parts.split import Part, untarget_contents
    from pipeline.pdf.weasyprint_internals import install
    from pipeline.pdf.write import book_shared

    settings = Settings(source_date_epoch=int(EPOCH), paper="A5")
    report = read_report(PARTS)
    job = prepare_print(report, settings)
    book = split_book(job.html)
    assert book is not None
    install()
    shared = book_shared(report, settings, job, book)
    day_3 = book.days[2]
    linked = next(
        target
        for target in re.findall(r'href="#([^"]+)"', day_3.html)
        if target in book.ids and target not in day_3.ids
    )
    gone = replace(shared, anchors=shared.anchors - {linked})

    def contents(number: int) -> dict[str, int]:
        return {target: number + index for index, target in enumerate(book.targets)}

    orders = [
        (Order(3, 40, True, contents(3)), shared),
        (Order(8, 99, False, contents(98)), shared),
        (Order(2, 41, True, contents(5)), gone),
    ]

    def finish(name: str, paginated: Any, order: Order, with_: Shared) -> Any:
        if order.contents is not None and name == "front":
            paginated.replace_numbers({t: str(n) for t, n in order.contents.items()})
        document = paginated.finish(order.first, order.total, order.blank_after)
        return write_part(document, name, with_.variant, with_.titles, with_.anchors, with_.fonts)

    found = {}
    layouter = PartLayouter(shared)
    front = Part("front", untarget_contents(book.front.html), book.front.ids)
    for part in [front, *book.days]:
        kept = layouter.paginate(part.html)
        links = []
        for order, with_ in orders:
            written = finish(part.name, kept, order, with_)
            links.append(written.data.count(b"/Link"))
        fresh_layout = layouter.paginate(part.html)
        fresh = finish(part.name, fresh_layout, *orders[-1])
        found[part.name] = (written.data == fresh.data, links[-1] < links[0])
    return found


def test_a_part_finished_again_is_the_part_laid_out_afresh() -> None:
    """What `invoke watch` does with a kept layout (`Paginated.finish` once more, with new
    numbers) gives the bytes a new layout gives: blank page added and taken away, pages
    turned to the other side, the contents' numbers printed again, and a link dropped whose
    target left the book (its annotation from the last writing must not stay)."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        found = pool.apply(_finished_again_and_afresh)
    assert set(found) == {"front", "day-1", "day-2", "day-3"}
    assert all(same for same, _ in found.values()), found
    assert found["day-3"][1]  # the link to the first day was dropped


@pytest.fixture
def kept_layouts() -> Iterator[WorkerPool]:
    """Workers that stay between builds, as under `invoke watch`; ended after the test. No
    part is found in memory from another test's build (the pool keeps its own): each is laid
    out, and kept."""
    with WorkerPool(keep_layouts=True) as pool:
        yield pool


def test_kept_layouts_are_numbered_anew_not_laid_out_again(
    tmp_path: Path, kept_layouts: WorkerPool
) -> None:
    """`invoke watch`: DAY 1 grows by pages; it alone is laid out again. The days after it and
    the front matter (new numbers, a new total, new contents) are finished again from the
    layouts their workers kept, and the book is the one a fresh build gives."""
    notes = editable_copy(tmp_path)
    out = tmp_path / "out"
    build(notes, out, jobs=2, reuse=True, pool=kept_layouts)
    assert len(kept_layouts.holders) == 4  # the front matter and three days
    pages = len(PdfReader(out / "book.pdf").pages)
    text = notes.read_text(encoding="utf-8")
    sentence = "운영 부담도 덜었다."
    for times in (120, 1):  # grows, then shrinks back: each time every later part moves
        notes.write_text(text.replace(sentence, " ".join([sentence] * times), 1), "utf-8")
        again = build(notes, out, jobs=2, reuse=True, pool=kept_layouts)
        assert len(PdfReader(again).pages) != pages
        pages = len(PdfReader(again).pages)
        timings = kept_layouts.last_timings
        assert timings.refinished == 3 and timings.reused == 0  # front, day-2, day-3
        assert set(timings.parts) == {"day-1", "day-2", "day-3"}
        assert (
            len(kept_layouts.holders) == 4
            and len(set(kept_layouts.holders.values())) <= workers.MAX_KEPT
        )
        assert digest(again) == digest(build(notes, tmp_path / f"fresh-{times}", jobs=2))


def test_a_kept_worker_that_died_costs_its_parts_a_new_layout(
    tmp_path: Path, kept_layouts: WorkerPool
) -> None:
    """A worker of `invoke watch` killed between builds: its parts are laid out again."""
    notes = editable_copy(tmp_path)
    out = tmp_path / "out"
    build(notes, out, jobs=2, reuse=True, pool=kept_layouts)
    for worker in set(kept_layouts.holders.values()):
        os.kill(worker.pid, 9)
        os.waitpid(worker.pid, 0)
    text = notes.read_text(encoding="utf-8")
    sentence = "운영 부담도 덜었다."
    notes.write_text(text.replace(sentence, " ".join([sentence] * 120), 1), "utf-8")
    again = build(notes, out, jobs=2, reuse=True, pool=kept_layouts)
    assert kept_layouts.last_timings.refinished == 0
    assert set(kept_layouts.last_timings.parts) == {"day-1", "day-2", "day-3"}
    assert digest(again) == digest(build(notes, tmp_path / "fresh", jobs=2))


def test_the_process_that_forks_the_workers_lays_nothing_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pango starts a thread to load fontconfig's configuration as its fonts are set up; a
    worker forked while that thread held fontconfig's lock waited for it forever (seen in the
    benchmark). So fonts are set up, and parts laid out, only in the workers."""
    coordinator = os.getpid()
    real_config, real_paginate = PartLayouter.font_config, PartLayouter.paginate

    def font_config(self: PartLayouter) -> object:
        assert os.getpid() != coordinator, "fonts set up in the process that forks"
        return real_config(self)

    def paginate(self: PartLayouter, html_text: str) -> object:
        assert os.getpid() != coordinator, "laid out in the process that forks"
        return real_paginate(self, html_text)

    monkeypatch.setattr(PartLayouter, "font_config", font_config)
    monkeypatch.setattr(PartLayouter, "paginate", paginate)
    build(PARTS, tmp_path, jobs=2)


def test_pdfa_in_parts(tmp_path: Path) -> None:
    path = build(PARTS, tmp_path, jobs=2, pdf_variant="a")
    pdf = pikepdf.open(path)
    xmp = pdf.Root.Metadata.read_bytes()
    assert (
        b"pdfaid" in xmp
        and b"<pdfaid:conformance>A</pdfaid:conformance>" in xmp
        or (b'pdfaid:conformance="A"' in xmp)
    )
    assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
    assert "/ID" in pdf.trailer
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            assert "/Interpolate" not in obj
