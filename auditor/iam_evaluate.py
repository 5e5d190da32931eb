"""`preflight iam evaluate`: the policy evaluator as a tool for the admin who edits a role before
the change window. Reads policy files and a request description, answers one decision per
(action, resource). Pure but for reading the files; bad input is a PreflightError (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from auditor import strict_json
from auditor.errors import PreflightError
from auditor.input_files import read_input
from auditor.policy import (
    NOT_EVALUATED,
    Context,
    Policy,
    PolicyError,
    Principal,
    Request,
    Verdict,
    evaluate,
)
from auditor.policy_conditions import parse_date, parse_number

MAX_POLICY_BYTES = 1_000_000  # IAM's largest documents are ~10 KB; anything far bigger is not one

# Keys AWS types (IAM UG, global condition context keys): a value of the wrong type is refused.
TYPED_KEYS = {
    "aws:sourceip": "ip",
    "aws:vpcsourceip": "ip",
    "aws:currenttime": "date",
    "aws:epochtime": "date",
    "aws:tokenissuetime": "date",
    "aws:securetransport": "bool",
    "aws:multifactorauthpresent": "bool",
    "aws:viaawsservice": "bool",
    "aws:principalisawsservice": "bool",
    "aws:multifactorauthage": "number",
    "s3:max-keys": "number",
    "aws:sourcearn": "arn",
    "aws:principalarn": "arn",
}
# Actions whose resource policy must allow even in the same account.
RESOURCE_POLICY_REQUIRED = ("sts:assumerole", "kms:")


@dataclass(frozen=True)
class Decision:
    action: str
    resource: str
    verdict: Verdict

    @property
    def word(self) -> str:
        return {
            "allowed": "ALLOWED",
            "explicitDeny": "DENIED",
            "implicitDeny": "DENIED",
            "unknown": "UNKNOWN",
        }[self.verdict.decision]

    def line(self) -> str:
        v = self.verdict
        if v.decision == "allowed":
            why = "by " + ", ".join(str(s) for s in v.deciding)
        elif v.decision == "explicitDeny":
            why = "explicit Deny in " + ", ".join(str(s) for s in v.deciding)
        elif v.decision == "implicitDeny":
            why = f"implicit deny: {v.reason}"
        else:
            why = f"{v.reason}: " + "; ".join(v.unknowns) if v.unknowns else v.reason
        return f"{self.word:<8} {self.action}  {self.resource}  {why}"

    def to_dict(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "action": self.action,
            "resource": self.resource,
            "decision": v.decision,
            "deciding": [str(s) for s in v.deciding],
            "reason": v.reason,
            "unknowns": list(v.unknowns),
            "delegated_to": v.delegated_to,
        }


def load_policy(path: Path, what: str) -> Policy:
    """A policy file, or one line naming the file and what is wrong (and where)."""
    text = read_input(path, f"the {what}", "give an IAM policy document", MAX_POLICY_BYTES)
    try:
        document = strict_json.loads(text)
    except strict_json.StrictJsonError as exc:
        raise PreflightError(f"the {what} {path} {exc.as_predicate()}") from None
    if not isinstance(document, dict):
        raise PreflightError(f"the {what} {path} is not a policy: give a JSON object")
    policy = Policy(f"{path.name}", document)
    try:
        _ = policy.compiled  # grammar errors now, with their JSON path
    except PolicyError as exc:
        raise PreflightError(f"the {what} {path}: {exc}") from None
    return policy


def parse_context(items: Iterable[str], absent: Iterable[str]) -> Context:
    """`key=value` pairs (a key given twice has two values), typed where AWS types the key."""
    values: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise PreflightError(f"--context {item!r}: give key=value, e.g. aws:SourceIp=10.0.0.1")
        kind = TYPED_KEYS.get(key.lower())
        if kind is not None and not _typed(kind, value):
            raise PreflightError(f"--context {item!r}: {key} takes {_KIND_TEXT[kind]}")
        values.setdefault(key, []).append(value)
    clash = sorted(set(values) & set(absent))
    if clash:
        raise PreflightError(f"--absent {clash[0]} is also given a value with --context")
    return Context(values, frozenset(absent))


_KIND_TEXT = {
    "ip": "an IP address (203.0.113.7 or 2001:db8::1)",
    "date": "a date (2026-12-01T12:00:00Z) or epoch seconds",
    "bool": "true or false",
    "number": "a number",
    "arn": "an ARN (arn:partition:service:region:account:resource)",
}


def _typed(kind: str, value: str) -> bool:
    if kind == "ip":
        try:
            ip_address(value)
        except ValueError:
            return False
        return True
    if kind == "date":
        return parse_date(value) is not None
    if kind == "bool":
        return value.lower() in ("true", "false")
    if kind == "number":
        return parse_number(value) is not None
    return value.startswith("arn:") and value.count(":") >= 5


def parse_principal(text: str | None) -> Principal | None:
    if text is None:
        return None
    if text.endswith(".amazonaws.com") and ":" not in text:
        return Principal("Service", text)
    if (text.isdigit() and len(text) == 12) or (text.startswith("arn:") and text.count(":") >= 5):
        return Principal("AWS", text)
    raise PreflightError(
        f"--principal {text!r}: give a principal ARN (arn:aws:iam::123456789012:role/name, "
        "arn:aws:sts::123456789012:assumed-role/name/session) or a service (rds.amazonaws.com)"
    )


def resource_account_of(resource: str, given: str | None, principal: Principal | None) -> str:
    """The account that owns the resource: given, else in its ARN, else the caller's."""
    if given:
        return given
    parts = resource.split(":")
    if len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    return (principal.account if principal else None) or ""


def decide(
    identity: list[Policy] | None,
    boundary: Policy | None,
    resource_policy: Policy | None,
    principal: Principal | None,
    actions: list[str],
    resources: list[str],
    context: Context,
    resource_account: str | None = None,
) -> list[Decision]:
    if resource_policy is not None and principal is None:
        raise PreflightError("--resource-policy needs --principal (whom the policy must name)")
    out = []
    for action in actions:
        for resource in resources:
            request = Request(action, resource, principal, context)
            required = action.lower().startswith(RESOURCE_POLICY_REQUIRED)
            verdict = evaluate(
                request,
                identity,
                boundary,
                resource_policy,
                resource_account_of(resource, resource_account, principal) or None,
                resource_element=not action.lower().startswith("sts:assumerole"),
                resource_policy_required=required,
            )
            out.append(Decision(action, resource, verdict))
    return out


def exit_code(decisions: list[Decision]) -> int:
    """0 all allowed; 1 any denied (wins); 3 any unknown."""
    kinds = {d.verdict.decision for d in decisions}
    if kinds & {"explicitDeny", "implicitDeny"}:
        return 1
    return 3 if "unknown" in kinds else 0


def report(decisions: list[Decision], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {"decisions": [d.to_dict() for d in decisions], "not_evaluated": NOT_EVALUATED},
            indent=2,
        )
    lines = [d.line() for d in decisions]
    if any(d.verdict.allowed for d in decisions):
        lines.append(f"note: {NOT_EVALUATED}; they can still deny what is ALLOWED here")
    return "\n".join(lines)
