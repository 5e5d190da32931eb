"""Reading an AWS answer without favourable defaults (issue: fail closed on every read).

A field a rule depends on that is absent or of the wrong type is `Malformed`: the collection it
belongs to stays "not read" and a gap (`MalformedResponse`, naming the operation) is recorded by
`UnitContext.parsing`, never a default value that could pass.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class Malformed(ValueError):
    """An answer that lacks a field a rule depends on, or has it with the wrong type."""


def need(raw: Any, key: str, kind: type[T]) -> T:
    """``raw[key]``, which must be present and a ``kind`` (bool is not an int here)."""
    if not isinstance(raw, dict):
        raise Malformed(f"expected an object holding {key}, got {type(raw).__name__}")
    if key not in raw or raw[key] is None:
        raise Malformed(f"{key} is missing")
    value = raw[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Malformed(f"{key} is {type(value).__name__}, not {kind.__name__}")
    return value


def need_list(raw: Any, key: str) -> list[Any]:
    """A list field that AWS always sends (possibly empty)."""
    return need(raw, key, list)


def tags(raw: Any) -> dict[str, str]:
    """The resource's tags (AWS leaves ``Tags`` out when there are none: a fact, no tags)."""
    found = optional(raw, "Tags", list) or []
    return {need(t, "Key", str): need(t, "Value", str) for t in found}


def optional(raw: Any, key: str, kind: type[T]) -> T | None:
    """A field AWS may leave out; present with the wrong type is still Malformed."""
    if not isinstance(raw, dict):
        raise Malformed(f"expected an object holding {key}, got {type(raw).__name__}")
    if raw.get(key) is None:
        return None
    return need(raw, key, kind)
