"""`invoke train` and `invoke accuracy --cv`: learn which reading wins from labelled notes, and
measure how well that generalises.

For every labelled file, every candidate reading (``read/candidates.py``) is read in full and
scored against the label; its features are what the reader sees without the label. The model
is a pairwise ranker fitted by ridge regression on feature differences: within a file, a
reading with a higher talk F1 should score higher than one with a lower F1 (each file weighs
the same, however many readings it has). The ridge strength is chosen by an inner
cross-validation on the training files only. Everything is plain Python and deterministic.

Cross-validation keeps files from one source (the same repository) in the same fold, so a
fold is scored by a model that never saw its author's habits.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.commands.accuracy import (
    FileScore,
    Totals,
    labelled_files,
    labelled_talks,
    normalise,
    quiet_outline,
    score_outline,
    speaker_names,
)
from pipeline.errors import ContentError
from pipeline.output import write_text_atomically
from pipeline.read.blocks import Block, build_tree, read_blocks
from pipeline.read.candidates import Candidate, read_candidates
from pipeline.read.notes import Notes, read_notes
from pipeline.read.ranking import MODEL_FILE, Model
from pipeline.read.reading import Structure, promote_bold_days, read_structure
from pipeline.read.speaker_choice import MODEL_FILE as SPEAKER_MODEL_FILE
from pipeline.read.speaker_choice import SpeakerModel, Tally, using
from pipeline.read.talks import speaker_offers
from pipeline.read.title_choice import MODEL_FILE as TITLE_MODEL_FILE
from pipeline.read.title_choice import UNTRAINED, TitleModel, tally_titles, using_titles

RIDGE_GRID = (0.1, 1.0, 3.0, 10.0, 30.0, 100.0)
# What the reader's own reading must lose by before another wins: when unsure, stay faithful.
MARGIN_GRID = (0.0, 0.05, 0.1, 0.2, 0.4)
MARGIN = 0.05  # F1 apart below which two readings are a tie, not a lesson
TOLERANCE = 2.0  # inner-CV F1 (summed over files) within which settings are as good


@dataclass
class Option:
    """A candidate reading of a labelled file: what the reader sees, and how right it is."""

    candidate: Candidate
    features: dict[str, float]
    score: FileScore


@dataclass
class Labelled:
    """A labelled file with every candidate reading scored."""

    name: str
    group: str
    options: list[Option]
    lessons: tuple[dict[tuple[str, str], float], dict[str, float]] | None = None
    source: tuple[Path, dict[str, Any]] | None = None  # the notes and their label


def labelled(folder: Path, also: tuple[Path, ...] = ()) -> list[Labelled]:
    """The labelled files of ``folder``, not read yet (``again`` reads them)."""
    groups = source_groups(folder)
    return [
        Labelled(str(e["file"]), groups.get(str(e["file"]), str(e["file"])), [], source=(p, e))
        for p, e in labelled_files(folder, also)
    ]


def evaluate(folder: Path, also: tuple[Path, ...] = ()) -> list[Labelled]:
    """Every candidate reading of every labelled file of ``folder``, scored."""
    return again(labelled(folder, also))


def own_labels(tests: Path) -> list[Labelled]:
    """The project's own labelled notes, not read yet: the reading fixtures. (Not the outline
    goldens: they are fixtures of Markdown forms, not of how notes are written; trained on,
    they taught the ranker to trust the reader's own reading where real notes need another,
    cross-validated talk F1 0.89 -> 0.82.)"""
    return labelled(tests / "data" / "reading")


def evaluate_files(
    pairs: Sequence[tuple[Path, dict[str, Any]]], groups: dict[str, str]
) -> list[Labelled]:
    """Every candidate reading of each (notes, label), scored."""
    table = []
    for notes_path, expected in pairs:
        options = []
        read = quiet_structure(notes_path)
        readings = []
        if read is not None:
            notes, blocks, structure = read
            with quiet():
                readings = read_candidates(
                    notes, blocks, notes_path.stem, notes_path.parent, structure.meta
                )
        for reading in readings:
            try:
                outline = quiet_outline(notes_path, reading.candidate)
            except ContentError:
                continue
            score = score_outline(notes_path.name, outline, expected)
            options.append(Option(reading.candidate, reading.features, score))
        name = str(expected["file"])
        table.append(Labelled(name, groups.get(name, name), options, source=(notes_path, expected)))
    return table


def again(files: Sequence[Labelled]) -> list[Labelled]:
    """``files`` evaluated again (as the speaker model in use reads them)."""
    pairs = [f.source for f in files if f.source is not None]
    return evaluate_files(pairs, {f.source[0].name: f.group for f in files if f.source})


# speakers ----------------------------------------------------------------------------------


def speaker_tallies(files: Sequence[Labelled]) -> SpeakerModel:
    """How each kind of speaker offer fared against the labels of ``files``: every heading
    that starts a labelled talk, read the reader's own way, and what it offers."""
    kinds: dict[str, Tally] = {}
    for labelled in files:
        if labelled.source is None:
            continue
        notes_path, expected = labelled.source
        wanted = {
            int(talk["line"]): speaker_names(talk["speaker"]) for talk in labelled_talks(expected)
        }
        read = quiet_structure(notes_path)
        if read is None:
            continue
        for node in read[2].root.walk():
            if node.heading is None or node.heading.line not in wanted:
                continue
            names = wanted[node.heading.line]
            for offer in speaker_offers(node):
                tally = kinds.setdefault(offer.kind, Tally())
                tally.offered += 1
                tally.right += bool(names) and names == {normalise(p.name) for p in offer.people}
                tally.nobody += not names
    return SpeakerModel.from_tallies(
        kinds,
        **{"trained on": len(files), "method": "offers by place and name shape, counted"},
    )


