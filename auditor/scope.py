"""Which DB instances are targets (DESIGN.md verdict rule 5).

Veeam backs up PostgreSQL and SQL Server DB instances. Others are listed as skipped with the
reason, unless ``--db-instance`` names them: then they are targets and `rds.engine-supported`
fails for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.inventory import DBInstance

SQLSERVER_ENGINES = frozenset({"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web"})
SQLSERVER_FAMILY = SQLSERVER_ENGINES | {"sqlserver-dev-ee"}
POSTGRES_ENGINES = frozenset({"postgres"})

_ENGINE_NAMES = (
    ("aurora", "Aurora"),
    ("mysql", "MySQL"),
    ("mariadb", "MariaDB"),
    ("oracle", "Oracle"),
    ("db2", "Db2"),
    ("custom-", "RDS Custom"),
)


def engine_family_name(engine: str) -> str:
    for prefix, name in _ENGINE_NAMES:
        if engine.startswith(prefix):
            return name
    return engine


def unsupported_reason(db: DBInstance) -> str | None:
    """Why Veeam cannot back this DB instance up at all, or None if it is a candidate."""
    if db.engine.startswith("aurora"):
        return "Veeam Backup for AWS does not take image-level backups of Aurora DB instances"
    if db.db_cluster_id:
        return (
            f"member of DB cluster {db.db_cluster_id}: Veeam Backup for AWS does not back up "
            "Multi-AZ DB cluster deployments"
        )
    if db.engine in POSTGRES_ENGINES or db.engine in SQLSERVER_FAMILY:
        return None
    return (
        f"Veeam Backup for AWS creates no image-level backups of {engine_family_name(db.engine)} "
        "DB instances (it still takes snapshots of them)"
    )


@dataclass
class Scope:
    targets: list[DBInstance]
    skipped: list[tuple[DBInstance, str]]


def select(db_instances: list[DBInstance], requested: list[str]) -> Scope:
    """Split one unit's DB instances into targets and skipped ones."""
    if requested:
        wanted = set(requested)
        return Scope([db for db in db_instances if db.db_instance_id in wanted], [])
    targets: list[DBInstance] = []
    skipped: list[tuple[DBInstance, str]] = []
    for db in db_instances:
        reason = unsupported_reason(db)
        if reason is None:
            targets.append(db)
        else:
            skipped.append((db, reason))
    return Scope(targets, skipped)
