"""IAM policy evaluation, written from AWS's documented logic (pure; no AWS calls).

Sources, all from the IAM User Guide:
- "Policy evaluation logic": an explicit Deny anywhere wins; otherwise an Allow is required;
  identity policies are intersected with a permissions boundary.
- "Cross-account policy evaluation logic": across accounts, the identity policies of the
  caller *and* the resource-based policy must both allow the request.
- "IAM JSON policy elements: Principal": naming an account (`"123456789012"` or
  `arn:aws:iam::123456789012:root`) delegates the decision to that account's identity policies;
  naming a role matches its role sessions (`arn:aws:sts::A:assumed-role/name/session`).
- "IAM JSON policy elements: Condition operators": String, Numeric, Date, Bool, Binary,
  IpAddress, Arn, Null, ...IfExists; a key absent from the request fails a positive operator and
  satisfies a negated one; ForAllValues is true for an empty set, ForAnyValue false.
- "Single-valued vs. multivalued context keys": multivalued keys require a set operator.
- "IAM policy elements: Variables and tags": `${key}` in Resource, NotResource and string or ARN
  condition values, `${key, 'default'}`, and `${*}`, `${?}`, `${$}` for the literal characters;
  a variable that cannot be resolved leaves the element unmatched.

Three-valued: what cannot be decided locally — a condition key whose value in the request is not
known, a policy variable with an unknown value, the identity policies of an account a policy
delegates to — is `unknown`, naming what is missing. Unknown is never turned into allowed.
Service control policies, resource control policies and session policies are not evaluated
(`NOT_EVALUATED`): an `allowed` here can still be denied by them.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any

from auditor.policy_conditions import (
    Context,
    PolicyError,
    Tri,
    and3,
    as_list,
    condition_holds,
    glob_body,
    not3,
    or3,
    resource_matches,
    wildcard_match,
)

NOT_EVALUATED = (
    "service control policies (SCPs), resource control policies (RCPs) and session policies "
    "are not evaluated"
)


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
        raise PolicyError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(parsed, dict):
        raise PolicyError("a policy document is a JSON object")
    return parsed


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    for index, stmt in enumerate(items):
        if not isinstance(stmt, dict):
            raise PolicyError(f"Statement[{index}]: a statement is a JSON object")
    return items


# --- the request -------------------------------------------------------------------------------

ROLE_SESSION = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
IAM_ARN = re.compile(r"^arn:([^:]+):iam::(\d{12}):(.+)$")


@dataclass(frozen=True)
class Principal:
    """Who makes the request: ("Service", "rds.amazonaws.com") or ("AWS", a principal ARN: a
    user, a role, a role session `arn:aws:sts::A:assumed-role/name/session`, or an account's
    root). For a role session, ``role_arn`` is the role's ARN with its path when known."""

    kind: str
    id: str
    role_arn: str | None = None

    @cached_property
    def account(self) -> str | None:
        if self.kind != "AWS":
            return None
        if self.id.isdigit() and len(self.id) == 12:
            return self.id
        parts = self.id.split(":")
        return parts[4] if len(parts) > 4 and parts[4] else None

    @cached_property
    def session(self) -> tuple[str, str, str] | None:
        """(partition, account, role name) of a role session."""
        match = ROLE_SESSION.match(self.id) if self.kind == "AWS" else None
        return (match.group(1), match.group(2), match.group(3)) if match else None

    @cached_property
    def principal_arn(self) -> str:
        """`aws:PrincipalArn`: the role's ARN for a role session, else the principal's ARN."""
        session = self.session
        if session is None:
            return self.id
        if self.role_arn:
            return self.role_arn
        partition, account, name = session
        return f"arn:{partition}:iam::{account}:role/{name}"

    @cached_property
    def context_values(self) -> dict[str, list[str]]:
        """The global condition keys the principal alone determines."""
        if self.kind != "AWS":
            return {}
        values = {"aws:PrincipalArn": [self.principal_arn]}
        if self.account:
            values["aws:PrincipalAccount"] = [self.account]
        iam = IAM_ARN.match(self.id)
        if iam and iam.group(3).startswith("user/"):
            values["aws:username"] = [iam.group(3).rsplit("/", 1)[-1]]
            values["aws:PrincipalType"] = ["User"]
        elif self.session is not None:
            values["aws:PrincipalType"] = ["AssumedRole"]
        return values


