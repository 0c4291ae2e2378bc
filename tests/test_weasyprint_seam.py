"""The contract between the PDF stage and WeasyPrint's internals (``pipeline.pdf.weasyprint_internals``
and ``weasyprint_format``): every name the seam replaces or reaches into, with the parameters it
relies on, and the callers that must reach a replaced function through its module global. An
upgrade of WeasyPrint or pydyf that moves one of them fails here, by name, instead of silently
turning a feature off (the loose-line limit, the stylesheet cache...)."""

from __future__ import annotations

import importlib
import inspect
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import ContentError
from pipeline.pdf import weasyprint_format, weasyprint_internals
from pipeline.pdf.parts.paginate import paginate

ROOT = Path(__file__).resolve().parent.parent

# (module, name, the parameters the seam relies on)
REPLACED = [
    ("weasyprint.layout", "make_all_pages", ["context", "root_box", "html", "pages"]),
    ("weasyprint.layout", "layout_fixed_boxes", ["context", "pages", "containing_page"]),
    ("weasyprint.layout.inline", "justify_line", ["context", "line", "extra_width"]),
    *(
        (
            module,
            "split_first_line",
            [
                "text",
                "style",
                "context",
                "max_width",
                "justification_spacing",
                "is_line_start",
                "minimum",
            ],
        )
        for module in ("weasyprint.layout.inline", "weasyprint.layout.preferred")
    ),
    (
        "weasyprint.pdf.tags",
        "_build_box_tree",
        ["box", "parent", "pdf", "page_number", "nums", "annotations", "tags"],
    ),
    ("weasyprint.pdf", "resolve_links", ["pages"]),
    ("weasyprint.pdf", "build_fonts_dictionary", ["pdf", "fonts", "compress", "subset", "options"]),
    (
        "weasyprint.css",
        "StyleFor.set_computed_styles",
        ["self", "element", "parent", "root", "pseudo_type", "base_url", "target_collector"],
    ),
    (
        "weasyprint.css",
        "CSS",
        ["url", "url_fetcher", "media_type", "counter_style", "matcher", "page_rules", "layers"],
    ),
]
# Each replaced function is called through its module's global by these (else the replacement
# would never run).
CALLED_THROUGH_GLOBAL = [
    ("weasyprint.layout", "layout_document", "make_all_pages"),
    ("weasyprint.layout", "layout_document", "layout_fixed_boxes"),
    ("weasyprint.layout.inline", "text_align", "justify_line"),
    ("weasyprint.layout.inline", "split_text_box", "split_first_line"),
    ("weasyprint.layout.preferred", "inline_line_widths", "split_first_line"),
    ("weasyprint.pdf.tags", "add_tags", "_build_box_tree"),
    ("weasyprint.pdf", "generate_pdf", "resolve_links"),
    ("weasyprint.pdf", "generate_pdf", "build_fonts_dictionary"),
    ("weasyprint.css", "find_stylesheets", "CSS"),
    ("weasyprint.css", "StyleFor.__init__", "set_computed_styles"),
]
# Called, not replaced: (module, name, the parameters passed by name or position).
CALLED = [
    (
        "weasyprint.document",
        "Document._build_layout_context",
        ["html", "font_config", "counter_style", "color_profiles", "options"],
    ),
    (
        "weasyprint.document",
        "Document.__init__",
        ["self", "pages", "metadata", "url_fetcher", "font_config", "color_profiles"],
    ),
    ("weasyprint.document", "Page.__init__", ["self", "page_box"]),
    ("weasyprint.layout", "layout_document", ["html", "root_box", "context"]),
    ("weasyprint.layout", "make_margin_boxes", ["context", "page", "state"]),
    ("weasyprint.layout.background", "layout_backgrounds", ["page", "get_image_from_uri"]),
    (
        "weasyprint.layout.page",
        "make_page",
        ["context", "root_box", "page_type", "resume_at", "page_number", "page_state"],
    ),
    ("weasyprint.layout.page", "set_page_type_computed_styles", ["page_type", "html", "style_for"]),
    # the page loop the seam copies (``_make_all_pages``), and what it calls
    ("weasyprint.layout.page", "make_all_pages", ["context", "root_box", "html", "pages"]),
    ("weasyprint.layout.page", "remake_page", ["index", "context", "root_box", "html"]),
    (
        "weasyprint.layout",
        "LayoutContext.__init__",
        [
            "self",
            "style_for",
            "get_image_from_uri",
            "font_config",
            "counter_style",
            "target_collector",
        ],
    ),
    ("weasyprint.css.targets", "TargetCollector.collect_anchor", ["self", "anchor_name"]),
    # what the shared computed styles read of a document's styles
    ("weasyprint.css", "StyleFor.get_computed_styles", ["self"]),
    ("weasyprint.css", "StyleFor.get_cascaded_styles", ["self"]),
    ("weasyprint.layout.inline", "count_expandable_spaces", ["box"]),
    (
        "weasyprint.text.line_break",
        "split_first_line",
        ["text", "style", "context", "max_width", "justification_spacing"],
    ),
    (
        "weasyprint.formatting_structure.build",
        "build_formatting_structure",
        ["element_tree", "style_for", "get_image_from_uri", "base_url", "target_collector"],
    ),
    ("weasyprint.html", "get_html_metadata", ["html"]),
    ("weasyprint.pdf.anchors", "resolve_links", ["pages"]),
    # the box tree's methods that the parts and the fitting call on the boxes they walk
    ("weasyprint.formatting_structure.boxes", "Box.translate", ["self", "dx"]),
    ("weasyprint.formatting_structure.boxes", "Box.is_in_normal_flow", ["self"]),
    ("weasyprint.formatting_structure.boxes", "Box.is_absolutely_positioned", ["self"]),
    ("weasyprint.formatting_structure.boxes", "Box.margin_height", ["self"]),
    ("weasyprint.formatting_structure.boxes", "Box.content_box_y", ["self"]),
    ("weasyprint.formatting_structure.boxes", "ParentBox.descendants", ["self", "placeholders"]),
]


