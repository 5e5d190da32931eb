"""`preflight merge`: shard reports (one per --shard i/n) joined into one report.

Each (account, region) unit must appear in one shard only; the lists are merged and sorted as
one run would sort them, counts recomputed, request counts summed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor.model import error_order, finding_order, instance_order, report_checks, summary


class MergeError(ValueError):
    pass


def merge(reports: list[dict[str, Any]], allow_partial: bool = False) -> dict[str, Any]:
    if not reports:
        raise MergeError("nothing to merge")
    missing_shards = _missing_shards(reports)
    if missing_shards and not allow_partial:
        raise MergeError(
            f"shard(s) {', '.join(missing_shards)} missing: merge every shard, or pass "
            "--allow-partial (the report then says so)"
        )
    first = reports[0]
    for r in reports[1:]:
        for field in ("schema_version", "worker_network"):
            if r.get(field) != first.get(field):
                raise MergeError(
                    f"the reports differ in {field} ({first.get(field)!r} and {r.get(field)!r})"
                )
    seen: dict[tuple[str, str], int] = {}
    for index, r in enumerate(reports):
        for u in r["units"]:
            key = (u["account_id"], u["region"])
            if key in seen:
                raise MergeError(
                    f"unit {key[0]} {key[1]} is in report {seen[key] + 1} and report {index + 1}: "
                    "merge the shards of one run (--shard i/n), each once"
                )
            seen[key] = index
    accounts: dict[str, dict[str, Any]] = {}
    for r in reports:
        for a in r["accounts"]:
            kept = accounts.get(a["account_id"])
            if kept is None or (kept["status"] != "audited" and a["status"] == "audited"):
                accounts[a["account_id"]] = a
    targets = sorted((t for r in reports for t in r["targets"]), key=instance_order)
    skipped = sorted((s for r in reports for s in r["skipped"]), key=instance_order)
    findings = sorted((f for r in reports for f in r["findings"]), key=finding_order)
    errors = sorted((e for r in reports for e in r["errors"]), key=error_order)
    not_found = set(first.get("not_found", []))
    for r in reports[1:]:
        not_found &= set(r.get("not_found", []))
    calls: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    for r in reports:
        calls.update(r.get("api_calls", {}))
        retries.update(r.get("api_retries", {}))
    ids = sorted(accounts)
    single = accounts[ids[0]] if len(ids) == 1 else None
    merged = {
        **first,
        "generated_at": max(r["generated_at"] for r in reports),
        "duration_s": max(r["duration_s"] for r in reports),
        "account_id": single["account_id"] if single else None,
        "caller_arn": single["caller_arn"] if single else None,
        "accounts": [accounts[i] for i in ids],
        "regions": sorted({reg for r in reports for reg in r["regions"]}),
        "units": sorted(
            (u for r in reports for u in r["units"]), key=lambda u: (u["account_id"], u["region"])
        ),
        "targets": targets,
        "skipped": skipped,
        "not_found": sorted(not_found),
        "findings": findings,
        "checks": report_checks([c for r in reports for c in r.get("checks", [])]),
        "errors": errors,
        "api_calls": dict(sorted(calls.items())),
        "api_retries": dict(sorted(retries.items())),
    }
    merged.pop("changes", None)
    merged["shard"] = None
    if missing_shards:
        merged["missing_shards"] = missing_shards  # --allow-partial: the audit is incomplete
    merged["summary"] = summary(targets, skipped, ids)
    return merged


def _missing_shards(reports: list[dict[str, Any]]) -> list[str]:
    """The `i/n` shards of the --shard split that no report holds ([] without a split)."""
    shards = [r.get("shard") for r in reports]
    if not any(shards):
        return []
    counts = {s["count"] for s in shards if isinstance(s, dict)}
    if len(counts) != 1 or None in shards:
        raise MergeError("the reports come from different --shard splits (or some from none)")
    total = counts.pop()
    have = {s["index"] for s in shards if isinstance(s, dict)}
    return [f"{i}/{total}" for i in range(total) if i not in have]
