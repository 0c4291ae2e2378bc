"""The speaker a talk's notes offer, chosen by the tallies `invoke train` counts."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.model import Person
from pipeline.read.blocks import build_tree, read_blocks
from pipeline.read.notes import read_notes
from pipeline.read.speaker_choice import (
    MODEL_FILE,
    Offer,
    SpeakerModel,
    Tally,
    load_speaker_model,
    name_shape,
    using,
)
from pipeline.read.talks import find_speakers, speaker_offers

NOTES = "# 밋업\n\n## 캐시 다시 보기 - 홍길동\n\n발표: 김하늘\n\n내용.\n"


def talk_node(tmp_path: Path, text: str = NOTES):  # type: ignore[no-untyped-def]
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    root = build_tree(read_blocks(read_notes(path), ""))
    return next(n for n in root.walk() if n.title.startswith("캐시"))


def test_every_place_that_names_someone_is_offered_in_the_notes_order(tmp_path: Path) -> None:
    offers = speaker_offers(talk_node(tmp_path))
    assert [(o.source, [p.name for p in o.people]) for o in offers] == [
        ("heading", ["홍길동"]),
        ("line under the heading", ["김하늘"]),
        ("mentioned in the text", ["김하늘"]),
    ]


def test_a_bullet_that_is_only_a_label_offers_the_names_in_the_items_after_it(
    tmp_path: Path,
) -> None:
    # ` - 이름` indented one space is not nested in CommonMark: the names follow the label
    text = "# 밋업\n\n## 캐시 다시 보기\n\n- 연사\n - 한나라(예시대학교)\n - 박지선(예시랩)\n- 일반 세션\n"
    [offer] = speaker_offers(talk_node(tmp_path, text))
    assert (offer.source, [p.name for p in offer.people]) == ("first bullet", ["한나라", "박지선"])


def test_a_bare_label_bullet_takes_the_names_nested_under_it_not_a_moderator_s(
    tmp_path: Path,
) -> None:
    nested = "# 밋업\n\n## 캐시 다시 보기\n\n- 연사\n  - 한나라(예시대학교)\n- 일반 세션\n"
    [offer] = speaker_offers(talk_node(tmp_path, nested))
    assert [p.name for p in offer.people] == ["한나라"]
    moderator = "# 밋업\n\n## 캐시 다시 보기\n\n- 사회\n- 김철수\n"
    assert speaker_offers(talk_node(tmp_path, moderator)) == []


def test_the_offer_the_labels_trusted_more_wins(tmp_path: Path) -> None:
    node = talk_node(tmp_path)
    untrained = SpeakerModel({})
    with using(untrained):  # nothing learned: the notes' order
        assert find_speakers(node)[1] == "heading"
    taught = SpeakerModel(
        {
            "heading / korean one": Tally(offered=10, right=2, nobody=1),
            "line under the heading / korean one": Tally(offered=10, right=9, nobody=0),
        }
    )
    with using(taught):
        assert find_speakers(node) == ((Person("김하늘"),), "line under the heading")


def test_an_offer_is_refused_when_the_labels_named_nobody_more_often(tmp_path: Path) -> None:
    node = talk_node(tmp_path, "# 밋업\n\n## 캐시 다시 보기\n\n발표: 김하늘\n\n내용.\n")
    doubtful = SpeakerModel(
        {
            "line under the heading / korean one": Tally(offered=20, right=3, nobody=15),
            "mentioned in the text / korean one": Tally(offered=20, right=4, nobody=12),
        }
    )
    with using(doubtful):
        assert find_speakers(node) == ((), "")


def test_name_shapes() -> None:
    assert name_shape((Person("김하늘"),)) == "korean one"
    assert name_shape((Person("Katie Barnett"), Person("Andy Kim"))) == "latin several"
    assert name_shape((Person("@hyunbin"),)) == "other one"
    assert Offer((Person("김하늘"),), "first bullet").kind == "first bullet / korean one"


def test_the_committed_tallies_load_and_name_where_they_came_from() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["provenance"]["trained on"] >= 37
    model = load_speaker_model()
    assert model.kinds and all(t.offered >= t.right + t.nobody for t in model.kinds.values())
