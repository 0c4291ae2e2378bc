"""Settings for a build: folders, paper, font roles, people, colours, the remote-image policy.

Read once from ``invoke.yaml`` (Invoke's own configuration file, under the ``report`` key),
overridden per report by its front matter, and passed down as plain frozen data. Every unknown
or invalid key is reported at once, each with its file and line, before anything is built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pipeline.errors import ContentError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PAPER_SIZES = ("A4", "A5", "B5", "Letter")
PDF_VARIANTS = ("ua", "a", "plain")
REMOTE_IMAGES = ("link", "fetch")
PdfVariant = Literal["ua", "a", "plain"]
COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


@dataclass(frozen=True)
class FontRoles:
    """Family names (fontconfig names, or families of files dropped into fonts/) for each role."""

    body: str = "Noto Serif CJK KR"
    heading: str = "Noto Sans CJK KR"
    code: str = "Noto Sans Mono CJK KR"
    emoji: str = "Noto Color Emoji"
    # where they were set, for error messages: invoke.yaml, or a report's front matter
    origin: str = "invoke.yaml"
    origin_line: int = 0

    def families(self) -> dict[str, str]:
        """Role -> family name."""
        return {role: getattr(self, role) for role in FONT_ROLES}


FONT_ROLES = ("body", "heading", "code", "emoji")


@dataclass(frozen=True)
class FetchPolicy:
    """What fetching may do. The defaults are the safe ones."""

    enabled: bool = False
    timeout: float = 10.0  # seconds for the whole download, redirects included
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 3
    allow_private: bool = False  # loopback, private and link-local addresses
    cache_dir: Path = PROJECT_ROOT / ".cache" / "images"


# ---------- the settings table ----------
#
# Each setting is one field of Settings made by setting(): its key, its type (the check that
# turns a value from invoke.yaml or front matter into the field's value), its default and its
# help. That table checks invoke.yaml, picks what a report's front matter may change
# (per_report), and writes the README's example (settings_yaml, compared by a test).


class Invalid(ValueError):
    """A value a setting refuses: (the key whose line it is on, message) for each problem."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class Origin:
    """Where values were read: a file (invoke.yaml, notes) and the line of each key."""

    path: Path
    lines: Mapping[str, int]

    def line(self, key: str) -> int:
        """The key's line; a font role's is its own, else that of ``fonts``; 0 for none."""
        return self.lines.get(key, self.lines.get(key.partition(".")[0], 0))


Check = Callable[[str, Any, Origin], Any]


def folder(key: str, value: Any, origin: Origin) -> Path:
    if isinstance(value, str) and value.strip():
        return Path(value)
    raise Invalid((key, f'"{key}" must be a folder path'))


def one_of(choices: tuple[str, ...]) -> Check:
    def choice(key: str, value: Any, origin: Origin) -> str:
        if value in choices:
            return str(value)
        raise Invalid((key, f'{key} "{value}" is not one of {", ".join(choices)}'))

    return choice


def colour(key: str, value: Any, origin: Origin) -> str:
    if isinstance(value, str) and COLOUR.match(value):
        return value
    raise Invalid((key, f'{key} "{value}" is not a colour like "#1f5fa8"'))


def text(key: str, value: Any, origin: Origin) -> str:
    return str(value)


def true_or_false(key: str, value: Any, origin: Origin) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid((key, f'"{key}" must be true or false'))


def font_roles(key: str, value: Any, origin: Origin) -> FontRoles:
    if not isinstance(value, dict):
        raise Invalid((key, f'"{key}" must map roles ({", ".join(FONT_ROLES)}) to family names'))
    unknown = [role for role in value if role not in FONT_ROLES]
    if unknown:
        raise Invalid(
            *(
                (f"{key}.{role}", f'unknown font role "{role}" (known: {", ".join(FONT_ROLES)})')
                for role in unknown
            )
        )
    return FontRoles(
        **{role: str(name) for role, name in value.items()},
        origin=str(origin.path),
        origin_line=origin.line(key),
    )