@dataclass(frozen=True)
class Request:
    action: str
    resource: str | None = None  # None: the policy's Resource element is not consulted (trust)
    principal: Principal | None = None
    context: Context = field(default_factory=Context)

    def full_context(self) -> Context:
        if self.principal is None:
            return self.context
        return self.context.with_defaults(self.principal.context_values)


# --- principals --------------------------------------------------------------------------------


class Named(Enum):
    """How a resource-based policy's Principal element names the caller."""

    NOT = 0
    ACCOUNT = 1  # the caller's account: the decision is delegated to its identity policies
    ROLE = 2  # the role of the calling role session (still limited by its boundary)
    PRINCIPAL = 3  # the caller itself (its ARN, or "*")


def principal_named(element: Any, who: Principal) -> Named:
    """The strongest way ``element`` (a Principal block) names ``who``."""
    if element == "*":
        return Named.PRINCIPAL
    if not isinstance(element, dict):
        return Named.NOT
    best = Named.NOT
    for kind, values in element.items():
        if kind != who.kind:
            continue
        for value in as_list(values):
            if isinstance(value, str):
                found = _names(value, who)
                best = found if found.value > best.value else best
    return best


def _names(value: str, who: Principal) -> Named:
    if value in ("*", who.id):
        return Named.PRINCIPAL
    if who.kind != "AWS":
        return Named.NOT
    account = value if (value.isdigit() and len(value) == 12) else None
    root = IAM_ARN.match(value)
    if root and root.group(3) == "root":
        account = root.group(2)
    if account is not None:
        return Named.ACCOUNT if account == who.account else Named.NOT
    session = who.session
    if session is not None and root and root.group(3).startswith("role/"):
        partition, session_account, name = session
        same_role = (
            value == who.role_arn if who.role_arn else root.group(3).rsplit("/", 1)[-1] == name
        )
        if root.group(1) == partition and root.group(2) == session_account and same_role:
            return Named.ROLE
    return Named.NOT


# --- policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    name: str  # how a person finds it: inline name, managed policy ARN, "trust policy"
    document: Any

    @cached_property
    def compiled(self) -> tuple[tuple[_Statement, StatementRef], ...]:
        """Each statement, parsed once, with the reference a verdict names it by."""
        document = parse_document(self.document)
        out = []
        for i, raw in enumerate(statements(document)):
            stmt = _Statement.of(raw, i)
            out.append((stmt, StatementRef(self.name, i, stmt.sid, stmt.effect)))
        return tuple(out)


@dataclass(frozen=True)
class _Statement:
    index: int
    sid: str | None
    effect: str
    actions: re.Pattern[str]
    not_action: bool
    resources: list[Any] | None
    not_resource: bool
    principal: Any
    not_principal: bool
    condition: Any

    @classmethod
    def of(cls, stmt: dict[str, Any], index: int) -> _Statement:
        where = f"Statement[{index}]"
        effect = stmt.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"{where}.Effect: must be Allow or Deny, not {effect!r}")
        if ("Action" in stmt) == ("NotAction" in stmt):
            raise PolicyError(f"{where}: a statement needs Action or NotAction (one of them)")
        if "Resource" in stmt and "NotResource" in stmt:
            raise PolicyError(f"{where}: Resource and NotResource exclude each other")
        if "Principal" in stmt and "NotPrincipal" in stmt:
            raise PolicyError(f"{where}: Principal and NotPrincipal exclude each other")
        raw_actions = as_list(stmt.get("Action", stmt.get("NotAction")))
        for i, a in enumerate(raw_actions):
            if not isinstance(a, str):
                raise PolicyError(f"{where}.Action[{i}]: an action is a string")
        body = "|".join(glob_body(a) for a in raw_actions) or "(?!)"
        condition = stmt.get("Condition")
        if condition is not None and not isinstance(condition, dict):
            raise PolicyError(f"{where}.Condition: a Condition is a JSON object")
        resources = stmt.get("Resource", stmt.get("NotResource"))
        return cls(
            index=index,
            sid=stmt.get("Sid") if isinstance(stmt.get("Sid"), str) else None,
            effect=effect,
            actions=re.compile(f"^(?:{body})$", re.IGNORECASE | re.DOTALL),
            not_action="NotAction" in stmt,
            resources=None if resources is None else as_list(resources),
            not_resource="NotResource" in stmt,
            principal=stmt.get("Principal", stmt.get("NotPrincipal")),
            not_principal="NotPrincipal" in stmt,
            condition=condition,
        )


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
    delegated_to: str | None = None  # the account whose identity policies must be read

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


