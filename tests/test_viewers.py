"""Every page looks the same in poppler, MuPDF and pdf.js: no viewer shows blank text.

poppler (``pdftoppm``) is the reference; MuPDF is ``mutool draw`` (Debian ``mupdf-tools``),
pdf.js is ``pdfjs-dist`` under Node (``tests/pdfjs``, installed by ``./bootstrap``). Each PDF
is built once, each engine draws all of its pages in one run (pdf.js: one Node process for
every PDF of a fixture), and ``pipeline.commands.viewers`` compares the drawings page by page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image, ImageDraw

from pipeline.build.reports import build
from pipeline.commands import viewers
from pipeline.commands.viewers import (
    DPI,
    ENGINES,
    compare_page,
    describe_differences,
    load_page,
)
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.pdf import print_fonts
from pipeline.pdf.html import prepare_print
from pipeline.pdf.write import write_pdf
from pipeline.read.report import read_report
from tests.conftest import DATA, ROOT, SAMPLE, make_png

PDFJS = ROOT / "tests" / "pdfjs"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"
CORPUS = sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")
OWN = {  # notes, paper
    "sample": (SAMPLE, "A4"),
    "pdf-viewers": (DATA / "pdf-viewers.md", "A4"),
    "pdf-wrapping": (DATA / "pdf-wrapping.md", "A5"),  # word joiners, zero-width spaces
    "pdf-quirks": (DATA / "pdf-quirks.md", "A5"),  # a cover image
    "pdf-tables": (DATA / "pdf-tables.md", "A5"),  # no-break spaces, records' generated labels
}
# The page with a front-matter cover image, whose darkening pdf.js once drew opaque.
COVER = ("pdf-quirks", "pdfjs", 1)
NAMES = {**ENGINES, "pdfjs": "pdf.js (Firefox)"}
HANGUL = re.compile("[\uac00-\ud7a3]")
WORD = re.compile("[\uac00-\ud7a3]{2,}[.,]?")  # a Hangul word of two syllables or more
Drawings = dict[str, dict[str, list[Path]]]  # document -> engine -> page PNGs


def draw_pdfjs(pdfs: list[Path], folder: Path) -> subprocess.Popen[bytes]:
    """Start one Node process that draws every page of ``pdfs`` into ``folder/<n>/<page>.png``."""
    if not (PDFJS / "node_modules" / "pdfjs-dist").is_dir():
        pytest.fail("pdf.js is not installed: run ./bootstrap (npm ci in tests/pdfjs)")
    command = ["node", str(PDFJS / "render.mjs"), str(DPI), str(folder), *map(str, pdfs)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def draw_all(pdfs: dict[str, Path], folder: Path) -> Drawings:
    """Each PDF drawn by poppler, MuPDF and pdf.js (pdf.js runs alongside the other two)."""
    names = list(pdfs)
    node = draw_pdfjs([pdfs[name] for name in names], folder / "pdfjs")
    drawings: Drawings = {}
    for name in names:
        drawings[name] = {}
        for engine, draw in viewers.DRAWERS.items():
            pages = folder / engine / name
            pages.mkdir(parents=True)
            drawings[name][engine] = draw(pdfs[name], pages, DPI)
    _, errors = node.communicate(timeout=600)
    assert node.returncode == 0, errors.decode(errors="replace")
    for index, name in enumerate(names, start=1):
        pages = folder / "pdfjs" / str(index)
        drawings[name]["pdfjs"] = sorted(pages.glob("*.png"), key=lambda p: int(p.stem))
    return drawings


def differences(drawings: dict[str, list[Path]], engine: str) -> list[str]:
    return describe_differences(
        drawings["poppler"], drawings[engine], NAMES["poppler"], NAMES[engine]
    )


def write_report_pdf(report: Report, out: Path, paper: str = "A4") -> Path:
    settings = Settings(paper=paper)
    return write_pdf(report, settings, out, prepare_print(report, settings))


@pytest.fixture(scope="module")
def own_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("viewers")
    return {
        name: write_report_pdf(read_report(notes), out, paper)
        for name, (notes, paper) in OWN.items()
    }


@pytest.fixture(scope="module")
def own_drawings(own_pdfs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Drawings:
    return draw_all(own_pdfs, tmp_path_factory.mktemp("drawings"))


@pytest.fixture(scope="module")
def corpus_drawings(tmp_path_factory: pytest.TempPathFactory) -> Drawings:
    """The corpus, copied where the test may write; a local image the notes name but that is
    not there is made (a plain PNG), so every file builds with all of its text."""
    folder = tmp_path_factory.mktemp("corpus")
    for notes in CORPUS:
        shutil.copy(notes, folder / notes.name)
        make_missing_images(folder / notes.name)
    out = folder / "pdf"
    outcomes = list(build(folder, out, ("pdf",), Settings(), force=True, jobs=2))
    failures = [str(o.error or o.crash) for o in outcomes if o.error or o.crash]
    assert failures == []
    return draw_all({notes.stem: out / f"{notes.stem}.pdf" for notes in CORPUS}, out / "drawings")


def make_missing_images(notes: Path) -> None:
    for _ in range(200):
        try:
            read_report(notes)
            return
        except ContentError as err:
            missing = re.match(r'image "(.+)" not found', err.message)
            if missing is None:
                raise
            make_png(notes.parent / missing.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mupdf", "pdfjs"])
@pytest.mark.parametrize("name", list(OWN))
def test_every_page_looks_the_same_in_every_viewer(
    name: str, engine: str, own_drawings: Drawings
) -> None:
    drawings = own_drawings[name]
    assert len(drawings["poppler"]) > 1
    assert differences(drawings, engine) == []


@pytest.mark.slow
def test_pdfjs_shows_the_cover_image(own_drawings: Drawings) -> None:
    """The cover image's darkening was a gradient (a soft mask), which pdf.js drew opaque;
    a flat translucent layer shows in every viewer."""
    name, engine, page = COVER
    assert [
        m for m in differences(own_drawings[name], engine) if m.startswith(f"page {page}:")
    ] == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mupdf", "pdfjs"])
@pytest.mark.parametrize(
    "name",
    [p.stem for p in CORPUS]
    or [pytest.param("", marks=pytest.mark.skip(reason=f"no corpus at {CORPUS_DIR}"))],
)
def test_every_corpus_page_looks_the_same_in_every_viewer(
    name: str, engine: str, corpus_drawings: Drawings
) -> None:
    assert differences(corpus_drawings[name], engine) == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mupdf", "pdfjs"])
def test_a_missing_word_is_a_difference(
    engine: str, own_pdfs: dict[str, Path], own_drawings: Drawings
) -> None:
    """Calibration: blank out one Hangul word (two syllables or more) of a body page in an
    engine's drawing, as a font it cannot read would: the comparison sees every one."""
    page = 4
    reference = load_page(own_drawings["sample"]["poppler"][page - 1])
    other = load_page(own_drawings["sample"][engine][page - 1])
    assert compare_page(reference, other, page).score < 1
    with pdfplumber.open(own_pdfs["sample"]) as pdf:
        words = [w for w in pdf.pages[page - 1].extract_words() if WORD.fullmatch(w["text"])]
    assert len(words) > 50
    scale = DPI / 72
    for word in words[:: len(words) // 15]:
        left, top = round(word["x0"] * scale), round(word["top"] * scale)
        right, bottom = round(word["x1"] * scale), round(word["bottom"] * scale)
        background = max(other.getpixel((x, top - 2)) for x in range(left, right))
        blanked = other.copy()
        ImageDraw.Draw(blanked).rectangle((left, top, right, bottom), fill=background)
        difference = compare_page(reference, blanked, page)
        assert difference.score >= 1, (word["text"], difference)
        assert difference.top == pytest.approx(word["top"] * 25.4 / 72, abs=3)


def test_a_rule_drawn_lighter_is_no_difference() -> None:
    """An accent rule of 1.5 pt is a pixel or two at the comparison's resolution; pdf.js
    anti-aliases it a third lighter than poppler. Text that is missing is still found."""
    reference = Image.new("L", (300, 200), 255)
    ImageDraw.Draw(reference).rectangle((30, 60, 270, 61), fill=60)
    ImageDraw.Draw(reference).rectangle((30, 100, 80, 107), fill=0)  # a word
    lighter = Image.new("L", (300, 200), 255)
    ImageDraw.Draw(lighter).rectangle((30, 60, 270, 61), fill=170)
    assert compare_page(reference, lighter, 1).top == pytest.approx(100 * 25.4 / DPI, abs=3)
    ImageDraw.Draw(lighter).rectangle((30, 100, 80, 107), fill=0)
    assert compare_page(reference, lighter, 1).score < 1


@pytest.mark.slow
def test_the_old_fonts_fail_in_mupdf_and_pdfjs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cut fonts before the fix (their charset kept the original CIDs) drew no Hangul in
    MuPDF and pdf.js: the comparison fails every page that has Hangul, in both engines."""
    monkeypatch.setattr(print_fonts, "identity_charset", lambda otf: otf)
    pdf = write_report_pdf(read_report(SAMPLE), tmp_path)
    drawings = draw_all({"old": pdf}, tmp_path / "drawings")["old"]
    with pdfplumber.open(pdf) as document:
        hangul = [n for n, p in enumerate(document.pages, 1) if HANGUL.search(p.extract_text())]
    assert len(hangul) >= 8
    for engine in ("mupdf", "pdfjs"):
        messages = differences(drawings, engine)
        assert [int(m.split(":")[0].removeprefix("page ")) for m in messages] == hangul
        assert all(f"{NAMES[engine]} leaves out" in m for m in messages)


def test_pages_are_named_in_page_order(tmp_path: Path) -> None:
    """pdftoppm pads page numbers with zeros from page 10 on, mutool does not."""
    for name in ("page-1.png", "page-02.png", "page-10.png", "page-3.png"):
        (tmp_path / name).touch()
    assert [p.name for p in viewers._pages(tmp_path)] == [
        "page-1.png",
        "page-02.png",
        "page-3.png",
        "page-10.png",
    ]


def test_a_missing_engine_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ContentError) as error:
        viewers.draw_mupdf(tmp_path / "x.pdf", tmp_path)
    assert str(error.value) == (
        "mutool: is not installed\n  hint: apt-get install mupdf-tools (./bootstrap installs it)"
    )