def title_tallies(files: Sequence[Labelled]) -> TitleModel:
    """How each title edit fared against the labels of ``files``: every labelled talk the
    reader's own reading finds (not the ranker's choice: the ranker may have learned from
    files held out), its title as read without edits beside the labelled one."""
    pairs = []
    with using_titles(UNTRAINED):
        for labelled in files:
            if labelled.source is None:
                continue
            notes_path, expected = labelled.source
            try:
                outline = quiet_outline(notes_path, Candidate())
            except ContentError:
                continue
            ours = {t["line"]: t["title"] for c in outline["chapters"] for t in c["talks"]}
            by_title = {normalise(title): title for title in ours.values()}
            for talk in labelled_talks(expected):
                found = ours.get(talk["line"]) or by_title.get(normalise(talk["title"]))
                if found:
                    pairs.append((found, str(talk["title"]), str(outline["title"])))
    return TitleModel(
        tally_titles(pairs), {"trained on": len(files), "method": "edits of titles, counted"}
    )


@contextmanager
def trained_on(files: Sequence[Labelled]) -> Iterator[None]:
    """Read with the speaker and title tallies of ``files`` (the speakers' first: the titles'
    are counted on talks read with them)."""
    with using(speaker_tallies(files)), using_titles(title_tallies(files)):
        yield


@contextmanager
def quiet() -> Iterator[None]:
    """The notes' own warnings are not the score's business."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def quiet_structure(notes_path: Path) -> tuple[Notes, list[Block], Structure] | None:
    """A labelled file's notes, blocks and structure as the reader's own reading gives them
    (None when the notes stop with an error)."""
    with quiet():
        try:
            notes = read_notes(notes_path)
            blocks = promote_bold_days(read_blocks(notes, ""))
            tree = build_tree(blocks)
            return notes, blocks, read_structure(notes, tree, notes_path.stem, notes_path.parent)
        except ContentError:
            return None


ORIGIN_ROW = re.compile(r"^\|\s*([^|\s]+\.md)\s*\|\s*([^|,\s]+)")


def source_groups(folder: Path) -> dict[str, str]:
    """File -> its source repository, from the folder's README table (`| file | origin |`)."""
    readme = folder / "README.md"
    if not readme.exists():
        return {}
    groups = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        if match := ORIGIN_ROW.match(line):
            groups[match[1]] = match[2].strip("`")
    return groups


# fitting -----------------------------------------------------------------------------------


def fit(files: Sequence[Labelled], settings: tuple[float, float] | None = None) -> Model:
    """The pairwise ranker learned from ``files``. ``settings``: the ridge strength and the
    margin of the default reading; when None, the average of the models of every setting an
    inner cross-validation on ``files`` finds as good as the best (one setting picked from a
    near-tie swung the held-out figure by 0.05 from one small change to the next; their
    average does not)."""
    if settings is not None:
        return fit_one(files, settings)
    near = near_best_settings(files)
    models = [fit_one(files, chosen) for chosen in near]
    names = sorted({name for model in models for name in model.weights})
    weights = {
        name: sum(model.weights.get(name, 0.0) for model in models) / len(models) for name in names
    }
    provenance = {
        "trained on": len(files),
        "readings": sum(len(f.options) for f in files),
        "settings averaged (ridge, default margin)": [list(chosen) for chosen in near],
        "method": "pairwise ridge ranking on feature differences, each file weighing the same;"
        " the average of the settings an inner cross-validation finds as good as the best",
    }
    return Model(weights, provenance)