def _install() -> None:
    weasyprint_internals.install()


def _resolve(module: Any, dotted: str) -> Any:
    """``module``'s ``dotted`` name (a function, or a class's method), or None."""
    found = module
    for piece in dotted.split("."):
        found = getattr(found, piece, None)
    return found


def _original(module: Any, dotted: str) -> Any:
    """The function WeasyPrint defines under ``dotted`` (the seam's replacement wraps it)."""
    found = _resolve(module, dotted)
    name = dotted.rpartition(".")[2]
    while getattr(found, "__closure__", None) and found.__module__ == weasyprint_internals.__name__:
        wrapped = [
            cell.cell_contents
            for cell in found.__closure__
            if callable(cell.cell_contents)
            and getattr(cell.cell_contents, "__name__", "") == name
            and getattr(cell.cell_contents, "__module__", "").startswith("weasyprint")
        ]
        if not wrapped:
            break
        found = wrapped[0]
    return found


def broken_contract() -> list[str]:
    """What moved in the installed WeasyPrint, one line per name (empty: nothing)."""
    problems = []
    for module_name, name, parameters in REPLACED:
        module = importlib.import_module(module_name)
        if _resolve(module, name) is None:
            problems.append(f"{module_name}.{name} is gone (replaced by the seam)")
            continue
        found = list(inspect.signature(_original(module, name)).parameters)
        if [p for p in found if p in parameters] != parameters:
            problems.append(f"{module_name}.{name}{tuple(found)}: expected {tuple(parameters)}")
    for module_name, caller, name in CALLED_THROUGH_GLOBAL:
        module = importlib.import_module(module_name)
        function = _resolve(module, caller)
        if function is None or name not in function.__code__.co_names:
            problems.append(f"{module_name}.{caller} no longer calls {name} through the module")
    for module_name, dotted, parameters in CALLED:
        target: Any = importlib.import_module(module_name)
        for piece in dotted.split("."):
            target = getattr(target, piece, None)
        if target is None:
            problems.append(f"{module_name}.{dotted} is gone (called by the seam)")
            continue
        found = list(inspect.signature(target).parameters)
        if [p for p in found if p in parameters] != parameters:
            problems.append(f"{module_name}.{dotted}{tuple(found)}: expected {tuple(parameters)}")
    boxes = importlib.import_module("weasyprint.formatting_structure.boxes")
    problems += [
        f"weasyprint.formatting_structure.boxes.{name} is gone"
        for name in weasyprint_internals.BOX_CLASSES
        if not isinstance(getattr(boxes, name, None), type)
    ]
    page = importlib.import_module("weasyprint.layout.page")
    if getattr(page.PageType, "_fields", None) != ("side", "blank", "name", "index", "groups"):
        problems.append("weasyprint.layout.page.PageType's fields changed")
    return problems


