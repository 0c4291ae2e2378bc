"""`invoke accuracy` and `invoke train`: the labelled folder found, scored or learned from (the
scoring is pipeline.commands.accuracy, the learning pipeline.commands.train)."""

from __future__ import annotations

from pathlib import Path

from pipeline.commands import accuracy, train
from pipeline.commands.build import settings_for
from pipeline.commands.run import Failed, say
from pipeline.read.speaker_choice import using
from pipeline.read.title_choice import using_titles

CORPUS = "../shared/corpus"


def score_reading(
    corpus: str = CORPUS,
    verbose: bool = False,
    cv: bool = False,
    folds: int = 5,
    one_line: bool = False,
) -> None:
    """Say how well the labelled notes are read: in sample, by cross-validation (``cv``), or
    the best one front-matter line reaches per file (``one_line``)."""
    folder = labelled_folder(corpus)
    settings = settings_for()
    also = (settings.content,)
    if cv:  # each fold reads the files again with its own speaker tallies
        extra = train.own_labels(own_labels(settings.project_root))
        cv_result = train.cross_validate(train.labelled(folder, also), folds, extra)
        say(train.describe_cv(cv_result).removesuffix("\n"))
    if one_line:
        say(train.describe_one_line(train.evaluate(folder, also)).removesuffix("\n"))
    if cv or one_line:
        return
    totals = accuracy.score_folder(folder, also)
    say(accuracy.describe_totals(totals, verbose).removesuffix("\n"))


def learn_reading(corpus: str = CORPUS) -> None:
    """Learn the reading model from the labelled folder and our own fixtures; write it."""
    settings = settings_for()
    table = train.labelled(labelled_folder(corpus), (settings.content,))
    own = train.own_labels(own_labels(settings.project_root))
    speakers = train.speaker_tallies([*table, *own])
    with using(speakers):  # the readings as the new models read them
        titles = train.title_tallies([*table, *own])
        with using_titles(titles):
            model = train.fit([*train.again(table), *train.again(own)])
    say(train.write_model(model, speakers, titles))


def own_labels(project_root: Path) -> Path:
    """The project's own labelled fixtures: always learned from, never scored by --cv."""
    return project_root / "tests"


def labelled_folder(corpus: str) -> Path:
    folder = Path(corpus)
    if not (folder / "expected").is_dir():
        raise Failed(f"error: {folder}: no expected/ folder of labels")
    return folder
