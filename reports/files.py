"""Report files: DESIGN.md's names, written atomically (temporary file, fsync, rename).

An interrupted run leaves the previous `latest.*` and every earlier report intact.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TextIO


def report_who(account_ids: list[str]) -> str:
    return account_ids[0] if len(account_ids) == 1 else "multi"


def report_stem(account_ids: list[str], when: datetime) -> str:
    return f"preflight-{report_who(account_ids)}-{when.strftime('%Y%m%dT%H%M%SZ')}"


def write_atomic(path: Path, text: str, private: bool = False) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    The file gets the process umask's permissions (never widened); ``private`` files (snapshots:
    the account's whole network layout) are 0600 whatever the umask."""
    logging.getLogger(__name__).debug("writing %s (%d characters)", path, len(text))
    with _Staged([path], private) as staged:
        staged.write(text)
        staged.commit()


class _Staged:
    """Temporary files beside ``paths``, written together; ``commit`` renames them into place
    (after an fsync each), leaving them never renamed removes them."""

    def __init__(self, paths: list[Path], private: bool = False) -> None:
        self.paths, self.private = paths, private
        self.temps: list[str] = []
        self.handles: list[TextIO] = []

    def __enter__(self) -> _Staged:
        try:
            for path in self.paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                self.temps.append(tmp)
                self.handles.append(os.fdopen(fd, "w", encoding="utf-8"))
        except BaseException:
            self.discard()
            raise
        return self

    def write(self, text: str) -> None:
        for handle in self.handles:
            handle.write(text)

    def close(self) -> None:
        """Every file flushed to disk and closed, with the umask's (or private) mode."""
        for handle, tmp in zip(self.handles, self.temps, strict=True):
            if handle.closed:
                continue
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.chmod(tmp, 0o600 if self.private else 0o666 & ~_umask())

    def commit(self) -> None:
        self.close()
        for tmp, path in zip(self.temps, self.paths, strict=True):
            os.replace(tmp, path)
        self.temps = []

    def discard(self) -> None:
        for handle in self.handles:
            handle.close()
        for tmp in self.temps:
            Path(tmp).unlink(missing_ok=True)
        self.temps = []

    def __exit__(self, *exc: object) -> None:
        self.discard()


def write_reports(outputs: Mapping[str, Iterable[str]], output_dir: Path, stem: str) -> list[Path]:
    """For each extension -> its text, in pieces: ``<stem>.<ext>`` and ``latest.<ext>``; returns
    the paths. Each format is written as it is rendered (one at a time, never all held), to
    temporary files renamed only when every format is written: a run that fails or is
    interrupted midway leaves all the previous files as they were."""
    written: list[Path] = []
    staged: list[_Staged] = []
    with ExitStack() as leaving:  # discards whatever was not committed
        for ext, pieces in outputs.items():
            stamped = output_dir / f"{stem}.{ext}"
            files = leaving.enter_context(_Staged([stamped, output_dir / f"latest.{ext}"]))
            for piece in pieces:
                files.write(piece)
            files.close()
            staged.append(files)
            written.append(stamped)
        for files in staged:
            files.commit()
    return written


STAMPED = re.compile(
    r"^preflight-(\d{12}|multi|acct-[0-9a-f]+)-(\d{8}T\d{6}Z)\.(json|html|md|junit\.xml)$"
)


def prune(output_dir: Path, keep: int, who: str | None = None) -> list[Path]:
    """Keep the ``keep`` newest timestamped reports of each format of ``who`` (the account id or
    "multi" of the reports just written; None: any); other files are never touched."""
    removed: list[Path] = []
    by_ext: dict[str, list[tuple[str, Path]]] = {}
    for path in output_dir.iterdir():
        match = STAMPED.match(path.name)
        if match and (who is None or match.group(1) == who):
            by_ext.setdefault(match.group(3), []).append((match.group(2), path))
    for entries in by_ext.values():
        for _, path in sorted(entries, reverse=True)[keep:]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return sorted(removed)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(directory: Path) -> None:
    """Fail before any work when reports could not be written to ``directory`` (created if
    missing, as publishing would): OSError naming why."""
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".preflight-write-test-{os.getpid()}"
    probe.write_bytes(b"")
    probe.unlink()