@dataclass
class _Tally:
    allow: list[tuple[StatementRef, Tri, Named]] = field(default_factory=list)
    deny: list[tuple[StatementRef, Tri]] = field(default_factory=list)

    def allows(self, *kinds: Named) -> Tri:
        return or3(t for _, t, named in self.allow if not kinds or named in kinds)

    def denies(self) -> Tri:
        return or3(t for _, t in self.deny)

    def allowing(self, *kinds: Named) -> list[StatementRef]:
        return [r for r, t, named in self.allow if t is Tri.YES and (not kinds or named in kinds)]

    def denying(self) -> list[StatementRef]:
        return [r for r, t in self.deny if t is Tri.YES]


def _tally(
    policies: Iterable[Policy],
    request: Request,
    ctx: Context,
    notes: list[str],
    resource_based: bool = False,
) -> _Tally:
    tally = _Tally()
    for policy in policies:
        try:
            compiled = policy.compiled
        except PolicyError as exc:
            raise PolicyError(f"{policy.name}: {exc}") from None
        for stmt, ref in compiled:
            if (stmt.actions.match(request.action) is None) is not stmt.not_action:
                continue
            local: list[str] = []
            applies, named = _applies(stmt, request, ctx, local, resource_based, policy.name)
            if applies is Tri.NO:
                continue
            if applies is Tri.MAYBE:
                notes.extend(local)
            if stmt.effect == "Allow":
                tally.allow.append((ref, applies, named))
            else:
                tally.deny.append((ref, applies))
    return tally


def _applies(
    stmt: _Statement,
    request: Request,
    ctx: Context,
    notes: list[str],
    resource_based: bool,
    policy_name: str,
) -> tuple[Tri, Named]:
    named = Named.PRINCIPAL
    if resource_based:
        if request.principal is None or stmt.principal is None:
            return Tri.NO, Named.NOT  # a resource-based statement names who it is for
        named = principal_named(stmt.principal, request.principal)
        if stmt.not_principal:
            named = Named.NOT if named is not Named.NOT else Named.PRINCIPAL
        if named is Named.NOT:
            return Tri.NO, named
    result = Tri.YES
    if request.resource is not None and stmt.resources is not None:
        result = resource_matches(stmt.resources, request.resource, ctx, notes)
        if stmt.not_resource:
            result = not3(result)
        if result is Tri.NO:
            return Tri.NO, named
    if stmt.condition:
        where = f"{policy_name}: Statement[{stmt.index}].Condition"
        holds = condition_holds(stmt.condition, ctx, notes, where)
        if holds is not Tri.YES:
            result = holds if holds is Tri.NO else Tri.MAYBE
    return result, named


# --- evaluation --------------------------------------------------------------------------------


