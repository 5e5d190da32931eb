"""rds.sqlserver-backup-restore: the option group applied to a SQL Server DB instance carries
SQLSERVER_BACKUP_RESTORE with an IAM_ROLE_ARN, and the membership is active (in-sync)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance
from auditor.model import Finding, Status
from auditor.scope import SQLSERVER_FAMILY
from auditor.sqlserver import ACTIVE, OPTION, ROLE_SETTING, BackupOption, backup_option
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class BackupRestoreOption(Check):
    id: ClassVar[str] = "rds.sqlserver-backup-restore"
    title: ClassVar[str] = "SQLSERVER_BACKUP_RESTORE with an IAM role in the applied option group"
    path_hop: ClassVar[str] = "db"
    engines: ClassVar[frozenset[str] | None] = SQLSERVER_FAMILY
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES, parts.OPTION_GROUPS)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_LIMITATIONS,
        docs.V_TARGET_SETTINGS_RDS,
        docs.A_SQL_OPTION,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        option = backup_option(ctx.region, db)
        evidence: dict[str, str | list[str]] = {
            "option_groups": [f"{m.name} ({m.status})" for m in db.option_groups]
        }
        if option.role_arn:
            evidence["iam_role_arn"] = option.role_arn
        if option.problem is None:
            yield ctx.finding(
                Status.PASS,
                f"option group {option.group} ({ACTIVE}) has {OPTION} with {ROLE_SETTING} "
                f"{option.role_arn}",
                resource_id=option.group,
                evidence=evidence,
            )
            return
        if option.unread is not None:
            error = ctx.region.error_for("DescribeOptionGroups", option.unread)
            yield ctx.unknown(f"option group {option.unread}", error, resource_id=option.unread)
            return
        yield ctx.finding(
            Status.FAIL,
            f"{option.problem}: Veeam backs SQL Server up through native backups, which need it",
            resource_id=option.group or db.db_instance_id,
            remediation=remediation(db, option),
            evidence=evidence,
        )


def remediation(db: DBInstance, option: BackupOption) -> str:
    account = db.arn.split(":")[4] if db.arn.count(":") >= 5 else "<account id>"
    partition = db.arn.split(":")[1] if db.arn.count(":") >= 5 else "aws"
    role = option.role_arn or f"arn:{partition}:iam::{account}:role/<a role RDS can assume>"

    def add(group: str | None) -> str:
        return (
            f"aws rds add-option-to-option-group --option-group-name {group} --options "
            f'"OptionName={OPTION},OptionSettings=[{{Name={ROLE_SETTING},Value={role}}}]" '
            "--apply-immediately"
        )

    def apply(group: str | None) -> str:
        return (
            f"aws rds modify-db-instance --db-instance-identifier {db.db_instance_id} "
            f"--option-group-name {group} --apply-immediately"
        )

    if option.role_arn and option.membership != ACTIVE:
        return apply(option.group)
    if (
        option.group
        and not option.group.startswith("default:")
        and "does not exist" not in (option.problem or "")
    ):
        return add(option.group)
    major = ".".join(db.engine_version.split(".")[:2]) or "<major version>"
    group = f"{db.db_instance_id}-native-backup"
    return "\n".join(
        [
            f"aws rds create-option-group --option-group-name {group} --engine-name {db.engine} "
            f'--major-engine-version {major} --option-group-description "Native backup for Veeam"',
            add(group),
            apply(group),
        ]
    )
