"""Notes -> model: structure goldens, recognised quirks, sanitised HTML, no word lost."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import lxml.html
import pytest

from pipeline.commands.goldens import outline_fixtures
from pipeline.commands.outline import describe_report
from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.model import Report
from pipeline.preview import render_preview
from pipeline.read.markdown import markdown
from pipeline.read.notes import discover_reports, read_notes
from pipeline.read.report import read_report
from tests.conftest import DATA, ROOT, SAMPLE

GOLDEN = ROOT / "tests" / "golden"
OUTLINE_FIXTURES = outline_fixtures(ROOT)


def text_of(html: str) -> str:
    if not html.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())


@pytest.mark.parametrize("name", ["deview-2023.md", *OUTLINE_FIXTURES])
def test_outline_matches_golden(name: str) -> None:
    """Regenerate on purpose with `invoke goldens` after a deliberate change."""
    path = SAMPLE if name == "deview-2023.md" else DATA / name
    golden = GOLDEN / (Path(name).stem + ".txt")
    assert describe_report(read_report(path)) == golden.read_text(encoding="utf-8")


def test_sample_structure(sample_report: Report) -> None:
    report = sample_report
    assert report.meta.title == "DEVIEW 2023"
    assert [(c.label, len(c.talks)) for c in report.chapters] == [("DAY 1", 4), ("DAY 2", 3)]
    assert all(talk.abstract_html for talk in report.talks)
    assert report.intro_html == ""  # the TOC block and the <br> spacer are scaffolding
    assert report.chapters[0].talks[0].id == "day-1-talk-1"
    assert report.chapters[1].talks[2].title == "값비싼 Diffusion model 을 받드는 저비용 MLOps"


def test_sample_toc_anchors_are_aliases(sample_report: Report) -> None:
    """The sample's hand-made TOC used percent-encoded GitHub slugs: they still resolve."""
    slug = "바닥까지-파보는-hbase-random-read-성능-개선기"
    assert sample_report.aliases[slug] == "day-1-talk-2"
    assert sample_report.aliases["day-2"] == "day-2"


def test_folder_report(folder_report: Path) -> None:
    report = read_report(folder_report)
    assert report.name == "folder-report"
    assert report.meta.title == "폴더 보고서"
    assert [(c.label, [t.title for t in c.talks]) for c in report.chapters] == [
        ("DAY 1", ["첫 발표", "두 번째 발표"]),
        ("DAY 2", ["셋째 발표"]),
    ]
    assert report.chapters[0].talks[0].source.path.name == "day1.md"
    (image,) = report.images
    assert image.src == "img/diagram.png" and image.path == folder_report / "img" / "diagram.png"
    assert '<img src="img/diagram.png" alt="구조도">' in report.chapters[0].talks[0].body_html
    assert discover_reports(folder_report) == [folder_report]


def test_content_folder_lists_files_and_report_folders(tmp_path: Path, folder_report: Path) -> None:
    (folder_report.parent / "pycon.md").write_text("# PyCon\n", encoding="utf-8")
    (folder_report.parent / "notes.txt").write_text("not notes", encoding="utf-8")
    assert discover_reports(folder_report.parent) == [
        folder_report,
        folder_report.parent / "pycon.md",
    ]


def test_empty_content_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as error:
        discover_reports(tmp_path)
    assert str(error.value) == (
        f"{tmp_path}: holds no notes (.md files or folders with index.md)"
        "\n  hint: put your notes in this folder, or give --notes a file"
    )


def test_day_chapters_keep_their_place_and_subtitles() -> None:
    report = read_report(DATA / "day-markers.md")
    assert [(c.kind, c.label) for c in report.chapters][:3] == [
        ("section", "소개"),
        ("day", "DAY 1"),
        ("day", "DAY 2"),
    ]
    assert report.chapters[-1].title == "후기" and report.chapters[-1].kind == "section"
    assert (
        report.chapters[1].date is not None and report.chapters[1].date.isoformat() == "2023-08-12"
    )
    deep = read_report(DATA / "days-deep.md")
    assert [c.subtitle for c in deep.chapters] == ["", "둘째 날"]
    assert '<h4 id="day-1-talk-2-1">세부 내용</h4>' in deep.chapters[0].talks[1].body_html


