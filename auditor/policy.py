"""IAM policy evaluation, written from AWS's documented logic (pure; no AWS calls).

Sources (IAM User Guide): "Policy evaluation logic" (explicit deny wins; an allow is required;
identity policies intersected with a permissions boundary), "IAM JSON policy elements"
(Action/NotAction, Resource/NotResource, Principal/NotPrincipal, Condition), "Condition
operators" (a key absent from the request context fails a positive operator and satisfies a
negated one; ...IfExists and Null test presence), "Conditions with multiple context keys or
values" (operators AND, keys AND, values OR, negated values NOR; ForAnyValue/ForAllValues).

Three-valued: what cannot be decided locally — an operator this module does not implement, a
condition key whose presence in the request is not known, a policy variable — is `unknown`,
naming the operator or key. Unknown is never turned into allowed.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any


class Tri(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


def and3(*values: Tri) -> Tri:
    if Tri.NO in values:
        return Tri.NO
    return Tri.MAYBE if Tri.MAYBE in values else Tri.YES


def or3(values: Iterable[Tri]) -> Tri:
    seen = list(values)
    if Tri.YES in seen:
        return Tri.YES
    return Tri.MAYBE if Tri.MAYBE in seen else Tri.NO


def not3(value: Tri) -> Tri:
    return {Tri.YES: Tri.NO, Tri.NO: Tri.YES, Tri.MAYBE: Tri.MAYBE}[value]


class PolicyError(ValueError):
    """A policy document that is not valid JSON policy grammar."""


# --- documents ---------------------------------------------------------------------------------


def parse_document(document: Any) -> dict[str, Any]:
    """A policy as a dict, from a dict, a JSON string or a URL-encoded JSON string (as IAM's
    query API returns them)."""
    if isinstance(document, dict):
        return document
    if not isinstance(document, str):
        raise PolicyError(f"a policy document is a JSON object, not {type(document).__name__}")
    text = document.strip()
    if not text.startswith("{"):
        text = urllib.parse.unquote(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"not JSON: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise PolicyError("a policy document is a JSON object")
    return parsed


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(s, dict) for s in items):
        raise PolicyError("every Statement is a JSON object")
    return items


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- matching ----------------------------------------------------------------------------------


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run, also empty) and `?` (one character) matching."""
    return _glob(pattern, ignore_case).match(value) is not None


VARIABLE = re.compile(r"\$\{([^}]*)\}")


def action_matches(patterns: list[Any], action: str) -> bool:
    """Actions compare case-insensitively (`s3:getobject` is `s3:GetObject`)."""
    return any(isinstance(p, str) and wildcard_match(p, action, ignore_case=True) for p in patterns)


def resource_matches(patterns: list[Any], resource: str, unknowns: list[str]) -> Tri:
    """ARNs compare case-sensitively; a policy variable cannot be resolved here (unknown)."""
    verdicts = []
    for p in patterns:
        if not isinstance(p, str):
            continue
        if VARIABLE.search(p):
            if wildcard_match(VARIABLE.sub("*", p), resource):
                unknowns.append(f"policy variable {VARIABLE.search(p).group(0)}")  # type: ignore[union-attr]
                verdicts.append(Tri.MAYBE)
            continue
        verdicts.append(Tri.YES if wildcard_match(p, resource) else Tri.NO)
    return or3(verdicts)


@dataclass(frozen=True)
class Principal:
    """Who makes the request: ("Service", "rds.amazonaws.com") or ("AWS", a principal ARN)."""

    kind: str
    id: str

    @property
    def account(self) -> str | None:
        parts = self.id.split(":")
        return parts[4] if self.kind == "AWS" and len(parts) > 4 else None


def principal_matches(element: Any, who: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, values in element.items():
        if kind != who.kind:
            continue
        for value in as_list(values):
            if not isinstance(value, str):
                continue
            if value == "*" or value == who.id:
                return True
            if kind == "AWS":
                account = value if value.isdigit() else None
                if value.endswith(":root"):
                    account = value.split(":")[4]
                if account is not None and account == who.account:
                    return True
    return False


# --- conditions --------------------------------------------------------------------------------

STRING_OPS = {
    "StringEquals": (False, False, False),  # (negated, ignore case, wildcards)
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, True, False),
    "StringNotEqualsIgnoreCase": (True, True, False),
    "StringLike": (False, False, True),
    "StringNotLike": (True, False, True),
    "ArnEquals": (False, False, True),
    "ArnLike": (False, False, True),
    "ArnNotEquals": (True, False, True),
    "ArnNotLike": (True, False, True),
}
SUPPORTED_OPS = frozenset({*STRING_OPS, "Bool", "Null"})


