"""Reading a saved JSON report back (render, diff, --baseline): bad input is one clear error."""

from __future__ import annotations

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
    return data
