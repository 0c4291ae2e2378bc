"""Who gives a talk: people and their affiliations, from the many ways notes write them.

`박태웅 | 녹서포럼 의장`, `정규돈 (카카오)`, `김상균(curt.k) 님`, `@k16wire 황상철`,
`텀블벅 박형식`, `진겸(Festa) & 김지훈(Festa)`, `조다영, 진겸, 장한보람(GDG Korea)`,
`장혁재 단장<BR>(연세의료원)`, `(by 권용근)`, `Justin Yoo`. A name is recognised by its shape:
a Korean name is two to four syllables starting with a Korean surname (the surname list is
the language's, not any file's); a Latin name is two or three capitalised words. Job titles
(단장, 책임, CTO...), handles (`@id`, `(curt.k)`) and the honorific 님 are dropped; what is
left beside a name is its affiliation.
"""

from __future__ import annotations

import functools
import re

from pipeline.model import Person

# Korean surnames, one and two syllables (Statistics Korea's census lists about 280; these
# cover nearly every person).
SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄"
    "채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부"
    "가복태목형피두감음빈동온호범좌팽승간상시갈단견나라"
) | {"남궁", "황보", "제갈", "선우", "서문", "독고", "사공", "동방"}
# Words that name a role, not a person; dropped from a speaker's affiliation.
ROLES = re.compile(
    r"^(단장|책임|선임|수석|연구원|교수|박사|이사|대표|상무|전무|부장|차장|과장|대리|사원|팀장|"
    r"파트장|실장|센터장|본부장|리드|매니저|개발자|엔지니어|의장|님|씨|선생|사장|회장|원장|강사|고객|"
    r"CEO|CTO|CFO|COO|CPO|PM|PO|VP|Founder|Engineer|Developer|Manager|Lead)$",
    re.I,
)
HANGUL_NAME = re.compile(r"^[가-힣]{2,4}$")
# Syllables that end words but not Korean given names: verb endings (하셨다, 좋아요) and the
# syllables of loanwords and nouns (인젝션, 추천팀, 리스트).
NOT_A_NAME_END = frozenset("다요됨함션트스즈크드프팀터렉템셋킹닝링")
LATIN_WORD = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z]+)?\.?$")
# After a label: a nickname (`mojito`) or a Chinese or Japanese name (`田中`) is a name too.
OTHER_NAME = re.compile(r"^(?:[a-z][a-z0-9_.-]{2,19}|[\u3040-\u30ff\u4e00-\u9fff]{1,4})$")
NICKNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,19}$")
CJK = re.compile(r"^[\u3040-\u30ff\u4e00-\u9fff]{1,4}$")
PHRASE = re.compile(r"[.!?。:：]|다$|요$")
HANDLE = re.compile(r"^@[\w.-]+$|^[a-z0-9][a-z0-9._-]*$")
SPLIT_PEOPLE = re.compile(r"\s*[,&+]\s*|\s+(?:그리고|and)\s+")
# A label that says the words after it are people: `발표자: 이름`, `스피커 : 이름`, `by 이름`.
LABELS = (
    r"발표자분?|발표|연사|스피커|강연자|강사|패널|사회자?|진행자?|모더레이터|"
    r"speakers?|presenters?|moderators?|panel(?:ists?)?|by"
)
BY = re.compile(rf"^\s*(?:{LABELS})(?=[\s:：])\s*[:：]?\s*", re.I)
LABELLED = re.compile(rf"^\s*(?:{LABELS})\s*[:：]\s*|^\s*by\s+", re.I)
SYMBOLS = re.compile(r"^[^\w@(（]+")  # `🎤 이름`, `- 이름`: decoration before the words


def is_korean_name(word: str, labelled: bool = False) -> bool:
    """`박형식`, `조은`, `남궁민수`: two to four syllables that start with a surname and do
    not end like a verb or a loanword. After a label (`발표자: 애나`) any two to four
    syllables are a name: nicknames and transliterated names have no surname."""
    word = word.removesuffix("님")
    if not HANGUL_NAME.match(word):
        return False
    if labelled:
        return True
    if word[-1] in NOT_A_NAME_END:
        return False
    return word[0] in SURNAMES or (len(word) >= 3 and word[:2] in SURNAMES)


