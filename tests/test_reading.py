"""The reading of notes nobody tuned for: talks, speakers, titles and dates.

Each recogniser has its own labelled fixture in tests/data/reading/ (notes plus
expected/<name>.json in the corpus schema), scored by the same code as `invoke accuracy`;
the labelled corpus in ../shared/corpus, when it is there, guards the totals.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.commands.accuracy import score_file
from pipeline.commands.outline import SCHEMA_VERSION, describe_report, outline_json
from pipeline.commands.train import cross_validate, labelled
from pipeline.model import Person
from pipeline.read.candidates import Candidate
from pipeline.read.event_dates import dates_in_text, title_year
from pipeline.read.report import read_report
from pipeline.read.speakers import mentioned_speaker, parse_people, speaker_line, split_title
from tests.conftest import DATA, ROOT

READING = DATA / "reading"
CORPUS = ROOT.parent / "shared" / "corpus"
LABELLED = sorted(p.name for p in (READING / "expected").glob("*.json"))


@pytest.mark.parametrize("label", LABELLED)
def test_each_pattern_is_read_as_labelled(label: str) -> None:
    expected = json.loads((READING / "expected" / label).read_text(encoding="utf-8"))
    score = score_file(READING / expected["file"], expected)
    assert score.misses == []
    assert (score.matched, score.found) == (score.expected, score.expected)


@pytest.mark.skipif(not (CORPUS / "expected").is_dir(), reason="no labelled corpus beside the repo")
def test_the_reading_generalises_to_notes_it_was_not_trained_on() -> None:
    """Cross-validated by source (each fold read by a model that never saw it): the figure
    the README quotes. In-sample it must not be far above: a wide gap is overfitting."""
    cv = cross_validate(labelled(CORPUS, (ROOT / "content",)), 5, labelled(READING))
    assert len(cv.total.files) == 37
    assert cv.total.f1 >= 0.80 and cv.total.titles >= 0.75 and cv.total.speakers >= 0.70
    assert cv.in_sample.f1 - cv.total.f1 <= 0.10


# --- speakers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("박태웅 | 녹서포럼 의장", [("박태웅", "녹서포럼")]),
        ("(김상균(curt.k) 님)", [("김상균", "")]),
        ("(이일민(toby)) 님)", [("이일민", "")]),  # unbalanced, as written
        ("@k16wire 황상철", [("황상철", "")]),
        ("텀블벅 박형식", [("박형식", "텀블벅")]),
        ("@justinchronicle Justin Yoo", [("Justin Yoo", "")]),
        ("진겸(Festa) & 김지훈(Festa)", [("진겸", "Festa"), ("김지훈", "Festa")]),
        (
            "조다영, 진겸, 장한보람(GDG Korea)",
            [("조다영", ""), ("진겸", ""), ("장한보람", "GDG Korea")],
        ),
        ("장혁재 단장<BR>(연세의료원)", [("장혁재", "연세의료원")]),
        ("김형철 PM(IITP)", [("김형철", "IITP")]),
        ("김석용(Rootone / GDG Songdo)", [("김석용", "Rootone / GDG Songdo")]),
        ("Ty McKercher | NVIDIA", [("Ty McKercher", "NVIDIA")]),
        ("남궁하람 | 숫자랩", [("남궁하람", "숫자랩")]),
        ("황인서 | 쿼리파이 Founder & CEO", [("황인서", "쿼리파이")]),
        ("키노트", []),
        ("AWS Cloud Mesh", []),
    ],
)
def test_people_in_every_form(text: str, people: list[tuple[str, str]]) -> None:
    assert parse_people(text) == tuple(Person(*p) for p in people)


@pytest.mark.parametrize(
    ("heading", "title", "names"),
    [
        ("Kakao AI Native (정규돈 | 카카오)", "Kakao AI Native", ["정규돈"]),
        ("테스트 이야기 (by 권용근)", "테스트 이야기", ["권용근"]),
        ("병렬 세션 - 김병학", "병렬 세션", ["김병학"]),
        ("마이크로서비스에서 서비스메시로 - AWS Cloud Mesh", None, []),
        ("쉽고 재미있는 iOS 디버깅 - LLDB Command", None, []),
        ("맵매칭 (부정확한 GPS포인트들로부터 경로 추정하기)", None, []),
        ("Scavenger - 당신의 코드는 생각보다 많이 죽어있다.", None, []),
    ],
)
def test_speakers_in_titles(heading: str, title: str | None, names: list[str]) -> None:
    found_title, people = split_title(heading)
    assert found_title == (title or heading) and [p.name for p in people] == names


@pytest.mark.parametrize(
    "line",
    [
        "데이터 엔지니어링과 분석 이야기",  # particles: a phrase
        "스토어 심사까지 자동으로",
        "단기 (PoC/실험): AI Agent, 코드 자동화 도구 실험",  # a colon: a label and its text
        "양찬석(구글 코리아) / 모두를 위한 안드로이드 새소식",  # a talk, not a speaker line
        "주요 내용",  # a two-syllable "name" beside another word
        "발표를 잘 들었다.",
    ],
)
def test_lines_that_are_not_speakers(line: str) -> None:
    assert speaker_line(line) == ()


# --- titles and dates ---------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "notes.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dates_in_text() -> None:
    assert dates_in_text("2016년 10월 7일 ~ 8일 양일 진행", None) == [
        dt.date(2016, 10, 7),
        dt.date(2016, 10, 8),
    ]
    assert dates_in_text("일시: 2018-09-04 (화) 10시", None) == [dt.date(2018, 9, 4)]
    assert dates_in_text("6월 30일 일요일", None) == []  # no year, no date
    assert dates_in_text("6월 30일 일요일", 2019) == [dt.date(2019, 6, 30)]
    assert title_year("if(kakaoAI)2024 후기") == 2024 and title_year("2023 → 2024") is None


def test_a_blog_post_date_is_not_the_event_date(tmp_path: Path) -> None:
    notes = write(tmp_path, "---\nlayout: post\ntitle: 밋업 후기\ndate: 2024-10-26\n---\n## 발표\n")
    meta = read_report(notes).meta
    assert (meta.dates, meta.post_date) == ((), dt.date(2024, 10, 26))


def test_a_report_front_matter_date_is_the_event_date(tmp_path: Path) -> None:
    notes = write(tmp_path, "---\ntitle: 파이콘 2023\ndate: 2023-08-12\n---\n## DAY 1\n")
    meta = read_report(notes).meta
    assert (meta.dates, meta.dates_source, meta.post_date) == (
        (dt.date(2023, 8, 12),),
        "front matter",
        None,
    )


def test_a_date_that_contradicts_the_title_year_is_not_the_event_date(tmp_path: Path) -> None:
    notes = write(tmp_path, "---\ntitle: 겨울 밋업 2017\ndate: 2010-03-02\n---\n## 발표\n")
    assert read_report(notes).meta.dates == ()


def test_the_first_heading_is_the_title_without_h1(tmp_path: Path) -> None:
    notes = write(tmp_path, "## 엣지 포럼 3회 개요\n\n## 프로그램\n\n### 발표 하나\n")
    meta = read_report(notes).meta
    assert (meta.title, meta.title_source) == ("엣지 포럼 3회 개요", "first heading")


def test_an_h1_that_is_not_the_title_stays_in_the_text(tmp_path: Path) -> None:
    notes = write(tmp_path, "---\ntitle: 다녀온 후기\n---\n# DEVIEW 2023\n\n첫 문단.\n")
    report = read_report(notes, candidate=Candidate())  # the title rule, whatever is chosen
    assert report.meta.title == "다녀온 후기" and report.meta.subtitle == ""
    assert "DEVIEW 2023" in report.intro_html + report.chapters[0].intro_html


# --- what the user can say ----------------------------------------------------------------

BOTH = """# 밋업

