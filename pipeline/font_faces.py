"""Resolve font roles to font files and check that they can set Korean text.

A role (body, heading, code, emoji) names a family. The family is looked up first among the
``.otf/.ttf/.ttc`` files a user dropped into ``fonts/``, then through fontconfig. A ``.ttc``
collection holds several faces (Noto CJK: JP, KR, SC, TC...), so a font is a file *and* a face
index; the EPUB writer needs both to subset the right face.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.config import FontRoles
from pipeline.errors import ContentError

log = logging.getLogger(__name__)

CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DATA_HOME = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
FONTCONFIG_DIRS = (  # configuration and caches
    Path("/etc/fonts"),
    Path("/etc/fonts/conf.d"),
    Path("/var/cache/fontconfig"),
    CACHE_HOME / "fontconfig",
)
CONFIG_HOME = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
USER_CONFIG = (CONFIG_HOME / "fontconfig", Path.home() / ".fonts.conf")
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    DATA_HOME / "fonts",
    Path.home() / ".fonts",
)
FONTCONFIG_ENVIRONMENT = (
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "FONTCONFIG_SYSROOT",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
)

FONT_SUFFIXES = (".otf", ".ttf", ".ttc")
HANGUL_SAMPLE = "가한글"  # U+AC00, U+D55C, U+AE00: any Korean font has these
EMOJI_SAMPLE = "🎉😊"
INSTALL_HINT = (
    "install it (Debian: apt-get install fonts-noto-cjk fonts-noto-color-emoji), "
    "or put its .otf/.ttf/.ttc file into fonts/"
)


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: what a role resolves to."""

    family: str
    path: Path
    index: int  # face index inside a .ttc collection, 0 otherwise
    bold: bool = False