def evaluate(
    request: Request,
    identity: Iterable[Policy] | None,
    boundary: Policy | None = None,
    resource_policy: Policy | None = None,
    resource_account: str | None = None,
    *,
    resource_element: bool = True,
    resource_policy_required: bool = False,
) -> Verdict:
    """The decision for ``request`` from the caller's identity policies (``None``: not read),
    its permissions boundary, and the resource-based policy of the resource, which lives in
    ``resource_account``. Same account: an explicit deny anywhere wins, and an allow in either
    the identity policies or a resource policy that names the caller suffices (naming only the
    caller's account delegates to its identity policies). Across accounts both must allow.
    ``resource_element=False`` ignores the resource policy's Resource element (role trusts);
    ``resource_policy_required`` is for the policies without which nothing is allowed, even in
    the same account (a role's trust policy, a KMS key policy)."""
    notes: list[str] = []
    ctx = request.full_context()
    who = request.principal
    id_tally = _tally(identity, request, ctx, notes) if identity is not None else None
    b_tally = _tally([boundary], request, ctx, notes) if boundary is not None else None
    r_request = request if resource_element else replace(request, resource=None)
    r_tally = (
        _tally([resource_policy], r_request, ctx, notes, resource_based=True)
        if resource_policy is not None
        else None
    )
    tallies = [t for t in (id_tally, b_tally, r_tally) if t is not None]
    denies = or3(t.denies() for t in tallies)
    if denies is Tri.YES:
        refs = tuple(r for t in tallies for r in t.denying())
        return Verdict("explicitDeny", refs, "an explicit Deny applies")

    delegated: str | None = None
    if id_tally is not None:
        identity_allows = id_tally.allows()
    elif who is not None and who.kind != "AWS":
        identity_allows = Tri.NO  # a service principal has no identity policies
    else:
        identity_allows = Tri.MAYBE
    if b_tally is not None:
        identity_allows = and3(identity_allows, b_tally.allows())

    caller_account = who.account if who is not None else None
    same_account = (
        resource_account is None or caller_account is None or resource_account == caller_account
    )
    if r_tally is None:  # no resource-based policy: across accounts nothing is allowed
        allowed = identity_allows if same_account else Tri.NO
        sides = "identity" if same_account else "both"
    else:
        by_principal = r_tally.allows(Named.PRINCIPAL)
        by_role = r_tally.allows(Named.ROLE)
        if b_tally is not None:
            by_role = and3(by_role, b_tally.allows())  # a role ARN is limited by the boundary
        by_account = r_tally.allows(Named.ACCOUNT)
        resource_allows = or3([by_principal, by_role, by_account])
        if same_account and resource_policy_required:
            allowed = or3([by_principal, by_role, and3(by_account, identity_allows)])
        elif same_account:
            allowed = or3([by_principal, by_role, identity_allows])
        else:
            allowed = and3(identity_allows, resource_allows)
        sides = "both" if not same_account else "either"
        needs_identity = (not same_account and resource_allows is not Tri.NO) or (
            same_account and by_account is not Tri.NO and or3([by_principal, by_role]) is Tri.NO
        )
        if id_tally is None and needs_identity and who is not None and who.kind == "AWS":
            delegated = caller_account
            notes.append(
                f"the identity policies of account {caller_account} (the resource policy "
                f"{'names that account' if by_account is not Tri.NO else 'is in another account'}"
                f": {who.id} needs an identity policy allowing {request.action} too)"
            )
    unknowns = tuple(dict.fromkeys(notes))
    if allowed is Tri.NO:
        return Verdict("implicitDeny", (), _refusal(sides, id_tally, b_tally, r_tally, boundary))
    if allowed is Tri.MAYBE or denies is Tri.MAYBE:
        reason = (
            f"delegated to account {delegated}: its identity policies were not read"
            if delegated
            else "it depends on what local evaluation cannot see"
        )
        return Verdict("unknown", (), reason, unknowns, delegated)
    refs = tuple(r for t in tallies for r in t.allowing())
    return Verdict("allowed", refs, "allowed")


def _refusal(
    sides: str,
    identity: _Tally | None,
    boundary: _Tally | None,
    resource: _Tally | None,
    boundary_policy: Policy | None,
) -> str:
    if (
        boundary is not None
        and identity is not None
        and identity.allows() is not Tri.NO
        and boundary.allows() is Tri.NO
    ):
        name = boundary_policy.name if boundary_policy else ""
        return f"the permissions boundary {name} does not allow it"
    if sides == "both":
        if resource is not None and resource.allows() is Tri.NO:
            return "the resource policy (in another account) does not allow it"
        return "no identity policy allows it (across accounts both must)"
    return "no statement allows it"


def evaluate_resource_policy(
    request: Request,
    policy: Policy,
    identity: Iterable[Policy] | None = None,
    boundary: Policy | None = None,
    resource_account: str | None = None,
) -> Verdict:
    """A role's trust policy (or another resource-based policy whose Resource element does not
    apply) for ``request``: a service or principal it names may; an account it names delegates
    to that account's identity policies (``identity``, with ``request.resource`` the role)."""
    return evaluate(
        request,
        identity,
        boundary,
        policy,
        resource_account,
        resource_element=False,
        resource_policy_required=True,
    )


__all__ = [
    "NOT_EVALUATED",
    "Context",
    "Named",
    "Policy",
    "PolicyError",
    "Principal",
    "Request",
    "StatementRef",
    "Tri",
    "Verdict",
    "as_list",
    "evaluate",
    "evaluate_resource_policy",
    "parse_document",
    "principal_named",
    "statements",
    "wildcard_match",
]
