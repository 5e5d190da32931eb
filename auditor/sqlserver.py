"""SQL Server native backup facts (REQUIREMENTS.md §3) shared by collectors and checks."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.inventory import DBInstance, OptionGroup, RegionInventory

OPTION = "SQLSERVER_BACKUP_RESTORE"
ROLE_SETTING = "IAM_ROLE_ARN"
ACTIVE = "in-sync"

BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation")
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:GetObjectAttributes",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
)
# Veeam creates temporary buckets per run with undocumented names: a name no policy could
# anticipate stands for them.
PROBE_BUCKET = "preflight-probe-3f9c27d1e8b4"
PROBE_KEY = "preflight-probe/backup.bak"


def bucket_arn(partition: str, bucket: str) -> str:
    return f"arn:{partition}:s3:::{bucket}"


def partition_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


@dataclass(frozen=True)
class BackupOption:
    """What the option groups applied to a DB instance say about native backup."""

    group: str | None  # the group that carries the option (or the first applied one)
    group_arn: str | None
    membership: str | None  # its membership status on the DB instance
    role_arn: str | None
    problem: str | None  # None: the option is there, active, with a role
    unread: str | None = None  # the group that could not be read


def backup_option(unit: RegionInventory, db: DBInstance) -> BackupOption:
    groups: list[tuple[str, str, OptionGroup | None]] = [
        (m.name, m.status, unit.option_groups.get(m.name)) for m in db.option_groups
    ]
    if not groups:
        return BackupOption(None, None, None, None, "no option group is applied")
    for name, status, group in groups:
        if group is not None and OPTION in group.options:
            role = group.options[OPTION].get(ROLE_SETTING) or None
            if role is None:
                problem: str | None = f"{OPTION} in {name} has no {ROLE_SETTING} setting"
            elif status != ACTIVE:
                problem = (
                    f"option group {name} is '{status}' on the DB instance, not yet '{ACTIVE}'"
                )
            else:
                problem = None
            return BackupOption(name, group.arn, status, role, problem)
    unread = next((name for name, _, group in groups if group is None), None)
    name, status, group = groups[0]
    if group is not None and not group.exists:
        where = (
            "the default option group, which cannot hold options"
            if name.startswith("default:")
            else f"option group {name}, which does not exist"
        )
        problem = f"no {OPTION} option: the DB instance uses {where}"
    else:
        problem = f"option group {name} has no {OPTION} option"
    return BackupOption(name, group.arn if group else None, status, None, problem, unread)
