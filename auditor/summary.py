"""The compact terminal summary printed after an audit (stdout; nothing with --quiet)."""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from auditor.fix_order import what_to_fix
from auditor.model import ALL_MODES, accounts_label, searched, shown_headline

LABEL = {"ready": "READY", "not_ready": "NOT READY", "unknown": "UNKNOWN"}
SHORT = {"ready": "ready", "not_ready": "not ready", "unknown": "unknown"}


def first_fix(ordered: list[dict[str, Any]], width: int = 110) -> str:
    """The target's first failing finding in fix order (auditor.fix_order), as one short line."""
    f = next((f for f in ordered if f["status"] == "fail"), None)
    if f is None:
        return ""
    text = f"{f['check_id']}: {' '.join(str(f['message']).split())}"
    return text if len(text) <= width else text[: width - 1] + "…"


INDENT = " " * 13
NOT_A_TERMINAL = 100  # columns when the width cannot be read (a pipe, cron's mail)


def fit(lines: list[str], columns: int) -> list[str]:
    """Each line wrapped to ``columns`` (continuations indented); ids, ARNs and paths are never
    broken inside."""
    out: list[str] = []
    for block in lines:
        for raw in block.split("\n"):
            line = raw.rstrip()
            if len(line) <= columns or line.startswith("report: "):  # a path stays whole
                out.append(line)
                continue
            if " | " in line and not line.startswith(" "):  # the header: break between fields
                out += _fields(line, columns)
                continue
            indent = INDENT if line.startswith("  ") else "  "
            out += textwrap.wrap(
                line,
                columns,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
    return out


def _fields(line: str, columns: int) -> list[str]:
    """A ` | `-separated header in lines of whole fields (each wrapped if alone too long)."""
    rows: list[str] = []
    for field in line.split(" | "):
        if rows and len(rows[-1]) + 3 + len(field) <= columns:
            rows[-1] += " | " + field
        else:
            rows.append(field if not rows else "  " + field)
    return rows


def summary_lines(
    report: dict[str, Any], paths: list[Path], columns: int | None = None
) -> list[str]:
    """Lines for a person at a terminal, from the JSON contract's dict, fitted to the
    terminal's width (`COLUMNS`, else the terminal's, else 100)."""
    width_now = columns or shutil.get_terminal_size((NOT_A_TERMINAL, 24)).columns
    return fit(_lines(report, paths, max(40, width_now - 24)), max(40, width_now))


def headline_line(report: dict[str, Any]) -> str:
    """The first line: the report's one verdict (auditor.model.shown_headline) in words."""
    c, mode = report["summary"], report["worker_network"]
    verdict = shown_headline(report)
    if verdict == "none":
        return f"NO DB INSTANCES to back up in {searched(report)}"
    counted = f"{c['ready']} of {c['targets']} DB instance(s) ready in the {mode} worker mode"
    if verdict == "not_ready":
        return f"NOT READY: {counted}; {c['not_ready']} not ready"
    if verdict == "unknown":
        return f"UNKNOWN: {counted}; the audit is incomplete (see below)"
    return f"READY: {counted}"


def _lines(report: dict[str, Any], paths: list[Path], fix_width: int) -> list[str]:
    headline = report["worker_network"]
    lines = [
        headline_line(report),
        f"preflight {report['tool']['version']} | {accounts_label(report)} | "
        f"{', '.join(report['regions'])} | worker network: {headline}",
    ]
    if replayed := report.get("replayed"):
        lines.append(f"read at {replayed['read_at']}, replayed at {replayed['replayed_at']}")
    width = max((len(t["db_instance_id"]) for t in report["targets"]), default=0)
    engine_width = max(
        (len(f"{t['engine']} {t['engine_version']}") for t in report["targets"]), default=0
    )
    order = what_to_fix(report)
    for t in report["targets"]:
        other = ", ".join(
            f"{m}: {SHORT[t['modes'][m]['verdict']]}" for m in map(str, ALL_MODES) if m != headline
        )
        line = (
            f"  {LABEL[t['verdict']]:<9}  {t['region']:<14} {t['db_instance_id']:<{width}}  "
            f"{t['engine'] + ' ' + t['engine_version']:<{engine_width}}"
        )
        # The other modes beside it when they fit, else on the next line.
        line += (
            f"  [{other}]"
            if len(line) + len(other) + 4 <= fix_width + 24
            else (f"\n{INDENT}[{other}]")
        )
        if t["blocking"]:
            line += f"\n             blocking: {', '.join(t['blocking'])}"
            first = first_fix(order[(t["account_id"], t["region"], t["db_instance_id"])], fix_width)
            if first:
                line += f"\n             fix first: {first}"
        if t["unknown"]:
            line += f"\n             could not check: {', '.join(t['unknown'])}"
        lines.append(line)
    for s in report["skipped"]:
        lines.append(f"  {'skipped':<9}  {s['region']:<14} {s['db_instance_id']}: {s['reason']}")
    for name in report["not_found"]:
        lines.append(f"  {'NOT FOUND':<9}  --db-instance {name} is in no audited region")
    for unit in report["units"]:
        if unit["status"] != "audited":
            lines.append(
                f"  {'UNKNOWN':<9}  {unit['region']:<14} region not audited: {unit['reason']}"
            )
    config = report.get("worker_configuration") or {}
    if config.get("subnet_ids") or config.get("security_group_ids"):
        lines.append(
            "worker configuration: "
            f"subnets {', '.join(config.get('subnet_ids') or ['(any)'])}; "
            f"security groups {', '.join(config.get('security_group_ids') or ['(not given)'])}"
        )
    counts = report["summary"]
    lines.append(
        f"{counts['targets']} target(s): {counts['ready']} ready, {counts['not_ready']} not ready, "
        f"{counts['unknown']} unknown; {counts['skipped']} skipped; "
        f"{len(report['errors'])} read error(s)"
    )
    failed = Counter(
        (e.get("iam_action") or f"{e['service']}:{e['operation']}", e["code"])
        for e in report["errors"]
    )
    if failed:
        listed = ", ".join(
            f"{action} ({code}{f', {n} times' if n > 1 else ''})"
            for (action, code), n in sorted(failed.items())
        )
        lines.append(f"failed reads: {listed}")
    lines += [f"report: {p}" for p in paths]
    return lines
