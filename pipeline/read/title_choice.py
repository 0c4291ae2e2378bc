"""Which edits make a talk's title, as the labelled notes taught.

A title as the notes write it may carry more than the title: the event's name
(`ifKakao - 제목`), a label before a colon (`Boot Camp : 제목`), a tag in brackets (`[회사] 제목`),
a remark in parentheses (`제목 (부제)`), a name after a comma (`제목, Ryan Dahl`) or after `by`.
Each is one edit here, and each can as well be part of the title (`[패널톡] ...`, `NSML : ...`,
`Be Understood, Everywhere`). `invoke train` counts, for every labelled talk an edit would
change, whether the edited title is the labelled one (right) or the title as written is
(kept). An edit is made where it was right more often than kept, and at least twice: one
seen less is not made, so an unknown shape stays as the notes wrote it. (Times, slot labels
and a name 님 vouches for are never part of a title: ``recognise.split_time``,
``drop_numbering`` and ``split_title`` take them out before these edits are weighed.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.model import Person
from pipeline.read.learned import Committed, committed, model_json
from pipeline.read.speakers import is_korean_name, is_latin_name, parse_people
from pipeline.read.structure import normal

MODEL_FILE = Path(__file__).with_name("title-model.json")
MODEL_VERSION = 1
LEAST_EVIDENCE = 2  # labelled talks an edit must have been right for before it is made

Edited = tuple[str, tuple[Person, ...]]

EVENT_BEFORE = re.compile(r"^(?P<event>[^-–—:：|]{2,40}?)\s*[-–—:：|]\s+(?P<rest>\S.*)$")
LABEL_BEFORE_COLON = re.compile(r"^(?P<label>[^:：]{1,24}?)\s*[:：]\s+(?P<rest>\S.*)$")
TAG_IN_BRACKETS = re.compile(r"^\s*[\[【](?P<tag>[^\]】]{1,20})[\]】]\s*(?P<rest>\S.*)$")
REMARK_IN_PARENS = re.compile(r"^(?P<rest>.*?\S)\s*[(（](?P<remark>[^()（）]+)[)）]\s*$")
NAME_AFTER_COMMA = re.compile(r"^(?P<rest>.+?\S)\s*,\s*(?P<who>[^,]+?)\s*$")
PEOPLE_AFTER_BY = re.compile(r"^(?P<rest>.+?\S)\s+by\s+(?P<who>\S.*)$", re.I)


def event_before(title: str, event: str) -> Edited | None:
    """`ifKakao - 제목` in the notes of if(kakao) 2018: the event's name is not the title's."""
    match = EVENT_BEFORE.match(title)
    if match and len(normal(match["event"])) >= 3 and normal(match["event"]) in normal(event):
        return match["rest"], ()
    return None


def label_before_colon(title: str, event: str) -> Edited | None:
    match = LABEL_BEFORE_COLON.match(title)
    return (match["rest"], ()) if match else None


def tag_in_brackets(title: str, event: str) -> Edited | None:
    match = TAG_IN_BRACKETS.match(title)
    return (match["rest"], ()) if match else None


def remark_in_parens(title: str, event: str) -> Edited | None:
    match = REMARK_IN_PARENS.match(title)
    return (match["rest"], ()) if match else None


def name_after_comma(title: str, event: str) -> Edited | None:
    """`제목, Ryan Dahl`, `제목, 홍길동`: a name by its shape after the last comma."""
    match = NAME_AFTER_COMMA.match(title)
    if not match:
        return None
    who = match["who"]
    if is_korean_name(who) or is_latin_name(who.split()):
        return match["rest"], (Person(who),)
    return None


def people_after_by(title: str, event: str) -> Edited | None:
    """`제목 by Emma Peretti, Yeji Kim(DFINITY Foundation)`."""
    match = PEOPLE_AFTER_BY.match(title)
    if not match:
        return None
    who = match["who"]
    people = parse_people(who, vouched=True)
    # names are capitalised words or Korean names: `Privacy by Design for Mobile Apps` has none
    lowercase = re.search(r"(?:^|\s)[a-z]", re.sub(r"[(（][^()（）]*[)）]", "", who))
    shaped = all(is_korean_name(p.name) or is_latin_name(p.name.split()) for p in people)
    return (match["rest"], people) if people and shaped and not lowercase else None


# The edits in the order they are made; each sees the title the ones before it left.
EDITS: dict[str, Callable[[str, str], Edited | None]] = {
    "event name before": event_before,
    "label before a colon": label_before_colon,
    "tag in brackets": tag_in_brackets,
    "people after by": people_after_by,
    "name after a comma": name_after_comma,
    "remark in parentheses": remark_in_parens,
}


@dataclass
class Tally:
    """How one edit fared against the labels, where it would change the title."""

    offered: int = 0
    right: int = 0  # the edited title is the labelled one
    kept: int = 0  # the title as written is the labelled one


@dataclass(frozen=True)
class TitleModel:
    """Tallies by edit."""

    edits: Mapping[str, Tally]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def trusts(self, edit: str) -> bool:
        """Right more often than kept, and right often enough not to be a single case."""
        tally = self.edits.get(edit, Tally())
        return tally.right > tally.kept and tally.right >= LEAST_EVIDENCE

    def edit(self, title: str, event: str) -> Edited:
        """``title`` with the trusted edits made (in the notes of ``event``), and the people
        an edit took out of it."""
        people: tuple[Person, ...] = ()
        for name, make in EDITS.items():
            if self.trusts(name) and (edited := make(title, event)) and normal(edited[0]):
                title, people = edited[0], people or edited[1]
        return title, people

    def to_json(self) -> str:
        edits = {
            name: {"offered": t.offered, "right": t.right, "kept": t.kept}
            for name, t in self.edits.items()
        }
        return model_json(MODEL_VERSION, {"edits": edits}, self.provenance)


def tally_titles(pairs: list[tuple[str, str, str]]) -> dict[str, Tally]:
    """(title as read without edits, labelled title, event) -> each edit's tally."""
    tallies = {name: Tally() for name in EDITS}
    for ours, wanted, event in pairs:
        for name, make in EDITS.items():
            edited = make(ours, event)
            if edited is None or normal(edited[0]) == normal(ours):
                continue
            tally = tallies[name]
            tally.offered += 1
            tally.right += normal(edited[0]) == normal(wanted)
            tally.kept += normal(ours) == normal(wanted)
    return tallies


@cache
def load_title_model(path: Path = MODEL_FILE) -> TitleModel:
    """The committed tallies; without them no edit is made."""
    data = committed(path, MODEL_VERSION)
    if data is None:
        return TitleModel({})
    return TitleModel(
        {name: Tally(**counts) for name, counts in data["edits"].items()},
        data.get("provenance", {}),
    )


UNTRAINED = TitleModel({})
_in_use = Committed("title_model", load_title_model)
title_model = _in_use.current
using_titles = _in_use.using  # read with a model trained here (training, cross-validation)
