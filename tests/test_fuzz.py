"""Property test: whatever notes people write, parsing and rendering only ever raise
ContentError, the ebook XHTML is well-formed, and every heading reaches the report."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Settings
from pipeline.epub.xhtml import to_xhtml
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.preview import render_preview
from pipeline.read.markdown import inline_text, markdown
from pipeline.read.notes import read_notes
from pipeline.read.report import read_report

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))

words = st.sampled_from(
    [
        "데이터를",
        "사용자가",
        "발표",
        "API(응용)",
        '"인용"',
        "Kafka",
        "🎉",
        "😊",
        "😱",
        "𝒳",
        "가나다라마바사",
        "**",
        "*",
        "_",
        "`",
        "~~",
        "[링크](#day-1)",
        "[밖](https://example.com)",
        "<br>",
        "&amp;",
        "<사진 1>",
        ":tada:",
        "{{ site.baseurl }}",
        "|",
        "#",
        "\\",
        "<",
        ">",
        "(이름 | 회사)",
        "- 홍길동",
        "",
    ]
)
text = st.lists(words, min_size=0, max_size=8).map(" ".join)
heading = st.tuples(
    st.integers(1, 6),
    st.one_of(
        text,
        st.sampled_from(
            [
                "DAY 1",
                "Day 2 - 2015-09-14",
                "1일차",
                "첫째 날",
                "2023-02-27",
                "2월 27일 (월)",
                "09:50 ~ 10:45",
                "오전",
                "오후",
                "점심",
                "후기",
                "🎉🎉",
                "!!!",
                "소개",
                "{{ $frontmatter.title }}",
            ]
        ),
    ),
).map(lambda pair: "#" * pair[0] + " " + pair[1])
block = st.one_of(
    heading,
    text,
    text.map(lambda t: "> " + t),
    st.lists(text, min_size=1, max_size=4).map(lambda items: "\n".join("- " + i for i in items)),
    st.lists(text, min_size=1, max_size=3).map(
        lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 3))
    ),
    st.tuples(st.sampled_from(["python", "js", "", "없는언어"]), text).map(
        lambda pair: f"```{pair[0]}\n{pair[1]}\n```"
    ),
    st.tuples(text, text).map(lambda pair: f"| {pair[0]} | b |\n|---|---|\n| {pair[1]} | 2 |"),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '<img src="https://example.com/x.png" onerror="x()">',
            '<iframe src="https://www.youtube.com/embed/abc"></iframe>',
            "<div><p>열린 태그",
            '<a href="javascript:alert(1)">x</a>',
            "<!-- TOC -->",
            "<!-- /TOC -->",
            "[TOC]",
            "<br>",
            "::: tip\n팁\n:::",
            "각주[^1]\n\n[^1]: 각주 내용",
            "---",
            "- [ ] 할 일",
            "<svg><script>x</script></svg>",
            "<style>body{}</style>",
            "\x00\x01",
        ]
    ),
)
front_matter = st.sampled_from(
    [
        "",
        "---\ntitle: 제목\n---\n",
        '+++\ntitle = "제목"\n+++\n',
        "title: 헥소\n---\n",
        "---\ntitle: [깨진\n---\n",
        "---\ndate: 2024-02-30\n---\n",
        "---\nauthors: [가, 나]\ntags: x\n---\n",
    ]
)
notes = st.tuples(front_matter, st.lists(block, max_size=25)).map(
    lambda pair: pair[0] + "\n\n".join(pair[1]) + "\n"
)

XHTML = '<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'


def headings_of(source: str) -> list[str]:
    tokens = markdown().parse(source, {})
    return [inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"]


def shown_headings(report: Report) -> set[str]:
    shown = {report.meta.title, report.meta.subtitle}
    fragments = [report.intro_html]
    for chapter in report.chapters:
        fragments += [
            chapter.intro_html,
            *(t.body_html for t in chapter.talks),
            *(t.abstract_html for t in chapter.talks),
        ]
    for chapter in report.chapters:
        shown.add(chapter.title)
        for fragment in fragments:
            if fragment:
                root = lxml.html.fragment_fromstring(fragment, create_parent="div")
                shown.update(
                    " ".join(h.text_content().split())
                    for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")
                )
        for talk in chapter.talks:
            shown.update((talk.title, talk.slot or ""))
            if talk.speaker:  # `제목 (이름 | 회사)`: the heading is title + speaker
                shown.add(talk.title)
    return shown


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes)
def test_any_notes_parse_render_or_fail_cleanly(source: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notes.md"
        path.write_text(source, encoding="utf-8")
        try:
            report = read_report(path)
        except ContentError:
            return
        render_preview(report, Settings())
        for chapter in report.chapters:
            for fragment in (
                chapter.intro_html,
                *(t.body_html for t in chapter.talks),
                *(t.abstract_html for t in chapter.talks),
            ):
                lxml.etree.fromstring(XHTML + to_xhtml(fragment, {}) + "</div>")
        shown = shown_headings(report)
        for title in headings_of(read_notes(path).text):
            assert (
                any(title in s or s in title for s in shown if s)
                or not title.strip()
                or re.fullmatch(r"\{\{.*\}\}", title)
            ), (title, shown)
