"""What one rule says about one subnet or target: a finding waiting for its check.

Pure data. A check's rule returns an `Outcome`; `CheckContext.report` turns it into a finding
with the check's id, severity, target and modes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.inventory import ReadError
from auditor.model import Evidence, Status


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    message: str
    resource_id: str | None = None
    remediation: str | None = None
    evidence: Evidence = field(default_factory=dict)
    error: ReadError | None = None  # the gap behind an `unknown`


def unknown(what: str, error: ReadError | None, resource_id: str | None = None) -> Outcome:
    """`unknown` because an input could not be read: names the gap and the missing permission."""
    reason = error.explain() if error else "the data was not read"
    evidence: Evidence = {}
    if error is not None:
        evidence = {"error_code": error.code, "operation": f"{error.service}:{error.operation}"}
        if error.denied and error.iam_action:
            evidence["missing_permission"] = error.iam_action
    return Outcome(
        Status.UNKNOWN, f"could not check {what}: {reason}", resource_id, None, evidence, error
    )