def project_font_files(fonts_dir: Path) -> tuple[Path, ...]:
    """The font files a user dropped into ``fonts/``, in a stable order."""
    if not fonts_dir.is_dir():
        return ()
    return tuple(
        sorted(p for p in fonts_dir.iterdir() if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
    )


def find_face(family: str, fonts_dir: Path, *, bold: bool = False) -> FontFace | None:
    """The face of ``family`` (regular or bold), from ``fonts/`` first, then fontconfig."""
    for path in project_font_files(fonts_dir):
        face = _find_in_file(path, path.stat().st_mtime_ns, family.casefold(), bold)
        if face is not None:
            return face
    return _fc_match(family, bold)


def require_face(roles: FontRoles, role: str, fonts_dir: Path, *, bold: bool = False) -> FontFace:
    """A role's face; ContentError, naming where the font was set, when it is not installed."""
    family = getattr(roles, role)
    face = find_face(family, fonts_dir, bold=bold)
    if face is None:
        raise ContentError(
            roles.origin,
            roles.origin_line,
            f'font "{family}" ({role} font) is not installed',
            INSTALL_HINT,
        )
    return face


def resolve_fonts(roles: FontRoles, fonts_dir: Path) -> dict[str, FontFace]:
    """Each role's regular face; ContentError when a font is missing or cannot set Hangul."""
    faces: dict[str, FontFace] = {}
    for role, family in roles.families().items():
        face = require_face(roles, role, fonts_dir)
        sample = EMOJI_SAMPLE if role == "emoji" else HANGUL_SAMPLE
        missing = _missing(face, sample)
        if missing:
            what = "emoji" if role == "emoji" else "Hangul"
            raise ContentError(
                roles.origin,
                roles.origin_line,
                f'font "{family}" ({role} font, {face.path.name}) has no {what} '
                f"({''.join(missing)})",
                "choose a font with Korean glyphs, e.g. Noto Serif CJK KR (Debian fonts-noto-cjk)"
                if role != "emoji"
                else "use Noto Color Emoji (Debian fonts-noto-color-emoji)",
            )
        faces[role] = face
    return faces


def check_harfbuzz_subset() -> bool:
    """Warn when libharfbuzz-subset is missing: WeasyPrint then subsets fonts 15x slower."""
    if _has_harfbuzz_subset():
        return True
    log.warning(
        "libharfbuzz-subset not found: PDF font subsetting falls back to fontTools, about 15x "
        "slower (26 s instead of 1.6 s for the sample); install it: apt-get install "
        "libharfbuzz-subset0"
    )
    return False


@lru_cache(maxsize=1)
def _has_harfbuzz_subset() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


@lru_cache(maxsize=64)
def _find_in_file(path: Path, mtime_ns: int, family: str, bold: bool) -> FontFace | None:
    """The face of a project font file whose family matches; prefer a face named ``... KR``."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.ttCollection import TTCollection

    fonts = TTCollection(path, lazy=True).fonts if path.suffix.lower() == ".ttc" else [None]
    matches: list[tuple[int, str, bool]] = []
    for index, font in enumerate(fonts):
        font = font if font is not None else TTFont(path, lazy=True)
        name = font["name"]
        families = {
            str(record.toUnicode()).casefold()
            for record in name.names
            if record.nameID in (1, 16) and _decodable(record)
        }
        if family not in families:
            continue
        style = (name.getDebugName(17) or name.getDebugName(2) or "").casefold()
        matches.append((index, name.getDebugName(1) or family, "bold" in style))
    if not matches:
        return None
    # The wanted weight first, then a Korean face of a CJK collection.
    matches.sort(key=lambda m: (m[2] != bold, not m[1].upper().endswith("KR"), m[0]))
    index, found, is_bold = matches[0]
    return FontFace(found, path, index, is_bold)


def _decodable(record: object) -> bool:
    try:
        record.toUnicode()  # type: ignore[attr-defined]
    except UnicodeDecodeError:
        return False
    return True


def prefetch_faces(roles: FontRoles, fonts_dir: Path, answers: Path | None = None) -> None:
    """Start asking fontconfig for every role's regular and bold face, in parallel and in the
    background: each ``fc-match`` takes about 8 ms, most of it starting the process, and a book
    asks for six or eight faces. ``_fc_match`` takes the answers when they are needed.
    ``answers``: a file of the answers fontconfig gave before (:func:`remember_answers`), taken
    while fontconfig's configuration, fonts and environment are as they were then. Answers this
    process holds from a state that has changed since (``invoke watch``) are forgotten."""
    state = _state_hash()
    if state != _ASKED_IN.get("state"):
        _MATCHES.clear()
        _CHARSETS.clear()
        _RECALLED.clear()
        _ASKED_IN["state"] = state
    if answers is not None:
        _recall(answers, state)
    if shutil.which("fc-match") is None:
        return
    own = project_font_files(fonts_dir)
    for family in dict.fromkeys(roles.families().values()):
        for bold in (False, True):
            key = (family, bold)
            if key in _MATCHES or key in _PENDING:
                continue
            if any(_find_in_file(p, p.stat().st_mtime_ns, family.casefold(), bold) for p in own):
                continue
            _PENDING[key] = subprocess.Popen(
                _fc_command(family, bold), stdout=subprocess.PIPE, text=True
            )


_MATCHES: dict[tuple[str, bool], FontFace | None] = {}  # fontconfig's answers, per process
_PENDING: dict[tuple[str, bool], subprocess.Popen[str]] = {}
# A forked worker does not inherit the questions its parent left unread (a build that stopped
# before it needed the fonts, a strict failure): those fc-match processes are the parent's
# children, and workers reading one pipe at once got empty answers ("font ... is not
# installed" for every report of the next build in the same process).
os.register_at_fork(after_in_child=_PENDING.clear)
_RECALLED: dict[str, object] = {}  # the answers file as read: nothing to write if unchanged
_ASKED_IN: dict[str, str] = {}  # "state": fontconfig's state when this process's answers came


def fontconfig_state() -> dict[str, object]:
    """What fontconfig's answers depend on: its configuration (the system's and the user's)
    and caches, the font folders (the usual ones and any other a configuration file names, two
    levels, as fc-cache sees them) and the environment variables it reads. Folder listings
    with sizes and times; no program is run."""
    configuration = [listing(folder, depth=2) for folder in (*FONTCONFIG_DIRS, *USER_CONFIG)]
    named = _named_dirs(json.dumps(configuration))
    return {
        "fontconfig": configuration,
        "font_dirs": [listing(folder, depth=2) for folder in (*FONT_DIRS, *named)],
        "environment": {name: os.environ.get(name) for name in FONTCONFIG_ENVIRONMENT},
    }


DIR = re.compile(r"<dir(?P<attributes>[^>]*)>\s*(?P<path>[^<]+?)\s*</dir>")


@lru_cache(maxsize=4)
def _named_dirs(configuration: str) -> tuple[Path, ...]:
    """The font folders fontconfig's configuration files name besides the usual ones; read
    again when ``configuration`` (the listing of its files) changes."""
    files = [Path("/etc/fonts/fonts.conf"), *sorted(Path("/etc/fonts/conf.d").glob("*.conf"))]
    for folder in USER_CONFIG:
        files += sorted(folder.glob("*.conf")) if folder.is_dir() else [folder]
    named: list[Path] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for found in DIR.finditer(text):
            path = found["path"]
            if 'prefix="xdg"' in found["attributes"]:
                named.append(DATA_HOME / path)
            elif path.startswith("~"):
                named.append(Path(path).expanduser())
            elif path.startswith("/"):
                named.append(Path(path))
    return tuple(folder for folder in dict.fromkeys(named) if folder not in FONT_DIRS)


def listing(folder: Path, depth: int = 1) -> list[object]:
    """Names, sizes and modification times of a folder's entries (``depth`` levels)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    found: list[object] = []
    for entry in entries:
        try:
            stat = entry.stat()
        except OSError:  # a dangling link
            found.append([entry.name])
            continue
        found.append([entry.name, stat.st_size, stat.st_mtime_ns])
        if depth > 1 and entry.is_dir():
            found.append(listing(Path(entry.path), depth - 1))
    return found


def _state_hash() -> str:
    return hashlib.blake2b(json.dumps(fontconfig_state()).encode(), digest_size=16).hexdigest()


def _recall(answers: Path, state: str) -> None:
    """Take the answers of ``answers`` if fontconfig's state is the one they were given in; a
    file that is not what :func:`remember_answers` writes is ignored (asked again)."""
    try:
        saved = json.loads(answers.read_text(encoding="utf-8"))
        if not isinstance(saved, dict) or saved.get("state") != state:
            return
        matches: dict[tuple[str, bool], FontFace | None] = {}
        charsets: dict[tuple[Path, int], str] = {}
        for family, bold, face, charset in saved["matches"]:
            if face is None:
                matches[str(family), bool(bold)] = None
                continue
            found = FontFace(str(face[0]), Path(face[1]), int(face[2]), bool(face[3]))
            matches[str(family), bool(bold)] = found
            charsets[found.path, found.index] = str(charset)
    except (OSError, ValueError, LookupError, TypeError):  # none yet, or not ours: ask again
        return
    for key, answer in matches.items():
        _MATCHES.setdefault(key, answer)
    for where, charset in charsets.items():
        _CHARSETS.setdefault(where, charset)
    _RECALLED.update(saved)


def remember_answers(answers: Path) -> None:
    """Keep this process's fontconfig answers in ``answers`` for the next build (the questions
    asked in advance and not needed this time too)."""
    for family, bold in list(_PENDING):
        _fc_match(family, bold)
    matches = [
        [
            family,
            bold,
            None if face is None else [face.family, str(face.path), face.index, face.bold],
            "" if face is None else _CHARSETS.get((face.path, face.index), ""),
        ]
        for (family, bold), face in sorted(_MATCHES.items())
    ]
    if _RECALLED.get("matches") == matches or not matches:
        return
    from pipeline.output import write_text_atomically

    # the state fontconfig was asked in, not now's: a font installed since is asked for again
    saved = {"state": _ASKED_IN.get("state") or _state_hash(), "matches": matches}
    answers.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(answers, json.dumps(saved, ensure_ascii=False))
    _RECALLED.update(saved)


def _fc_command(family: str, bold: bool) -> list[str]:
    pattern = f"{family}:bold" if bold else family
    return ["fc-match", "-f", "%{file}\t%{index}\t%{family}\t%{weight}\t%{charset}", pattern]


def _fc_match(family: str, bold: bool) -> FontFace | None:
    """Ask fontconfig; fc-match always answers, so check it answered with the family asked for."""
    if (family, bold) in _MATCHES:
        return _MATCHES[family, bold]
    pending = _PENDING.pop((family, bold), None)
    if pending is not None:
        output, _ = pending.communicate()
        if pending.returncode == 0:
            face = _MATCHES[family, bold] = _fc_answer(family, output)
            return face
    if shutil.which("fc-match") is None:
        raise ContentError(
            "invoke.yaml",
            None,
            "fontconfig (fc-match) is not installed",
            "apt-get install fontconfig",
        )
    result = subprocess.run(_fc_command(family, bold), capture_output=True, text=True, check=True)
    face = _MATCHES[family, bold] = _fc_answer(family, result.stdout)
    return face


def _fc_answer(family: str, output: str) -> FontFace | None:
    """fc-match's answer: the face, or None when it answered with another family."""
    file, index, families, weight, charset = (output.split("\t") + [""] * 5)[:5]
    if family.casefold() not in {f.strip().casefold() for f in families.split(",")}:
        return None
    heavy = float(weight.strip() or 0) >= 200  # fontconfig: 80 regular, 200 bold
    face = FontFace(family, Path(file), int(index or 0), heavy)
    _CHARSETS[(face.path, face.index)] = charset  # one subprocess answers both questions
    return face


_CHARSETS: dict[tuple[Path, int], str] = {}  # fontconfig's charset of each face it matched


def uncovered(faces: list[FontFace], text: str) -> list[str]:
    """The characters of ``text`` (besides spaces and controls) that none of ``faces`` has."""
    wanted = sorted({c for c in text if c.isprintable() and not c.isspace()})
    for face in faces:
        wanted = _missing(face, "".join(wanted))
    return wanted


def _missing(face: FontFace, sample: str) -> list[str]:
    """The characters of ``sample`` that ``face`` has no glyph for."""
    charset = _CHARSETS.get((face.path, face.index))
    if charset:
        ranges = [_parse_range(part) for part in charset.split()]
        return [c for c in sample if not any(a <= ord(c) <= b for a, b in ranges)]
    cmap = _cmap(face.path, face.index)
    return [c for c in sample if ord(c) not in cmap]


@lru_cache(maxsize=16)
def _cmap(path: Path, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    return frozenset(font.getBestCmap())


def _parse_range(part: str) -> tuple[int, int]:
    """One item of fontconfig's ``20-7e a0 ac00-d7a3`` charset notation."""
    first, _, last = part.partition("-")
    return int(first, 16), int(last or first, 16)


# --- EPUB: font subsets (added by the EPUB stage; pipeline/epub/assets.py is the only user) --


def subset_font(path: Path, face_index: int, text: str) -> bytes:
    """The face ``face_index`` of ``path`` cut to the glyphs of ``text`` (hb-subset, ~15 ms)."""
    import uharfbuzz as hb  # imported here: only the EPUB writer subsets

    face = hb.Face(hb.Blob.from_file_path(str(path)), face_index)
    plan = hb.SubsetInput()
    plan.sets(hb.SubsetInputSets.UNICODE).update(ord(char) for char in set(text))
    # Keep the copyright, licence and licence URL names: the OFL wants them with the font.
    plan.sets(hb.SubsetInputSets.NAME_ID).update((0, 1, 2, 3, 4, 5, 6, 13, 14))
    subset = hb.subset(face, plan)
    if subset is None:
        raise ContentError(
            path,
            None,
            f"could not subset font face {face_index}",
            "use another font file (an .otf, .ttf or .ttc with outlines)",
        )
    return bytes(subset.blob.data)


def font_media_type(data: bytes) -> str:
    """``font/otf`` for CFF outlines, ``font/ttf`` for TrueType ones (EPUB core media types)."""
    return "font/otf" if data[:4] == b"OTTO" else "font/ttf"


def family_stacks(roles: FontRoles, prefix: str) -> dict[str, list[str]]:
    """The CSS font stacks of embedded subsets named ``prefix`` (`Report Serif`...), each
    falling back to its role's installed family and to emoji."""
    return {
        "body": [f"{prefix} Serif", roles.body, roles.emoji],
        "heading": [f"{prefix} Sans", roles.heading, roles.emoji],
        "code": [f"{prefix} Mono", roles.code, roles.emoji],
    }
