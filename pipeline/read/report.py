"""Notes -> Report: read the notes, lay out their structure (structure.py), give every heading
a stable id, check images and links, and render each part's HTML."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline.config import REPORT_KEYS, FetchPolicy, Settings, checked
from pipeline.dates import date_label
from pipeline.errors import ContentError
from pipeline.model import Chapter, ReadingChoice, Report, Source, Talk
from pipeline.read import recognise, sanitize
from pipeline.read.blocks import Block, Node, build_tree, read_blocks
from pipeline.read.candidates import READING_KEYS, Candidate, CandidateReading, read_candidates
from pipeline.read.images import ImageTable
from pipeline.read.markdown import Footnotes, render_tokens
from pipeline.read.metadata import left_out
from pipeline.read.notes import Notes, read_notes
from pipeline.read.ranking import rank
from pipeline.read.reading import promote_bold_days, read_structure, usable_hints
from pipeline.read.shared_work import shared_work
from pipeline.read.speakers import split_title
from pipeline.read.structure import Draft, NotesOutline, normal, part_node
from pipeline.read.title_choice import title_model

log = logging.getLogger(__name__)


NO_FETCHING = FetchPolicy()
UNTITLED = "제목 없음"  # what an empty heading is called in the contents


def apply_settings(report: Report, settings: Settings) -> Report:
    """The report as the build sees it: the configured author when the notes name none."""
    if report.meta.authors or not settings.author:
        return report
    return replace(report, meta=replace(report.meta, authors=(settings.author,)))


def read_report(
    path: Path,
    fetch: FetchPolicy = NO_FETCHING,
    candidate: Candidate | None = None,
    front_matter: Mapping[str, Any] | None = None,
) -> Report:
    """Read a notes file or a report folder into a Report. ``candidate``: read the notes
    exactly so (as its front-matter line would), instead of choosing the best reading;
    ``front_matter``: keys read as if the notes' front matter held them."""
    if path.is_dir():
        index = read_notes(path / "index.md")
        parts = [read_notes(p) for p in sorted(path.glob("*.md")) if p.name != "index.md"]
        return parse_report(path.name, index, parts, content_root=path, fetch=fetch)
    notes = read_notes(path)
    if front_matter:
        notes = replace(notes, front_matter={**notes.front_matter, **front_matter})
    return parse_report(
        path.stem, notes, [], content_root=path.parent, fetch=fetch, candidate=candidate
    )


def parse_report(
    name: str,
    notes: Notes,
    parts: Sequence[Notes],
    content_root: Path,
    fetch: FetchPolicy = NO_FETCHING,
    candidate: Candidate | None = None,
) -> Report:
    """Turn the notes (and, for a folder, its chapter files) into the report model."""
    with shared_work():  # every reading weighed asks the same questions of the same blocks
        return _parse_report(name, notes, parts, content_root, fetch, candidate)


def _parse_report(
    name: str,
    notes: Notes,
    parts: Sequence[Notes],
    content_root: Path,
    fetch: FetchPolicy,
    candidate: Candidate | None,
) -> Report:
    if not notes.text.strip() and not parts:
        raise ContentError(
            notes.path,
            None,
            "the notes are empty",
            "write a title (# ...) and your notes, then build again",
        )
    notes = usable_hints(notes)
    blocks = promote_bold_days(read_blocks(notes, ""))
    if candidate is not None:
        notes = candidate.applied(notes)
    structure = read_structure(notes, build_tree(blocks), fallback=name, content_root=content_root)
    ranked: list[tuple[float, CandidateReading]] = []
    if candidate is None and not parts and not any(k in notes.front_matter for k in READING_KEYS):
        # which reading wins is weighed without the headings the front matter names: they
        # correct the reading chosen, they do not choose another
        weighed_notes = replace(
            notes, front_matter={k: v for k, v in notes.front_matter.items() if k != "headings"}
        )
        ranked = rank(read_candidates(weighed_notes, blocks, name, content_root, structure.meta))
        chosen = ranked[0][1].candidate
        if chosen.keys:  # not the reader's own reading, which ``structure`` already is
            notes = chosen.applied(notes)
            structure = read_structure(
                notes, build_tree(blocks), name, content_root, structure.meta
            )
    meta, root, title_node = structure.meta, structure.root, structure.title_node
    year = structure.year
    if parts:
        chapter_nodes = [("node", node) for node in root.children]
        for number, part in enumerate(parts, start=1):
            chapter_nodes.append(("node", part_node(part, read_blocks(part, f"{number}-"))))
        layout = NotesOutline(
            root=Node(None, 0, children=[n for _, n in chapter_nodes]),
            year=year,
            chapter_level=None,
            files_are_chapters=True,
        )
    else:
        layout = structure.layout
    builder = ReportBuilder(content_root=content_root.resolve(), meta_dates=meta.dates, fetch=fetch)
    builder.notes_path, builder.event = notes.path, meta.title
    drafts = structure.single_talk_drafts() if structure.single_talk else layout.chapters()
    if unread := [name for name in layout.named if name not in layout.named_found]:
        headings = notes.front_matter["headings"]
        written = ", ".join(f'"{key}"' for key in headings if normal(str(key)) in unread)
        left_out(
            notes,
            "headings",
            f"{written}: no heading under a day or a talk has this text",
            "write the heading's text as the notes have it (a day's or the notes' title "
            "cannot be named)",
        )
    builder.assign_ids(drafts, title_node)
    chapters = tuple(builder.chapter(draft) for draft in drafts)
    intro = builder.render(root.content)
    linked = sum(1 for image in builder.images.images.values() if image.is_remote)
    if linked:
        plural = "s" if linked > 1 else ""
        log.warning(
            "%s: %d remote image%s shown as captioned link%s (use --fetch-images to embed them)",
            notes.path,
            linked,
            plural,
            plural,
        )
    overrides = {key: notes.front_matter[key] for key in REPORT_KEYS if key in notes.front_matter}
    return Report(
        name=name,
        meta=meta,
        settings=checked(overrides, notes.path, notes.front_matter_lines, report_level=True),
        source=Source(notes.path, 1),
        intro_html=intro,
        chapters=chapters,
        images=tuple(builder.images.images.values()),
        missing_files=tuple(builder.images.missing_files),
        aliases=dict(builder.aliases),
        content_root=content_root.resolve(),
        reading=structure.reading(layout, weighed(ranked)),
    )


