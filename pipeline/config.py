"""Settings for a build: folders, paper, font roles, people, colours, the remote-image policy.

Read once from ``invoke.yaml`` (Invoke's own configuration file, under the ``report`` key),
overridden per report by its front matter, and passed down as plain frozen data. Every unknown
or invalid key is reported at once, each with its file and line, before anything is built.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ContentError

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


@dataclass(frozen=True)
class Settings:
    """Everything a build needs besides the notes."""

    project_root: Path = PROJECT_ROOT
    content: Path = Path("content")
    out: Path = Path("dist")
    paper: str = "A4"
    fonts: FontRoles = field(default_factory=FontRoles)
    accent: str = "#1f5fa8"
    author: str = ""  # the author or team, when the notes name none
    pdf_variant: PdfVariant = "ua"
    remote_images: Literal["link", "fetch"] = "link"
    allow_private_addresses: bool = False  # for fetching: loopback, private, link-local

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
        """Build manifests, compiled templates, fetched images."""
        return self.project_root / ".cache"

    def override(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with checked changes (a report's front matter) applied."""
        return dataclasses.replace(self, **changes) if changes else self


# key -> (check, what it must be); the report-level keys may also be set in front matter
CHOICES = {"paper": PAPER_SIZES, "pdf_variant": PDF_VARIANTS, "remote_images": REMOTE_IMAGES}
REPORT_KEYS = ("paper", "fonts", "accent", "author", "pdf_variant")


def checked(
    values: Mapping[str, Any], path: Path, lines: Mapping[str, int], report_level: bool = False
) -> dict[str, Any]:
    """The settings in ``values`` as Settings fields; every problem reported together."""
    problems: list[tuple[int, str]] = []
    changes: dict[str, Any] = {}
    allowed = (
        REPORT_KEYS
        if report_level
        else tuple(f.name for f in dataclasses.fields(Settings) if f.name != "project_root")
    )

    def problem(key: str, message: str) -> None:
        problems.append((lines.get(key, 0), message))  # 0: no line (a command-line option)

    for key, value in values.items():
        if key not in allowed:
            problem(key, f'unknown setting "{key}" (known: {", ".join(allowed)})')
        elif key in ("content", "out"):
            if isinstance(value, str) and value.strip():
                changes[key] = Path(value)
            else:
                problem(key, f'"{key}" must be a folder path')
        elif key in CHOICES:
            if value in CHOICES[key]:
                changes[key] = value
            else:
                problem(key, f'{key} "{value}" is not one of {", ".join(CHOICES[key])}')
        elif key == "allow_private_addresses":
            if isinstance(value, bool):
                changes[key] = value
            else:
                problem(key, '"allow_private_addresses" must be true or false')
        elif key == "accent":
            if isinstance(value, str) and COLOUR.match(value):
                changes[key] = value
            else:
                problem(key, f'accent "{value}" is not a colour like "#1f5fa8"')
        elif key == "author":
            changes[key] = str(value)
        elif key == "fonts":
            if not isinstance(value, dict):
                problem(key, '"fonts" must map roles (body, heading, code, emoji) to family names')
                continue
            unknown = [role for role in value if role not in FONT_ROLES]
            for role in unknown:
                problems.append(
                    (
                        lines.get(f"fonts.{role}", lines.get(key, 0)),
                        f'unknown font role "{role}" (known: {", ".join(FONT_ROLES)})',
                    )
                )
            if not unknown:
                changes[key] = FontRoles(
                    **{role: str(name) for role, name in value.items()},
                    origin=str(path),
                    origin_line=lines.get(key, 0),
                )
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


def load_settings(path: Path = PROJECT_ROOT / "invoke.yaml") -> Settings:
    """Settings from the ``report`` section of invoke.yaml (defaults when there is none)."""
    settings = Settings(project_root=path.parent.resolve())
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