def is_latin_name(words: list[str]) -> bool:
    """`Justin Yoo`, `Ty McKercher`: two or three capitalised words."""
    return 2 <= len(words) <= 3 and all(LATIN_WORD.match(word) for word in words)


def parse_people(text: str, labelled: bool = False, vouched: bool = False) -> tuple[Person, ...]:
    """Every person ``text`` names, with affiliations; () when it names nobody.
    `A, B | 소속`: what follows a bar is the affiliation all of them share. ``labelled``: a
    label said these are people (`발표자: 애나 / 카카오`, a table's speaker column), so ` / `
    parts a name from its affiliation too, a name needs no surname, and an organisation alone
    stands for its speaker. ``vouched``: the place says a person is named here (`이름 /
    제목` items), so capitalised words are taken for a name without more evidence."""
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = SYMBOLS.sub("", text.replace("**", "").replace("__", "").strip(" \t[]"))
    labelled = labelled or bool(LABELLED.match(text))
    text = BY.sub("", text)
    if text[:1] in "(（" and text[-1:] in ")）":  # `(김상균(curt.k) 님)`: the line's own brackets
        labelled = labelled or bool(LABELLED.match(text[1:-1]))
        text = BY.sub("", text[1:-1].strip())
    bar_at = re.compile(r"\s*[|｜]\s*|\s+/\s+") if labelled else re.compile(r"\s*[|｜]\s*")
    sides = split_outside_parens(text, bar_at)
    if len(sides) == 2 and not _names_in(sides[0], labelled) and _names_in(sides[1], labelled):
        sides = [sides[1], sides[0]]  # `우아한형제들 / 최다인`: the company first
    who, shared = sides[0], " ".join(sides[1:])
    bar = len(sides) > 1
    people = [
        _parse_person(p, labelled=labelled, vouched=vouched)
        for p in split_outside_parens(who, SPLIT_PEOPLE)
        if p and not LABEL_WORD.match(p.strip())
    ]
    if people and all(people):
        found = tuple(p for p in people if p is not None)
        if bar and shared.strip():
            last = found[-1]
            extra = _drop_roles(shared.strip())
            affiliation = ", ".join(a for a in (last.affiliation, extra) if a)
            found = tuple(Person(p.name, p.affiliation or extra) for p in found[:-1]) + (
                Person(last.name, affiliation),
            )
        return found
    single = _parse_person(text, separators=True, labelled=labelled, vouched=vouched)
    if (
        single is None
        and labelled
        and 0 < len(text.split()) <= 4
        and not PHRASE.search(text)
        and re.search(r"[^\W\d_]{2,}", text)  # `발표자 1`: a placeholder, not an organisation
    ):
        single = Person(_drop_roles(text))  # `네이버웹툰`: the organisation is all it says
    return (single,) if single and single.name and not LABEL_WORD.match(single.name) else ()


# A label alone (`- 연사` over a list of names) names nobody.
LABEL_WORD = re.compile(rf"^(?:{LABELS})$", re.I)


def _names_in(text: str, labelled: bool) -> bool:
    return any(
        _parse_person(p, labelled=labelled) for p in split_outside_parens(text, SPLIT_PEOPLE) if p
    )


