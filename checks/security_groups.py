"""ec2.security-group-headroom and ec2.worker-security-group.

Veeam attaches one new security group to the DB instance and one to the worker for every
session (REQUIREMENTS.md §4): the DB instance needs room for one more group, the region room
for two per DB instance processed at once. With a worker configuration, its group must let
HTTPS out.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from ipaddress import IPv4Network
from typing import ClassVar

from auditor.collectors.security_groups import (
    DB_SECURITY_GROUPS_BEFORE_QUOTA,
    SG_PER_INTERFACE,
    SG_PER_REGION,
)
from auditor.inventory import SecurityGroup
from auditor.model import Finding, Mode, Status
from auditor.network import EVERYWHERE, sg_admits
from auditor.workers import available, is_service
from checks import docs
from checks.base import Check, CheckContext


class SecurityGroupHeadroom(Check):
    id: ClassVar[str] = "ec2.security-group-headroom"
    title: ClassVar[str] = "Room for the security group Veeam adds to the DB instance"
    scopes: ClassVar[frozenset[str]] = frozenset({"target", "region"})
    reads: ClassVar[tuple[str, ...]] = ("rds.db_instances", "ec2.security_groups")
    docs: ClassVar[tuple[str, ...]] = (docs.V_BACKUP_HIW_RDS, docs.A_VPC_QUOTAS, docs.A_RDS_QUOTAS)

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


class WorkerSecurityGroup(Check):
    id: ClassVar[str] = "ec2.worker-security-group"
    title: ClassVar[str] = "The worker configuration's security group lets HTTPS out"
    reads: ClassVar[tuple[str, ...]] = ("ec2.security_groups", "ec2.vpc_attributes")
    docs: ClassVar[tuple[str, ...]] = (docs.V_WORKER_NETWORK, docs.V_SG_WORKERS, docs.V_LIMITATIONS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        wanted = ctx.config.security_group_ids
        if not wanted or ctx.located() is not None:
            return  # applies only with --worker-security-group
        unit, db = ctx.region, ctx.db
        if unit.security_groups is None:
            error = unit.error_for("DescribeSecurityGroups")
            yield ctx.unknown("the worker security group", error)
            return
        groups = [g for g in unit.security_groups if g.group_id in wanted and g.vpc_id == db.vpc_id]
        if not groups:
            yield ctx.finding(
                Status.WARN,
                f"none of the --worker-security-group groups ({', '.join(wanted)}) is in "
                f"{db.vpc_id}: they are ignored for this DB instance",
                resource_id=db.vpc_id,
                evidence={"ignored_worker_security_groups": list(wanted)},
            )
            return
        for group in groups:
            yield from ctx.per_mode(partial(self.judge_modes, ctx, group=group))

    def judge_modes(self, ctx: CheckContext, mode: Mode, group: SecurityGroup) -> list[Finding]:
        return [self.judge(ctx, mode, group)]

    def judge(self, ctx: CheckContext, mode: Mode, group: SecurityGroup) -> Finding:
        unit, db = ctx.region, ctx.db
        gid = group.group_id
        if mode is Mode.PUBLIC:
            needs = {"the internet (0.0.0.0/0)": [EVERYWHERE]}
        else:
            vpc = unit.vpcs.get(db.vpc_id or "")
            if vpc is None or vpc.cidrs is None:
                return ctx.unknown(f"egress of {gid}", unit.error_for("DescribeVpcs"), modes=[mode])
            needs = {"the VPC's endpoints": [IPv4Network(c) for c in vpc.cidrs]}
            s3_lists = self.s3_prefix_lists(ctx)
            if not any(pl in r.prefix_lists for r in group.egress for pl in s3_lists):
                needs["S3 (its prefix list or 0.0.0.0/0)"] = [EVERYWHERE]
        missing, by_reference = [], []
        for what, nets in needs.items():
            verdicts = {sg_admits(group.egress, 443, n) for n in nets}
            if "no" in verdicts:
                missing.append(what)
            elif "reference" in verdicts:
                by_reference.append(what)
        evidence: dict[str, str | list[str]] = {"security_group": gid}
        if missing:
            cidr = "0.0.0.0/0" if mode is Mode.PUBLIC else str(needs[missing[0]][0])
            return ctx.finding(
                Status.FAIL,
                f"worker security group {gid} does not allow outbound TCP 443 to "
                + ", ".join(missing),
                resource_id=gid,
                remediation=(
                    f"aws ec2 authorize-security-group-egress --group-id {gid} --protocol tcp "
                    f"--port 443 --cidr {cidr}"
                ),
                evidence=evidence,
                modes=[mode],
            )
        if by_reference:
            return ctx.finding(
                Status.WARN,
                f"worker security group {gid} allows outbound TCP 443 to "
                + ", ".join(by_reference)
                + " only through security-group references, which this audit cannot resolve",
                resource_id=gid,
                evidence=evidence,
                modes=[mode],
            )
        return ctx.finding(
            Status.PASS,
            f"worker security group {gid} allows outbound TCP 443 to " + ", ".join(needs),
            resource_id=gid,
            evidence=evidence,
            modes=[mode],
        )

    def s3_prefix_lists(self, ctx: CheckContext) -> set[str]:
        """Prefix lists of the S3 gateway endpoints' routes in the DB's VPC."""
        unit, vpc_id = ctx.region, ctx.db.vpc_id
        endpoints = {
            e.endpoint_id
            for e in unit.vpc_endpoints or []
            if e.vpc_id == vpc_id and is_service(e, unit.region, "s3") and available(e.state)
        }
        return {
            r.prefix_list_id
            for t in unit.route_tables or []
            for r in t.routes
            if r.prefix_list_id and r.target in endpoints
        }
