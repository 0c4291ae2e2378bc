"""`invoke check`'s verdict: per report, the findings of the built files (pipeline.commands.check)
and the notes' own warnings, counted into `ok` or `FAILED`."""

from __future__ import annotations

from pathlib import Path

from pipeline.commands import check
from pipeline.commands.build import settings_for
from pipeline.commands.outline import read_with_warnings
from pipeline.commands.run import Failed, say
from pipeline.diagnostics import summary
from pipeline.read.notes import discover_reports


def check_reports(
    notes: str | None = None,
    out: str | None = None,
    strict: bool = False,
    allow_warnings: bool = False,
) -> None:
    """Check the built files of every report at ``notes``: a line per report with its verdict
    and counts, then every finding; any report failed is a failed verdict."""
    settings = settings_for(strict=strict)
    out_dir = Path(out) if out else settings.out
    failed = 0
    for path in discover_reports(Path(notes) if notes else settings.content):
        report, warnings = read_with_warnings(path)
        findings = check.check_outputs(report, out_dir, settings.override(report.settings))
        errors = [f for f in findings if f.severity == "error" or settings.strict]
        refused = () if allow_warnings else warnings  # the notes' warnings fail the check
        failed += bool(errors or refused)
        verdict = "FAILED" if errors or refused else "ok"
        passed = len(findings) - len(errors) + len(warnings) - len(refused)
        say(f"{report.name}: {verdict} ({len(errors) + len(refused)} errors, {passed} warnings)")
        for finding in findings:
            say(f"  {finding}")
        for message in warnings:
            say(f"  {'error' if refused else 'warning'}: {message}")
        if refused:
            say(f"  the notes had {summary(warnings, path)}; --allow-warnings lets them pass")
    if failed:
        raise Failed(f"{failed} report(s) failed the check")
