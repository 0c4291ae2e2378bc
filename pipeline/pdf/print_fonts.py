"""The fonts a print render uses: each role's faces cut to the document's characters.

WeasyPrint 70 subsets the fonts it embeds, but it keeps every glyph slot of a CJK face (65,535
of them), so each Noto CJK face costs about 150 KB and a tenth of a second. Cutting the faces
to the characters of the document first (hb-subset, about 15 ms a face) and registering the
cuts with WeasyPrint's fontconfig under a family name of their own ("Noto Serif CJK KR Print")
makes the PDF about four times smaller and the build faster. Registering through fontconfig
also makes any face of a ``.ttc`` reachable (``@font-face url()`` would give face 0).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from pipeline import font_faces
from pipeline.config import Settings
from pipeline.font_faces import FontFace, find_face, project_font_files, resolve_fonts, subset_font
from pipeline.output import write_atomically
from pipeline.pdf import cid_charset
from pipeline.pdf.cid_charset import identity_charset
from pipeline.pdf.weasyprint_internals import font_configuration as weasyprint_font_configuration

log = logging.getLogger(__name__)

SUFFIX = "Print"
# Characters the CSS generates that may not be in the HTML (leaders, markers, thin space).
GENERATED = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00a0\u2009\u2060·•–—…“”‘’"


@dataclass(frozen=True)
class PrintFonts:
    """Family names for the print CSS, one per text role.

    Emoji need none: fontconfig's emoji rule (``und-zsye``) picks the emoji font for them,
    ahead of any family the CSS names; the emoji role is checked to exist by ``fonts``.
    """

    body: str
    heading: str
    code: str


def print_families(settings: Settings) -> PrintFonts:
    """The family names the print CSS uses: the role fonts' cuts."""
    roles = settings.fonts
    return PrintFonts(*(f"{family} {SUFFIX}" for family in (roles.body, roles.heading, roles.code)))


def cut_fonts_folder(settings: Settings) -> Path:
    """A new folder for one build's cut fonts, in the cache beside the outputs, never in /tmp.

    The PDF stage removes it when the PDF is written; a build killed before that leaves it, and
    the next build removes the folders of builds whose process is gone (the name starts with
    the process id that made it)."""
    parent = (settings.cache_dir / "fonts").resolve()
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        pid = old.name.partition("-")[0]
        if old.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True


def cut_fonts(settings: Settings, text: str, css: str, folder: Path) -> tuple[Path, ...]:
    """Each role's faces cut to ``text`` and ``css`` in ``folder``, and the user's own fonts.
    Pure Python and HarfBuzz: it runs while another process still imports WeasyPrint."""
    faces = resolve_fonts(settings.fonts, settings.fonts_dir)
    characters = "".join(sorted(set(text) | set(css) | set(GENERATED)))
    files = []
    for role, weight in _faces_needed(text):
        regular = faces[role]
        face = (
            regular
            if weight == "Regular"
            else find_face(regular.family, settings.fonts_dir, bold=True)
        )
        if face is None or (weight == "Bold" and _key(face) == _key(regular)):
            continue  # no bold face: WeasyPrint emboldens the regular one
        target = folder / f"{role}-{weight}.otf"
        files.append(_kept_cut(face, characters, target, settings.cache_dir / "cut-fonts"))
    files += project_font_files(settings.fonts_dir)  # a user's own fonts, by their own names
    return tuple(files)


# The cuts kept in ``<cache>/cut-fonts/``: the same face cut to the same characters is the same
# bytes (``_write_cut``), and an edit that brings no new letter (the common edit, under invoke
# watch above all) needs no new cut. Kept in this process's memory too, and on disk for the next
# build: the most recently used ``CUTS_KEPT`` files.
CUTS_KEPT = 24
_cuts: dict[str, bytes] = {}
_code_digest: list[bytes] = []


