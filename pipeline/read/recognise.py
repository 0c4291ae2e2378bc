"""What a heading's text says: a day marker, a time-slot group, a non-talk section.

Pure functions on strings, so that each rule is easy to test and to document in the README.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

ORDINALS = {
    "첫": 1,
    "첫째": 1,
    "둘째": 2,
    "두째": 2,
    "셋째": 3,
    "세째": 3,
    "넷째": 4,
    "네째": 4,
    "다섯째": 5,
}


@dataclass(frozen=True)
class DayMarker:
    """A heading that opens a conference day: its number (when it says one) and its date."""

    number: int | None
    date: dt.date | None


DAY_NUMBER = [
    re.compile(r"^day\s*[-.#]?\s*(\d{1,2})(?!\d)", re.I),
    re.compile(r"^(\d{1,2})\s*일\s*차"),
    re.compile(r"^(첫째|첫|둘째|두째|셋째|세째|넷째|네째|다섯째)\s*날"),
    re.compile(r"^(?:제\s*)?(\d{1,2})\s*일\s*째"),
    re.compile(r"^(\d{1,2})\s*회차"),  # `1회차 · 2024년 4월 3일`: a series' sessions
]
ISO_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*일?")
KOREAN_DATE = re.compile(r"(\d{1,2})\s*월\s*(\d{1,2})\s*일")


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def strip_decoration(text: str) -> str:
    """Drop leading emoji, symbols and punctuation: `📅 DAY 1` reads as `DAY 1`."""
    index = 0
    while index < len(text) and unicodedata.category(text[index])[0] in "SPZC":
        index += 1
    return text[index:].strip()


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def day_marker(text: str, year: int | None = None, anywhere: bool = False) -> DayMarker | None:
    """`DAY 1`, `Day 2 - 2015-09-14`, `1일차`, `첫째 날`, `2023-02-27`, `2월 27일 (월)`...
    ``anywhere``: a short heading with a full date anywhere (`웨비나 2024-04-03`) too."""
    head = strip_decoration(text)
    date = find_date(head, year)
    for pattern in DAY_NUMBER:
        match = pattern.match(head)
        if match:
            value = match.group(1)
            number = ORDINALS[value] if value in ORDINALS else int(value)
            return DayMarker(number, date)
    if ISO_DATE.match(head) or KOREAN_DATE.match(head):
        return DayMarker(None, date)
    if anywhere and ISO_DATE.search(head) and date is not None and len(head.split()) <= 8:
        return DayMarker(None, date)
    return None


def day_subtitle(text: str) -> str:
    """What a day heading says besides its marker and date: `Day 2: 둘째 날` -> `둘째 날`."""
    head = strip_decoration(text)
    for pattern in (*DAY_NUMBER, ISO_DATE, KOREAN_DATE):
        match = pattern.match(head)
        if match:
            head = head[match.end() :]
            break
    head = ISO_DATE.sub("", head)
    head = re.sub(r"^\s*\((월|화|수|목|금|토|일)\)", "", head)
    return head.strip(" \t-–—:·|,()")


def find_date(text: str, year: int | None) -> dt.date | None:
    match = ISO_DATE.search(text)
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = KOREAN_DATE.search(text)
        if match and year:
            return dt.date(year, int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None
    return None


# Headings whose subheadings are the talks: time slots, times of day, tracks, timetables.
GROUP = re.compile(
    r"^(\d{1,2}:\d{2}\b|(오전|오후|저녁|아침|점심\s*이후)(\s|$|[(:\-])|(morning|afternoon|evening)\b"
    r"|(트랙|track|세션|session)\s*[A-Z0-9]\b)"
    r"|시간표|타임\s*테이블|timetable|schedule",
    re.I,
)

# Short headings that name a part of the notes, not a talk (소개, 후기, 점심...).
SECTION_WORDS = (
    "후기",
    "느낌",
    "느낀",
    "소감",
    "총평",
    "감상",
    "점심",
    "휴식",
    "쉬는",
    "참가",
    "신청",
    "찾아가는",
    "오시는",
    "이벤트",
    "부스",
    "경품",
    "굿즈",
    "마무리",
    "마치며",
    "맺음말",
    "끝으로",
    "들어가며",
    "시작하며",
    "참고",
    "출처",
    "목차",
    "행사",
    "개요",
    "소개",
    "인트로",
    "스폰서",
    "intro",
    "introduction",
    "references",
    "reference",
    "related",
    "previous",
    "next",
    "outro",
    "summary",
    "epilogue",
    "정리",
    "정보",
    "about",
    "축사",
    "환영사",
    "개회",
    "폐회",
    "클로징",
    "closing",
    "네트워킹",
    "networking",
    "coffee",
    "break",
    "등록",
    "registration",
    "자료",
    "사진",
    "갤러리",
    "공지",
    "식사",
    "저녁",
    "간식",
    "다과",
    "피자",
    "뒤풀이",
    "경품",
    "추첨",
    "단체",
    "일정",
    "시간표",
)


def is_group(text: str) -> bool:
    return bool(GROUP.search(strip_decoration(text)))


# Section words that can also be a talk's topic (`GraphQL 소개`, `이벤트 소싱`): they make a
# section only beside words about the event itself.
TOPIC_WORDS = frozenset(
    "정보 정리 소개 개요 인트로 intro introduction summary 이벤트 자료 등록 registration 사진 "
    "갤러리 일정 공지 next previous related".split()
)
# Words about the event, not a topic: `행사 소개`, `컨퍼런스 개요`, `세미나 자료`.
EVENT_WORDS = frozenset(
    "행사 컨퍼런스 콘퍼런스 세미나 밋업 meetup conference event 전체 간단한 짧은 나의 개인적인 "
    "마지막 첫 발표 세션 session talk 시간 time 타임 점 및 and".split()
)


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def is_section(text: str, event_words: frozenset[str] = frozenset()) -> bool:
    """A non-talk section: at most three words, one of which starts with a section word. A
    word that can be a topic (`소개`) needs the other words to be about the event (`행사
    소개`, or a word of the report's title: `인프콘 소개`), not a topic (`GraphQL 소개`)."""
    # a remark in parentheses is not part of the name: `시간표 (내가 들은 것만)`
    text = re.sub(r"\s*[(（][^()（）]*[)）]", " ", strip_decoration(text))
    words = re.findall(r"\w+(?:&\w+)*", text.lower())  # `Q&A` is a word, a lone `&` not
    if not 0 < len(words) <= 3:
        return False

    def section_word(word: str) -> str | None:
        return next((s for s in SECTION_WORDS if word.startswith(s)), None)

    found = [section_word(word) for word in words]
    if any(s is not None and s not in TOPIC_WORDS for s in found):
        return True
    if not any(found):
        return False
    others = [w for w, s in zip(words, found, strict=True) if s is None]
    return all(w in EVENT_WORDS or w in event_words or w.isdigit() for w in others)


# Words that make a heading a talk even without a speaker: keynotes, panels, openings.
TALK_WORDS = re.compile(
    r"키노트|keynote|기조\s*(연설|강연)|패널|panel|오프닝|opening|토크|톡\b", re.I
)
# What a title opens with that is not the title: a running number (`1.`, `1-1.`), a label
# with one (`메인 발표 1:`, `LT2.`, `세션 3 -`), an ordinal (`첫 번째로 들은 세션:`, `두 번째:`).
TITLE_LABEL = re.compile(
    r"^\s*(?:\d+(?:-\d+)*[.)]\s+|[①-⑳❶-❿]\s*"
    r"|(?:메인\s*|라이트닝\s*)?(?:발표|세션|session|talk|LT|트랙|track)\s*\d+\s*(?:[:：.)\-–—]|,(?!\s*\d))\s*"
    r"|(?:첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열|\d+)\s*번째[^:：]{0,12}[:：]\s*)(?=\S)",
    re.I,
)


LEADING_TIME = re.compile(
    r"^(?:\[(?P<track>[^\]]{1,10})\]\s*)?"  # `[A] 10:30 제목`: a track, then the time
    r"[\[(]?(?P<time>\d{1,2}:\d{2}(?:\s*[~\-–—]\s*\d{1,2}:\d{2})?)[\])]?"
    r"\s*[|:\-–—·,]?\s+(?P<rest>(?![~\-–—]\s*\d{1,2}:\d{2})\S.*)$"  # `09:50 ~ 10:45`: no title
)


# A time after the title, set off by a comma, a parenthesis or a bar, or a range:
# `제목, 16:00`, `제목(13:30 ~ )`, `제목 | 14:00`, `제목 14:30 ~ 15:15` (not `Node 12:00`).
CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d"
TRAILING_TIME = re.compile(
    rf"(?:\s*[,|]\s*|\s*[(（]\s*|\s+(?={CLOCK}\s*[~\-–—]))(?<![\d:])"
    rf"(?P<time>{CLOCK}(?:\s*[~\-–—]\s*(?:{CLOCK})?)?)\s*[)）]?$"
)


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def split_time(title: str) -> tuple[str | None, str]:
    """`10:00 ~ 10:40 | 제목` -> (`10:00 ~ 10:40`, `제목`): a talk heading that starts (or
    ends) with its time slot."""
    match = LEADING_TIME.match(title.strip()) or LEADING_TIME.match(strip_decoration(title))
    if not match:
        after = TRAILING_TIME.search(title.strip())
        rest = title.strip()[: after.start()] if after else ""
        if re.search(r"[^\W\d_]", rest) and not re.search(r"\d{1,2}:\d{2}", rest):
            return after["time"].strip() if after else None, rest
        return None, title
    return (f"{match['track']} {match['time']}" if match["track"] else match["time"]), match["rest"]


def running_number(title: str) -> int | None:
    """`3. 테스트 코드...` -> 3."""
    match = re.match(r"^\s*(\d{1,2})[.)]\s+\S", title)
    return int(match.group(1)) if match else None


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def drop_numbering(title: str) -> str:
    """`1. 맵매칭`, `메인 발표 1: 제목`, `두 번째: 제목` -> the title without its label."""
    title = TITLE_LABEL.sub("", title, count=1).strip()
    quoted = re.fullmatch(r"[「『“\"](.+)[」』”\"]", title)  # `「쿠키런 서버 통합기」`
    return quoted.group(1).strip() if quoted else title


def slugify(text: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = text.strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return text.replace(" ", "-")
