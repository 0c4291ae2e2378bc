"""Draw a PDF's pages with several PDF engines and compare them: what one viewer shows, all show.

Teammates open a shared PDF wherever they are: Evince and Okular draw it with poppler,
SumatraPDF and mobile readers with MuPDF, Firefox with pdf.js. A font that one engine reads and
another does not shows as blank text in the second only: cut CFF fonts whose charset kept the
original CIDs drew no Hangul at all in MuPDF and pdf.js, while poppler (which every other check
reads the PDF with) showed every word. So the pages are drawn by each engine at a low
resolution and compared band by band.

The measure, per page: "ink" is how much darker a pixel is than the lightest pixel around it
(so text on a tinted box or white text on the cover counts, a flat background does not). The
rows where either drawing has ink make the text bands (a line of text, a rule). In each band,
a window about a syllable wide slides along the line and measures the ink that one drawing has
and the other lacks, even one pixel either side (engines place glyphs a pixel apart): its share
of the window's ink, and its density (per pixel of a window at least a text line high, so a
faint hairline weighs little). A window's ``score`` is the smaller of the two over its limit
below; at 1 or more the drawings differ where a reader would see it.

Calibrated at 45 dpi on the sample, the test fixtures and twelve real notes (149 pages):
engines that agree score at most 0.74 (poppler and MuPDF at most 0.64), at the ends of rules
and the edges of boxes, where they round differently; a blanked Hangul syllable scores 1.0 or
more, a blanked word of two syllables 1.4 to 1.67, and the cut fonts that MuPDF and pdf.js could
not read scored 1.67 on every page. A single missing Latin letter is below what 45 dpi sees.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from PIL import Image, ImageChops

from pipeline.errors import ContentError

DPI = 45  # a Hangul syllable of body text is about 6 pixels wide
SHARE = 0.6  # of a window's ink missing in the other drawing
DENSITY = 0.08  # ink missing per pixel of the window, 1.0 being a black window
WINDOW = 5  # pixels along the line
LINE = 4  # pixels: the height of the smallest text (a rule is a thinner band)
SLACK = 1  # pixels either side that the other drawing may place the same ink
EDGE = 3  # pixels along each page edge that are not compared (no text is printed there)
FLOOR = 2.0  # mean ink of a row (0-255) that makes it part of a text band
ENGINES = {"poppler": "poppler (Evince, Okular, pdftoppm)", "mupdf": "MuPDF (SumatraPDF, mutool)"}


@dataclass(frozen=True)
class Difference:
    """The window of a page where two drawings differ most."""

    page: int
    score: float  # at least 1: a difference a reader sees
    share: float  # of the window's ink that one drawing lacks
    top: float  # mm from the top of the page
    left: float  # mm from the left of the page
    missing_in: str  # "other" (the reference has ink the other lacks) or "reference"

    def describe(self, reference: str, other: str) -> str:
        """``page 4: MuPDF (...) leaves out 100% of what poppler (...) draws 25 mm from ...``"""
        blank, drawn = (other, reference) if self.missing_in == "other" else (reference, other)
        return (
            f"page {self.page}: {blank} leaves out {self.share:.0%} of what {drawn} draws "
            f"{self.top:.0f} mm from the top, {self.left:.0f} mm from the left; its readers "
            "see a gap there (a font it cannot read?)"
        )


def draw_poppler(pdf: Path, folder: Path, dpi: int = DPI) -> list[Path]:
    """Every page of ``pdf`` drawn by poppler's ``pdftoppm``, as PNG files in page order."""
    _run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], "poppler-utils")
    return _pages(folder)


def draw_mupdf(pdf: Path, folder: Path, dpi: int = DPI) -> list[Path]:
    """Every page of ``pdf`` drawn by MuPDF's ``mutool draw``, as PNG files in page order."""
    pattern = str(folder / "page-%d.png")
    command = ["mutool", "draw", "-q", "-r", str(dpi), "-c", "rgb", "-o", pattern, str(pdf)]
    _run(command, "mupdf-tools")
    return _pages(folder)


DRAWERS: dict[str, Callable[[Path, Path, int], list[Path]]] = {
    "poppler": draw_poppler,
    "mupdf": draw_mupdf,
}


def viewer_differences(pdf: Path, engines: Sequence[str] = ("poppler", "mupdf")) -> list[str]:
    """``pdf`` drawn by each engine and compared with the first: one message per page that an
    engine draws differently (blank text, most likely), naming the page."""
    with tempfile.TemporaryDirectory(prefix="viewers-") as temporary:
        drawings = {}
        for engine in engines:
            folder = Path(temporary) / engine
            folder.mkdir()
            drawings[engine] = DRAWERS[engine](pdf, folder, DPI)
        reference, *others = engines
        return [
            message
            for other in others
            for message in describe_differences(
                drawings[reference], drawings[other], ENGINES[reference], ENGINES[other]
            )
        ]


def describe_differences(
    reference: Sequence[Path], other: Sequence[Path], reference_name: str, other_name: str
) -> list[str]:
    """Messages for the pages that two engines' drawings of one PDF show differently."""
    if len(reference) != len(other):
        return [f"{reference_name} draws {len(reference)} pages, {other_name} {len(other)}"]
    return [
        difference.describe(reference_name, other_name)
        for difference in compare_drawings(reference, other)
        if difference.score >= 1
    ]