@dataclass(frozen=True)
class Setting:
    """One key of the ``report:`` section of invoke.yaml: a row of the table."""

    key: str
    check: Check
    default: Any
    help: str
    per_report: bool = False  # a report's front matter may set it too
    example: Any = None  # what the README shows, when not the default


T = TypeVar("T")


def setting(
    default: T, check: Check, help: str, *, per_report: bool = False, example: Any = None
) -> T:
    """A Settings field that is a setting (see Setting)."""
    row = {"check": check, "help": help, "per_report": per_report, "example": example}
    return field(default=default, metadata={"setting": row})


@dataclass(frozen=True)
class Settings:
    """Everything a build needs besides the notes: where the project is, and the settings."""

    project_root: Path = PROJECT_ROOT  # where invoke.yaml is; styles/ and fonts/ are there
    content: Path = setting(Path("content"), folder, "where the notes are")
    out: Path = setting(Path("dist"), folder, "where the outputs (and their .cache/) go")
    paper: str = setting("A4", one_of(PAPER_SIZES), "A4, A5, B5 or Letter", per_report=True)
    fonts: FontRoles = setting(
        FontRoles(), font_roles, "family names, installed or dropped into fonts/", per_report=True
    )
    accent: str = setting(
        "#1f5fa8", colour, "the accent colour of the cover, headings and boxes", per_report=True
    )
    author: str = setting(
        "", text, "shown when the notes name no author", per_report=True, example="플랫폼팀"
    )
    pdf_variant: PdfVariant = setting(
        "ua",
        one_of(PDF_VARIANTS),
        "ua (tagged PDF/UA-1), a (PDF/A-3a, for archiving) or plain",
        per_report=True,
    )
    remote_images: Literal["link", "fetch"] = setting(
        "link", one_of(REMOTE_IMAGES), "link (default: never touch the network) or fetch"
    )
    allow_private_addresses: bool = setting(
        False, true_or_false, "fetching may reach loopback, private and link-local addresses"
    )
    strict: bool = setting(
        False, true_or_false, "warnings are errors, as --strict makes them (for CI)"
    )
    # From the environment, read once by load_settings (the build reads no environment itself):
    # the time a reproducible build is stamped with (reproducible-builds.org), None to use the
    # notes' own dates.
    source_date_epoch: int | None = None

    @property
    def fonts_dir(self) -> Path:
        return self.project_root / "fonts"

    @property
    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(
            enabled=self.remote_images == "fetch",
            allow_private=self.allow_private_addresses,
            cache_dir=self.cache_dir / "images",
        )

    @property
    def styles_dir(self) -> Path:
        """Templates and CSS: the project's, wherever the notes are."""
        return self.project_root / "styles"

    @property
    def cache_dir(self) -> Path:
        """Build manifests, compiled templates, fetched images, the PDF's cut fonts: with the
        outputs, so that a build of notes elsewhere leaves the project's folder untouched."""
        return self.out / ".cache"

    def override(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with checked changes (a report's front matter) applied."""
        return dataclasses.replace(self, **changes) if changes else self


SETTINGS = tuple(
    Setting(f.name, default=f.default, **f.metadata["setting"])
    for f in dataclasses.fields(Settings)
    if "setting" in f.metadata
)
REPORT_KEYS = tuple(s.key for s in SETTINGS if s.per_report)  # front matter may set these


def checked(
    values: Mapping[str, Any], path: Path, lines: Mapping[str, int], report_level: bool = False
) -> dict[str, Any]:
    """The settings in ``values`` as Settings fields; every problem reported together. In a
    report's front matter (``report_level``) a value that cannot be used is left out with a
    warning instead: front matter never stops a build."""
    table = {s.key: s for s in SETTINGS if s.per_report or not report_level}
    origin = Origin(path, lines)
    problems: list[tuple[int, str]] = []  # line (0: none, a command-line option), message
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in table:
            problems.append(
                (origin.line(key), f'unknown setting "{key}" (known: {", ".join(table)})')
            )
            continue
        try:
            changes[key] = table[key].check(key, value, origin)
        except Invalid as err:
            problems += [(origin.line(where), message) for where, message in err.problems]
    if problems and report_level:
        for line, message in sorted(problems):
            log.warning(
                "%s:%d: front matter %s; left out (hint: see the README's Configuration)",
                path,
                line or 1,
                message,
            )
        return changes
    if problems:
        problems.sort()
        first_line, first = problems[0]
        rest = "".join(
            f"\n{path}{f':{line}' if line else ''}: {message}" for line, message in problems[1:]
        )
        raise ContentError(
            path,
            first_line,
            first + rest,
            "fix or remove these settings (see the README's Configuration)",
        )
    return changes


def settings_yaml() -> str:
    """The README's example of invoke.yaml: every setting with its default and its help."""
    lines = ["report:"]
    for row in SETTINGS:
        value = row.default if row.example is None else row.example
        nested = isinstance(value, FontRoles)
        line = f"  {row.key}:" if nested else f"  {row.key}: {yaml_scalar(value)}"
        lines.append(f"{line}{' ' * max(2, 29 - display_width(line))}# {row.help}")
        if nested:
            lines += [f"    {role}: {family}" for role, family in value.families().items()]
    return "\n".join(lines) + "\n"


def yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return f"{value.as_posix()}/"
    text = str(value)
    return f'"{text}"' if text.startswith("#") or not text else text


def display_width(text: str) -> int:
    """Columns on a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def load_settings(
    path: Path = PROJECT_ROOT / "invoke.yaml", environ: Mapping[str, str] = os.environ
) -> Settings:
    """Settings from the ``report`` section of invoke.yaml (defaults when there is none) and
    ``SOURCE_DATE_EPOCH`` from the environment."""
    settings = Settings(
        project_root=path.parent.resolve(), source_date_epoch=source_date_epoch(environ)
    )
    if not path.is_file():
        return settings
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as err:
        line = (err.problem_mark.line + 1) if err.problem_mark else None
        raise ContentError(
            path, line, f"broken YAML: {err.problem}", "fix the YAML syntax at that line"
        ) from err
    section = data.get("report", {}) if isinstance(data, dict) else {}
    if not isinstance(section, dict):
        raise ContentError(
            path, 1, '"report" must be a mapping of settings', "see the README's Configuration"
        )
    changes = checked(section, path, key_lines(node, "report"))
    return dataclasses.replace(settings, **changes)


def source_date_epoch(environ: Mapping[str, str]) -> int | None:
    """``SOURCE_DATE_EPOCH`` as whole seconds, None when it is not set."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        value = int(epoch)
        dt.datetime.fromtimestamp(value, dt.UTC)  # a time Python can represent
    except (ValueError, OverflowError, OSError) as err:
        raise ContentError(
            "SOURCE_DATE_EPOCH",
            None,
            f'"{epoch}" is not a Unix time',
            "set it to whole seconds, e.g. $(git log -1 --format=%ct)",
        ) from err
    return value


def key_lines(node: Any, section: str) -> dict[str, int]:
    """The line of every key of ``section`` (and of its nested font roles)."""
    import yaml

    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if key.value == section and isinstance(value, yaml.MappingNode):
            for sub_key, sub_value in value.value:
                lines[sub_key.value] = sub_key.start_mark.line + 1
                if isinstance(sub_value, yaml.MappingNode):
                    for role, _ in sub_value.value:
                        lines[f"{sub_key.value}.{role.value}"] = role.start_mark.line + 1
    return lines


def with_options(settings: Settings, **options: Any) -> Settings:
    """Command-line options (None when not given) applied over the settings."""
    given = {key: value for key, value in options.items() if value is not None}
    return dataclasses.replace(settings, **checked(given, Path("options"), {}))
