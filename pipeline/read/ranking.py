"""Which reading of the notes wins: a linear score over each reading's features, with the
weights that `invoke train` learned from the labelled notes (``reading-model.json`` beside
this file: the weights, the features they go with, and where they came from).

The model is a pairwise ranker: trained so that, within one file, a reading closer to the
labels scores higher than one further from them. Loading it needs nothing but ``json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.read.candidates import CandidateReading
from pipeline.read.learned import committed, model_json

MODEL_FILE = Path(__file__).with_name("reading-model.json")
MODEL_VERSION = 1


@dataclass(frozen=True)
class Model:
    """Weights by feature name; a feature the model does not know weighs nothing."""

    weights: Mapping[str, float]
    provenance: Mapping[str, Any]

    def score(self, features: Mapping[str, float]) -> float:
        return sum(self.weights.get(name, 0.0) * value for name, value in features.items())

    def to_json(self) -> str:
        weights = {k: round(v, 6) for k, v in sorted(self.weights.items())}
        return model_json(MODEL_VERSION, {"weights": weights}, self.provenance)


@cache
def load_model(path: Path = MODEL_FILE) -> Model:
    """The committed model (a default reading wins everywhere when there is none)."""
    data = committed(path, MODEL_VERSION)
    if data is None:
        return Model({"default": 1.0}, {"trained": False})
    return Model(data["weights"], data.get("provenance", {}))


def rank(
    readings: Sequence[CandidateReading], model: Model | None = None
) -> list[tuple[float, CandidateReading]]:
    """The readings, best first, with their scores (ties keep the candidates' order)."""
    model = model or load_model()
    scored = [(model.score(r.features), index, r) for index, r in enumerate(readings)]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [(score, reading) for score, _, reading in scored]
