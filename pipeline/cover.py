"""The ebook's cover: a 1600x2560 PNG with the title, subtitle and dates in the report's fonts.

Korean lines break at spaces only (KLREQ: never inside a word); a word wider than the whole
line is the one exception. Characters the heading face lacks (emoji) are drawn from the emoji
face, a bitmap font whose glyphs are scaled to the line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from PIL import Image, ImageDraw, ImageFont

from pipeline.fonts import FontFace

SIZE = (1600, 2560)
MARGIN = 150
TEXT = (255, 255, 255)
SOFT = (222, 232, 245)
EMOJI_PIXELS = 109  # Noto Color Emoji is a bitmap font with this one size


@dataclass(frozen=True)
class CoverText:
    title: str
    subtitle: str
    dates: str
    byline: str


@dataclass(frozen=True)
class CoverFonts:
    title: FontFace
    text: FontFace
    emoji: FontFace | None = None


def draw_cover(text: CoverText, fonts: CoverFonts, accent: str) -> bytes:
    """The cover as PNG bytes; the same text and fonts give the same bytes."""
    image = Image.new("RGB", SIZE, accent)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    draw.rectangle((MARGIN, 520, MARGIN + 180, 540), fill=TEXT)
    y = 640
    title_size = 150 if len(text.title) <= 16 else 120
    y = draw_block(image, draw, text.title, fonts.title, fonts.emoji, title_size, y, width, TEXT)
    if text.subtitle:
        y = draw_block(image, draw, text.subtitle, fonts.text, fonts.emoji, 72, y + 70, width, SOFT)
    bottom = SIZE[1] - 260
    if text.byline:
        draw_block(image, draw, text.byline, fonts.text, fonts.emoji, 56, bottom, width, SOFT)
        bottom -= 110
    if text.dates:
        draw_block(image, draw, text.dates, fonts.text, fonts.emoji, 64, bottom, width, TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True doubles the time for 1% of the size
    return out.getvalue()


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
    return ImageFont.truetype(str(path), size, index=index)


@lru_cache(maxsize=8)
def codepoints(path: Path, index: int) -> frozenset[int]:
    return frozenset(hb.Face(hb.Blob.from_file_path(str(path)), index).unicodes)
