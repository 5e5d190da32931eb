"""Report files: DESIGN.md's names, written atomically (temporary file, fsync, rename).

An interrupted run leaves the previous `latest.*` and every earlier report intact.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path


def report_who(account_ids: list[str]) -> str:
    return account_ids[0] if len(account_ids) == 1 else "multi"


def report_stem(account_ids: list[str], when: datetime) -> str:
    return f"preflight-{report_who(account_ids)}-{when.strftime('%Y%m%dT%H%M%SZ')}"


def write_atomic(path: Path, text: str, private: bool = False) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    The file gets the process umask's permissions (never widened); ``private`` files (snapshots:
    the account's whole network layout) are 0600 whatever the umask."""
    logging.getLogger(__name__).debug("writing %s (%d characters)", path, len(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(outputs: dict[str, str], output_dir: Path, stem: str) -> list[Path]:
    """For each extension -> text: ``<stem>.<ext>`` and ``latest.<ext>``; returns the paths."""
    written: list[Path] = []
    for ext, text in outputs.items():
        stamped = output_dir / f"{stem}.{ext}"
        write_atomic(stamped, text)
        write_atomic(output_dir / f"latest.{ext}", text)
        written.append(stamped)
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
