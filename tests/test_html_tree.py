"""The print document's tree read by lxml (pipeline.pdf.html_tree) is the tree WeasyPrint's own
parser (tinyhtml5) builds, or the document is left to tinyhtml5."""

from __future__ import annotations

import hashlib
import shutil
import xml.etree.ElementTree as ET  # noqa: N817
from pathlib import Path

import pytest
import tinyhtml5

from pipeline.config import Settings
from pipeline.errors import ContentError
from pipeline.pdf.html import prepare_print
from pipeline.pdf.html_tree import read_tree
from pipeline.read.report import apply_settings, read_report
from tests.conftest import DATA, SAMPLE

FIXTURES = sorted(DATA.glob("*.md")) + [SAMPLE]


def print_document(notes: Path, out: Path) -> str:
    settings = Settings().override({"out": out})
    report = read_report(notes)
    settings = settings.override(report.settings)
    job = prepare_print(apply_settings(report, settings), settings)
    shutil.rmtree(job.folder, ignore_errors=True)
    return job.html


def differences(ours: ET.Element, theirs: ET.Element, path: str = "html") -> list[str]:
    """Where two trees differ: tag, attributes (and their order), text, tail, children."""
    found = []
    if ours.tag != theirs.tag:
        found.append(f"{path}: tag {ours.tag!r} != {theirs.tag!r}")
    if list(ours.attrib.items()) != list(theirs.attrib.items()):
        found.append(f"{path}: attributes {ours.attrib} != {theirs.attrib}")
    if (ours.text or "") != (theirs.text or ""):
        found.append(f"{path}: text {ours.text!r} != {theirs.text!r}")
    if path != "html" and (ours.tail or "") != (theirs.tail or ""):
        found.append(f"{path}: tail {ours.tail!r} != {theirs.tail!r}")
    if len(ours) != len(theirs):
        found.append(f"{path}: {len(ours)} children != {len(theirs)}")
        return found
    for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        found += differences(mine, other, f"{path}/{other.tag}[{index}]")
    return found


def tinyhtml5_tree(html: str) -> ET.Element:
    tree: ET.Element = tinyhtml5.parse(html, namespace_html_elements=False)
    return tree


@pytest.mark.parametrize("notes", FIXTURES, ids=lambda path: path.stem)
def test_the_fixtures_print_documents_read_as_tinyhtml5_reads_them(
    notes: Path, tmp_path: Path
) -> None:
    try:
        html = print_document(notes, tmp_path)
    except ContentError:
        pytest.skip("notes that do not build")
    tree = read_tree(html)
    assert tree is not None, "a print document of our own left to tinyhtml5"
    assert differences(tree, tinyhtml5_tree(html)) == []


def document(body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>t</title>{head}'
        f"</head><body>\n{body}\n</body>\n</html>"
    )


@pytest.mark.parametrize(
    "body",
    [
        "<p>a <b>b</b> c<br>d</p><!-- a comment --><ul><li>one<ul><li>two</li></ul></li></ul>",
        "<table><thead><tr><th>a</th></tr></thead>\n<tbody><tr><td>b</td></tr></tbody></table>",
        '<div class="x" id="y" data-z="1"><span>&amp; &lt; 가\u2060나</span></div> tail',
        '<input type="checkbox" checked disabled><input type="checkbox">',
        "<pre><code>\ncode\n</code></pre><dl><dt>a</dt><dd>b</dd></dl>",
    ],
)
def test_documents_both_parsers_agree_on_read_alike(body: str) -> None:
    html = document(body)
    tree = read_tree(html)
    assert tree is not None
    assert differences(tree, tinyhtml5_tree(html)) == []


@pytest.mark.parametrize(
    ("body", "head"),
    [
        ("<p>a<div>b</div></p>", ""),  # HTML5 closes the paragraph before the block
        ("<p>a<span><ul><li>b</li></ul></span></p>", ""),
        ("<table><tr><td>a</td></tr></table>", ""),  # HTML5 adds a tbody
        ("<table>text<tbody><tr><td>a</td></tr></tbody></table>", ""),  # moved out
        ("<a href='#x'>a<a href='#y'>b</a></a>", ""),
        ("<ul><li>a<li>b</li></li></ul>", ""),
        ("<h2>a<h3>b</h3></h2>", ""),
        ("<svg viewBox='0 0 1 1'><rect width='1' height='1'/></svg>", ""),
        ("<pre>\n\nx</pre>", ""),
        ("<input type='checkbox' checked='checked'>", ""),
        ("<p>a</p>", "<base href='https://example.com/'>"),
        ("<p>a</p>", "<div>b</div>"),  # HTML5 moves it into the body
        ("<p>a\r\nb</p>", ""),
        ("<p>a</p></body></html>\n<p>b</p><!--", ""),  # after </html>
    ],
)
def test_documents_the_parsers_may_read_otherwise_are_left_to_tinyhtml5_or_read_alike(
    body: str, head: str
) -> None:
    """lxml moves some of these as HTML5 does (a link in a link, a block in the head): then
    the trees agree; where they might not, tinyhtml5 is left to parse."""
    html = document(body, head)
    tree = read_tree(html)
    assert tree is None or differences(tree, tinyhtml5_tree(html)) == []


@pytest.mark.parametrize(
    "body",
    [
        "<svg viewBox='0 0 1 1'><rect width='1' height='1'/></svg>",
        "<p>a<div>b</div></p>",
        "<table><tr><td>a</td></tr></table>",
        "<pre>\n\nx</pre>",
        "<input type='checkbox' checked='checked'>",
        "<p>a\r\nb</p>",
    ],
)
def test_what_lxml_would_read_otherwise_is_left_to_tinyhtml5(body: str) -> None:
    html = document(body)
    assert read_tree(html) is None
    assert read_tree(document("<p>a</p>", "<base href='https://example.com/'>")) is None


@pytest.mark.slow
def test_the_sample_pdf_is_the_same_with_either_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import build_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ours = hashlib.sha256(build_pdf(SAMPLE, tmp_path / "lxml").read_bytes()).hexdigest()
    monkeypatch.setattr("pipeline.pdf.html_tree.read_tree", lambda html: None)
    theirs = hashlib.sha256(build_pdf(SAMPLE, tmp_path / "tinyhtml5").read_bytes()).hexdigest()
    assert ours == theirs


def test_a_document_from_its_tree_is_what_weasyprint_makes_of_its_string() -> None:
    """The contract with WeasyPrint's HTML class: the same attributes, with the same values."""
    from weasyprint import HTML

    from pipeline.pdf.html_tree import weasyprint_html

    html = document("<p>a <b>b</b></p>")
    parsed = HTML(string=html, base_url="file:///tmp/notes/")
    made = weasyprint_html(html, "file:///tmp/notes/", parsed.url_fetcher)
    assert sorted(vars(made)) == sorted(vars(parsed))
    assert (made.base_url, made.media_type) == (parsed.base_url, parsed.media_type)
    assert made.url_fetcher is parsed.url_fetcher
    assert made.wrapper_element.etree_element is made.etree_element
    assert differences(made.etree_element, parsed.etree_element) == []