def fit_one(files: Sequence[Labelled], settings: tuple[float, float]) -> Model:
    """The pairwise ranker with one ridge strength and default margin."""
    ridge, margin = settings
    names = sorted({name for f in files for o in f.options for name in o.features})
    scale = spreads(files, names)  # ridge on standardised features: each weighs alike
    gram = [[ridge if i == j else 0.0 for j in range(len(names))] for i in range(len(names))]
    target = [0.0] * len(names)
    for labelled in files:
        pairs, product = lessons(labelled)
        for (a, b), value in pairs.items():
            gram[names.index(a)][names.index(b)] += value / (scale[a] * scale[b])
        for a, value in product.items():
            target[names.index(a)] += value / scale[a]
    solved = solve(gram, target)
    weights = {name: solved[i] / scale[name] for i, name in enumerate(names)}
    weights["default"] = weights.get("default", 0.0) + margin
    return Model(weights, {"ridge": ridge, "default margin": margin})


def spreads(files: Sequence[Labelled], names: Sequence[str]) -> dict[str, float]:
    """Each feature's standard deviation over the readings of ``files`` (1 when constant)."""
    options = [o for f in files for o in f.options]
    result = {}
    for name in names:
        values = [o.features.get(name, 0.0) for o in options]
        mean = sum(values) / len(values)
        spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        result[name] = spread if spread > 1e-9 else 1.0
    return result


