"""What a policy statement's Resource and Condition elements decide for one request: the
request context, policy variables and every condition operator (IAM User Guide: "Condition
operators", "Single-valued vs. multivalued context keys", "Policy variables and tags").

Pure and three-valued (`Tri`): what the request context does not tell is MAYBE, naming the key
or variable, never a match. `auditor.policy` builds evaluation on top of it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from ipaddress import ip_address, ip_network
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
    result = Tri.NO
    for value in values:
        if value is Tri.YES:
            return Tri.YES
        if value is Tri.MAYBE:
            result = Tri.MAYBE
    return result


def not3(value: Tri) -> Tri:
    return {Tri.YES: Tri.NO, Tri.NO: Tri.YES, Tri.MAYBE: Tri.MAYBE}[value]


class PolicyError(ValueError):
    """A policy document that is not valid JSON policy grammar; the message names the place
    (`Statement[1].Effect`)."""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- matching ----------------------------------------------------------------------------------


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_body(pattern: str) -> str:
    """The regular expression (unanchored body) of an IAM wildcard pattern."""
    return _glob(pattern, False).pattern[1:-1]


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run, also empty) and `?` (one character) matching."""
    return _glob(pattern, ignore_case).match(value) is not None


def action_matches(patterns: list[Any], action: str) -> bool:
    """Actions compare case-insensitively (`s3:getobject` is `s3:GetObject`)."""
    return any(isinstance(p, str) and wildcard_match(p, action, ignore_case=True) for p in patterns)


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
        merged = {k.lower(): v for k, v in extra.items() if k.lower() not in self.values}
        if not merged:
            return self
        combined = Context.__new__(Context)  # keys are lower-case already: no second pass
        combined.values = {**self.values, **merged}
        combined.absent = self.absent
        return combined


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
        return _resolved_regex(self.parts, ignore_case, wildcards)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)


@cache
def _resolved_regex(
    parts: tuple[tuple[str, bool], ...], ignore_case: bool, wildcards: bool
) -> re.Pattern[str]:
    body = []
    for text, wild in parts:
        if wild and wildcards:
            body.append(_glob(text, False).pattern[1:-1])
        else:
            body.append(re.escape(text))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(f"^{''.join(body)}$", flags)


@cache
def _pieces(value: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """``value`` split once into (literal text, variable key, default) pieces; a piece with a
    key of None is text (from the policy, or a `${*}`-style literal when default is "lit")."""
    out: list[tuple[str, str | None, str | None]] = []
    position = 0
    for match in VARIABLE.finditer(value):
        out.append((value[position : match.start()], None, None))
        position = match.end()
        inner = match.group(1)
        if inner in LITERAL_VARIABLES:
            out.append((LITERAL_VARIABLES[inner], None, "lit"))
            continue
        defaulted = DEFAULTED.match(inner)
        if defaulted:
            out.append((inner, defaulted.group(1), defaulted.group(2).replace("''", "'")))
        else:
            out.append((inner, inner.strip(), None))
    out.append((value[position:], None, None))
    return tuple(out)


def resolve(value: str, ctx: Context, notes: list[str]) -> Resolved | Tri:
    """``value`` with its policy variables substituted from ``ctx``; Tri.NO when a variable has
    no value (the element then matches nothing), Tri.MAYBE when its value is not known."""
    if "${" not in value:
        return Resolved(((value, True),))
    parts: list[tuple[str, bool]] = []
    outcome: Tri | None = None
    for text, key, default in _pieces(value):
        if key is None:
            parts.append((text, default != "lit"))
            continue
        found = ctx.lookup(key)
        if isinstance(found, list) and len(found) == 1:
            parts.append((found[0], False))
        elif found is Tri.MAYBE:
            notes.append(f"policy variable ${{{text}}} (its value in the request is not known)")
            outcome = Tri.MAYBE
        elif default is not None:  # absent, or multivalued (never a variable)
            parts.append((default, False))
        elif outcome is None:
            outcome = Tri.NO
    if outcome is not None:
        return outcome
    return Resolved(tuple(p for p in parts if p[0]))


@cache
def _literal_prefix(pattern: str) -> str:
    """The text every match of ``pattern`` starts with (up to a wildcard or a variable)."""
    cut = min((i for i in (pattern.find("*"), pattern.find("?"), pattern.find("${")) if i >= 0),
              default=len(pattern))  # fmt: skip
    return pattern[:cut]


def resource_matches(patterns: list[Any], resource: str, ctx: Context, notes: list[str]) -> Tri:
    """ARNs compare case-sensitively, with wildcards; variables substituted from the request."""
    result = Tri.NO
    for p in patterns:
        if not isinstance(p, str) or not resource.startswith(_literal_prefix(p)):
            continue
        if "${" not in p:
            if _glob(p, False).match(resource):
                return Tri.YES
            continue
        resolved = resolve(p, ctx, notes)
        if resolved is Tri.MAYBE:
            result = Tri.MAYBE
        elif isinstance(resolved, Resolved) and resolved.regex().match(resource):
            return Tri.YES
    return result


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


def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> float | None:
    """ISO 8601 (`2026-12-01`, `2026-12-01T10:00:00Z`, with an offset) or epoch seconds."""
    number = parse_number(text)
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
        parse = parse_number if op in NUMERIC else parse_date
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
