"""JSON from files a user hands in (snapshots, reports, policies), read strictly: no NaN or
Infinity, no duplicate keys, bounded size and nesting — each refusal one clear sentence."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BYTES = 512 * 1024 * 1024  # far past any real snapshot; beyond it is not ours
MAX_DEPTH = 64  # our snapshots nest about 8 deep


class StrictJsonError(ValueError):
    def as_predicate(self) -> str:
        """For "the FILE ...": "is not JSON (…)" or "is not usable (…)"."""
        text = str(self)
        return f"is {text}" if text.startswith("not JSON") else f"is not usable ({text})"


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJsonError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects (strings, then all but brackets, are dropped
    by regular expressions first: a character loop over a large snapshot took a second)."""
    deepest = depth = 0
    for c in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        else:
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """Like json.loads, refusing NaN/Infinity, duplicate keys and excessive nesting."""
    if len(text) > MAX_BYTES:
        raise StrictJsonError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if _depth(text) > MAX_DEPTH:
        raise StrictJsonError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise StrictJsonError(
            f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
