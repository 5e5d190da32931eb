"""Files a user hands in (snapshots, reports, configs, policies, accounts files), read one way:
a regular file (not a device such as /dev/zero, not a directory), within a size bound, UTF-8
(a UTF-16 file, as Windows editors save it, is named as such). Each refusal is one line
naming the file and what to do (PreflightError: exit 2)."""

from __future__ import annotations

import stat
from pathlib import Path

from auditor.errors import PreflightError
from auditor.strict_json import MAX_BYTES as MAX_INPUT_BYTES  # one bound for files and JSON

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_input(path: Path, what: str, hint: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of ``path``; ``what`` names it ("the snapshot"), ``hint`` says what to give."""
    try:
        info = path.stat()
    except OSError as exc:
        raise PreflightError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise PreflightError(f"{what} {path} is {kind}: {hint}")
    if info.st_size > limit:
        raise PreflightError(
            f"{what} {path} is larger than {limit // (1024 * 1024) or 1} MiB: {hint}"
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise PreflightError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise PreflightError(
            f"{what} {path} is larger than {limit // (1024 * 1024) or 1} MiB: {hint}"
        )
    if raw.startswith(UTF16_BOMS):
        raise PreflightError(f"{what} {path} is UTF-16 text: save it as UTF-8 ({hint})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PreflightError(f"{what} {path} is not UTF-8 text: {hint}") from None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


__all__ = ["MAX_INPUT_BYTES", "read_input"]
