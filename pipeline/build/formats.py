"""The writers behind `build`: each format's stage, imported only when something is built."""

from __future__ import annotations

from pathlib import Path

from pipeline.build.outcome import Output
from pipeline.config import Settings
from pipeline.font_faces import find_face, project_font_files
from pipeline.model import Report
from pipeline.output import write_text_atomically
from pipeline.preview import render_preview


def write_format(
    output_format: str, report: Report, settings: Settings, out_dir: Path, reuse: bool = True
) -> Output:
    """Write one format of a report; the PDF's page count comes back for the progress line.
    Here, in the process that parses, the PDF is laid out at once (one core)."""
    if output_format == "html":
        path = write_text_atomically(
            out_dir / f"{report.name}.html", render_preview(report, settings)
        )
        return Output(path)
    if output_format == "pdf":
        from pipeline.pdf import write as pdf  # WeasyPrint is imported when the PDF is rendered
        from pipeline.pdf.html import prepare_print

        job = prepare_print(report, settings)
        path, pages = pdf.write_pdf_pages(report, settings, out_dir, job, reuse=reuse)
        return Output(path, pages=pages)
    from pipeline.epub import write as epub

    return Output(epub.write_epub(report, settings, out_dir))


def count_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def font_files(settings: Settings) -> list[Path]:
    """Every font file the build may use: the user's fonts/ and each role's faces."""
    files = list(project_font_files(settings.fonts_dir))
    for family in settings.fonts.families().values():
        for bold in (False, True):
            face = find_face(family, settings.fonts_dir, bold=bold)
            if face is not None:
                files.append(face.path)
    return files
