"""What to fix first: each target's blocking findings in the headline mode, ordered by what
the fix unblocks, from the report alone (the JSON contract's dict).

A fix is its remediation (two checks that give the same command are one fix: a detached
gateway fails `vpc.internet-gateway` and `route.internet`, and re-attaching it fixes both).
Its weight is how many (DB instance, worker mode) pairs it blocks across the whole report, so
a fix shared by ten DB instances comes before one that unblocks a single mode of one. Failures
come before checks that could not run (those need a permission, not a fix); ties keep the
report's order. The HTML and Markdown "What to fix" and the terminal's "fix first" all read
this one order.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

TargetKey = tuple[str, str, str]


def fix_key(f: dict[str, Any]) -> tuple[str, ...]:
    """Findings with the same key are fixed by the same change."""
    what = f.get("remediation") or f"{f['check_id']} {f.get('resource_id') or f['message']}"
    return (f["account_id"], f["region"], str(what))


def blocking_findings(report: dict[str, Any]) -> dict[TargetKey, list[dict[str, Any]]]:
    """Target -> its blocker-severity findings that fail or could not run, in any mode (its
    own and the region-level ones that it lists), in report order."""
    by_target: dict[TargetKey, list[dict[str, Any]]] = {}
    by_unit: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in report["findings"]:
        if f["severity"] != "blocker" or f["status"] not in ("fail", "unknown"):
            continue
        if f["target"] is not None:
            by_target.setdefault((f["account_id"], f["region"], f["target"]), []).append(f)
        else:
            by_unit.setdefault((f["account_id"], f["region"]), []).append(f)
    out: dict[TargetKey, list[dict[str, Any]]] = {}
    for t in report["targets"]:
        key = (t["account_id"], t["region"], t["db_instance_id"])
        listed = {
            c
            for mv in t["modes"].values()
            for c in (mv.get("blocking") or []) + (mv.get("unknown") or [])
        }
        region_level = [f for f in by_unit.get(key[:2], []) if f["check_id"] in listed]
        out[key] = by_target.get(key, []) + region_level
    return out


def what_to_fix(report: dict[str, Any]) -> dict[TargetKey, list[dict[str, Any]]]:
    """Target -> its findings in the headline mode, first the one that unblocks the most."""
    headline = report["worker_network"]
    found = blocking_findings(report)
    modes_of = {
        (t["account_id"], t["region"], t["db_instance_id"]): t["modes"] for t in report["targets"]
    }
    weight: Counter[tuple[str, ...]] = Counter()
    for key, findings in found.items():
        for f in findings:
            weight[fix_key(f)] += sum(
                1
                for m in f["modes"]
                if f["check_id"] in ((modes_of[key].get(m) or {}).get("blocking") or [])
            )
    out = {}
    for key, findings in found.items():
        mv = modes_of[key].get(headline) or {}
        listed = set((mv.get("blocking") or []) + (mv.get("unknown") or []))
        shown = [
            f
            for f in findings
            if headline in f["modes"] and (f["target"] is not None or f["check_id"] in listed)
        ]
        out[key] = sorted(
            shown, key=lambda f: (f["status"] != "fail", -weight[fix_key(f)])
        )  # stable: ties keep the report's order
    return out


def steps(findings: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int | None]]:
    """Each finding with the step number (1-based) of an earlier finding that gives the same
    fix, or None: the report then says "fixed by step N" instead of a second command."""
    first: dict[tuple[str, ...], int] = {}
    out: list[tuple[dict[str, Any], int | None]] = []
    for number, f in enumerate(findings, 1):
        key = fix_key(f)
        same = first.get(key) if f.get("remediation") else None
        first.setdefault(key, number)
        out.append((f, same))
    return out
