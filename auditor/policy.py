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

import base64
import binascii
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum, StrEnum
from functools import cache, cached_property
from ipaddress import ip_address, ip_network
from typing import Any

NOT_EVALUATED = (
    "service control policies (SCPs), resource control policies (RCPs) and session policies "
    "are not evaluated"
)


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
    """A policy document that is not valid JSON policy grammar; the message names the place
    (`Statement[1].Effect`)."""


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


def action_matches(patterns: list[Any], action: str) -> bool:
    """Actions compare case-insensitively (`s3:getobject` is `s3:GetObject`)."""
    return any(isinstance(p, str) and wildcard_match(p, action, ignore_case=True) for p in patterns)


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

    @property
    def account(self) -> str | None:
        if self.kind != "AWS":
            return None
        if self.id.isdigit() and len(self.id) == 12:
            return self.id
        parts = self.id.split(":")
        return parts[4] if len(parts) > 4 and parts[4] else None

    @property
    def session(self) -> tuple[str, str, str] | None:
        """(partition, account, role name) of a role session."""
        match = ROLE_SESSION.match(self.id) if self.kind == "AWS" else None
        return (match.group(1), match.group(2), match.group(3)) if match else None

    @property
    def principal_arn(self) -> str:
        """`aws:PrincipalArn`: the role's ARN for a role session, else the principal's ARN."""
        session = self.session
        if session is None:
            return self.id
        if self.role_arn:
            return self.role_arn
        partition, account, name = session
        return f"arn:{partition}:iam::{account}:role/{name}"

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


@dataclass
class Context:
    """Condition keys of a request. Keys in ``values`` are present; keys in ``absent`` are
    known to be missing; any other key is unknown to local evaluation."""

    values: dict[str, list[str]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.values = {k.lower(): [str(v) for v in as_list(vs)] for k, vs in self.values.items()}
        self.absent = frozenset(k.lower() for k in self.absent)

    def lookup(self, key: str) -> list[str] | Tri | None:
        """The values; None if known absent; Tri.MAYBE if not known."""
        k = key.lower()
        if k in self.values:
            return self.values[k]
        if k in self.absent:
            return None
        return Tri.MAYBE

    def with_defaults(self, extra: dict[str, list[str]]) -> Context:
        """This context, plus keys it does not state (what the principal determines)."""
        merged = {k: v for k, v in extra.items() if k.lower() not in self.values}
        if not merged:
            return self
        return Context({**self.values, **merged}, self.absent)


@dataclass(frozen=True)
class Request:
    action: str
    resource: str | None = None  # None: the policy's Resource element is not consulted (trust)
    principal: Principal | None = None
    context: Context = field(default_factory=Context)

    def full_context(self) -> Context:
        if self.principal is None:
            return self.context
        return self.context.with_defaults(self.principal.context_values())


# --- policy variables --------------------------------------------------------------------------

VARIABLE = re.compile(r"\$\{([^}]*)\}")
LITERAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}
DEFAULTED = re.compile(r"^\s*([^,\s]+)\s*,\s*'((?:[^']|'')*)'\s*$")


@dataclass(frozen=True)
class Resolved:
    """A policy value with its variables substituted: text and, per character, whether it
    is a wildcard (`*`, `?` written as such) or a literal (from a variable or `${*}`)."""

    parts: tuple[tuple[str, bool], ...]  # (text, may hold wildcards)

    def regex(self, ignore_case: bool = False, wildcards: bool = True) -> re.Pattern[str]:
        body = ""
        for text, wild in self.parts:
            for c in text:
                if wild and wildcards and c == "*":
                    body += ".*"
                elif wild and wildcards and c == "?":
                    body += "."
                else:
                    body += re.escape(c)
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        return re.compile(f"^{body}$", flags)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)


