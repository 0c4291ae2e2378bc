"""The shelf's own files, made from its entries: the index page, a page per report, the OPDS
catalogue (navigation by year and by tag) and the Atom feed. All from templates in styles/.

Every link is relative to the file that holds it, so the folder can be served from anywhere
(a web server, GitHub Pages, a bucket) or opened from a shared drive as it is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.shelf.entry import Entry, safe_name
from pipeline.templates import environment

FEED_SIZE = 30  # the newest reports the Atom feed carries
OPDS_TYPE = "application/atom+xml;profile=opds-catalog"
SCRIPT = Path(__file__).with_name("shelf.js")


@dataclass(frozen=True)
class Group:
    """A year or a tag of the shelf: its name, its catalogue file, and its reports."""

    label: str
    href: str  # the catalogue's file, relative to the shelf's root
    entries: tuple[Entry, ...]

    @property
    def updated(self) -> str:
        """When one of its reports last changed: a feed that did not change stays the same."""
        return max((entry.updated for entry in self.entries), default="")


@dataclass(frozen=True)
class ShelfInfo:
    """The shelf itself: what it is called, its catalogue id, when it last changed."""

    title: str
    id: str
    updated: str


def newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=Entry.sort_key, reverse=True)


def years(entries: list[Entry]) -> list[Group]:
    found = sorted({entry.year for entry in entries if entry.year}, reverse=True)
    groups = [
        Group(year, f"opds/year-{year}.xml", tuple(e for e in entries if e.year == year))
        for year in found
    ]
    if any(not entry.year for entry in entries):
        undated = tuple(entry for entry in entries if not entry.year)
        groups.append(Group("날짜 없음", "opds/year-none.xml", undated))
    return groups


def tags(entries: list[Entry]) -> list[Group]:
    counts = Counter(tag for entry in entries for tag in dict.fromkeys(entry.tags))
    return [
        Group(tag, f"opds/tag-{safe_name(tag)}.xml", tuple(e for e in entries if tag in e.tags))
        for tag, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_report_page(entry: Entry, shelf: ShelfInfo, settings: Settings) -> str:
    """reports/<name>/index.html: the report's days and talks, its files and checksums."""
    template = environment(settings).get_template("shelf-report.html.j2")
    return template.render(entry=entry, shelf=shelf, root="../../")


def render_shelf(entries: list[Entry], shelf: ShelfInfo, settings: Settings) -> dict[str, str]:
    """Every shelf-level file (path relative to the shelf -> text), from the entries alone."""
    env = environment(settings)
    ordered = newest_first(entries)
    # the shelf changed when its last report did: adding one rewrites only the files it is in
    shelf = replace(shelf, updated=max((e.updated for e in entries), default=shelf.updated))
    by_year, by_tag = years(ordered), tags(ordered)
    added = sorted(ordered, key=lambda entry: entry.updated, reverse=True)  # latest on the shelf
    index = {
        "reports": [entry.search_record() for entry in ordered],
    }
    files = {
        "index.html": env.get_template("shelf-index.html.j2").render(
            shelf=shelf, entries=ordered, years=by_year, tags=by_tag, index=index, root=""
        ),
        "shelf.css": (settings.styles_dir / "shelf.css").read_text(encoding="utf-8"),
        "shelf.js": SCRIPT.read_text(encoding="utf-8"),
        "feed.atom": env.get_template("shelf-feed.atom.j2").render(
            shelf=shelf,
            entries=added[:FEED_SIZE],
        ),
    }
    acquisition = env.get_template("shelf-opds-acquisition.xml.j2")
    navigation = env.get_template("shelf-opds-navigation.xml.j2")
    files["opds.xml"] = navigation.render(
        shelf=shelf,
        self_href="opds.xml",
        root="",
        feed_id=f"{shelf.id}:opds",
        title=shelf.title,
        groups=[
            Group("모든 보고서 (최근 행사 순)", "opds/all.xml", tuple(ordered)),
            Group("최근 올라온 보고서", "opds/new.xml", tuple(added)),
            Group("연도별", "opds/years.xml", tuple(ordered)),
            Group("태그별", "opds/tags.xml", tuple(ordered)),
        ],
        kinds={"opds/all.xml": "acquisition", "opds/new.xml": "acquisition"},
        rels={"opds/new.xml": "http://opds-spec.org/sort/new"},
    )
    for name, label, groups in (("years", "연도별", by_year), ("tags", "태그별", by_tag)):
        files[f"opds/{name}.xml"] = navigation.render(
            shelf=shelf,
            self_href=f"opds/{name}.xml",
            root="../",
            feed_id=f"{shelf.id}:opds:{name}",
            title=f"{shelf.title} · {label}",
            groups=groups,
            kinds={group.href: "acquisition" for group in groups},
            rels={},
        )
    everything = Group("모든 보고서", "opds/all.xml", tuple(ordered))
    newest = Group("최근 올라온 보고서", "opds/new.xml", tuple(added))
    for group, up in (
        [(everything, "opds.xml"), (newest, "opds.xml")]
        + [(group, "opds/years.xml") for group in by_year]
        + [(group, "opds/tags.xml") for group in by_tag]
    ):
        files[group.href] = acquisition.render(
            shelf=shelf,
            group=group,
            up=up,
            root="../",
            feed_id=f"{shelf.id}:{group.href}",
        )
    return files


def now_iso(source_date_epoch: int | None) -> str:
    """When something came on the shelf: SOURCE_DATE_EPOCH when set (reproducible), else now."""
    moment = (
        dt.datetime.fromtimestamp(source_date_epoch, dt.UTC)
        if source_date_epoch is not None
        else dt.datetime.now(dt.UTC)
    )
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
