"""The candidate readings of notes, the units only a candidate reading uses, and the learned
choice among readings (read/candidates.py, read/programmes.py, read/ranking.py, commands/train.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.commands.outline import describe_report, outline_json
from pipeline.commands.train import Labelled, assign_folds, best_lines, evaluate, fit
from pipeline.read.candidates import Candidate
from pipeline.read.ranking import MODEL_FILE, Model, load_model
from pipeline.read.report import read_report
from tests.conftest import DATA, SAMPLE

PROGRAMMES = DATA / "programmes"
READING = DATA / "reading"


def talks(path: Path, line: str) -> list[tuple[str, str | None, int]]:
    """(title, speaker, line) of each talk when the notes are read as ``line`` asks."""
    key, _, value = line.partition(": ")
    candidate = Candidate(((key, value.strip('"')),))
    outline = outline_json(read_report(path, candidate=candidate))
    return [(t["title"], t["speaker"], t["line"]) for c in outline["chapters"] for t in c["talks"]]


def test_html_table_rows_are_a_programme() -> None:
    assert talks(PROGRAMMES / "html-table.md", "talks: html table row") == [
        ("타입 추론의 모든 것", "김하늘", 8),
        ("정적 분석 다시 보기", "박서준", 9),
    ]


def test_timetable_lines_are_a_programme() -> None:
    assert talks(PROGRAMMES / "timetable.md", "talks: timetable line") == [
        ("Keynote", "Alice Walker", 6),
        ("새로운 빌드 도구", "이도윤", 9),
        ("모바일 배포 자동화 - 실전편", "최민지", 10),
    ]


def test_template_tags_hold_talks_in_attributes() -> None:
    assert talks(PROGRAMMES / "template-tags.md", "talks: template tag") == [
        ("데비안 패키징 입문", "정다은", 7),
        ("키 서명 파티", "한지우", 12),
    ]


def test_outline_names_the_line_of_each_reading_weighed() -> None:
    report = read_report(PROGRAMMES / "timetable.md")
    assert report.reading is not None
    lines = [choice.line for choice in report.reading.choices]
    assert lines[0] == "talks: timetable line"  # the best reading leads
    assert "" in lines and "single_talk: true" in lines  # the reader's own, and one talk
    text = describe_report(report)
    assert "talks: timetable line" in text


def test_front_matter_keys_are_obeyed_not_weighed() -> None:
    notes = (PROGRAMMES / "timetable.md").read_text(encoding="utf-8")
    path = PROGRAMMES.parent / "tmp-forced.md"
    try:
        path.write_text('---\ntalks: "###"\n---\n' + notes, encoding="utf-8")
        report = read_report(path)
    finally:
        path.unlink()
    assert report.reading is not None and report.reading.choices == ()
    assert report.reading.overridden_by == "talks"


def test_training_is_deterministic_and_prefers_the_labelled_reading() -> None:
    table = evaluate(READING)
    first, second = fit(table), fit(table)
    assert first.to_json() == second.to_json()
    for labelled in table:  # in-sample on our own fixtures: the model picks a right reading
        best = max(o.score.f1 for o in labelled.options)
        picked = max(labelled.options, key=lambda o: first.score(o.features))
        assert picked.score.f1 >= best - 0.25, labelled.name


def test_folds_keep_a_source_together() -> None:
    files = [Labelled(f"{g}-{i}.md", g, []) for g in "abcdef" for i in range(3 if g == "a" else 1)]
    folds = assign_folds(files, 3)
    assert len({fold for f, fold in zip(files, folds, strict=True) if f.group == "a"}) == 1
    assert sorted(set(folds)) == [0, 1, 2]


def test_the_committed_model_loads_and_keeps_the_sample() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["provenance"]["trained on"] >= 37
    model = load_model()
    assert isinstance(model, Model) and model.weights == data["weights"]
    report = read_report(SAMPLE)
    assert report.reading is not None and report.reading.choices[0].line == ""


def test_a_title_may_end_with_its_speakers_in_brackets() -> None:
    from pipeline.read.speakers import split_title

    title, people = split_title("코드 하나로 모든 프레임워크 [김하늘/박서준, 가람 클라우드]")
    assert title == "코드 하나로 모든 프레임워크"
    assert [(p.name, p.affiliation) for p in people] == [
        ("김하늘", "가람 클라우드"),
        ("박서준", "가람 클라우드"),
    ]
    assert split_title("제목 [Beta]") == ("제목 [Beta]", ())  # a word in brackets is no name


def test_event_dates_in_the_forms_notes_write(tmp_path: Path) -> None:
    from pipeline.read.event_dates import dates_in_text, front_matter_event_dates

    assert [d.isoformat() for d in dates_in_text("이번 23년 4월 1일(토) 행사", None)] == [
        "2023-04-01"
    ]
    assert [d.isoformat() for d in dates_in_text("2017.06.18 ~ 06.20", None)] == [
        "2017-06-18",
        "2017-06-19",
        "2017-06-20",
    ]
    days = front_matter_event_dates({"start_time": "2018-09-15 13:00:00 +0900"})
    assert [d.isoformat() for d in days] == ["2018-09-15"]
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 보안 컨퍼런스 2030\n\n| 신청 | 마감 |\n|---|---|\n| 2030.11.01 | 2030.11.11 |\n\n"
        "## 일시\n\n- 2030년 11월 23일 오후 6시\n\n## 첫 발표 (김하늘)\n\n내용.\n",
        encoding="utf-8",
    )
    assert [d.isoformat() for d in read_report(notes).meta.dates] == ["2030-11-23"]


def test_a_two_digit_year_with_dots_is_a_date_only_in_the_year_the_title_names() -> None:
    from pipeline.read.event_dates import dates_in_text

    assert [d.isoformat() for d in dates_in_text("- 18.10.11 ~ 10.12", 2018)] == [
        "2018-10-11",
        "2018-10-12",
    ]
    assert dates_in_text("- 18.10.11 ~ 10.12", None) == []
    assert dates_in_text("Node 18.10.11 released", 2019) == []  # a version, not 2018
    assert dates_in_text("v18.10.11", 2018) == []


def test_list_items_may_join_the_speaker_and_the_title_with_an_arrow(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 연합 세션 2030\n\n## 세션\n\n1. 예시대학교 현유경 님 → 도커와 쿠버네티스\n"
        "1. 예시공대 강시온 님 -> Git Branch, Merge 전략 소개\n\n## 후기\n\n글.\n",
        encoding="utf-8",
    )
    talks = [
        (t.title, [p.name for p in t.speakers])
        for t in read_report(notes).talks
        if t.kind == "talk"
    ]
    assert talks == [("도커와 쿠버네티스", ["현유경"]), ("Git Branch, Merge 전략 소개", ["강시온"])]


def test_items_that_are_fields_of_a_talk_are_not_talks() -> None:
    assert talks(PROGRAMMES / "item-fields.md", "talks: list item") == [
        ("모바일에서 모델 돌리기", "김하늘", 5),
        ("데이터 파이프라인 다시 보기", "박서준", 11),
    ]


def test_a_heading_level_reading_keeps_sections_by_their_words(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 모임 2030\n\n## 소개\n\n글.\n\n## 검색 다시 보기\n\n글.\n", encoding="utf-8"
    )
    outline = outline_json(read_report(notes, candidate=Candidate((("talks", "##"),))))
    assert [t["title"] for c in outline["chapters"] for t in c["talks"]] == ["검색 다시 보기"]


def test_the_heading_of_a_removed_contents_list_goes_with_it(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 밋업 2030\n\n## 목차\n\n- [첫 발표](#첫-발표)\n- [둘째 발표](#둘째-발표)\n\n"
        "## 첫 발표\n\n내용.\n\n## 둘째 발표\n\n내용.\n",
        encoding="utf-8",
    )
    report = read_report(notes)
    assert [(t.kind, t.title) for t in report.talks] == [("talk", "첫 발표"), ("talk", "둘째 발표")]
    assert "목차" not in describe_report(report)


def test_numbered_items_skip_a_bullet_list_that_splits_them() -> None:
    # sub-points indented three spaces escape item 2 and end the numbered list: the bullet
    # list between the two numbered lists holds no talk
    assert talks(PROGRAMMES / "numbered-items.md", "talks: numbered item") == [
        ("모듈 시스템 다시 보기", None, 5),
        ("리액티브 서버 입문", None, 7),
        ("테스트 코드 리팩터링", None, 10),
        ("빌드 도구 비교", None, 12),
    ]


def test_blocks_between_rules_that_open_with_a_header_list_are_talks() -> None:
    # a run that opens with prose (the closing word) is no talk
    assert talks(PROGRAMMES / "rule-blocks.md", "talks: rule block") == [
        ("모바일에서 모델 돌리기", "김하늘", 9),
        ("데이터 파이프라인 다시 보기", "박서준", 20),
    ]


NAMED = (
    "# 밋업 2030\n\n## 현장 분위기\n\n한 줄.\n\n## 검색 다시 보기\n\n글.\n\n"
    "### 질의응답\n\n글.\n\n### 번개 발표\n\n글.\n\n### 뒷이야기\n\n글.\n\n"
    "## 캐시 다시 보기\n\n글.\n"
)


def test_headings_named_in_the_front_matter_are_what_it_says(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NAMED, encoding="utf-8")
    assert [t.title for t in read_report(notes).talks if t.kind == "talk"] == [
        "현장 분위기",
        "검색 다시 보기",
        "캐시 다시 보기",
    ]
    line = '---\nheadings: {"현장 분위기": section, "번개 발표": talk}\n---\n'
    notes.write_text(line + NAMED, encoding="utf-8")
    report = read_report(notes)
    assert [(t.kind, t.title) for t in report.talks] == [
        ("section", "현장 분위기"),
        ("talk", "검색 다시 보기"),
        ("talk", "번개 발표"),  # lifted out of the talk above; the heading after it is its part
        ("talk", "캐시 다시 보기"),
    ]
    lifted = next(t for t in report.talks if t.title == "번개 발표")
    assert "뒷이야기" in lifted.body_html and "뒷이야기" not in report.talks[1].body_html
    assert "질의응답" in report.talks[1].body_html


def test_a_named_section_keeps_its_subheadings(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        '---\nheadings: {"둘러본 부스": section}\n---\n# 밋업 2030\n\n## 둘러본 부스\n\n'
        "### 1. 출판사 부스\n\n글.\n\n### 2. 오픈소스 부스\n\n글.\n\n## 들은 세션\n\n"
        "### Session 1. 검색 다시 보기\n\n글.\n\n### Session 2. 캐시 다시 보기\n\n글.\n",
        encoding="utf-8",
    )
    titles = [t.title for t in read_report(notes).talks if t.kind == "talk"]
    assert titles == ["검색 다시 보기", "캐시 다시 보기"]


def test_headings_the_reader_cannot_understand_are_left_out_with_the_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: 밋업 2030\nheadings: {현장 분위기: keynote}\n---\n" + NAMED, encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING):
        report = read_report(notes)
    assert f"{notes}:3: front matter headings" in caplog.text
    assert "talk or section" in caplog.text
    assert "현장 분위기" in [t.title for t in report.talks if t.kind == "talk"]


def test_one_line_may_name_the_headings_the_reading_gets_wrong(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NAMED, encoding="utf-8")
    label = {
        "file": "notes.md",
        "title": "밋업 2030",
        "event_dates": [],
        "chapters": [
            {
                "kind": "day",
                "title": "",
                "talks": [
                    {"title": "검색 다시 보기", "speaker": None, "line": 7},
                    {"title": "번개 발표", "speaker": None, "line": 15},
                    {"title": "캐시 다시 보기", "speaker": None, "line": 23},
                ],
            }
        ],
    }
    (tmp_path / "expected").mkdir()
    (tmp_path / "expected" / "notes.json").write_text(json.dumps(label), encoding="utf-8")
    [(_, option)] = best_lines(evaluate(tmp_path))
    assert option.candidate.line == 'headings: {"현장 분위기": section, "번개 발표": talk}'
    assert option.score.f1 == 1.0


def test_times_slot_labels_and_vouched_names_are_never_part_of_a_title(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 밋업 2030\n\n## 10:00, Track1, 검색 다시 보기\n\n글.\n\n"
        "## 캐시 다시 보기, 16:00\n\n글.\n\n## 빌드 도구(13:30 ~ )\n\n글.\n\n"
        "## 세션 4 : 모바일 배포 : 김하늘님 (NAVER)\n\n글.\n",
        encoding="utf-8",
    )
    talks = [(t.title, t.slot, [p.name for p in t.speakers]) for t in read_report(notes).talks]
    assert talks == [
        ("검색 다시 보기", "10:00", []),
        ("캐시 다시 보기", "16:00", []),
        ("빌드 도구", "13:30 ~", []),
        ("모바일 배포", None, ["김하늘"]),
    ]


def test_what_looks_like_a_time_or_a_label_but_is_part_of_the_title_stays(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 밋업 2030\n\n## Node 12:00\n\n글.\n\n## 세션 1, 2 정리\n\n글.\n\n"
        "## 우리가 몰랐던 것 : 고객님\n\n글.\n",
        encoding="utf-8",
    )
    talks = [(t.title, t.slot, t.speakers) for t in read_report(notes).talks]
    assert talks == [
        ("Node 12:00", None, ()),
        ("세션 1, 2 정리", None, ()),
        ("우리가 몰랐던 것 : 고객님", None, ()),
    ]


def test_a_named_talk_takes_what_follows_it_in_the_talk_it_was_in(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        '---\nheadings: {"번개 발표": Talk}\n---\n# 밋업 2030\n\n## 검색 다시 보기\n\n글.\n\n'
        "### 질의응답\n\n글.\n\n#### 번개 발표\n\n번개.\n\n### 뒷이야기\n\n뒤.\n\n"
        "## 캐시 다시 보기\n\n글.\n",
        encoding="utf-8",
    )
    talks = read_report(notes).talks
    assert [t.title for t in talks] == ["검색 다시 보기", "번개 발표", "캐시 다시 보기"]
    assert "뒷이야기" in talks[1].body_html and "뒷이야기" not in talks[0].body_html


def test_a_named_heading_the_notes_do_not_have_is_a_warning_with_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        '---\ntitle: 밋업 2030\nheadings: {"없는 제목": section, "현장 분위기": section}\n---\n'
        + NAMED,
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        report = read_report(notes)
    assert f'{notes}:3: front matter headings "없는 제목": no heading' in caplog.text
    assert "현장 분위기" not in [t.title for t in report.talks if t.kind == "talk"]