def weighed(ranked: Sequence[tuple[float, CandidateReading]]) -> tuple[ReadingChoice, ...]:
    """The readings the model weighed, as the report keeps them: line, score, talks."""
    return tuple(
        ReadingChoice(
            reading.candidate.line,
            round(score, 3),
            tuple((talk.title, talk.line) for talk in reading.talks),
        )
        for score, reading in ranked
    )


class ReportBuilder:
    """Gives ids, resolves links and images, and renders each part's HTML."""

    def __init__(
        self, content_root: Path, meta_dates: tuple[dt.date, ...], fetch: FetchPolicy
    ) -> None:
        self.meta_dates = meta_dates
        self.year = meta_dates[0].year if meta_dates else None
        self.ids: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.heading_ids: dict[int, str] = {}  # id(heading block) -> model id
        self.images = ImageTable(content_root, fetch)
        self.day_count = 0
        self.notes_path = Path(".")
        self.event = ""  # the report's title: it names the event

    # ids ---------------------------------------------------------------------------------
    def unique(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.ids:
            candidate, number = f"{wanted}-{number}", number + 1
        self.ids.add(candidate)
        return candidate

    def alias(self, text: str, target: str) -> None:
        slug = recognise.slugify(text)
        candidate, number = slug, 1
        while candidate in self.aliases:
            candidate, number = f"{slug}-{number}", number + 1
        if candidate:
            self.aliases[candidate] = target

    def assign_ids(self, drafts: list[Draft], title_node: Node | None) -> None:
        if title_node is not None:
            self.alias(title_node.title, "top")
        for position, draft in enumerate(drafts, start=1):
            if draft.kind == "day":
                marker = recognise.day_marker(draft.node.title, self.year, anywhere=True)
                self.day_count += 1
                number = marker.number if marker and marker.number else self.day_count
                draft.id = self.unique(f"day-{number}")
            elif draft.kind == "implicit":
                draft.id = self.unique("day-1")
            else:
                draft.id = self.unique(f"chapter-{position}")
            self.name_heading(draft.node, draft.id)
            for index, entry in enumerate(draft.entries, start=1):
                entry.id = self.unique(f"{draft.id}-talk-{index}")
                self.name_heading(entry.node, entry.id)
                if not entry.own_content_only:
                    for sub, node in enumerate(list(entry.node.walk())[1:], start=1):
                        self.name_heading(node, self.unique(f"{entry.id}-{sub}"))

    def name_heading(self, node: Node, model_id: str) -> None:
        if node.heading is not None:
            self.heading_ids[id(node.heading)] = model_id
            self.alias(node.title, model_id)
        self.ids.add(model_id)

    def resolve_anchor(self, fragment: str) -> str | None:
        text = unquote(fragment)
        for candidate in (text, text.lower(), recognise.slugify(text)):
            if candidate in self.ids:
                return candidate
            if candidate in self.aliases:
                return self.aliases[candidate]
        return None

    # model -------------------------------------------------------------------------------
    def chapter(self, draft: Draft) -> Chapter:
        node = draft.node
        marker = (
            recognise.day_marker(node.title, self.year, anywhere=True) if node.heading else None
        )
        if draft.kind == "implicit":
            date = self.meta_dates[0] if len(self.meta_dates) == 1 else None
            title = date_label(date) if date else "세션"
            first = (
                node.children[0].heading
                if node.children
                else (node.content[0] if node.content else None)
            )
            source = first.source if first else Source(Path("."), 1)
            return Chapter(
                id=draft.id,
                title=title,
                source=source,
                kind="day",
                number=None,
                date=date,
                intro_html=self.render(node.content),
                talks=tuple(self.talk(e) for e in draft.entries),
            )
        assert node.heading is not None
        kind: Literal["day", "section"] = "day" if draft.kind == "day" else "section"
        number = None
        if kind == "day":
            number = int(draft.id.split("-")[1]) if re.fullmatch(r"day-\d+", draft.id) else None
        content = (
            node.content
            if draft.entries or draft.own_content_only
            else node.content + [b for child in node.children for b in child.blocks()]
        )
        return Chapter(
            id=draft.id,
            title=node.title or UNTITLED,
            source=node.heading.source,
            kind=kind,
            number=number,
            date=marker.date if marker else None,
            subtitle=recognise.day_subtitle(node.title) if marker else "",
            intro_html=self.render(content),
            talks=tuple(self.talk(entry) for entry in draft.entries),
        )

    def talk(self, draft: Draft) -> Talk:
        node = draft.node
        if draft.blocks is not None:  # a list item, table row or bold line: no heading
            content, children = list(draft.blocks), []
            path = node.heading.notes.path if node.heading else self.notes_path
            source = Source(path, draft.line or 1)
        else:
            assert node.heading is not None
            content, children = list(node.content)[draft.skip :], node.children
            source = node.heading.source
        title = draft.title if draft.title is not None else node.title
        people, slot = draft.people, draft.slot
        if draft.kind == "talk" and draft.blocks is not None:
            # a unit's title (a heading's is cleaned as it is read): a time, a slot's label or
            # a speaker is never part of it
            time, title = recognise.split_time(title)
            title = recognise.drop_numbering(title)
            if not people:
                title, people = split_title(title)
            slot = slot or time
        if draft.kind == "talk":
            title, taken = title_model().edit(title, self.event)  # the edits the labels taught
            people = people or taken
        abstract: list[Block] = []
        if draft.kind == "talk" and content and content[0].tokens[0].type == "blockquote_open":
            abstract = [content.pop(0)]
        body = (
            content
            if draft.own_content_only
            else content + [b for child in children for b in child.blocks()]
        )
        return Talk(
            id=draft.id,
            title=title or UNTITLED,
            source=source,
            kind="talk" if draft.kind == "talk" else "section",
            speakers=people if draft.kind == "talk" else (),
            slot=slot,
            abstract_html=self.render(abstract, inner_blockquote=True),
            body_html=self.render(body, talk_level=node.level),
            recognised_by=draft.rule,
            confidence=draft.confidence,
        )

    # html --------------------------------------------------------------------------------
    def render(
        self, blocks: list[Block], talk_level: int = 0, inner_blockquote: bool = False
    ) -> str:
        if not blocks:
            return ""
        runs: list[tuple[Footnotes, list[Token]]] = []
        for block in blocks:
            self.check_references(block)
            tokens = block.tokens
            if inner_blockquote and tokens[0].type == "blockquote_open":
                tokens = tokens[1:-1]
            if block.heading_level is not None:
                tokens = self.body_heading(block, talk_level)
            if not runs or runs[-1][0] is not block.footnotes:
                runs.append((block.footnotes, []))
            runs[-1][1].extend(tokens)
        parts = [render_tokens(tokens, footnotes) for footnotes, tokens in runs]
        raw = "".join(parts)
        return sanitize.finish_fragment(sanitize.clean(raw), self.images.show, self.resolve_anchor)

    def body_heading(self, block: Block, talk_level: int) -> list[Token]:
        """Headings inside a talk become h4-h6 with their model id."""
        level = block.heading_level or 4
        tag = f"h{min(6, 3 + max(1, level - talk_level))}"
        opening, inline, closing = (token.copy() for token in block.tokens)
        opening.tag = closing.tag = tag
        opening.attrs = {"id": self.heading_ids.get(id(block), "")}
        return [opening, inline, closing]

    def check_references(self, block: Block) -> None:
        """Images must exist inside the content folder; links to headings must match one."""
        for token in block.tokens:
            line = (token.map[0] + 1) if token.map else block.line
            if token.type in ("html_block", "html_inline"):
                self.check_html(token.content, block.notes.path, line)
            for child in token.children or ():
                if child.type == "image":
                    self.images.add(
                        str(child.attrs.get("src", "")),
                        child.content,
                        Source(block.notes.path, line),
                    )
                elif child.type == "html_inline":
                    self.check_html(child.content, block.notes.path, line)
                elif child.type == "link_open":
                    self.check_anchor(
                        str(child.attrs.get("href", "")), Source(block.notes.path, line)
                    )

    def check_html(self, html: str, path: Path, line: int) -> None:
        for tag, attrs in sanitize.tags_in(html):
            if tag == "img" and attrs.get("src"):
                self.images.add(attrs["src"], attrs.get("alt", ""), Source(path, line))
            elif tag == "a" and attrs.get("href"):
                self.check_anchor(attrs["href"], Source(path, line))

    def check_anchor(self, href: str, source: Source) -> None:
        if href.startswith("#") and len(href) > 1 and self.resolve_anchor(href[1:]) is None:
            log.warning('%s: link to "%s" matches no heading; shown as plain text', source, href)