@dataclass
class Context:
    """Condition keys of a request. Keys in ``values`` are present; keys in ``absent`` are
    known to be missing; any other key is unknown to local evaluation."""

    values: dict[str, list[str]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.values = {k.lower(): v for k, v in self.values.items()}
        self.absent = frozenset(k.lower() for k in self.absent)

    def lookup(self, key: str) -> list[str] | Tri | None:
        """The values; None if known absent; Tri.MAYBE if not known."""
        k = key.lower()
        if k in self.values:
            return self.values[k]
        if k in self.absent:
            return None
        return Tri.MAYBE


def _value_matches(op: str, policy_value: str, value: str) -> bool:
    _, ignore_case, wildcards = STRING_OPS[op]
    if op.startswith("Arn"):
        return _arn_like(policy_value, value)
    if wildcards:
        return wildcard_match(policy_value, value)
    return policy_value.lower() == value.lower() if ignore_case else policy_value == value


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike compares each of the six colon-separated parts with wildcards."""
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) != len(a):
        return len(p) < 6 and wildcard_match(pattern, arn)  # e.g. "*"
    return all(wildcard_match(x, y) for x, y in zip(p, a, strict=True))


def condition_holds(block: Any, ctx: Context, unknowns: list[str]) -> Tri:
    """A Condition element: operators AND, keys AND, values OR (NOR when negated)."""
    if not block:
        return Tri.YES
    if not isinstance(block, dict):
        raise PolicyError("Condition is a JSON object")
    results = []
    for raw_op, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"condition operator {raw_op} takes an object of keys")
        qualifier, _, op = raw_op.rpartition(":")
        if_exists = op.endswith("IfExists")
        base = op[: -len("IfExists")] if if_exists else op
        if base not in SUPPORTED_OPS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
            unknowns.append(f"condition operator {raw_op}")
            results.append(Tri.MAYBE)
            continue
        for key, policy_values in keys.items():
            results.append(
                _key_holds(
                    qualifier,
                    base,
                    if_exists,
                    key,
                    [str(v) for v in as_list(policy_values)],
                    ctx,
                    unknowns,
                )
            )
    return and3(*results)


def _key_holds(
    qualifier: str,
    op: str,
    if_exists: bool,
    key: str,
    wanted: list[str],
    ctx: Context,
    unknowns: list[str],
) -> Tri:
    found = ctx.lookup(key)
    if found is Tri.MAYBE:
        unknowns.append(f"condition key {key} (its value in the request is not known)")
        return Tri.MAYBE
    present = found is not None
    if op == "Null":
        expect_missing = [w.lower() == "true" for w in wanted]
        return Tri.YES if (not present) in expect_missing else Tri.NO
    values: list[str] = found if isinstance(found, list) else []
    if qualifier == "ForAllValues":
        if not values:
            return Tri.YES  # vacuously true: a missing key or an empty set
        return Tri.YES if all(_one(op, wanted, v) for v in values) else Tri.NO
    if qualifier == "ForAnyValue":
        return Tri.YES if any(_one(op, wanted, v) for v in values) else Tri.NO
    if not present:
        if if_exists:
            return Tri.YES
        negated = op in STRING_OPS and STRING_OPS[op][0]
        return Tri.YES if negated else Tri.NO
    return Tri.YES if any(_one(op, wanted, v) for v in values) else Tri.NO


def _one(op: str, wanted: list[str], value: str) -> bool:
    """One request value against the policy values (OR; NOR for a negated operator)."""
    if op == "Bool":
        return any(w.lower() == value.lower() for w in wanted)
    negated = STRING_OPS[op][0]
    positive = {
        "StringNotEquals": "StringEquals",
        "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
        "StringNotLike": "StringLike",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
    }.get(op, op)
    hit = any(_value_matches(positive, w, value) for w in wanted)
    return not hit if negated else hit


# --- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    action: str
    resource: str | None = None  # None: the policy's Resource element is not consulted (trust)
    principal: Principal | None = None  # for resource-based (trust) policies
    context: Context = field(default_factory=Context)


@dataclass(frozen=True)
class Policy:
    name: str  # how a person finds it: inline name, managed policy ARN, "trust policy"
    document: Any


@dataclass(frozen=True)
class StatementRef:
    policy: str
    index: int
    sid: str | None
    effect: str

    def __str__(self) -> str:
        label = f"Sid {self.sid!r}" if self.sid else f"statement {self.index + 1}"
        return f"{self.policy} ({label})"


@dataclass(frozen=True)
class Verdict:
    decision: str  # "allowed" | "explicitDeny" | "implicitDeny" | "unknown"
    deciding: tuple[StatementRef, ...] = ()
    reason: str = ""
    unknowns: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


@dataclass
class _Tally:
    allow: list[tuple[StatementRef, Tri]] = field(default_factory=list)
    deny: list[tuple[StatementRef, Tri]] = field(default_factory=list)

    def allows(self) -> Tri:
        return or3(t for _, t in self.allow)

    def denies(self) -> Tri:
        return or3(t for _, t in self.deny)


def _tally(policies: Iterable[Policy], request: Request, unknowns: list[str]) -> _Tally:
    tally = _Tally()
    for policy in policies:
        document = parse_document(policy.document)
        for index, stmt in enumerate(statements(document)):
            effect = stmt.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"{policy.name}: Effect must be Allow or Deny, not {effect!r}")
            applies = _statement_applies(stmt, request, unknowns)
            if applies is Tri.NO:
                continue
            ref = StatementRef(policy.name, index, stmt.get("Sid"), effect)
            (tally.allow if effect == "Allow" else tally.deny).append((ref, applies))
    return tally


def _statement_applies(stmt: dict[str, Any], request: Request, unknowns: list[str]) -> Tri:
    if "Action" in stmt:
        if not action_matches(as_list(stmt["Action"]), request.action):
            return Tri.NO
    elif "NotAction" in stmt:
        if action_matches(as_list(stmt["NotAction"]), request.action):
            return Tri.NO
    else:
        raise PolicyError("a statement needs Action or NotAction")
    local: list[str] = []
    parts = [Tri.YES]
    if request.resource is not None:
        if "Resource" in stmt:
            parts.append(resource_matches(as_list(stmt["Resource"]), request.resource, local))
        elif "NotResource" in stmt:
            parts.append(
                not3(resource_matches(as_list(stmt["NotResource"]), request.resource, local))
            )
    if request.principal is not None:
        if "Principal" in stmt:
            parts.append(
                Tri.YES if principal_matches(stmt["Principal"], request.principal) else Tri.NO
            )
        elif "NotPrincipal" in stmt:
            parts.append(
                Tri.NO if principal_matches(stmt["NotPrincipal"], request.principal) else Tri.YES
            )
        else:
            parts.append(Tri.NO)  # a resource-based policy statement without a principal
    if Tri.NO in parts:
        return Tri.NO
    parts.append(condition_holds(stmt.get("Condition"), request.context, local))
    result = and3(*parts)
    if result is Tri.MAYBE:
        unknowns.extend(local)
    return result


def evaluate(
    request: Request, identity: Iterable[Policy], boundary: Policy | None = None
) -> Verdict:
    """Identity-based evaluation in one account: explicit deny wins; an allow is required; a
    permissions boundary must allow it too."""
    unknowns: list[str] = []
    main = _tally(identity, request, unknowns)
    limit = _tally([boundary], request, unknowns) if boundary is not None else None
    denies = or3([main.denies(), limit.denies() if limit else Tri.NO])
    certain_denies = [r for r, t in (main.deny + (limit.deny if limit else [])) if t is Tri.YES]
    if denies is Tri.YES:
        return Verdict("explicitDeny", tuple(certain_denies), "an explicit Deny applies")
    allowed = main.allows()
    if limit is not None:
        allowed = and3(allowed, limit.allows())
    allowing = tuple(r for r, t in main.allow if t is Tri.YES)
    notes = tuple(dict.fromkeys(unknowns))
    if allowed is Tri.NO:
        if limit is not None and main.allows() is not Tri.NO:
            return Verdict(
                "implicitDeny",
                (),
                f"the permissions boundary {boundary.name if boundary else ''} does not allow it",
            )
        return Verdict("implicitDeny", (), "no statement allows it")
    if denies is Tri.MAYBE or allowed is Tri.MAYBE:
        return Verdict("unknown", allowing, "it depends on what local evaluation cannot see", notes)
    return Verdict("allowed", allowing, "allowed")


def evaluate_resource_policy(request: Request, policy: Policy) -> Verdict:
    """A resource-based policy alone (a role's trust policy for sts:AssumeRole by a service):
    it must name the principal in an Allow that applies, and no Deny may apply."""
    unknowns: list[str] = []
    tally = _tally([policy], request, unknowns)
    notes = tuple(dict.fromkeys(unknowns))
    if tally.denies() is Tri.YES:
        return Verdict(
            "explicitDeny",
            tuple(r for r, t in tally.deny if t is Tri.YES),
            "an explicit Deny applies",
        )
    allowed = tally.allows()
    if allowed is Tri.NO:
        return Verdict("implicitDeny", (), "no statement allows it")
    if allowed is Tri.MAYBE or tally.denies() is Tri.MAYBE:
        return Verdict("unknown", (), "it depends on what local evaluation cannot see", notes)
    return Verdict("allowed", tuple(r for r, t in tally.allow if t is Tri.YES), "allowed")
