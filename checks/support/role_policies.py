"""A role's policies as the evaluator takes them: its identity policies (inline and attached
managed) and its permissions boundary. One definition for every role check."""

from __future__ import annotations

from auditor.inventory import IamRole
from auditor.policy import Policy


def identity_of(role: IamRole) -> tuple[list[Policy], Policy | None]:
    """(identity policies, boundary or None); policies not read count as none here — callers
    check ``role.policies`` first."""
    identity = [Policy(f"{p.kind} policy {p.name}", p.document) for p in role.policies or []]
    boundary = (
        Policy(f"permissions boundary {role.boundary.name}", role.boundary.document)
        if role.boundary
        else None
    )
    return identity, boundary
