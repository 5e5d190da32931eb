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
from collections.abc import Callable
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
    """Build ``cls`` from data made by :func:`to_data`; raise SnapshotFormatError on a mismatch.

    Data that fits is built by a loader made once per type (a large snapshot's units took
    seconds to interpret field by field); data that does not is walked again by `_load`, the
    rules' plain statement, which says where and what."""
    try:
        return typing.cast(T, _loader(typing.cast(Any, cls))(data))
    except _Mismatch:
        return typing.cast(T, _load(cls, data, path))


class _Mismatch(Exception):
    """The data does not fit (which field and why: `_load`)."""


Loader = Callable[[Any], Any]


@functools.cache
def _loader(tp: Any) -> Loader:
    """A function building ``tp`` from fitting data, raising _Mismatch otherwise; the same rules
    as `_load` (a property test holds them to each other)."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        nullable = type(None) in get_args(tp)
        options = [_loader(a) for a in get_args(tp) if a is not type(None)]
        return functools.partial(_union, nullable, options)
    if origin is list:
        return functools.partial(_list, _loader(get_args(tp)[0]))
    if origin is dict:
        return functools.partial(_dict, _loader(get_args(tp)[1]))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _DataclassLoader(tp)
    if tp is Any:
        return _same
    if tp is float:
        return _float
    if isinstance(tp, type) and issubclass(tp, str):
        return _str if tp is str else functools.partial(_str_subclass, tp)
    if tp in (int, bool):
        return functools.partial(_exact, tp)
    return _never


def _union(nullable: bool, options: list[Loader], data: Any) -> Any:
    if data is None and nullable:
        return None
    for option in options:
        try:
            return option(data)
        except _Mismatch:
            continue
    raise _Mismatch


def _list(item: Loader, data: Any) -> Any:
    if not isinstance(data, list):
        raise _Mismatch
    return [item(v) for v in data]


def _dict(value: Loader, data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Mismatch
    return {str(k): value(v) for k, v in data.items()}


class _DataclassLoader:
    def __init__(self, tp: type) -> None:
        self.tp = tp
        self.fields: dict[str, Loader] | None = None  # on first use: a type may name itself

    def __call__(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Mismatch
        fields = self.fields
        if fields is None:
            hints, names = _fields(self.tp)
            fields = self.fields = {name: _loader(hints[name]) for name in names}
        if not fields.keys() >= data.keys():
            raise _Mismatch
        kwargs = {k: fields[k](v) for k, v in data.items()}
        try:
            return self.tp(**kwargs)
        except TypeError:
            raise _Mismatch from None


def _same(data: Any) -> Any:
    return data


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise _Mismatch


def _str(data: Any) -> str:
    if isinstance(data, str):
        return data
    raise _Mismatch


def _str_subclass(tp: type[str], data: Any) -> str:
    if isinstance(data, str):
        return tp(data)
    raise _Mismatch


def _exact(tp: type, data: Any) -> Any:
    if type(data) is tp:
        return data
    raise _Mismatch


def _never(data: Any) -> Any:
    raise _Mismatch


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