def resolve(value: str, ctx: Context, notes: list[str]) -> Resolved | Tri:
    """``value`` with its policy variables substituted from ``ctx``; Tri.NO when a variable has
    no value (the element then matches nothing), Tri.MAYBE when its value is not known."""
    if "${" not in value:
        return Resolved(((value, True),))
    parts: list[tuple[str, bool]] = []
    position = 0
    outcome: Tri | None = None
    for match in VARIABLE.finditer(value):
        parts.append((value[position : match.start()], True))
        position = match.end()
        inner = match.group(1)
        if inner in LITERAL_VARIABLES:
            parts.append((LITERAL_VARIABLES[inner], False))
            continue
        defaulted = DEFAULTED.match(inner)
        key, default = (
            (defaulted.group(1), defaulted.group(2).replace("''", "'"))
            if defaulted
            else (inner.strip(), None)
        )
        found = ctx.lookup(key)
        if isinstance(found, list) and len(found) == 1:
            parts.append((found[0], False))
        elif found is Tri.MAYBE:
            notes.append(f"policy variable ${{{inner}}} (its value in the request is not known)")
            outcome = Tri.MAYBE
        elif default is not None:  # absent, or multivalued (never a variable)
            parts.append((default, False))
        elif outcome is None:
            outcome = Tri.NO
    if outcome is not None:
        return outcome
    parts.append((value[position:], True))
    return Resolved(tuple(p for p in parts if p[0]))


def resource_matches(patterns: list[Any], resource: str, ctx: Context, notes: list[str]) -> Tri:
    """ARNs compare case-sensitively, with wildcards; variables substituted from the request."""
    verdicts = []
    for p in patterns:
        if not isinstance(p, str):
            continue
        if "${" not in p:
            verdicts.append(Tri.YES if wildcard_match(p, resource) else Tri.NO)
            continue
        resolved = resolve(p, ctx, notes)
        if isinstance(resolved, Tri):
            verdicts.append(resolved)
        else:
            verdicts.append(Tri.YES if resolved.regex().match(resource) else Tri.NO)
    return or3(verdicts)


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


# --- conditions --------------------------------------------------------------------------------