## 발표 주제
- 김하늘(웹팀) / 접근성 다시 보기
- 박서준(앱팀) / 컨테이너 쿼리

## 번들러 없이 개발하기 (이도윤)

## 타입 좁히기 (최민지)
"""


def test_talks_key_chooses_the_unit(tmp_path: Path) -> None:
    read = read_report(write(tmp_path, "---\ntalks: list item\n---\n" + BOTH))
    assert [t.title for t in read.talks if t.kind == "talk"] == [
        "접근성 다시 보기",
        "컨테이너 쿼리",
    ]
    assert read.reading is not None and read.reading.overridden_by == "talks"
    read = read_report(write(tmp_path, '---\ntalks: "##"\n---\n' + BOTH))
    assert [t.title for t in read.talks if t.kind == "talk"] == [
        "발표 주제",
        "번들러 없이 개발하기",
        "타입 좁히기",
    ]


def test_days_key_makes_headings_days(tmp_path: Path) -> None:
    notes = '---\ndays: "##"\n---\n# 캠프\n\n## 오전반\n\n### 발표 A\n\n## 오후반\n\n### 발표 B\n'
    report = read_report(write(tmp_path, notes))
    assert [(c.kind, c.title, [t.title for t in c.talks]) for c in report.chapters] == [
        ("day", "오전반", ["발표 A"]),
        ("day", "오후반", ["발표 B"]),
    ]


def test_single_talk_key(tmp_path: Path) -> None:
    notes = "---\nsingle_talk: true\n---\n# 테스트 이야기\n\n## 왜\n\n내용.\n\n## 어떻게\n\n내용.\n"
    report = read_report(write(tmp_path, notes))
    assert [t.title for t in report.talks] == ["테스트 이야기"]
    assert "reading: the notes of one talk" in describe_report(report)


def test_a_key_it_does_not_understand_is_left_out_naming_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(
        tmp_path,
        "---\ntitle: x\ntalks: paragraphs\nsingle_talk: yes please\n---\n## DAY 1\n\n### 발표\n",
    )
    report = read_report(path)  # the build goes on, read as if the keys were not there
    assert [t.title for t in report.talks] == ["발표"]
    assert [r.getMessage() for r in caplog.records] == [
        f'{path}:3: front matter talks "paragraphs" is not understood; left out (hint: write '
        'a heading level such as "###", or one of: heading, time slot, bold line, list item, numbered item, '
        "table row, rule block, html table row, timetable line, template tag)",
        f'{path}:4: front matter single_talk "yes please" is not understood; left out (hint: '
        "write true or false)",
    ]


def test_two_close_readings_are_reported_with_the_key_that_settles_them(tmp_path: Path) -> None:
    report = read_report(write(tmp_path, BOTH))
    assert report.reading is not None and report.reading.unsure
    assert "set `talks: " in describe_report(report)


# --- the outline as JSON ------------------------------------------------------------------


def test_outline_json_schema(tmp_path: Path) -> None:
    outline = outline_json(read_report(READING / "list-items.md"))
    assert (outline["schema"], outline["version"]) == ("conference-report/outline", SCHEMA_VERSION)
    assert outline["event_dates"] == ["2020-11-21"] and outline["dates_source"] == "text"
    talk = outline["chapters"][0]["talks"][2]
    assert talk["speakers"] == [  # `A & B(X)`: X is said of B; the notes do not say more
        {"name": "한지우", "affiliation": None},
        {"name": "오세린", "affiliation": "별빛 - 스튜디오"},
    ]
    assert (talk["slot"], talk["recognised_by"], talk["line"]) == ("iOS", "list item", 12)
    assert talk["affiliation"] == "별빛 - 스튜디오"
    assert outline["reading"]["unit"] == "list item"
    json.dumps(outline)  # plain data throughout


def test_notes_with_missing_images_still_outline(tmp_path: Path) -> None:
    notes = write(tmp_path, "# 밋업\n\n## DAY 1\n\n### 발표\n\n![구조](img/없음.png)\n")
    assert [t.title for t in read_report(notes).talks] == ["발표"]


def test_covers_count_talks_not_sections() -> None:
    report = read_report(READING / "list-items.md")
    (chapter,) = report.chapters
    assert chapter.talk_count == 3 and len(chapter.talks) > 3


def test_a_blog_description_becomes_plain_metadata(tmp_path: Path) -> None:
    long = "좋은 발표가 많았다 " * 40
    notes = write(
        tmp_path,
        f'---\ntitle: 후기\ndescription: "**INFCON** <b>참가</b> [후기](https://x.y) {{{{ site.name }}}} {long}"\n---\n## 발표\n',
    )
    description = read_report(notes).meta.description
    assert description.startswith("INFCON 참가 후기 좋은 발표가")
    assert len(description) <= 301 and description.endswith("…") and "<" not in description


@pytest.mark.parametrize(
    ("heading", "title", "names"),
    [
        ("코틀린 코루틴 / 김철수", "코틀린 코루틴", ["김철수"]),
        ("API 설계 by 이영희 (카카오)", "API 설계", ["이영희"]),
        ("Rust in Production by Jane Smith", "Rust in Production", ["Jane Smith"]),
        ("Learn by doing", "Learn by doing", []),
    ],
)
def test_more_speakers_in_titles(heading: str, title: str, names: list[str]) -> None:
    found_title, people = split_title(heading)
    assert found_title == title and [p.name for p in people] == names


def test_a_talk_heading_that_starts_with_its_time(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "## DAY 1\n\n### 10:00 ~ 10:40 | 서버 이야기 (홍길동 | 카카오)\n\n내용.\n\n"
        "### [11:00] 클라이언트 이야기\n\n> 발표자: 김영희 (네이버)\n\n내용.\n",
    )
    talks = read_report(notes).talks
    assert [(t.title, t.slot, t.speaker) for t in talks] == [
        ("서버 이야기", "10:00 ~ 10:40", "홍길동 · 카카오"),
        ("클라이언트 이야기", "11:00", "김영희 · 네이버"),
    ]


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("행사 소개", True),
        ("인프콘 소개", True),  # the report's title names the event
        ("GraphQL 소개", False),  # a topic
        ("이벤트 소싱", False),
        ("인프콘 후기", True),
        ("점심 시간", True),
        ("Naver Engineering Culture Booth_FAQ", True),
        ("Deview 란?", True),
    ],
)
def test_sections_by_their_words(tmp_path: Path, heading: str, section: bool) -> None:
    notes = write(
        tmp_path,
        f"# 인프콘 2023\n\n## DAY 1\n\n### {heading}\n\n내용을 적는다.\n\n### 다른 발표 제목 (김영희)\n",
    )
    # the rule itself, in the reader's own reading (which reading wins is test_candidates')
    first = read_report(notes, candidate=Candidate()).chapters[0].talks[0]
    assert (first.kind == "section") is section


def test_confidence_follows_the_evidence() -> None:
    talks = read_report(READING / "rule-blocks.md").talks
    assert all(0.5 <= t.confidence < 0.8 for t in talks if t.kind == "talk")
    talks = read_report(READING / "schedule-table.md").talks
    assert all(t.confidence >= 0.9 for t in talks if t.kind == "talk")


@pytest.mark.parametrize(
    ("line", "people"),
    [
        ("발표자: Jason Kim / 당근", [("Jason Kim", "당근")]),
        ("발표자: 애나(anna.lee) / 카카오 추천팀", [("애나", "카카오 추천팀")]),  # no surname
        ("우아한형제들 / 최다인", [("최다인", "우아한형제들")]),
        ("🎤 Lena Hoffmann (GDE Kotlin)", [("Lena Hoffmann", "GDE Kotlin")]),
        ("스피커: 김하나 (네이버) & 이두리 (라인)", [("김하나", "네이버"), ("이두리", "라인")]),
        ("Logstash → Fluent Bit", []),  # a product, not a person
        ("Fluent Bit", []),  # capitalised words alone need a handle, a label or an affiliation
        ("…발표는 한국어로 하셨다 ㅎㅎ", []),
        ("생성형 AI 보안 — 프롬프트 인젝션 대응", []),
    ],
)
def test_speaker_lines_after_the_blind_test(line: str, people: list[tuple[str, str]]) -> None:
    assert speaker_line(line) == tuple(Person(*p) for p in people)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("발표는 우아한형제들 주문플랫폼팀 조은호님.", "조은호"),
        ("발표자분은 Sophie Han님 (개발문화팀).", "Sophie Han"),
        ("발표자는 AWS 황보석진 님이었음", "황보석진"),
        ("인프랩 대표 이형주님 인사말", "이형주"),
    ],
)
def test_speakers_mentioned_in_prose(text: str, name: str) -> None:
    assert [p.name for p in mentioned_speaker(text)] == [name]


def test_a_panel_and_its_moderator() -> None:
    people = mentioned_speaker("패널: 김가람(카카오), 이나래(네이버), Tom Lee(라인) / 사회: 박다솜")
    assert [p.name for p in people] == ["김가람", "이나래", "Tom Lee", "박다솜"]


def test_a_date_range_with_buteo() -> None:
    assert dates_in_text("2022년 12월 7일부터 9일까지", None) == [
        dt.date(2022, 12, 7),
        dt.date(2022, 12, 8),
        dt.date(2022, 12, 9),
    ]


@pytest.mark.parametrize(
    ("title", "bare"),
    [
        ("메인 발표 1: 사내 API 서버 옮기기", "사내 API 서버 옮기기"),
        ("첫 번째로 들은 세션: 주문 시스템", "주문 시스템"),
        ("LT2. 나만의 CLI", "나만의 CLI"),
        ("1-1. React Native", "React Native"),
        ("키노트 : 5G 기반 의료", "키노트 : 5G 기반 의료"),  # a kind of talk, not a label
    ],
)
def test_labels_before_titles(title: str, bare: str) -> None:
    from pipeline.read.recognise import drop_numbering

    assert drop_numbering(title) == bare


def test_time_slots_that_are_breaks_are_sections(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 데브페스트\n\n### ⏰ 10:00 ~ 10:40 | 컴포즈 상태 관리\n🎤 나예린 (GDE)\n\n"
        "### ⏰ 12:00 ~ 13:00 | 점심 🍔\n\n### ⏰ 13:00 ~ 13:40 | 세션 없음 (커피챗 & 부스)\n\n"
        "### [A] 14:00 코루틴 취소 이해하기\n🎤 Lena Hoffmann (GDE Kotlin)\n<br>영어 발표\n\n"
        "### ⏰ 16:30 ~ 17:00 | 경품 추첨 & Closing\n",
    )
    talks = read_report(notes).talks
    assert [(t.kind, t.title, t.slot, t.speaker) for t in talks] == [
        ("talk", "컴포즈 상태 관리", "10:00 ~ 10:40", "나예린 · GDE"),
        ("section", "⏰ 12:00 ~ 13:00 | 점심 🍔", None, None),
        ("section", "⏰ 13:00 ~ 13:40 | 세션 없음 (커피챗 & 부스)", None, None),
        ("talk", "코루틴 취소 이해하기", "A 14:00", "Lena Hoffmann · GDE Kotlin"),
        ("section", "⏰ 16:30 ~ 17:00 | 경품 추첨 & Closing", None, None),
    ]


def test_a_lightning_talk_heading_holds_its_talks(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 러스트 밋업\n\n## 메인 발표 1: 소유권 그림으로 보기 (여하늘)\n\n내용.\n\n"
        "## ⚡ 라이트닝 토크\n\n### LT1. WASM 으로 이미지 처리 (@hyunbin)\n\n"
        "### LT2. 나만의 CLI 도구 만들기\n\n### LT3. 임베디드 러스트 맛보기\n\n## 피자 타임\n",
    )
    # the wrapper rule; the whole reader on this shape: data/reading/lightning-talks.md
    talks = read_report(notes, candidate=Candidate()).talks
    assert [(t.kind, t.title) for t in talks] == [
        ("talk", "소유권 그림으로 보기"),
        ("section", "⚡ 라이트닝 토크"),
        ("talk", "WASM 으로 이미지 처리"),
        ("talk", "나만의 CLI 도구 만들기"),
        ("talk", "임베디드 러스트 맛보기"),
        ("section", "피자 타임"),
    ]


def test_a_table_of_placeholders_is_not_a_programme(tmp_path: Path) -> None:
    """`| 1 | 세션 1의 발표 제목 | 발표자 1 |` rows name nobody: the table stays a table."""
    rows = "".join(f"| {n} | 세션 {n}의 발표 제목 | 발표자 {n} |\n" for n in range(1, 6))
    notes = write(
        tmp_path, f"## DAY 1\n\n### 셋째 발표\n\n| 순서 | 세션 | 발표자 |\n|---|---|---|\n{rows}"
    )
    (talk,) = read_report(notes).talks
    assert talk.title == "셋째 발표" and "<table>" in talk.body_html


def test_a_list_is_a_programme_only_when_every_item_is_a_talk_or_a_break(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 밋업\n\n- 10:00 오프닝\n- 데이터를 (김하늘 | 회사)\n- 검색을 (박서준 | 회사)\n- # 사용자가\n",
    )
    report = read_report(notes, candidate=Candidate())  # the recogniser's rule, not the choice
    assert [t for t in report.talks if t.kind == "talk"] == []
    assert "사용자가" in report.intro_html + "".join(c.intro_html for c in report.chapters)
    notes = write(
        tmp_path,
        "# 밋업\n\n- 10:00 오프닝\n- 10:10 데이터를 - 김하늘\n- 10:40 검색을 - Park Jiwoo\n",
    )
    talks = read_report(notes).talks
    assert [(t.kind, t.title, t.speaker) for t in talks] == [
        ("section", "오프닝", None),
        ("talk", "데이터를", "김하늘"),
        ("talk", "검색을", "Park Jiwoo"),
    ]


def test_the_only_h1_repeating_the_front_matter_title_heads_the_notes(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "---\ntitle: 데브서밋 2031 정리 및 후기\n---\n* TOC\n{:toc}\n\n# 데브서밋 2031\n\n"
        "가기 전에 용어를 찾아봤다.\n\n## 검색 랭킹 다시 보기\n\n#### 왜 바꿨나\n\n# \n\n내용.\n\n"
        "## 음성 합성 입문\n\n#### 데이터\n\n# \n\n내용.\n",
    )
    report = read_report(notes, candidate=Candidate())  # the title rule, whatever is chosen
    assert report.meta.title == "데브서밋 2031 정리 및 후기"
    assert [(t.kind, t.title) for t in report.talks] == [
        ("talk", "검색 랭킹 다시 보기"),
        ("talk", "음성 합성 입문"),
    ]


def test_a_nickname_before_the_name_in_brackets_is_dropped() -> None:
    assert parse_people("Pengoose(김대현)님") == (Person("김대현"),)
    assert split_title("오픈소스 입문 A-Z | Pluu(노현석)님") == (
        "오픈소스 입문 A-Z",
        (Person("노현석"),),
    )
    assert parse_people("김상균(curt.k) 님") == (Person("김상균"),)  # the usual order
    assert split_title("Kotlin(코틀린) 코루틴") == ("Kotlin(코틀린) 코루틴", ())


def test_a_column_of_session_numbers_is_not_the_title(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 프론트엔드 모임 31회\n\n## 시간표\n\n| 세션 | 시간 | 주제 | 발표자 |\n|---|---|---|---|\n"
        "| 1 | 19:00 | **React** : [상태 관리 다시 보기](https://example.com/1) | 홍길동님 |\n"
        "| - | 19:30 | 쉬는 시간 | - |\n"
        "| 2 | 19:40 | **CSS** : 컨테이너 쿼리 실전 | 김하늘님(토스) |\n",
    )
    report = read_report(notes, candidate=Candidate())  # the table rule, whatever is chosen
    assert [(t.kind, t.title, t.speaker) for t in report.talks] == [
        ("section", "시간표", None),
        ("talk", "React : 상태 관리 다시 보기", "홍길동"),  # the link is the title
        ("section", "쉬는 시간", None),
        ("talk", "CSS : 컨테이너 쿼리 실전", "김하늘 · 토스"),
    ]


def test_links_to_material_leave_a_table_title(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 모임\n\n| 시간 | 제목 | 발표자 |\n|---|---|---|\n"
        "| 10:00 | 컨테이너 입문 ([PDF](https://example.com/a.pdf)) | 홍길동 |\n"
        "| 11:00 | 쿠버네티스 [slides](https://example.com/b) | 김하늘 |\n| 12:00 | 점심 | |\n",
    )
    report = read_report(notes, candidate=Candidate())
    assert [(t.kind, t.title) for t in report.talks] == [
        ("talk", "컨테이너 입문"),
        ("talk", "쿠버네티스"),
        ("section", "점심"),
    ]


def test_a_lightning_talk_heading_may_hold_a_single_talk(tmp_path: Path) -> None:
    notes = write(
        tmp_path,
        "# 보안 컨퍼런스 2031\n\n## 세션\n\n### 웹 해킹 입문\n- 연사 : 홍길동\n\n내용.\n\n"
        "### 리버싱 첫걸음\n- 연사 : 김하늘\n\n내용.\n\n"
        "### 라이트닝 토크\n> 5분 안에 끝나는 발표입니다.\n\n"
        "#### 도커로 데이터베이스 띄우기\n- 연사 : 박준수\n- 시연과 설명\n",
    )
    talks = read_report(notes, candidate=Candidate()).talks  # the wrapper rule
    assert [(t.kind, t.title) for t in talks][-2:] == [
        ("section", "라이트닝 토크"),
        ("talk", "도커로 데이터베이스 띄우기"),
    ]