def split_outside_parens(text: str, separator: re.Pattern[str]) -> list[str]:
    """``text`` split where ``separator`` matches outside parentheses:
    `A(X / Y) / B` at ` / ` -> `A(X / Y)`, `B`."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(text):
        char = text[index]
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        elif depth == 0 and (match := separator.match(text, index)) and match.group().strip():
            parts.append(text[start:index])
            start = index = match.end()
            continue
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _parse_person(
    part: str, separators: bool = False, labelled: bool = False, vouched: bool = False
) -> Person | None:
    """`김상균(curt.k) 님`, `이승익 책임 (ETRI)`, `박태웅 | 녹서포럼 의장`, `텀블벅 박형식`."""
    inner = [p.strip() for p in re.findall(r"[(（]([^()（）]*)[)）]", part)]
    outer = re.sub(r"[(（][^()（）]*[)）]?|[)）]", " ", part)
    # ` / ` is not a separator here: `발표자(소속) / 제목` puts a title after it
    split = r"\s*[|｜·,]\s*|\s+[-–—]\s+" if separators else r"\s*[|｜·]\s*|\s+[-–—]\s+"
    sides = [side.strip() for side in re.split(split, outer) if side.strip()]
    raw = [w for w in re.split(r"\s+", sides[0] if sides else "") if w]
    if any(not SYMBOLS.sub("", w) and w not in "/-–—&·+," for w in raw[1:]):
        return None  # `Logstash → Fluent Bit`: a symbol between the words, not a name
    words = [SYMBOLS.sub("", w) for w in raw]
    vouched = (
        vouched or labelled or len(sides) > 1 or bool(inner) or "님" in part or raw[:1] != words[:1]
    )
    words = [w for w in words if w and not HANDLE.match(w) and not ROLES.match(w)]
    vouched = vouched or len(words) < len(raw)  # a handle or a role beside the name
    name, rest = _find_name(words, labelled)
    named_inside = [i for i in inner if is_korean_name(i)]
    if name is None and len(named_inside) == 1 and len(words) == 1 and NICKNAME.match(words[0]):
        # `Pengoose(김대현)님`: a nickname, then the name in brackets (the usual order reversed)
        name, rest, inner = named_inside[0], [], [i for i in inner if i != named_inside[0]]
    if name is None or (len(name) == 2 and rest and is_korean_name(name) and not labelled):
        return None  # `주요 내용`: a two-syllable "name" beside other words is a word
    if not vouched and not is_korean_name(name):
        return None  # `Fluent Bit`: capitalised words alone may be a product, not a person
    extra = [" ".join(rest)] + sides[1:] + [i for i in inner if not HANDLE.match(i)]
    affiliation = ", ".join(_drop_roles(e) for e in extra if _drop_roles(e))
    return Person(name, affiliation)


def _find_name(words: list[str], labelled: bool = False) -> tuple[str | None, list[str]]:
    """The name among ``words`` (a Korean name, else a Latin one) and the words beside it.
    After a label, the name comes first (`애나 카카오`); else last (`텀블벅 박형식`)."""
    order = list(range(len(words)) if labelled else range(len(words) - 1, -1, -1))
    honoured = [i for i in order if words[i].endswith("님") and is_korean_name(words[i])]
    # `대표 이형주님 인사말`: 님 marks the name; `네이버 CTO 장하은`: a surname beats a first word
    candidates = honoured + [i for i in order if is_korean_name(words[i])]
    if labelled and words:
        candidates.append(0)  # after a label, a first word without a surname: 애나, mojito
    for index in candidates:
        if is_korean_name(words[index], labelled) or (
            labelled and index == 0 and OTHER_NAME.match(words[index])
        ):
            end = index + 1
            while (
                end < len(words)
                and end - index < 2
                and CJK.match(words[end])
                and CJK.match(words[index])
            ):
                end += 1  # `田中 亮`: a family and a given name
            rest = [w.removesuffix("님") for w in words[:index] + words[end:]]
            return " ".join(words[index:end]).removesuffix("님"), [w for w in rest if w]
    if is_latin_name(words):
        return " ".join(words), []
    for size in (3, 2):  # `Jason Kim 당근`, after a label only
        if labelled and len(words) > size and is_latin_name(words[:size]):
            return " ".join(words[:size]), words[size:]
    return None, words


def _drop_roles(text: str) -> str:
    """`쿼리파이 Founder & CEO` -> `쿼리파이`: roles at the ends go, and the `&` that joined
    them; a role word inside a name stays (`Google Developer Expert`)."""
    words = SYMBOLS.sub("", text.strip()).split()  # `🎤 GDE Android`: not the microphone
    while words and (ROLES.match(words[-1]) or words[-1] in "&,/·+-"):
        words.pop()
    while words and (ROLES.match(words[0]) or words[0] in "&,/·+-"):
        words.pop(0)
    return " ".join(words).strip(" ,&/·+-")


# --- where a speaker is written --------------------------------------------------------------

SPEAKER_IN_PARENS = re.compile(r"^(?P<title>.+?)\s*[(（](?P<who>[^()（）]+)[)）]\s*$")
BY_IN_PARENS = re.compile(r"^(?P<title>.+?)\s*[(（]\s*by\s+(?P<who>[^()（）]+)[)）]\s*$", re.I)
AFTER_BAR = re.compile(r"^(?P<title>.+?)\s+[|｜]\s+(?P<who>[^|｜]+)$")  # `제목 | 이름`
AFTER_DASH = re.compile(r"^(?P<title>.+?)\s+[-–—/]\s+(?P<who>[^-–—/]+)$")
# `제목 : 이름님 (소속)`: after a colon only a name that 님 vouches for
AFTER_COLON = re.compile(
    r"^(?P<title>.+?)\s+[:：]\s+(?P<who>[^:：]+님\s*(?:[(（][^()（）]*[)）])?)$"
)
TRAILING_BY = re.compile(r"^(?P<title>.+?)\s+by\s+(?P<who>.+)$", re.I)
# `제목 [임대현/이은성, NAVER Cloud]`: names (slash-joined), then their affiliation
BRACKET_PEOPLE = re.compile(r"^(?P<title>.+?)\s*\[(?P<who>[^\[\]]+)\]\s*$")
HANDLE_IN_PARENS = re.compile(r"^(?P<title>.+?)\s*[(（]\s*(?P<who>@[\w.-]+)\s*[)）]\s*$")


@functools.lru_cache(maxsize=4096)  # pure, and asked again by every candidate reading
def split_title(heading: str, vouched: bool = False) -> tuple[str, tuple[Person, ...]]:
    """`제목 (이름 | 회사)`, `제목 (by 이름)`, `제목 - 이름` -> title, people (or none).
    ``vouched``: the place says a speaker follows the dash (a programme's list item)."""
    heading = heading.strip()
    if match := HANDLE_IN_PARENS.match(heading):  # `제목 (@hyunbin)`: the handle is all we have
        return match["title"].strip(), (Person(match["who"]),)
    for pattern in (
        BY_IN_PARENS,
        TRAILING_BY,
        SPEAKER_IN_PARENS,
        AFTER_BAR,
        AFTER_DASH,
        AFTER_COLON,
    ):
        match = pattern.match(heading)
        if not match:
            continue
        who = match.group("who")
        if pattern is SPEAKER_IN_PARENS and not re.search(r"[|/,·@&]|님\s*$", who):
            # `맵매칭 (부정확한 GPS포인트들로부터...)`: a bare parenthesis is a person only when
            # it is nothing but a name
            if not (is_korean_name(who.strip()) or is_latin_name(who.split())):
                continue
        people = parse_people(who, vouched=vouched or pattern in (BY_IN_PARENS, TRAILING_BY))
        if (
            pattern in (AFTER_DASH, AFTER_BAR)
            and not vouched
            and not all(
                is_korean_name(p.name) or (p.affiliation and re.search(r"[(（|]", who))
                for p in people
            )
        ):
            continue  # `... - AWS Cloud Mesh`: capitalised words after a dash are a subtitle,
            # unless an affiliation follows them (`... - Daniel Cho (NAVER Cloud)`)
        if pattern is TRAILING_BY and len(re.sub(r"[(（].*?[)）]", "", who).split()) > 3:
            continue  # `... by example`: a phrase
        name = re.split(r"\s*님", who)[0].strip()
        if pattern is AFTER_COLON and (not is_korean_name(name) or ROLES.match(name)):
            continue  # `우리가 몰랐던 것 : 고객님`: 님 after a role, not a name
        if pattern in (AFTER_DASH, AFTER_BAR) and not vouched and len(who.split()) > 4:
            continue  # `말하기 - 설득의 3요소로 배우는 실전 면접 skill`: a subtitle
        if people:
            return match.group("title").strip(), people
    if match := BRACKET_PEOPLE.match(heading):
        names, _, affiliation = match["who"].partition(",")
        words = [n.strip() for n in re.split(r"[/&·]", names) if n.strip()]
        if words and all(is_korean_name(w) or is_latin_name(w.split()) for w in words):
            return match["title"].strip(), tuple(Person(w, affiliation.strip()) for w in words)
    return heading, ()


# A word ending in a case particle (`엔지니어링과`, `서비스를`) belongs to a phrase, not to a
# name or an affiliation.
# (은, 는, 의 end many names: 김하은, 홍연의.)
PARTICLE = re.compile(r"[가-힣]{2,}(?:과|와|을|를|는|로|에|에서|으로|에게|까지|부터|처럼|보다)$")


def join_spaced_surname(text: str) -> str:
    """`안 병욱` -> `안병욱`: a one-syllable surname written apart from the given name."""

    def join(match: re.Match[str]) -> str:
        name = match[1] + match[2]
        return name if match[1] in SURNAMES and is_korean_name(name) else match[0]

    return SPACED_SURNAME.sub(join, text)


SPACED_SURNAME = re.compile(r"(?<![가-힣])([가-힣]) ([가-힣]{2})(?![가-힣])")


def speaker_line(text: str) -> tuple[Person, ...]:
    """A short line that is nothing but people: `**텀블벅 박형식**`, `박태웅 | 녹서포럼 의장`,
    `(김상균(curt.k) 님)`, `- 류한진`. A sentence is never a speaker line."""
    text = join_spaced_surname(SYMBOLS.sub("", text.strip()))
    if text[:1] in "(（" and text[-1:] in ")）":  # `(발표: 이름)`
        text = text[1:-1].strip()
    labelled = bool(LABELLED.match(text))
    text = BY.sub("", text)
    if not 0 < len(text) <= 80 or re.search(r"[.!?。]\s*$|다\.?$|요\.?$|[:：]", text):
        return ()
    bare = re.sub(r"[(（][^()（）]*[)）]", " ", text.partition("|")[0])
    if len(bare.split()) > 6 or any(PARTICLE.search(word) for word in bare.split()):
        return ()  # `데이터 엔지니어링과 분석 이야기`: words with particles make a phrase
    return parse_people(text, labelled=labelled)


# `한정수님의 발표`, `발표는 민우님이`: in prose, 님 and the word for a talk vouch for a name,
# a nickname included (`향로님의 발표`).
TALK_BY = re.compile(
    r"(?P<a>[가-힣]{2,4})\s*님(?:의)?\s*(?:발표|강연|세션|키노트|강의|인사말)|"
    r"(?:발표|강연|세션)(?:은|는)\s*(?P<b>[가-힣]{2,4})\s*님(?:이|께서)|"
    r"(?:발표자|연사|발표하신\s*분|발표)(?:는|은|분은)\s+(?:[^\s님]+\s+){0,3}?"
    r"(?:(?P<c>[가-힣]{2,4})|(?P<d>[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}))\s*님"
)
LABEL = re.compile(
    rf"(?:{LABELS})\s*[:：]\s*(?P<label>[^\n]{{2,60}}?)(?=[.。!?](?:\s|$)|\n|$)", re.I
)
NAMES_WITH_NIM = re.compile(r"([가-힣]{2,4})\s*님")


def mentioned_speaker(text: str) -> tuple[Person, ...]:
    """A speaker named in prose: `OOO님의 발표`, `발표자: 이름`, or a lead line that names
    several people with 님 (`CEO 이형주님, CTO 이동욱님...`)."""
    if match := TALK_BY.search(text):
        return (Person(match["a"] or match["b"] or match["c"] or match["d"]),)
    if match := LABEL.search(text):
        found: list[Person] = []
        for part in re.split(
            r"\s+/\s+(?=\S+\s*[:：])|;", match.group("label")
        ):  # `패널: A, B / 사회: C`
            found += parse_people(part, labelled=True)
        return tuple(found)
    names = [n for n in NAMES_WITH_NIM.findall(text[:200]) if is_korean_name(n)]
    return tuple(Person(n) for n in dict.fromkeys(names)) if len(names) >= 2 else ()