def compare_drawings(reference: Sequence[Path], other: Sequence[Path]) -> list[Difference]:
    """The most different window of each page (``score`` >= 1 is a visible difference)."""
    return [
        compare_page(load_page(a), load_page(b), number)
        for number, (a, b) in enumerate(zip(reference, other, strict=True), start=1)
    ]


def load_page(path: Path) -> Image.Image:
    """A drawing as grey levels, transparency over white (pdf.js draws RGBA)."""
    with Image.open(path) as image:
        if image.mode in ("RGBA", "LA", "P"):
            white = Image.new("RGBA", image.size, "white")
            white.alpha_composite(image.convert("RGBA"))
            return white.convert("L")
        return image.convert("L")


def compare_page(reference: Image.Image, other: Image.Image, page: int = 1) -> Difference:
    """The window of the page where the two drawings differ most."""
    if other.size != reference.size:  # engines round the page size differently
        other = other.resize(reference.size, Image.Resampling.BILINEAR)
    # Engines draw a full-bleed picture's last pixel at the page edge differently, and the
    # ink of the outermost pixels would be measured against the other edge: leave them out.
    inside = (EDGE, EDGE, reference.width - EDGE, reference.height - EDGE)
    a, b = _ink(reference).crop(inside), _ink(other).crop(inside)
    worst = Difference(page, 0.0, 0.0, 0.0, 0.0, "other")
    mm = 25.4 / DPI
    for top, bottom in _bands(a, b):
        if bottom - top < LINE:
            # thinner than any text: a rule or a border, which engines anti-alias each their
            # own way (pdf.js draws a 1.5 pt rule at 45 dpi a third lighter than poppler)
            continue
        columns = {"other": _columns(a, top, bottom), "reference": _columns(b, top, bottom)}
        area = 255.0 * max(bottom - top, LINE) * WINDOW
        for missing_in, against in (("other", "reference"), ("reference", "other")):
            here = _window_sums(columns[missing_in], WINDOW // 2)
            around = _window_sums(columns[against], WINDOW // 2 + SLACK)
            scores = [
                min((lost := ink - there) / ink / SHARE, lost / area / DENSITY)
                if ink > there
                else 0.0
                for ink, there in zip(here, around, strict=True)
            ]
            x = max(range(len(scores)), key=scores.__getitem__)
            if scores[x] > worst.score:
                share = (here[x] - around[x]) / here[x]
                left = max(0, x - WINDOW // 2) + EDGE
                where = ((top + EDGE) * mm, left * mm)
                worst = Difference(page, scores[x], share, *where, missing_in)
    return worst


def _ink(image: Image.Image) -> Image.Image:
    """How much darker each pixel is than the lightest one within two pixels.

    The lightest is taken over shifted copies, rows then columns: 30 times faster than
    Pillow's ``MaxFilter(5)``, and the same away from the page's edges (copies wrap around)."""
    lightest = image
    for dx in (-2, -1, 1, 2):
        lightest = ImageChops.lighter(lightest, ImageChops.offset(image, dx, 0))
    across = lightest
    for dy in (-2, -1, 1, 2):
        lightest = ImageChops.lighter(lightest, ImageChops.offset(across, 0, dy))
    return ImageChops.subtract(lightest, image)


def _bands(a: Image.Image, b: Image.Image) -> list[tuple[int, int]]:
    """Runs of rows where either image has ink: lines of text, rules, pictures."""
    rows_a = _rows(a)
    rows_b = _rows(b)
    bands, start = [], None
    for y, (ink_a, ink_b) in enumerate([*zip(rows_a, rows_b, strict=True), (0.0, 0.0)]):
        inked = max(ink_a, ink_b) > FLOOR
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            bands.append((start, y))
            start = None
    return bands


def _rows(image: Image.Image) -> list[float]:
    """The mean ink of each row (Pillow averages in C: a box resize to one column)."""
    return _floats(image.convert("F").resize((1, image.height), Image.Resampling.BOX))


def _columns(image: Image.Image, top: int, bottom: int) -> list[float]:
    """The ink of each column between rows ``top`` and ``bottom``."""
    band = image.crop((0, top, image.width, bottom)).convert("F")
    height = bottom - top
    return [v * height for v in _floats(band.resize((image.width, 1), Image.Resampling.BOX))]


def _floats(image: Image.Image) -> list[float]:
    """The pixels of a one-row or one-column mode "F" image."""
    return list(array("f", image.tobytes()))


def _window_sums(values: list[float], reach: int) -> list[float]:
    """For each position, the sum of ``values`` within ``reach`` either side."""
    sums = [0.0, *accumulate(values)]
    last = len(values)
    return [sums[min(last, x + reach + 1)] - sums[max(0, x - reach)] for x in range(len(values))]


def _pages(folder: Path) -> list[Path]:
    """``page-N.png`` files by page number (pdftoppm pads N with zeros, mutool does not)."""
    return sorted(folder.glob("page-*.png"), key=lambda path: int(path.stem.rpartition("-")[2]))


def _run(command: list[str], package: str) -> None:
    if shutil.which(command[0]) is None:
        hint = f"apt-get install {package} (./bootstrap installs it)"
        raise ContentError(command[0], None, "is not installed", hint)
    subprocess.run(command, check=True, capture_output=True, timeout=600)