def test_every_name_the_seam_uses_is_where_it_was() -> None:
    importlib.import_module("weasyprint")  # installed or not: the originals are checked
    problems = broken_contract()
    assert not problems, "WeasyPrint moved what the seam uses:\n" + "\n".join(problems)


def test_a_renamed_replaced_function_fails_the_contract_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What an upgrade that renames ``justify_line`` looks like: the contract names it."""
    _install()
    inline = importlib.import_module("weasyprint.layout.inline")
    monkeypatch.setattr(inline, "justify_lines", inline.justify_line, raising=False)
    monkeypatch.delattr(inline, "justify_line")
    assert broken_contract() == [
        "weasyprint.layout.inline.justify_line is gone (replaced by the seam)"
    ]


def test_a_changed_signature_fails_the_contract_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _install()
    document = importlib.import_module("weasyprint.document")

    def build(html: Any, font_config: Any, options: Any) -> None: ...

    monkeypatch.setattr(document.Document, "_build_layout_context", staticmethod(build))
    assert broken_contract() == [
        "weasyprint.document.Document._build_layout_context('html', 'font_config', 'options'): "
        "expected ('html', 'font_config', 'counter_style', 'color_profiles', 'options')"
    ]


def test_importing_the_seam_changes_nothing_until_it_is_installed() -> None:
    probe = (
        "import pipeline.pdf.weasyprint_internals as seam, pipeline.pdf.write\n"
        "import weasyprint.layout as layout, weasyprint.css as css\n"
        "print(layout.make_all_pages.__module__, css.CSS.__module__)\n"
        "seam.install()\n"
        "print(layout.make_all_pages.__module__, css.CSS.__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.split() == [
        "weasyprint.layout.page",
        "weasyprint",
        "pipeline.pdf.weasyprint_internals",
        "pipeline.pdf.weasyprint_internals",
    ], result.stderr


@pytest.mark.parametrize(
    ("module", "version", "wanted"),
    [("weasyprint", "71.0", ">=70.0,<71"), ("pydyf", "0.14.0", ">=0.13,<0.14")],
)
def test_a_version_outside_the_range_stops_with_a_message(
    monkeypatch: pytest.MonkeyPatch, module: str, version: str, wanted: str
) -> None:
    _install()
    monkeypatch.setattr(importlib.import_module(module), "__version__", version)
    with pytest.raises(ContentError) as raised:
        weasyprint_internals.check_versions()
    message = str(raised.value)
    assert message.startswith(f"pyproject.toml: {module} {version} is installed; ")
    assert f"written for {module}{wanted}" in message and "hint: run ./bootstrap" in message


def test_the_installed_versions_are_in_the_range() -> None:
    _install()
    weasyprint_internals.check_versions()


def test_the_private_shapes_the_seam_reads() -> None:
    """A real layout through the seam: the page maker's tuples, the counters in them, the
    line of ``split_first_line``, ``_page_box``, ``_config``: what the parts machinery reads."""
    from weasyprint import HTML

    _install()
    config, unread = weasyprint_internals.font_configuration(())
    assert unread == [] and config._config is not None
    html = HTML(
        string="<style>@page { @bottom-center { content: counter(page) ' / ' counter(pages) } }"
        "h1 { break-before: page }</style><p>가나다</p><h1>둘째</h1>"
    )
    paginated = paginate(html, config, [])
    context = paginated.laid.context
    assert paginated.page_count == 2 and paginated.first_side() is None
    assert all(len(entry) == 5 for entry in context.page_maker)
    assert isinstance(context.page_maker[1][3][1], dict)  # the counters after page 1
    paginated.add_blank_page()
    document = paginated.finish(5, 9)
    assert [page._page_box.page_type.side for page in document.pages] == ["right", "left", "right"]
    assert document.pages[2]._page_box.page_type.blank
    assert document._html is html
    assert weasyprint_internals.document_page_boxes(document)[0] is document.pages[0]._page_box
    import pikepdf

    with pikepdf.open(io.BytesIO(document.write_pdf())) as pdf:
        assert len(pdf.pages) == 3


def test_pydyf_writes_tagged_runs_as_the_repairs_match_them() -> None:
    import pikepdf
    from weasyprint import HTML

    _install()
    data = HTML(string="<html lang='ko'><title>t</title><p>가나다</p></html>").write_pdf(
        pdf_variant="pdf/ua-1"
    )
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stream = pdf.pages[0].Contents.read_bytes()
    assert weasyprint_format.MARKED.search(stream) is not None


def test_pydyf_streams_are_written_as_pydyf_writes_them_at_the_default_level() -> None:
    """The stream pydyf 0.13 writes, compressed at zlib's default level: the same dictionary
    and the same content once decompressed."""
    import zlib

    import pydyf

    content = [b"BT", b"/F1 12 Tf", b"(abc) Tj", b"ET"] * 50
    ours = pydyf.Stream(list(content), {"Type": "/XObject"}, compress=True)
    _install()
    data = ours.data
    head, rest = data.split(b"\nstream\n", 1)
    compressed = rest.removesuffix(b"\nendstream")
    assert zlib.decompress(compressed) == b"\n".join(content)
    assert compressed == zlib.compress(b"\n".join(content), weasyprint_internals.STREAM_LEVEL)
    assert b"/Filter /FlateDecode" in head and f"/Length {len(compressed)}".encode() in head
    assert b"/Type /XObject" in head
    plain = pydyf.Stream(list(content)).data
    assert plain == b"\n".join(
        (b"<</Length %d>>" % len(b"\n".join(content)), b"stream", b"\n".join(content), b"endstream")
    )


def test_the_shapes_a_layout_again_reads() -> None:
    """What ``paginate_again`` takes from a paginated layout and hands to a new one: the page
    maker's remake states, the anchors' lookup items, the context's footnote state and its
    image getter bound to it, and the sides a broken box has no decoration on."""
    from weasyprint import HTML
    from weasyprint.css.targets import TargetLookupItem

    _install()
    config, _ = weasyprint_internals.font_configuration(())
    html = HTML(
        string="<style>a::after { content: target-counter(attr(href url), page) }"
        "h1 { break-before: page } code { border-radius: 3px; background: #eee }</style>"
        "<a href='#two'>둘째</a><p>" + "<code>가나다 라마바 사아자 차카타</code> " * 40 + "</p>"
        "<h1 id='two'>둘째</h1>"
    )
    paginated = paginate(html, config, [])
    context = paginated.laid.context
    assert {"content_changed", "pages_wanted", "anchors", "content_lookups"} <= set(
        context.page_maker[1][-1]
    )
    assert weasyprint_internals.anchor_pages(context) == {"two": len(context.page_maker) - 2}
    item = context.target_collector.target_lookup_items["two"]
    assert isinstance(item, TargetLookupItem) and item.cached_page_counter_values["page"]
    assert isinstance(item.page_maker_index, int)
    assert context.reported_footnotes == [] and context.broken_out_of_flow == {}
    assert context.carried == [False] * paginated.page_count
    assert context.get_image_from_uri.keywords["context"] is context
    broken = [
        box
        for page in paginated.pages
        for box in page.descendants()
        if getattr(box, "element_tag", "") == "code" and box.remove_decoration_sides
    ]
    assert broken  # a code span broken across lines has sides with no decoration


def test_documents_of_one_font_configuration_share_their_computed_styles() -> None:
    """Two documents laid out with one font configuration: an element with the same parent
    style and rules has the same computed style object in both; an element with an id has a
    style of its own (its anchor), and its children share theirs."""
    from weasyprint import HTML

    _install()
    config, _ = weasyprint_internals.font_configuration(())
    page = "<style>p {{ color: red }}</style><section id='{0}'><p>가나</p></section><p>다라</p>"
    laid = [paginate(HTML(string=page.format(name)), config, []) for name in ("one", "two")]
    styles = [paginated.laid.context.style_for for paginated in laid]
    trees = [paginated.html.etree_element for paginated in laid]
    sections = [tree.find(".//section") for tree in trees]
    inner = [section.find("p") for section in sections]
    outer = [tree.find("body/p") for tree in trees]
    assert styles[0](outer[0]) is styles[1](outer[1])
    assert styles[0](inner[0]) is styles[1](inner[1])
    assert styles[0](sections[0]) is not styles[1](sections[1])
    anchors = [style(section)["anchor"] for style, section in zip(styles, sections, strict=True)]
    assert anchors == ["one", "two"]
    other, _ = weasyprint_internals.font_configuration(())
    again = paginate(HTML(string=page.format("one")), other, [])
    tree = again.html.etree_element
    assert again.laid.context.style_for(tree.find("body/p")) is not styles[0](outer[0])


def test_a_line_of_text_is_split_once_whatever_the_line_height() -> None:
    """The fitting's second layout changes the line height, not the widths: Pango is not asked
    again where each line ends, and the lines are the same; another font size is asked anew."""
    from weasyprint import HTML
    from weasyprint.text import line_break

    _install()
    config, _ = weasyprint_internals.font_configuration(())
    text = "가나다 라마바 사아자 차카타 파하 " * 8
    page = "<p style='width: 40mm; font-size: {0}pt; line-height: {1}'>{2}</p>"
    asked: list[str] = []
    original = line_break.create_layout  # what split_first_line asks Pango through

    def counting(text: str, *rest: Any) -> Any:
        asked.append(text)
        return original(text, *rest)

    def lines(size: int, height: float) -> list[str]:
        laid = paginate(HTML(string=page.format(size, height, text)), config, [])
        document = laid.finish(1, laid.page_count)
        boxes = [b for p in weasyprint_internals.document_page_boxes(document) for b in _all(p)]
        return [box.text for box in boxes if type(box).__name__ == "TextBox"]

    line_break.create_layout = counting
    try:
        first = lines(10, 1.7)
        measured = len(asked)
        assert measured > 5
        assert lines(10, 1.6) == first
        assert len(asked) == measured  # every line answered from the first layout
        assert len(lines(14, 1.6)) > len(first)
        assert len(asked) > measured
    finally:
        line_break.create_layout = original


def _all(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _all(child)


def test_pages_of_documents_of_one_font_configuration_share_their_margin_styles() -> None:
    """A page's margin boxes' styles are computed once for the documents of one font
    configuration, as the elements' are; a page of another side, another style. The page's own
    style is its own: WeasyPrint writes the root's or the body's overflow into it."""
    from weasyprint import HTML

    _install()
    config, _ = weasyprint_internals.font_configuration(())
    page = (
        "<style>@page {{ @top-center {{ content: 'x' }} }} @page :left {{ margin-left: {0}mm }}"
        "body.clip {{ overflow: hidden }}</style>"
        "<body class='{1}'><p>가나</p><p style='break-before: page'>다라</p></body>"
    )

    def styles(margin: int, body: str = "") -> list[tuple[Any, Any]]:
        laid = paginate(HTML(string=page.format(margin, body)), config, [])
        style_for = laid.laid.context.style_for
        pages = [box.page_type for box in laid.laid.pages]
        return [(style_for(p), style_for(p, "@top-center")) for p in pages]

    first, second = styles(20), styles(20)
    assert all(a[1] is b[1] for a, b in zip(first, second, strict=True))
    assert first[0][1] is not first[1][1]  # a right-hand and a left-hand page
    assert first[0][0] is not second[0][0]
    clipped = styles(20, "clip")
    assert [page["overflow"] for page, _ in clipped] == ["hidden", "hidden"]
    assert [page["overflow"] for page, _ in first] == ["visible", "visible"]
