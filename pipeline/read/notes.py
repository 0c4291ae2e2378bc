"""Read a notes file as people write it: any encoding, any line ending, blog-engine front matter.

The result keeps the Markdown's line numbers: front matter and removed blog-engine
leftovers are replaced by blank lines, so line N of ``Notes.text`` is line N of the file.
"""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ContentError

log = logging.getLogger(__name__)

FENCE_HINT = "fix the front matter syntax, or remove the block if it is not front matter"


@dataclass(frozen=True)
class Notes:
    """A notes file's Markdown (front matter blanked out) and its front matter."""

    path: Path
    text: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    front_matter_lines: dict[str, int] = field(default_factory=dict)  # key -> line


def discover_reports(notes: Path) -> list[Path]:
    """A notes file, a report folder (with index.md), or a content folder of reports."""
    if notes.is_file():
        return [notes]
    if (notes / "index.md").is_file():
        return [notes]
    if not notes.is_dir():
        raise ContentError(notes, None, "no such notes file or folder", "check the --notes path")
    found = sorted(
        p
        for p in notes.iterdir()
        if (p.is_file() and p.suffix == ".md") or (p / "index.md").is_file()
    )
    if not found:
        raise ContentError(
            notes,
            None,
            "holds no notes (.md files or folders with index.md)",
            "put your notes in this folder, or give --notes a file",
        )
    return found


def report_name(notes: Path) -> str:
    """The output file stem of a report: the notes file's or the report folder's name."""
    return notes.name if notes.is_dir() else notes.stem


def read_notes(path: Path) -> Notes:
    """Read, decode and clean one notes file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ContentError(path, None, "notes file not found", "check the --notes path") from err
    except IsADirectoryError as err:
        raise ContentError(
            path,
            None,
            "is a folder without an index.md",
            "give a notes file, or add index.md to the folder",
        ) from err
    except OSError as err:
        raise ContentError(path, None, f"cannot read the notes: {err.strerror}") from err
    text = decode(path, data)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    front_matter, body = split_front_matter(path, text)
    lines: dict[str, int] = {}
    if front_matter:
        header = text[: len(text) - len(body.lstrip("\n"))]
        for number, line in enumerate(header.splitlines(), start=1):
            key = re.match(r"\s*([A-Za-z_][\w-]*)\s*[:=]", line)
            if key:
                lines.setdefault(key.group(1), number)
    return Notes(
        path=path,
        text=strip_blog_leftovers(body),
        front_matter=front_matter,
        front_matter_lines=lines,
    )


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM); CP949/EUC-KR with a warning; anything else is an error."""
    if b"\x00" in data[:8192]:
        raise ContentError(
            path,
            None,
            "is a binary file, not Markdown notes",
            "give the .md file you wrote your notes in",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp949")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_error.start) + 1
            raise ContentError(
                path,
                line,
                f"cannot decode the notes: byte 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start} is neither UTF-8 nor CP949/EUC-KR",
                "save the file as UTF-8",
            ) from utf8_error
        log.warning(
            "%s: not UTF-8; decoded as CP949/EUC-KR (save it as UTF-8 to silence this)", path
        )
        return text


YAML_FENCE = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)
TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(\n|\Z)", re.S)
# Hexo writes front matter without the opening fence: `key: value` lines, then a lone `---`.
HEXO_BLOCK = re.compile(r"\A([A-Za-z_][\w-]*:.*?\n)---[ \t]*(\n|\Z)", re.S)


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """Parse YAML (---), TOML (+++) or Hexo front matter; blank its lines in the text."""
    for fence, parse in ((YAML_FENCE, parse_yaml), (TOML_FENCE, parse_toml)):
        match = fence.match(text)
        if match:
            data = parse(path, match.group(1) or "", first_line=2)
            return data, blank_lines(text, match.end())
    match = HEXO_BLOCK.match(text)
    if match and looks_like_hexo(match.group(1)):
        data = parse_yaml(path, match.group(1), first_line=1)
        return data, blank_lines(text, match.end())
    return {}, text


