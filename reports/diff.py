"""Changes between two reports of the same contract: what cron and change tickets want to know.

A regression is, for a DB instance present in both, a headline verdict that got worse
(ready -> unknown -> not_ready) or a blocking check that is new. DB instances that appear or
disappear are listed, not counted.
"""

from __future__ import annotations

from typing import Any

RANK = {"ready": 0, "unknown": 1, "not_ready": 2}


class BaselineError(ValueError):
    """Two reports that cannot be compared."""


def _key(t: dict[str, Any]) -> tuple[str, str, str]:
    return (t["account_id"], t["region"], t["db_instance_id"])


def _ref(key: tuple[str, str, str]) -> dict[str, str]:
    return {"account_id": key[0], "region": key[1], "db_instance_id": key[2]}


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The `changes` section: per DB instance, verdict changes and new/resolved blockers."""
    if old.get("schema_version") != new.get("schema_version"):
        raise BaselineError(
            f"the baseline has schema_version {old.get('schema_version')!r}, this report "
            f"{new.get('schema_version')!r}: compare reports of one schema version"
        )
    if old.get("worker_network") != new.get("worker_network"):
        raise BaselineError(
            f"the baseline judged the {old.get('worker_network')!r} worker mode, this report "
            f"{new.get('worker_network')!r}: rerun with "
            f"--worker-network {old.get('worker_network')}"
        )
    before = {_key(t): t for t in old.get("targets", [])}
    after = {_key(t): t for t in new.get("targets", [])}
    changed = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        new_blockers = sorted(set(b["blocking"]) - set(a["blocking"]))
        resolved = sorted(set(a["blocking"]) - set(b["blocking"]))
        modes = {
            m: {"before": a["modes"][m]["verdict"], "after": b["modes"][m]["verdict"]}
            for m in b["modes"]
            if m in a["modes"] and a["modes"][m]["verdict"] != b["modes"][m]["verdict"]
        }
        if not (new_blockers or resolved or modes or a["verdict"] != b["verdict"]):
            continue
        regression = RANK[b["verdict"]] > RANK[a["verdict"]] or bool(new_blockers)
        changed.append(
            {
                **_ref(key),
                "verdict": {"before": a["verdict"], "after": b["verdict"]},
                "modes": modes,
                "new_blockers": new_blockers,
                "resolved_blockers": resolved,
                "regression": regression,
            }
        )
    return {
        "baseline_generated_at": old.get("generated_at"),
        "regressions": sum(1 for c in changed if c["regression"]),
        "targets": changed,
        "added": [_ref(k) for k in sorted(after.keys() - before.keys())],
        "removed": [_ref(k) for k in sorted(before.keys() - after.keys())],
    }


def change_lines(changes: dict[str, Any]) -> list[str]:
    """The changes for a person at a terminal."""
    lines = [
        f"changes since {changes['baseline_generated_at']}: {changes['regressions']} regression(s)"
    ]
    for c in changes["targets"]:
        mark = "REGRESSION" if c["regression"] else "changed"
        verdict = f"{c['verdict']['before']} -> {c['verdict']['after']}"
        text = f"  {mark:<10} {c['region']:<14} {c['db_instance_id']}: {verdict}"
        if c["new_blockers"]:
            text += f"; new blockers {', '.join(c['new_blockers'])}"
        if c["resolved_blockers"]:
            text += f"; resolved {', '.join(c['resolved_blockers'])}"
        lines.append(text)
    lines += [f"  {'added':<10} {a['region']:<14} {a['db_instance_id']}" for a in changes["added"]]
    lines += [
        f"  {'removed':<10} {a['region']:<14} {a['db_instance_id']}" for a in changes["removed"]
    ]
    return lines