def lessons(labelled: Labelled) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """What one file adds to the normal equations: the weighted outer products of the feature
    differences of its better-worse pairs, and those differences times the F1 gap."""
    if labelled.lessons is not None:
        return labelled.lessons
    pairs = [
        (better, worse)
        for better in labelled.options
        for worse in labelled.options
        if better.score.f1 - worse.score.f1 > MARGIN
    ]
    gram: dict[tuple[str, str], float] = {}
    target: dict[str, float] = {}
    for better, worse in pairs:
        weight = 1.0 / len(pairs)
        diff = {
            name: better.features.get(name, 0.0) - worse.features.get(name, 0.0)
            for name in better.features.keys() | worse.features.keys()
        }
        diff = {name: value for name, value in diff.items() if value}
        gap = better.score.f1 - worse.score.f1
        for a, x in diff.items():
            target[a] = target.get(a, 0.0) + weight * x * gap
            for b, y in diff.items():
                gram[a, b] = gram.get((a, b), 0.0) + weight * x * y
    labelled.lessons = (gram, target)
    return labelled.lessons


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x with matrix @ x = vector (Gaussian elimination; the matrix is positive definite)."""
    size = len(vector)
    rows = [row[:] + [value] for row, value in zip(matrix, vector, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            if factor:
                for c in range(col, size + 1):
                    rows[r][c] -= factor * rows[col][c]
    result = [0.0] * size
    for r in range(size - 1, -1, -1):
        total = rows[r][size] - sum(rows[r][c] * result[c] for c in range(r + 1, size))
        result[r] = total / rows[r][r]
    return result


def near_best_settings(files: Sequence[Labelled]) -> list[tuple[float, float]]:
    """The (ridge strength, default margin) settings whose models pick readings within half a
    file's F1 of the best setting's, in an inner cross-validation by source on ``files``."""
    folds = assign_folds(files, 4)

    def inner(settings: tuple[float, float]) -> float:
        total = 0.0
        for fold in range(4):
            train = [f for f, k in zip(files, folds, strict=True) if k != fold]
            held = [f for f, k in zip(files, folds, strict=True) if k == fold]
            model = fit_one(train, settings)
            total += sum(pick(model, f).score.f1 for f in held if f.options)
        return total

    grid = {
        (ridge, margin): inner((ridge, margin)) for ridge in RIDGE_GRID for margin in MARGIN_GRID
    }
    best = max(grid.values())
    return [settings for settings, total in grid.items() if total >= best - TOLERANCE]


def pick(model: Model, labelled: Labelled) -> Option:
    """The option the model ranks first (the candidates' order breaks ties)."""
    best = max(
        enumerate(labelled.options), key=lambda item: (model.score(item[1].features), -item[0])
    )
    return best[1]


# cross-validation --------------------------------------------------------------------------


def assign_folds(files: Sequence[Labelled], k: int) -> list[int]:
    """A fold per file, the same for every file of a source; groups spread by size."""
    sizes: dict[str, int] = {}
    for f in files:
        sizes[f.group] = sizes.get(f.group, 0) + 1
    order = sorted(sizes, key=lambda g: (-sizes[g], hashlib.sha1(g.encode()).hexdigest()))
    load = [0] * k
    fold_of: dict[str, int] = {}
    for group in order:
        fold = min(range(k), key=lambda i: (load[i], i))
        fold_of[group] = fold
        load[fold] += sizes[group]
    return [fold_of[f.group] for f in files]


@dataclass
class CrossValidation:
    folds: list[Totals]
    total: Totals
    in_sample: Totals


def cross_validate(
    files: Sequence[Labelled], k: int = 5, extra: Sequence[Labelled] = ()
) -> CrossValidation:
    """Each fold scored by models trained on the other folds (and on ``extra``, labelled
    files that are always trained on and never scored): the speaker tallies first, every file
    read again with them, then the ranker; the in-sample score beside."""
    folds = assign_folds(files, k)
    per_fold: list[Totals] = []
    for fold in range(k):
        train = [f for f, n in zip(files, folds, strict=True) if n != fold]
        held = [f for f, n in zip(files, folds, strict=True) if n == fold]
        with trained_on([*train, *extra]):
            model = fit([*again(train), *again(extra)])
            per_fold.append(Totals([chosen(model, f) for f in again(held)]))
    with trained_on([*files, *extra]):
        everything, extra_now = again(files), again(extra)
    model = fit([*everything, *extra_now])
    return CrossValidation(
        per_fold,
        Totals([s for t in per_fold for s in t.files]),
        Totals([chosen(model, f) for f in everything]),
    )


def chosen(model: Model, labelled: Labelled) -> FileScore:
    if not labelled.options:
        return FileScore(labelled.name, error="no reading")
    return pick(model, labelled).score


def best_lines(files: Sequence[Labelled]) -> list[tuple[Labelled, Option]]:
    """For each file, the reading closest to its label and the one line that selects it: a
    reading's line, or the `headings:` line naming the headings the reader's choice gets
    wrong."""
    result = []
    for labelled in files:
        options = [*labelled.options, *filter(None, [named_headings(labelled)])]
        if options:
            best = max(
                enumerate(options),
                key=lambda item: (item[1].score.f1, item[1].score.titles, -item[0]),
            )[1]
            result.append((labelled, best))
    return result


def named_headings(labelled: Labelled) -> Option | None:
    """The reader's choice corrected by one `headings:` line, as a user would write it after
    `invoke outline`: each heading it makes a talk that the label does not is a section, each
    labelled talk it misses that is a heading is a talk (None: no heading to name)."""
    read = quiet_structure(labelled.source[0]) if labelled.source else None
    if labelled.source is None or read is None:
        return None
    notes_path, expected = labelled.source
    headings = {b.line: b.text for b in read[1] if b.heading_level}
    try:
        score = score_outline(notes_path.name, quiet_outline(notes_path), expected)
        named = {headings[n]: "section" for n in score.extra_lines if n in headings} | {
            headings[n]: "talk" for n in score.missed_lines if n in headings
        }
        if not named:
            return None
        outline = quiet_outline(notes_path, front_matter={"headings": named})
    except ContentError:
        return None
    candidate = Candidate((("headings", named),))
    return Option(candidate, {}, score_outline(notes_path.name, outline, expected))


def describe_cv(cv: CrossValidation) -> str:
    lines = []
    for number, totals in enumerate(cv.folds, start=1):
        names = ", ".join(f.name.removesuffix(".md") for f in totals.files)
        lines.append(f"fold {number}: {summary(totals)}\n    {names}")
    lines.append(f"cross-validated: {summary(cv.total)}")
    lines.append(f"in-sample:       {summary(cv.in_sample)}")
    return "\n".join(lines) + "\n"


def describe_one_line(files: Sequence[Labelled]) -> str:
    lines = []
    reached = 0
    for labelled, option in best_lines(files):
        line = option.candidate.line.replace("\n", "; ") or "(no line needed)"
        ok = option.score.f1 >= 0.95
        reached += ok
        lines.append(
            f"{labelled.name[:44]:44} F1 {option.score.f1:4.2f} {'' if ok else 'NO '}{line}"
        )
    lines.append(f"{reached}/{len(files)} files reach talk F1 >= 0.95 with at most one line")
    return "\n".join(lines) + "\n"


def summary(totals: Totals) -> str:
    n = len(totals.files)
    return (
        f"talk F1 {totals.f1:.2f} (P {totals.precision:.2f} R {totals.recall:.2f}); "
        f"titles {totals.titles:.2f}; speakers {totals.speakers:.2f}; "
        f"report titles {totals.report_titles}/{n}; event dates {totals.event_dates}/{n}"
    )


def write_model(model: Model, speakers: SpeakerModel, titles: TitleModel) -> str:
    """Write the models where the reader loads them; say what was written."""
    write_text_atomically(SPEAKER_MODEL_FILE, speakers.to_json())
    write_text_atomically(TITLE_MODEL_FILE, titles.to_json())
    write_text_atomically(MODEL_FILE, model.to_json())
    trusted = [name for name in titles.edits if titles.trusts(name)]
    return (
        f"wrote {MODEL_FILE.name}: {len(model.weights)} weights, the average of"
        f" {len(model.provenance['settings averaged (ridge, default margin)'])} settings;"
        f" {SPEAKER_MODEL_FILE.name}: {len(speakers.kinds)} kinds of speaker offer;"
        f" {TITLE_MODEL_FILE.name}: title edits made: {', '.join(trusted) or 'none'}"
    )