def _kept_cut(face: FontFace, characters: str, target: Path, cache: Path) -> Path:
    """``_write_cut``, or the bytes it wrote for the same face and characters before."""
    key = _cut_key(face, characters)
    kept = cache / f"{key}.otf"
    data = _cuts.get(key)
    if data is None:
        try:
            data = kept.read_bytes()
            os.utime(kept)  # recently used
        except OSError:
            data = None
    if data is None:
        cut = data = _write_cut(face, characters, target).read_bytes()

        def write(path: Path) -> None:
            path.write_bytes(cut)

        with contextlib.suppress(OSError):  # a cache that cannot be written: cut each time
            cache.mkdir(parents=True, exist_ok=True)
            write_atomically(kept, write)
            _prune(cache)
    else:
        target.write_bytes(data)
    if len(_cuts) >= CUTS_KEPT:
        _cuts.clear()
    _cuts[key] = data
    return target


def _cut_key(face: FontFace, characters: str) -> str:
    """What a cut's bytes depend on: the face (file, its size and time, its index, the family
    and weight it is named by), the characters, and the code that cuts (this module, the
    charset rewrite, the subsetter)."""
    if not _code_digest:
        import uharfbuzz

        code = hashlib.blake2b(digest_size=16)
        for module in (__file__, cid_charset.__file__, font_faces.__file__):
            code.update(Path(module).read_bytes())
        code.update(str(uharfbuzz.__version__).encode())
        _code_digest.append(code.digest())
    stat = face.path.stat()
    digest = hashlib.blake2b(_code_digest[0], digest_size=20)
    for part in (face.path, stat.st_size, stat.st_mtime_ns, face.index, face.family, face.bold):
        digest.update(f"{part}\0".encode())
    digest.update(characters.encode())
    # the functions in use, not only their source: a build that swaps one (as the tests of the
    # old charset do) must not get the cut the other made
    for function in (identity_charset, subset_font):
        digest.update(function.__code__.co_code)
    return digest.hexdigest()


def _prune(cache: Path) -> None:
    kept = sorted(cache.glob("*.otf"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
    for old in kept[CUTS_KEPT:]:
        old.unlink(missing_ok=True)


def font_configuration(files: tuple[Path, ...]) -> Any:
    """WeasyPrint's fontconfig set-up with ``files`` added, as its own ``@font-face`` support
    adds a font (registering through fontconfig makes any face of a ``.ttc`` reachable)."""
    config, unread = weasyprint_font_configuration(files)
    for path in unread:
        log.warning("fontconfig could not read %s", path)
    return config


def _faces_needed(html: str) -> list[tuple[str, str]]:
    """The role faces the print CSS can use for this document (each cut costs ~20 ms)."""
    needed = [("body", "Regular"), ("heading", "Regular"), ("heading", "Bold")]
    if re.search(r"<(strong|b)[ >]", html):
        needed.append(("body", "Bold"))
    if re.search(r"<(pre|code|kbd|samp)[ >]", html):
        needed.append(("code", "Regular"))
        if 'class="highlight"' in html:
            needed.append(("code", "Bold"))  # Pygments sets keywords in bold
    return needed


def _key(face: FontFace) -> tuple[Path, int]:
    return face.path, face.index


def _write_cut(face: FontFace, characters: str, target: Path) -> Path:
    """``face`` cut to ``characters``, renamed to ``<family> Print``, written to ``target``."""
    data = identity_charset(subset_font(face.path, face.index, characters))
    # lazy: only the name table is rewritten, the outlines are copied as they are (5 ms, not 60);
    # no timestamp: the same bytes on every build.
    font = TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    family = f"{face.family} {SUFFIX}"
    style = str(font["name"].getDebugName(2) or ("Bold" if face.bold else "Regular"))
    names = {1: family, 16: family, 4: f"{family} {style}", 6: f"{family}-{style}".replace(" ", "")}
    name = font["name"]
    for name_id in (1, 4, 6, 16, 17, 21, 22):  # localized copies of the old names go too
        name.removeNames(nameID=name_id)
    for name_id, value in names.items():  # Windows names only: Mac Roman has no Hangul
        name.setName(value, name_id, 3, 1, 0x409)
    buffer = io.BytesIO()
    font.save(buffer)
    target.write_bytes(buffer.getvalue())
    return target