def looks_like_hexo(block: str) -> bool:
    """Only a block whose every line is a YAML key, list item or indented value is front matter."""
    lines = [line for line in block.splitlines() if line.strip()]
    shapes = (r"[A-Za-z_][\w-]*\s*:(\s.*)?", r"\s*-\s.*", r"\s+\S.*")
    return bool(lines) and all(any(re.fullmatch(s, line) for s in shapes) for line in lines)


def parse_yaml(path: Path, source: str, first_line: int) -> dict[str, Any]:
    import yaml  # 20 ms: only for notes with YAML front matter

    class Loader(yaml.SafeLoader):
        """No anchors and aliases: front matter never needs them, and `&a [*a]` or nested
        aliases ("billion laughs") would recurse forever or take minutes."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed", event.start_mark
                )
            return super().compose_node(parent, index)

        def construct_yaml_timestamp(self, node: Any) -> Any:
            """`date: 2024-02-30` stays the text it is (the front matter's reader warns about
            it and builds on) instead of stopping the YAML."""
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError:
                return self.construct_scalar(node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    try:
        data = yaml.load(source, Loader=Loader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = first_line + (mark.line if mark else 0)
        raise ContentError(
            path, line, f"broken YAML front matter: {err.problem}", FENCE_HINT
        ) from err
    except yaml.YAMLError as err:
        raise ContentError(
            path, first_line, f"broken YAML front matter: {err}", FENCE_HINT
        ) from err
    except RecursionError as err:
        raise ContentError(path, first_line, "front matter nested too deeply", FENCE_HINT) from err
    except ValueError as err:  # a well-formed but impossible value, e.g. date: 2024-02-30
        raise ContentError(
            path, first_line, f"invalid value in the front matter: {err}", FENCE_HINT
        ) from err
    return front_matter_mapping(path, data, first_line)


def parse_toml(path: Path, source: str, first_line: int) -> dict[str, Any]:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+), column \d+\)", str(err))
        line = first_line + int(found.group(1)) - 1 if found else first_line
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise ContentError(path, line, f"broken TOML front matter: {message}", FENCE_HINT) from err
    return data


def front_matter_mapping(path: Path, data: Any, first_line: int) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(
            path, first_line, "front matter is not a list of `key: value` lines", FENCE_HINT
        )
    return {str(key): value for key, value in data.items()}


def blank_lines(text: str, end: int) -> str:
    """Replace text[:end] with as many newlines, so that line numbers stay true."""
    return "\n" * text.count("\n", 0, end) + text[end:]


LIQUID_URL = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
HUGO_SHORTCODE = re.compile(r"\{\{[<%]\s*(img|figure|image)\b(.*?)[>%]\}\}", re.S)
SHORTCODE_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")


SPACER_LINE = re.compile(r"^[ \t]*(<br\s*/?>[ \t]*)+$", re.I)
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def strip_blog_leftovers(text: str) -> str:
    """Liquid site URLs go; Hugo image shortcodes become Markdown images; lines holding only
    `<br>` become blank lines (same line count).

    A `<br>` line would otherwise open a raw HTML block that swallows the Markdown after it
    (`<br>` then `![](x.png)` printed the image's source as text)."""
    text = LIQUID_URL.sub("", text)
    text = HUGO_SHORTCODE.sub(shortcode_to_image, text)
    lines = text.split("\n")
    fence = ""
    for number, line in enumerate(lines):
        opening = FENCE.match(line)
        if opening and (not fence or opening.group(1).startswith(fence)):
            fence = "" if fence else opening.group(1)
        elif not fence and SPACER_LINE.match(line):
            lines[number] = ""
    return "\n".join(lines)


def shortcode_to_image(match: re.Match[str]) -> str:
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in SHORTCODE_ATTR.finditer(match.group(2))
    }
    src = attrs.get("src", "")
    alt = attrs.get("alt") or attrs.get("title") or attrs.get("caption") or ""
    caption = attrs.get("caption") or attrs.get("title") or ""
    title = f' "{caption}"' if caption and caption != alt else ""
    image = f"![{escape_brackets(alt)}](<{src}>{title})" if src else ""
    return image + "\n" * match.group(0).count("\n")


def escape_brackets(text: str) -> str:
    return text.replace("[", r"\[").replace("]", r"\]")
