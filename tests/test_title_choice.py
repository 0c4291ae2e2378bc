"""The title edits: counted against labels, made only where they were right more often."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.read.report import read_report
from pipeline.read.title_choice import (
    EDITS,
    MODEL_FILE,
    UNTRAINED,
    Tally,
    TitleModel,
    load_title_model,
    tally_titles,
    using_titles,
)


def test_each_edit_is_counted_where_it_would_change_the_title() -> None:
    tallies = tally_titles(
        [
            ("[패널톡] iOS 개발자의 성장 루트", "[패널톡] iOS 개발자의 성장 루트", "밋업"),
            ("[회사] 데이터 이야기", "데이터 이야기", "밋업"),
            ("[회사] 검색 이야기", "검색 이야기", "밋업"),
            ("맵매칭 (경로 추정하기)", "맵매칭 (경로 추정하기)", "밋업"),
            ("캐시 다시 보기", "캐시 다시 보기", "밋업"),  # no edit changes it: not counted
        ]
    )
    assert tallies["tag in brackets"] == Tally(offered=3, right=2, kept=1)
    assert tallies["remark in parentheses"] == Tally(offered=1, right=0, kept=1)
    model = TitleModel(tallies)
    assert model.trusts("tag in brackets") and not model.trusts("remark in parentheses")
    assert model.edit("[회사] 모바일 배포 (부제)", "밋업") == ("모바일 배포 (부제)", ())


def test_an_edit_never_seen_is_not_made() -> None:
    assert not any(UNTRAINED.trusts(name) for name in EDITS)
    assert UNTRAINED.edit("[회사] 데이터 이야기, Ryan Dahl", "밋업") == (
        "[회사] 데이터 이야기, Ryan Dahl",
        (),
    )


def test_an_edit_may_take_the_speakers_out_of_a_title() -> None:
    model = TitleModel({"name after a comma": Tally(2, 2, 0), "people after by": Tally(2, 2, 0)})
    title, people = model.edit("Two Years of node, Matthew Eernisse", "NodeConf")
    assert (title, [p.name for p in people]) == ("Two Years of node", ["Matthew Eernisse"])
    title, people = model.edit("Bridging Web2 & Web3 by Emma Peretti, Yeji Kim(DFINITY)", "밋업")
    assert (title, [p.name for p in people]) == (
        "Bridging Web2 & Web3",
        ["Emma Peretti", "Yeji Kim"],
    )
    assert model.edit("Be Understood, Everywhere", "밋업") == ("Be Understood, Everywhere", ())
    # after `by`, a phrase with lowercase words names nobody
    assert model.edit("Privacy by Design for Mobile Apps", "밋업") == (
        "Privacy by Design for Mobile Apps",
        (),
    )


def test_an_edit_right_once_is_not_made() -> None:
    assert not TitleModel({"tag in brackets": Tally(1, 1, 0)}).trusts("tag in brackets")
    assert TitleModel({"tag in brackets": Tally(3, 2, 1)}).trusts("tag in brackets")


def test_the_event_name_before_a_title_is_edited_only_when_it_names_the_event(
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# if(kakao) 2018\n\n## ifKakao - 카카오 광고 플랫폼 MSA 적용 사례\n\n글.\n\n## Kafka - 입문\n\n글.\n",
        encoding="utf-8",
    )
    with using_titles(TitleModel({"event name before": Tally(2, 2, 0)})):
        titles = [t.title for t in read_report(notes).talks]
    assert titles == ["카카오 광고 플랫폼 MSA 적용 사례", "Kafka - 입문"]


def test_the_committed_tallies_load_and_name_what_they_were_trained_on() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert set(data["edits"]) == set(EDITS)
    assert load_title_model().provenance["trained on"] > 30