STRING = {"StringEquals", "StringEqualsIgnoreCase", "StringLike"}
NUMERIC = {
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
}
DATE = {n.replace("Numeric", "Date") for n in NUMERIC}
ARN = {"ArnEquals", "ArnLike"}
POSITIVE_OPS = STRING | NUMERIC | DATE | ARN | {"Bool", "BinaryEquals", "IpAddress"}
NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
SUPPORTED_OPS = frozenset({*POSITIVE_OPS, *NEGATIONS, "Null"})
VARIABLE_OPS = STRING | ARN  # where AWS substitutes policy variables in condition values
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    """ISO 8601 (`2026-12-01`, `2026-12-01T10:00:00Z`, with an offset) or epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _is_arn(text: str) -> bool:
    return text.startswith("arn:") and text.count(":") >= 5


def _arn_match(pattern: Resolved, arn: str) -> bool:
    """Each of the six colon-separated parts compared on its own, with wildcards."""
    if not _is_arn(arn):
        return False
    text = pattern.text
    if text == "*":
        return True
    p_parts = text.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6:
        return False
    if pattern.parts == ((text, True),):
        return all(wildcard_match(x, y) for x, y in zip(p_parts, a_parts, strict=True))
    return pattern.regex().match(arn) is not None  # variables: compare the ARN as a whole


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def positive_match(op: str, wanted: str, value: str, ctx: Context, notes: list[str]) -> Tri:
    """One request value against one policy value, for a positive operator."""
    if op in VARIABLE_OPS and "${" not in wanted:  # the common case, without a regex per call
        if op == "StringEquals":
            return Tri.YES if wanted == value else Tri.NO
        if op == "StringEqualsIgnoreCase":
            return Tri.YES if wanted.lower() == value.lower() else Tri.NO
        if op == "StringLike":
            return Tri.YES if wildcard_match(wanted, value) else Tri.NO
        return Tri.YES if _arn_match(Resolved(((wanted, True),)), value) else Tri.NO
    if op in VARIABLE_OPS:
        resolved = resolve(wanted, ctx, notes)
        if isinstance(resolved, Tri):
            return resolved
        if op in ARN:
            return Tri.YES if _arn_match(resolved, value) else Tri.NO
        regex = resolved.regex(op == "StringEqualsIgnoreCase", wildcards=op == "StringLike")
        return Tri.YES if regex.match(value) else Tri.NO
    if op in NUMERIC or op in DATE:
        parse = _number if op in NUMERIC else _date
        want, got = parse(wanted), parse(value)
        if want is None:
            notes.append(f"condition value {wanted!r} of {op} (not a valid value)")
            return Tri.MAYBE
        if got is None:
            return Tri.NO
        compare = COMPARE[op.removeprefix("Numeric").removeprefix("Date")]
        return Tri.YES if compare(got, want) else Tri.NO
    if op == "Bool":
        return Tri.YES if wanted.lower() == value.lower() else Tri.NO
    if op == "BinaryEquals":
        want_bytes, got_bytes = _decode(wanted), _decode(value)
        return Tri.YES if want_bytes is not None and want_bytes == got_bytes else Tri.NO
    if op == "IpAddress":
        try:
            network = ip_network(wanted, strict=False)
        except ValueError:
            notes.append(f"condition value {wanted!r} of IpAddress (not a CIDR)")
            return Tri.MAYBE
        try:
            address = ip_address(value)
        except ValueError:
            return Tri.NO
        return Tri.YES if address.version == network.version and address in network else Tri.NO
    raise AssertionError(op)


def condition_holds(block: Any, ctx: Context, notes: list[str], where: str = "Condition") -> Tri:
    """A Condition element: operators AND, keys AND, values OR (NOR when negated)."""
    if not block:
        return Tri.YES
    if not isinstance(block, dict):
        raise PolicyError(f"{where}: a Condition is a JSON object")
    results = []
    for raw_op, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"{where}.{raw_op}: an operator takes an object of keys")
        qualifier, _, op = raw_op.rpartition(":")
        if_exists = op.endswith("IfExists") and op != "IfExists"
        base = op.removesuffix("IfExists") if if_exists else op
        if base not in SUPPORTED_OPS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
            notes.append(f"condition operator {raw_op}")
            results.append(Tri.MAYBE)
            continue
        for key, policy_values in keys.items():
            wanted = [
                json.dumps(v) if isinstance(v, bool) else str(v) for v in as_list(policy_values)
            ]
            results.append(_key_holds(qualifier, base, if_exists, key, wanted, ctx, notes))
            if Tri.NO in results:
                return Tri.NO
    return and3(*results)


def _key_holds(
    qualifier: str,
    op: str,
    if_exists: bool,
    key: str,
    wanted: list[str],
    ctx: Context,
    notes: list[str],
) -> Tri:
    found = ctx.lookup(key)
    if found is Tri.MAYBE:
        notes.append(f"condition key {key} (its value in the request is not known)")
        return Tri.MAYBE
    values: list[str] = found if isinstance(found, list) else []
    if op == "Null":
        present = bool(values)
        return Tri.YES if any((w.lower() == "true") is (not present) for w in wanted) else Tri.NO
    negated = op in NEGATIONS
    positive = NEGATIONS.get(op, op)

    def one(value: str) -> Tri:
        hit = or3(positive_match(positive, w, value, ctx, notes) for w in wanted)
        return not3(hit) if negated else hit

    if qualifier == "ForAllValues":
        return and3(*(one(v) for v in values)) if values else Tri.YES
    if qualifier == "ForAnyValue":
        return or3(one(v) for v in values) if values else Tri.NO
    if not values:
        return Tri.YES if (if_exists or negated) else Tri.NO
    if len(values) > 1:
        notes.append(
            f"{op} on multivalued key {key} without ForAnyValue/ForAllValues "
            "(undocumented: AWS requires a set operator)"
        )
        return Tri.MAYBE
    return one(values[0])


# --- policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    name: str  # how a person finds it: inline name, managed policy ARN, "trust policy"
    document: Any

    @cached_property
    def compiled(self) -> tuple[_Statement, ...]:
        document = parse_document(self.document)
        return tuple(_Statement.of(stmt, i) for i, stmt in enumerate(statements(document)))


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
        body = "|".join(_glob(a, True).pattern[1:-1] for a in raw_actions) or "(?!)"
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
        for stmt in compiled:
            if (stmt.actions.match(request.action) is None) is not stmt.not_action:
                continue
            local: list[str] = []
            applies, named = _applies(stmt, request, ctx, local, resource_based, policy.name)
            if applies is Tri.NO:
                continue
            if applies is Tri.MAYBE:
                notes.extend(local)
            ref = StatementRef(policy.name, stmt.index, stmt.sid, stmt.effect)
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
    parts = [Tri.YES]
    if request.resource is not None and stmt.resources is not None:
        hit = resource_matches(stmt.resources, request.resource, ctx, notes)
        parts.append(not3(hit) if stmt.not_resource else hit)
        if Tri.NO in parts:
            return Tri.NO, named
    where = f"{policy_name}: Statement[{stmt.index}].Condition"
    parts.append(condition_holds(stmt.condition, ctx, notes, where))
    return and3(*parts), named


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
