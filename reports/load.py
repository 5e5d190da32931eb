"""Reading a saved JSON report back (render, diff, --baseline): bad input is one clear error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from auditor import strict_json
from auditor.errors import PreflightError
from auditor.input_files import read_input
from auditor.model import SCHEMA_VERSION

REQUIRED = ("schema_version", "worker_network", "targets", "findings", "summary")


def load_report(path: Path, what: str = "report") -> dict[str, Any]:
    text = read_input(path, f"the {what}", "give a preflight JSON report")
    try:
        data = strict_json.loads(text)
    except strict_json.StrictJsonError as exc:
        raise PreflightError(
            f"the {what} {path} {exc.as_predicate()}: give a preflight JSON report"
        ) from None
    if not isinstance(data, dict) or any(k not in data for k in REQUIRED):
        raise PreflightError(f"the {what} {path} is not a preflight JSON report")
    verdicts = {"ready", "not_ready", "unknown"}
    targets = data["targets"]
    if not isinstance(targets, list) or not all(
        isinstance(t, dict)
        and t.get("verdict") in verdicts
        and isinstance(t.get("modes"), dict)
        and all(isinstance(m, dict) and m.get("verdict") in verdicts for m in t["modes"].values())
        for t in targets
    ):
        raise PreflightError(
            f"the {what} {path} has a target whose verdict is none of ready, not_ready, unknown"
        )
    if data["schema_version"] != SCHEMA_VERSION:
        raise PreflightError(
            f"the {what} {path} has schema_version {data['schema_version']!r}; this preflight "
            f"reads {SCHEMA_VERSION}"
        )
    problem = shape_problem(data, SHAPE, "")
    if problem is not None:
        raise PreflightError(f"the {what} {path} is not a preflight JSON report: {problem}")
    logging.getLogger(__name__).info(
        "read the %s %s: %d target(s), %d finding(s)",
        what,
        path,
        len(data["targets"]),
        len(data["findings"]),
    )
    return data


# What render, diff, merge and --baseline read of a report, by type (docs/json-report.md):
# a report that is JSON but has another shape is one line, never an internal error.
STR, INT, OPT_STR, STRS = str, int, (str, type(None)), [str]
FINDING = {
    "check_id": STR, "status": STR, "severity": STR, "modes": STRS, "account_id": STR,
    "region": STR, "target": OPT_STR, "resource_id": OPT_STR, "message": STR,
    "remediation": OPT_STR, "evidence": dict,
}  # fmt: skip
TARGET = {
    "account_id": STR, "region": STR, "db_instance_id": STR, "engine": STR,
    "engine_version": STR, "verdict": STR, "blocking": STRS, "unknown": STRS, "modes": dict,
}  # fmt: skip
SHAPE: dict[str, Any] = {
    "worker_network": STR,
    "regions": STRS,
    "summary": {"targets": INT, "ready": INT, "not_ready": INT, "unknown": INT, "skipped": INT},
    "accounts": [{"account_id": STR, "status": STR}],
    "units": [{"account_id": STR, "region": STR, "status": STR}],
    "targets": [TARGET],
    "findings": [FINDING],
    "skipped": [{"account_id": STR, "region": STR, "db_instance_id": STR, "reason": STR}],
    "errors": [dict],
    "not_found": STRS,
    "api_calls": dict,
}


def shape_problem(value: Any, shape: Any, where: str) -> str | None:
    """The first place where ``value`` is not of ``shape`` (a type, a tuple of types, a
    one-item list for a list of that shape, a dict of required keys), as "findings[3].target
    must be a string or null"; None when it fits."""
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where or 'the report'} must be a list"
        for i, item in enumerate(value):
            if (found := shape_problem(item, shape[0], f"{where}[{i}]")) is not None:
                return found
        return None
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where or 'the report'} must be an object"
        for key, inner in shape.items():
            name = f"{where}.{key}" if where else key
            if key not in value:
                return f"{name} is missing"
            if (found := shape_problem(value[key], inner, name)) is not None:
                return found
        return None
    kinds = shape if isinstance(shape, tuple) else (shape,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if ok:
        return None
    names = {str: "a string", int: "a number", dict: "an object", type(None): "null"}
    return f"{where} must be {' or '.join(names.get(k, k.__name__) for k in kinds)}"
