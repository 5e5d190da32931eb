"""rds.engine-supported: an engine and version Veeam backs up, in a state RDS can snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance
from auditor.model import Finding, Status
from auditor.scope import (
    POSTGRES_ENGINES,
    SQLSERVER_ENGINES,
    SQLSERVER_FAMILY,
    unsupported_reason,
)
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source

POSTGRES_SUPPORTED = range(12, 18)  # PostgreSQL 12-17 (Veeam v10, overview_rds)

FAILING_STATES = frozenset({"stopped", "stopping", "failed", "storage-full"})
FAILING_STATE_PREFIXES = ("inaccessible-encryption-credentials", "incompatible-")


def _major(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def engine_problem(db: DBInstance) -> tuple[Status, str, str | None]:
    """(status, sentence, remediation) for the engine and version."""
    name = f"{db.engine} {db.engine_version}".strip()
    reason = unsupported_reason(db)
    if reason is not None:
        return Status.FAIL, reason, None
    if db.engine in POSTGRES_ENGINES:
        major = _major(db.engine_version)
        if major is None:
            return (
                Status.WARN,
                f"PostgreSQL version {db.engine_version!r} could not be parsed",
                None,
            )
        if major < POSTGRES_SUPPORTED.start:
            return (
                Status.FAIL,
                f"{name} is older than PostgreSQL 12, the oldest version Veeam backs up",
                (
                    f"aws rds describe-db-engine-versions --engine postgres --engine-version "
                    f"{db.engine_version} --query "
                    "'DBEngineVersions[].ValidUpgradeTarget[?IsMajorVersionUpgrade].EngineVersion'\n"
                    f"aws rds modify-db-instance --db-instance-identifier {db.db_instance_id} "
                    "--engine-version <a 12-17 version from the list> "
                    "--allow-major-version-upgrade --apply-immediately"
                ),
            )
        if major >= POSTGRES_SUPPORTED.stop:
            return (
                Status.WARN,
                f"{name} is newer than PostgreSQL 17, the newest version Veeam documents "
                "(unconfirmed, not necessarily unsupported)",
                None,
            )
        return Status.PASS, f"{name} is supported (PostgreSQL 12-17)", None
    if db.engine in SQLSERVER_ENGINES:
        return Status.PASS, f"{name} is supported (SQL Server EE/SE/EX/Web)", None
    return (
        Status.WARN,
        f"{name}: Veeam and native backup support for Developer Edition is not documented",
        None,
    )


SQLSERVER_MAX_GIB = 5 * 1024  # Veeam backs up SQL Server databases of up to 5 TiB


def size_problem(db: DBInstance) -> tuple[Status, str, str | None]:
    if db.engine in SQLSERVER_FAMILY and db.allocated_storage_gib > SQLSERVER_MAX_GIB:
        return (
            Status.WARN,
            f"{db.allocated_storage_gib} GiB allocated: Veeam backs up SQL Server databases of up "
            f"to 5 TiB ({SQLSERVER_MAX_GIB} GiB); a larger database will not be backed up",
            None,
        )
    return Status.PASS, "", None


def state_problem(db: DBInstance) -> tuple[Status, str, str | None]:
    state = db.status
    if state == "available":
        return Status.PASS, "the DB instance is available", None
    if state in FAILING_STATES or state.startswith(FAILING_STATE_PREFIXES):
        fix = (
            f"aws rds start-db-instance --db-instance-identifier {db.db_instance_id}"
            if state in {"stopped", "stopping"}
            else None
        )
        return (
            Status.FAIL,
            f"the DB instance is {state!r}: RDS takes a DB snapshot, the first step of a Veeam "
            "backup, only of an available instance",
            fix,
        )
    return (
        Status.WARN,
        f"the DB instance is {state!r}, not 'available': a backup started now may fail",
        None,
    )


class EngineSupported(Check):
    id: ClassVar[str] = "rds.engine-supported"
    title: ClassVar[str] = "Engine, version and state Veeam can back up"
    path_hop: ClassVar[str] = "db"
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_OVERVIEW_RDS, docs.V_LIMITATIONS, docs.A_SNAPSHOT)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        parts = [engine_problem(db), state_problem(db), size_problem(db)]
        worst = max(parts, key=lambda p: _RANK[p[0]])[0]
        if worst is Status.PASS:
            message = "; ".join(p[1] for p in parts if p[1])
        else:
            message = "; ".join(p[1] for p in parts if p[0] is not Status.PASS)
        fixes = [p[2] for p in parts if p[2]]
        yield ctx.finding(
            worst,
            message,
            resource_id=db.db_instance_id,
            remediation="\n".join(fixes) or None,
            evidence={
                "engine": db.engine,
                "engine_version": db.engine_version,
                "status": db.status,
            },
        )


_RANK = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}
