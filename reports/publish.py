"""The one publishing path of audit, demo, merge and render: redact -> compare with the
baseline -> render -> atomic write -> prune -> summary lines. One error mapping: a directory or
file that cannot be written is one line and exit 2 (PreflightError), whichever command wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.errors import PreflightError
from auditor.summary import summary_lines
from reports.diff import BaselineError, change_lines, compare
from reports.files import prune, report_stem, report_who, write_atomic, write_reports
from reports.formats import FORMATS
from reports.redact import redact as redact_report
from reports.render import render, render_chunks


@dataclass
class Published:
    report: dict[str, Any]
    paths: list[Path]
    removed: list[Path] = field(default_factory=list)  # pruned by --keep
    lines: list[str] = field(default_factory=list)  # the terminal summary


def looks_redacted(report: dict[str, Any]) -> bool:
    return any(str(a.get("account_id", "")).startswith("acct-") for a in report.get("accounts", []))


def prepare(
    report: dict[str, Any], redact: bool = False, baseline: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The report as it will be written: redacted (also when the baseline is), with `changes`."""
    if redact or (baseline is not None and looks_redacted(baseline)):
        report = redact_report(report)
    if baseline is not None:
        try:
            report = {**report, "changes": compare(baseline, report)}
        except BaselineError as exc:
            raise PreflightError(str(exc)) from None
    return report


def publish(
    report: dict[str, Any],
    formats: tuple[str, ...] | list[str],
    output_dir: Path,
    when: datetime,
    *,
    redact: bool = False,
    baseline: dict[str, Any] | None = None,
    keep: int | None = None,
) -> Published:
    """Write the report in every format (timestamped and latest.*), atomically."""
    report = prepare(report, redact, baseline)
    accounts = [str(a["account_id"]) for a in report["accounts"]]  # redacted with the report
    views: dict[str, Any] = {}  # derived once for every format of this report
    outputs = {FORMATS[fmt]: render_chunks(report, fmt, views) for fmt in dict.fromkeys(formats)}
    try:
        paths = write_reports(outputs, output_dir, report_stem(accounts, when))
        removed = prune(output_dir, keep, report_who(accounts)) if keep is not None else []
    except OSError as exc:
        raise PreflightError(
            f"cannot write reports to {output_dir}: {exc.strerror or exc}"
        ) from None
    lines = summary_lines(report, paths)
    if baseline is not None:
        lines += change_lines(report["changes"])
    return Published(report, paths, removed, lines)


def publish_one(report: dict[str, Any], fmt: str, output: Path, redact: bool = False) -> Path:
    """One rendering to one file (`render -o`), with the same error mapping."""
    text = render(prepare(report, redact), fmt)
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise PreflightError(f"cannot write {output}: {exc.strerror or exc}") from None
    return output
