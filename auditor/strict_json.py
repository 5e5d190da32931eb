"""JSON from files a user hands in (snapshots, reports, policies), read strictly: no NaN or
Infinity, no duplicate keys, bounded size and nesting — each refusal one clear sentence."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate
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
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: find the key to name
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise StrictJsonError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return out


# A JSON string, as an unrolled loop (runs of plain characters between escapes): the same
# matches as "(?:[^"\\]|\\.)*" at twice the speed on a large snapshot.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects: strings, then all but brackets, are dropped
    by regular expressions, and the running depth is summed in C (a character loop over a
    large snapshot took a second)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


_DECODER = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
_SPACE = re.compile(r"[ \t\n\r]*")


def loads(text: str, each: tuple[str, Callable[[Any, int], Any]] | None = None) -> Any:
    """Like json.loads, refusing NaN/Infinity, duplicate keys and excessive nesting.

    ``each=(key, convert)``: when the document is an object whose ``key`` is an array, every
    item of that array is handed to ``convert(item, index)`` as soon as it is parsed and the
    array holds what it returns, so a large snapshot is never held as plain data all at once.
    """
    if len(text) > MAX_BYTES:
        raise StrictJsonError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if _depth(text) > MAX_DEPTH:
        raise StrictJsonError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        if each is not None:
            converted = _object_converting(text, *each)
            if converted is not None:
                return converted
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise StrictJsonError(
            f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def _object_converting(
    text: str, name: str, convert: Callable[[Any, int], Any]
) -> dict[str, Any] | None:
    """The top-level object parsed member by member, ``name``'s array item by item; None when
    the text is not an object of that shape (the caller's plain parse then says what is wrong,
    in json's own words)."""
    decode = _DECODER.raw_decode

    def space(at: int) -> int:  # the index past JSON whitespace at ``at``
        return _SPACE.match(text, at).end()  # type: ignore[union-attr]  # it matches ""

    at = space(0)
    if text[at : at + 1] != "{":
        return None
    out: dict[str, Any] = {}
    at = space(at + 1)
    if text[at : at + 1] == "}":
        return out if not text[space(at + 1) :] else None
    while True:
        if text[at : at + 1] != '"':
            return None
        key, at = decode(text, at)
        at = space(at)
        if text[at : at + 1] != ":":
            return None
        at = space(at + 1)
        if key in out:
            raise StrictJsonError(f"the key {key!r} appears twice in one object")
        if key == name and text[at : at + 1] == "[":
            items: list[Any] = []
            at = space(at + 1)
            if text[at : at + 1] == "]":
                at += 1
            else:
                while True:
                    item, at = decode(text, at)
                    items.append(convert(item, len(items)))
                    del item
                    at = space(at)
                    if text[at : at + 1] == "]":
                        at += 1
                        break
                    if text[at : at + 1] != ",":
                        return None
                    at = space(at + 1)
            out[key] = items
        else:
            out[key], at = decode(text, at)
        at = space(at)
        if text[at : at + 1] == "}":
            return out if not text[space(at + 1) :] else None
        if text[at : at + 1] != ",":
            return None
        at = space(at + 1)
