"""Which of the speakers a talk's notes offer is its speaker, as the labelled notes taught.

A talk's notes can name someone in several places: the heading itself (`제목 - 이름`), the line
under it, its first bullet, a quoted abstract, a `연사 소개` part, `OOO님의 발표` in the text.
``talks.speaker_offers`` finds each; this module picks one, or none. What it knows is counted
by `invoke train` from the labels: for each kind of offer (where it was found, and the shape of
the names: Korean, Latin or other, one or several), how often it was the labelled speaker, and
how often the label named nobody. The most trusted offer wins; it is taken when it was right
at least as often as the talk had no speaker. Counts are smoothed towards the place's own
counts, and those towards even odds, so a kind seen once decides little.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pipeline.model import Person
from pipeline.read.learned import Committed, committed, model_json

MODEL_FILE = Path(__file__).with_name("speaker-model.json")
MODEL_VERSION = 1
SMOOTHING = 2.0  # pseudo-counts that pull a kind's odds towards its place's, and those to even

HANGUL_NAME = re.compile(r"[가-힣]{2,4}")
LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){1,3}")


@dataclass(frozen=True)
class Offer:
    """People the notes name for a talk, and where."""

    people: tuple[Person, ...]
    source: str

    @property
    def kind(self) -> str:
        return f"{self.source} / {name_shape(self.people)}"


def name_shape(people: Sequence[Person]) -> str:
    """`korean one`, `latin several`, `other one`...: what the names look like."""
    names = [p.name.strip() for p in people]
    if all(HANGUL_NAME.fullmatch(n) for n in names):
        shape = "korean"
    elif all(LATIN_NAME.fullmatch(n) for n in names):
        shape = "latin"
    else:
        shape = "other"
    return f"{shape} {'one' if len(names) == 1 else 'several'}"


@dataclass
class Tally:
    """How offers of one kind fared against the labels."""

    offered: int = 0
    right: int = 0  # the labelled speaker
    nobody: int = 0  # the label names no speaker

    def add(self, other: Tally) -> None:
        self.offered += other.offered
        self.right += other.right
        self.nobody += other.nobody


@dataclass(frozen=True)
class SpeakerModel:
    """Tallies by kind of offer (`place / shape`) and by place."""

    kinds: Mapping[str, Tally]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_tallies(cls, kinds: Mapping[str, Tally], **provenance: Any) -> SpeakerModel:
        return cls(dict(sorted(kinds.items())), provenance)

    @cached_property
    def places(self) -> dict[str, Tally]:
        """The tallies summed by place (`heading`, `first bullet`...), shapes together."""
        places: dict[str, Tally] = {}
        for kind, tally in self.kinds.items():
            places.setdefault(kind.split(" / ")[0], Tally()).add(tally)
        return places

    def odds(self, offer: Offer) -> tuple[float, float]:
        """(right, nobody): the smoothed shares of offers like this one."""
        place = self.places.get(offer.source, Tally())
        place_right = (place.right + SMOOTHING * 0.5) / (place.offered + SMOOTHING)
        place_nobody = (place.nobody + SMOOTHING * 0.5) / (place.offered + SMOOTHING)
        own = self.kinds.get(offer.kind, Tally())
        right = (own.right + SMOOTHING * place_right) / (own.offered + SMOOTHING)
        nobody = (own.nobody + SMOOTHING * place_nobody) / (own.offered + SMOOTHING)
        return right, nobody

    def choose(self, offers: Sequence[Offer]) -> Offer | None:
        """The most trusted offer (the earlier on a tie), if it beats "nobody"."""
        if not offers:
            return None
        scored = [(self.odds(offer), index, offer) for index, offer in enumerate(offers)]
        (right, nobody), _, best = max(scored, key=lambda item: (item[0][0], -item[1]))
        return best if right >= nobody else None

    def to_json(self) -> str:
        kinds = {
            kind: {"offered": t.offered, "right": t.right, "nobody": t.nobody}
            for kind, t in self.kinds.items()
        }
        return model_json(MODEL_VERSION, {"kinds": kinds}, self.provenance)


@cache
def load_speaker_model(path: Path = MODEL_FILE) -> SpeakerModel:
    """The committed tallies; without them every offer is taken in the notes' order."""
    data = committed(path, MODEL_VERSION)
    if data is None:
        return SpeakerModel({})
    return SpeakerModel(
        {kind: Tally(**counts) for kind, counts in data["kinds"].items()},
        data.get("provenance", {}),
    )


_in_use = Committed("speaker_model", load_speaker_model)
speaker_model = _in_use.current
using = _in_use.using  # read with a model trained here (cross-validation's folds)