def test_speaker_and_abstract() -> None:
    talk = read_report(DATA / "day-markers.md").chapters[2].talks[0]
    assert (talk.title, talk.speaker) == ("타입 힌트의 모든 것", "박타입 · 타입회사")
    assert text_of(talk.abstract_html) == "타입 힌트를 제대로 쓰는 법."
    assert "박타입" not in talk.body_html and text_of(talk.body_html) == "본문."


def test_scaffolding_is_removed_but_inline_breaks_stay() -> None:
    report = read_report(DATA / "scaffolding.md")
    html = render_preview(report, Settings())
    assert "TOC" not in html and "toc" not in html.lower().replace("contents", "")
    assert report.intro_html == ""
    assert "첫 줄<br>둘째 줄" in report.chapters[0].talks[0].body_html
    assert "more" not in report.chapters[0].talks[0].body_html


def test_blog_leftovers(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        report = read_report(DATA / "blog-leftovers.md")
    talk = report.chapters[0].talks[0]
    assert talk.title == "발표 🎉"
    assert "site." not in talk.body_html and "{{" not in talk.body_html
    assert (
        '<figure class="remote-image"><a class="remote-image" href="https://example.com/slide.png">'
        "원격 이미지 · example.com</a><figcaption>첫 장</figcaption></figure>" in talk.body_html
    )
    assert "<figcaption>현장 사진</figcaption>" in talk.body_html
    assert '<div class="callout tip"><p class="callout-title">알아두기</p>' in talk.body_html
    assert "팁 내용 😱" in talk.body_html
    assert '<div class="callout warning"><p class="callout-title">주의</p>' in talk.body_html
    assert "<code>:not_an_emoji:</code>" in talk.body_html
    assert (
        '<figure class="missing-image"><span class="missing-image">이미지 없음 · /images/arch.png'
        "</span><figcaption>아키텍처</figcaption></figure>" in talk.body_html
    )  # a blog-site path
    assert caplog.messages[0] == (
        f'{DATA / "blog-leftovers.md"}:9: image "/images/arch.png" is a path on the blog\'s web '
        f"site and is not under {DATA}; shown as its caption"
    )


def test_markdown_features() -> None:
    body = read_report(DATA / "markdown-features.md").chapters[0].talks[0].body_html
    assert "<table>" in body and "<th>항목</th>" in body and '<td align="right">잘 됨</td>' in body
    assert "<s>취소선</s>" in body
    assert "<strong>API(응용)</strong>를" in body
    assert '<strong>"인용"</strong>을' in body
    assert 'class="task-list-item' in body and 'type="checkbox"' in body
    assert '<a href="https://deview.kr/2023">https://deview.kr/2023</a>' in body
    assert 'href="http://www.naver.com"' in body
    assert '<sup class="footnote-ref"><a href="#fn-1" id="ref-fn-1">1</a></sup>' in body
    assert '<li id="fn-2"><p>두 번째 각주.</p>' in body
    assert '<code class="language-python"><span class="line"><span class="k">def</span>' in body
    assert "탭으로 들여 쓴 코드" in body
    assert re.search(r"<li>탭 목록\s*<ul>\s*<li>안쪽 항목</li>", body)
    assert '<ol start="3">' in body


def test_raw_html_is_sanitised() -> None:
    body = read_report(DATA / "raw-html.md").chapters[0].talks[0].body_html
    for forbidden in (
        "<script",
        "alert",
        "javascript:",
        "onclick",
        "onmouseover",
        "style=",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "steal",
    ):
        assert forbidden not in body
    assert '<a href="https://ok.example">안전</a>' in body
    assert (
        '<a class="embed" href="https://www.youtube.com/watch?v=abc123">YouTube 영상: 발표 영상</a>'
        in body
    )
    assert (
        'href="https://www.slideshare.net/slideshow/embed_code/key/FuqgTKqq2Z626y">SlideShare 슬라이드'
        in body
    )
    assert "&lt;사진 1&gt; 은 태그가 아니다." in body
    assert (
        '<figure class="remote-image"><a class="remote-image" href="https://example.com/a.png">'
        "원격 이미지 · example.com</a><figcaption>infcon</figcaption></figure>" in body
    )
    assert "<p>스타일 없는 문단</p>" in body


def test_links_resolve_to_model_ids(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        report = read_report(DATA / "links.md")
    body = report.chapters[0].talks[0].body_html
    assert '<a href="#day-2-talk-1">두 번째로</a>' in body
    assert '<a href="#day-1">대문자</a>' in body
    assert "없는 곳" in body and "#nowhere" not in body
    assert "빈 링크" in body and 'href=""' not in body
    assert '<a href="#day-2-talk-1">바로가기</a>' in report.intro_html  # percent-encoded slug
    assert caplog.messages == [
        f'{DATA / "links.md"}:9: link to "#nowhere" matches no heading; shown as plain text'
    ]


def test_a_missing_image_is_a_placeholder_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Notes copied without their image folder still read and build (pandoc, MkDocs, Sphinx
    warn and go on too); the warning names the line."""
    with caplog.at_level(logging.WARNING):
        report = read_report(DATA / "missing-image.md")
    assert (
        f'{DATA / "missing-image.md"}:7: image "img/nothere.png" not found; shown as a '
        "placeholder (hint: put the file next to the notes, or fix the path)"
    ) in caplog.messages
    body = report.chapters[0].talks[0].body_html
    assert 'class="missing-image"' in body and "img/nothere.png" not in report_image_srcs(report)


def test_an_image_outside_the_content_folder_is_left_out_unread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        report = read_report(DATA / "image-outside.md")
    assert (
        f'{DATA / "image-outside.md"}:7: image "../../../etc/passwd" is outside the content '
        "folder; left out (hint: copy the image next to the notes and link it from there)"
    ) in caplog.messages
    assert report.images == () and "passwd" not in report.chapters[0].talks[0].body_html


def report_image_srcs(report: Report) -> set[str]:
    return {image.src for image in report.images}


def test_file_urls_are_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "notes.md"
    path.write_text('## DAY 1\n\n### 발표\n\n<img src="file:///etc/hostname">\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        report = read_report(path)
    assert "<img" not in report.chapters[0].talks[0].body_html
    assert caplog.messages == [
        f'{path}:5: image "file:///etc/hostname" left out: only local '
        "files and http(s) images are allowed"
    ]


SOURCE_WORDS = re.compile(r"[\w가-힣]+")


def source_words(path: Path) -> list[str]:
    """Every word the author wrote in text, code and image captions (scaffolding excluded)."""
    tokens = markdown().parse(read_notes(path).text, {})
    words: list[str] = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            words += SOURCE_WORDS.findall(token.content)
        for child in token.children or ():
            if child.type in ("text", "code_inline", "image"):
                words += SOURCE_WORDS.findall(child.content)
    return words


@pytest.mark.parametrize(
    "path",
    [
        SAMPLE,
        DATA / "markdown-features.md",
        DATA / "day-markers.md",
        DATA / "no-days.md",
        DATA / "time-slots.md",
        DATA / "yaml-front-matter.md",
    ],
    ids=lambda p: p.name,
)
def test_no_word_is_lost_in_the_html(path: Path) -> None:
    html = render_preview(read_report(path), Settings())
    rendered = " ".join(lxml.html.fromstring(html).text_content().split())
    missing = [word for word in source_words(path) if word not in rendered]
    assert missing == []


def test_a_br_line_does_not_swallow_the_markdown_after_it(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "## DAY 1\n\n### 발표\n\n<br>\n![현장](https://example.com/a.jpg)\n"
        "**굵게** 쓴 말\n\n```html\n<br>\n```\n",
        encoding="utf-8",
    )
    body = read_report(notes).chapters[0].talks[0].body_html
    assert "![" not in body and "[이미지: 현장]</a>" in body
    assert "<strong>굵게</strong> 쓴 말" in body
    assert '<span class="nt">br</span>' in body  # inside code it is kept


@pytest.mark.parametrize(
    ("alt", "caption"),
    [
        ("image", False),
        ("IMG_8149%20Medium.png 14-49-57-772", False),
        ("image-20220827151546729", False),
        ("사진", False),
        ("스크린샷 3", False),
        ("아키텍처 구조도", True),
        ("infcon", True),
        ("Kafka consumer 흐름", True),
    ],
)
def test_file_names_and_placeholders_are_not_captions(
    tmp_path: Path, alt: str, caption: bool
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        f"## DAY 1\n\n### 발표\n\n![{alt}](https://example.com/a.jpg)\n", encoding="utf-8"
    )
    body = read_report(notes).chapters[0].talks[0].body_html
    assert ("<figcaption>" in body) is caption


def test_images_side_by_side_become_figures(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        '## DAY 1\n\n### 발표\n\n<img src="https://e.com/a.png" alt=가><img '
        'src="https://e.com/b.png" alt=나>\n\n---\n',
        encoding="utf-8",
    )
    body = read_report(notes).chapters[0].talks[0].body_html
    assert body.count('<figure class="remote-image">') == 2
    assert "<hr" not in body  # a closing rule: the talks are separated by the layout


def test_rules_that_open_or_close_a_part_are_dropped(tmp_path: Path) -> None:
    """A `---` before the first chapter or at a part's ends separates it from nothing."""
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# 후기\n\n---\n\n관람 후기!!\n\n---\n\n## DAY 1\n\n---\n\n첫날\n\n---\n\n둘째 문단\n\n---\n\n"
        "### 발표\n\n본문\n\n---\n",
        encoding="utf-8",
    )
    report = read_report(notes)

    def tags(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    assert tags(report.intro_html) == "<p>관람 후기!!</p>"
    assert tags(report.chapters[0].intro_html) == "<p>첫날</p><hr><p>둘째 문단</p>"
    assert tags(report.chapters[0].talks[0].body_html) == "<p>본문</p>"


def test_rows_of_pictures_or_links_and_run_in_headings(tmp_path: Path) -> None:
    """Paragraphs of images, placeholders or links are `media-row` (never justified into
    gaps); a bold line before text is a `run-in` heading that keeps with it."""
    notes = tmp_path / "notes.md"
    notes.write_text(
        "## DAY 1\n\n### 발표\n\n**핵심 요약**\n\n내용 문단이다.\n\n"
        "![사진](https://example.com/a.jpg) 사진 설명 [출처](https://x.y)\n\n"
        "[영상](https://a.b) [슬라이드](https://c.d)\n\n보통 문단에 [링크](https://e.f) 하나.\n",
        encoding="utf-8",
    )
    root = lxml.html.fragment_fromstring(read_report(notes).talks[0].body_html, create_parent="div")
    classes = [p.get("class") for p in root.iter("p")]
    assert classes == ["run-in", None, "media-row", "media-row", None]


def test_code_a_lexer_cannot_read_is_plain(tmp_path: Path) -> None:
    """Pygments marks what it cannot lex as errors (red boxes in print): such a block is
    shown plain; code it can read keeps its colours."""
    notes = tmp_path / "notes.md"
    notes.write_text(
        '## DAY 1\n\n### 발표\n\n```typescript\n<template><div v-if="a">{{ b }}</div></template>\n```'
        "\n\n```python\ndef f():\n    return 1\n```\n",
        encoding="utf-8",
    )
    body = read_report(notes).talks[0].body_html
    vue, python = body.split("language-python")
    assert 'class="err"' not in body and '<span class="k">' not in vue
    assert '<span class="k">def</span>' in python
