"""ec2.security-group-headroom: Veeam attaches one new security group to the DB instance for
every session (REQUIREMENTS.md §4): the DB instance needs room for one more group, the region
room for two per DB instance processed at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.constants import DB_SECURITY_GROUPS_BEFORE_QUOTA, SG_PER_INTERFACE, SG_PER_REGION
from auditor.model import Finding, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class SecurityGroupHeadroom(Check):
    id: ClassVar[str] = "ec2.security-group-headroom"
    title: ClassVar[str] = "Room for the security group Veeam adds to the DB instance"
    path_hop: ClassVar[str] = "db"
    scopes: ClassVar[frozenset[str]] = frozenset({"target", "region"})
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES, parts.SECURITY_GROUPS)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_BACKUP_HIW_RDS,
        docs.A_VPC_QUOTAS,
        docs.A_RDS_QUOTAS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        count = len(db.security_groups)
        evidence: dict[str, str | list[str]] = {
            "security_groups": [g.group_id for g in db.security_groups]
        }
        if count < DB_SECURITY_GROUPS_BEFORE_QUOTA:
            yield ctx.finding(
                Status.PASS,
                f"{db.db_instance_id} has {count} VPC security group(s): room for Veeam's one more",
                resource_id=db.db_instance_id,
                evidence=evidence,
            )
            return
        quota = ctx.region.quotas.get(SG_PER_INTERFACE)
        if quota is None:
            error = ctx.region.error_for("GetServiceQuota", SG_PER_INTERFACE)
            yield ctx.unknown(
                f"the security groups per network interface quota (L-2AFB9258) for "
                f"{db.db_instance_id}, which already has {count} groups",
                error,
                resource_id=db.db_instance_id,
            )
            return
        evidence["quota_security_groups_per_interface"] = f"{quota:g}"
        if count >= quota:
            yield ctx.finding(
                Status.FAIL,
                f"{db.db_instance_id} already has {count} VPC security groups and the quota per "
                f"network interface is {quota:g}: Veeam cannot attach its group for the backup",
                resource_id=db.db_instance_id,
                remediation=(
                    f"aws rds modify-db-instance --db-instance-identifier {db.db_instance_id} "
                    "--vpc-security-group-ids <at most 4 of the current groups> --apply-immediately"
                ),
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.WARN,
            f"{db.db_instance_id} has {count} VPC security groups; the interface quota is "
            f"{quota:g}, but RDS may still cap VPC security groups per DB instance at 5 "
            "(unconfirmed): Veeam's extra group may be refused",
            resource_id=db.db_instance_id,
            evidence=evidence,
        )

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        unit = ctx.region
        quota, used = unit.quotas.get(SG_PER_REGION), unit.security_group_count
        if quota is None or used is None:
            return  # the failed read is in `errors`; the region part never decides a verdict
        needed = used + 2 * len(ctx.targets)
        evidence: dict[str, str | list[str]] = {
            "security_groups_in_region": str(used),
            "quota_vpc_security_groups_per_region": f"{quota:g}",
            "targets": str(len(ctx.targets)),
        }
        status = Status.PASS if needed <= quota else Status.WARN
        verb = "leaves room for" if status is Status.PASS else "does not leave room for"
        yield ctx.finding(
            status,
            f"{used} security groups in {unit.region} against a quota of {quota:g} {verb} "
            f"2 more per DB instance ({len(ctx.targets)} targets) if Veeam backs them up at once",
            resource_id=SG_PER_REGION.split("/")[1],
            evidence=evidence,
        )
