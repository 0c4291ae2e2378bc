"""The ebook's cover: a 1600x2560 PNG in the print cover's design (an accent band with the
title at its foot, the days as chips, dates and people at the bottom), in the report's fonts.

Korean lines break at spaces only (KLREQ: never inside a word); a word wider than the whole
line is the one exception. Characters the heading face lacks (emoji) are drawn from the emoji
face, a bitmap font whose glyphs are scaled to the line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.font_faces import FontFace

if TYPE_CHECKING:  # Pillow is imported only when a cover is drawn (not when it is cached)
    from PIL import Image, ImageDraw, ImageFont

SIZE = (1600, 2560)
MARGIN = 150
TEXT = (255, 255, 255)
SOFT = (222, 232, 245)
INK = (40, 46, 56)
MUTED = (107, 115, 128)
BAND = 1500  # the accent band's height, at least
EMOJI_PIXELS = 109  # Noto Color Emoji is a bitmap font with this one size


@dataclass(frozen=True)
class CoverText:
    title: str
    subtitle: str
    dates: str
    byline: str
    chips: tuple[str, ...] = ()  # "DAY 1 · 4개 세션"


@dataclass(frozen=True)
class CoverFonts:
    title: FontFace
    text: FontFace
    emoji: FontFace | None = None


def draw_cover(text: CoverText, fonts: CoverFonts, accent: str) -> bytes:
    """The cover as PNG bytes; the same text and fonts give the same bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    title_size = 150 if len(text.title) <= 16 else 120
    # lay the title block out on a scratch image first: the band grows to hold it
    scratch = Image.new("RGB", SIZE)
    height = title_block(scratch, ImageDraw.Draw(scratch), text, fonts, title_size, 0, width)
    band = max(BAND, 1000 + height + 160)
    draw.rectangle((0, 0, SIZE[0], band), fill=accent)
    kicker = load_font(fonts.text.path, fonts.text.index, 40)
    draw.text((MARGIN, 170), "C O N F E R E N C E   R E P O R T", font=kicker, fill=SOFT)
    draw.rectangle((MARGIN, 940, SIZE[0] - MARGIN, 944), fill=TEXT)
    title_block(image, draw, text, fonts, title_size, band - 160 - height, width)
    draw_chips(draw, text.chips, fonts.title, accent, band + 140)
    bottom = SIZE[1] - 200
    draw.rectangle((MARGIN, bottom - 190, SIZE[0] - MARGIN, bottom - 188), fill=(213, 217, 223))
    if text.dates:
        draw_block(image, draw, text.dates, fonts.text, fonts.emoji, 58, bottom - 150, width, INK)
    if text.byline:
        draw_block(image, draw, text.byline, fonts.text, fonts.emoji, 46, bottom - 60, width, MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True doubles the time for 1% of the size
    return out.getvalue()


def title_block(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    text: CoverText,
    fonts: CoverFonts,
    title_size: int,
    y: int,
    width: int,
) -> int:
    """The title and subtitle from ``y``; returns the block's height."""
    top = y
    y = draw_block(image, draw, text.title, fonts.title, fonts.emoji, title_size, y, width, TEXT)
    if text.subtitle:
        y = draw_block(image, draw, text.subtitle, fonts.text, fonts.emoji, 64, y + 40, width, SOFT)
    return y - top


def draw_chips(
    draw: ImageDraw.ImageDraw, chips: tuple[str, ...], face: FontFace, accent: str, y: int
) -> None:
    """The days as outlined chips, in rows."""
    font = load_font(face.path, face.index, 44)
    x = MARGIN
    for chip in chips:
        chip_width = round(font.getlength(chip)) + 72
        if x + chip_width > SIZE[0] - MARGIN and x > MARGIN:
            x, y = MARGIN, y + 120
        draw.rounded_rectangle((x, y, x + chip_width, y + 92), radius=18, outline=accent, width=4)
        draw.text((x + 36, y + 18), chip, font=font, fill=accent)
        x += chip_width + 28


def draw_block(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    text: str,
    face: FontFace,
    emoji: FontFace | None,
    size: int,
    y: int,
    width: int,
    fill: tuple[int, int, int],
) -> int:
    """Draw wrapped text from ``y`` down; return the y below it."""
    font = load_font(face.path, face.index, size)
    covered = codepoints(face.path, face.index)
    for line in wrap(text, font, width):
        x = MARGIN
        for run, in_font in runs(line, covered):
            if in_font:
                draw.text((x, y), run, font=font, fill=fill)
                x += round(font.getlength(run))
            elif emoji is not None:
                x += paste_emoji(image, run, emoji, (x, y), size)
        y += round(size * 1.35)
    return y


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line filling at spaces; an over-long word is cut where it must be."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while font.getlength(line) > width:
            cut = 1
            while cut < len(line) and font.getlength(line[: cut + 1]) <= width:
                cut += 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def runs(line: str, covered: frozenset[int]) -> list[tuple[str, bool]]:
    """Split a line into runs the face covers and runs it does not (emoji, with their joiners)."""
    result: list[tuple[str, bool]] = []
    for char in line:
        inside = ord(char) in covered or char == " "
        if char in "\u200d\ufe0f" and result and not result[-1][1]:
            inside = False
        if result and result[-1][1] == inside:
            result[-1] = (result[-1][0] + char, inside)
        else:
            result.append((char, inside))
    return result


def paste_emoji(
    image: Image.Image, run: str, face: FontFace, xy: tuple[int, int], size: int
) -> int:
    """Draw an emoji run at ``size`` pixels; return its width."""
    from PIL import Image, ImageDraw

    font = load_font(face.path, face.index, EMOJI_PIXELS)
    left, top, right, bottom = (round(value) for value in font.getbbox(run))
    if right <= left or bottom <= top:
        return 0
    glyphs = Image.new("RGBA", (right, bottom), (0, 0, 0, 0))
    ImageDraw.Draw(glyphs).text((0, 0), run, font=font, embedded_color=True)
    scale = size / EMOJI_PIXELS
    glyphs = glyphs.resize(
        (max(1, round(right * scale)), max(1, round(bottom * scale))), Image.Resampling.LANCZOS
    )
    image.paste(glyphs, (xy[0], xy[1] + round(size * 0.12)), glyphs)
    return glyphs.width


@lru_cache(maxsize=16)
def load_font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size, index=index)


@lru_cache(maxsize=8)
def codepoints(path: Path, index: int) -> frozenset[int]:
    import uharfbuzz as hb

    return frozenset(hb.Face(hb.Blob.from_file_path(str(path)), index).unicodes)
