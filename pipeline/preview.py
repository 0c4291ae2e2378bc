"""Report -> the single-file HTML preview (`invoke html`, `invoke watch --serve`): the quick
end-to-end look at a report, its styles inlined."""

from __future__ import annotations

from pipeline.config import Settings
from pipeline.model import Report
from pipeline.table_cells import prepare_page_tables
from pipeline.templates import environment


def render_preview(report: Report, settings: Settings) -> str:
    """A single-file HTML page of the report (styles inlined): the quick end-to-end preview."""
    css = (settings.styles_dir / "preview.css").read_text(encoding="utf-8")
    template = environment(settings).get_template("preview.html.j2")
    page = template.render(report=report, settings=settings, css=css)
    return prepare_page_tables(page)  # times kept whole, cells labelled (issue 25)
