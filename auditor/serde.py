"""Plain-data round trip for the snapshot dataclasses: dataclass <-> JSON-compatible dict.

Only what the inventory uses: dataclasses, lists, dicts with string keys, ``X | None`` and
JSON scalars. Unknown keys in the input are an error, so a snapshot from another version fails
loudly instead of loading half of itself.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


class SnapshotFormatError(ValueError):
    """The data does not have the shape of the dataclass it should load into."""


def to_data(obj: Any) -> Any:
    """A dataclass tree as JSON-compatible data (dataclasses become dicts, tuples lists)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def from_data(cls: type[T], data: Any, path: str = "$") -> T:
    """Build ``cls`` from data made by :func:`to_data`; raise SnapshotFormatError on a mismatch."""
    return typing.cast(T, _load(cls, data, path))


@functools.cache
def _fields(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A dataclass's resolved type hints and init field names (resolved once per class)."""
    return get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def _load(tp: Any, data: Any, path: str) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _load(arg, data, path)
            except SnapshotFormatError as exc:
                errors.append(str(exc))
        raise SnapshotFormatError("; ".join(errors) or f"{path}: unexpected null")
    if origin is list:
        if not isinstance(data, list):
            raise SnapshotFormatError(f"{path}: expected a list")
        (item,) = get_args(tp)
        return [_load(item, v, f"{path}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise SnapshotFormatError(f"{path}: expected an object")
        _, value = get_args(tp)
        return {str(k): _load(value, v, f"{path}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise SnapshotFormatError(f"{path}: expected an object for {tp.__name__}")
        hints, names = _fields(tp)
        unknown = set(data) - names
        if unknown:
            raise SnapshotFormatError(f"{path}: unknown field(s) {sorted(unknown)}")
        kwargs = {k: _load(hints[k], v, f"{path}.{k}") for k, v in data.items()}
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise SnapshotFormatError(f"{path}: {exc}") from None
    if tp is Any:
        return data
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if isinstance(tp, type) and issubclass(tp, str) and isinstance(data, str):
        return tp(data)
    if tp in (int, bool) and type(data) is tp:
        return data
    raise SnapshotFormatError(f"{path}: expected {getattr(tp, '__name__', tp)}, got {data!r:.60}")
