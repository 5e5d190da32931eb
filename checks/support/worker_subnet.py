"""What subnet.public-ip and subnet.worker-candidate share: a subnet Veeam can put a worker in,
in the DB instance's own VPC and Availability Zone (DESIGN.md "Worker subnets")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Status
from auditor.workers import Plan
from checks.base import Check, CheckContext


class WorkerSubnetCheck(Check):
    plan_mode: ClassVar[Mode]  # the mode whose candidates this check reports
    wants: ClassVar[str]  # what a candidate has, in words
    fix_flag: ClassVar[str]  # the modify-subnet-attribute flag that makes a subnet a candidate
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES, parts.SUBNETS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        db = ctx.db
        plan = ctx.workers.plan(db, self.plan_mode)
        if not plan.subnets_read:
            error = ctx.region.error_for("DescribeSubnets")
            yield ctx.unknown(f"the subnets of {db.vpc_id}", error, resource_id=db.vpc_id)
            return
        evidence: dict[str, str | list[str]] = {
            "vpc": db.vpc_id or "",
            "availability_zone": db.availability_zone or "",
            "candidates": [s.subnet_id for s in plan.candidates],
            "subnets_in_az": [s.subnet_id for s in plan.in_az],
        }
        if plan.ignored:
            evidence["ignored_worker_subnets"] = plan.ignored
        picked = (
            "from the worker configuration (--worker-subnet)"
            if ctx.config.subnet_ids
            else "(no worker configuration given: assuming Veeam may pick any of them)"
        )
        if plan.candidates:
            ids = ", ".join(s.subnet_id for s in plan.candidates)
            yield ctx.finding(
                Status.PASS,
                f"{len(plan.candidates)} subnet(s) of {db.vpc_id} in {db.availability_zone} "
                f"{self.wants}: {ids} {picked}",
                resource_id=plan.candidates[0].subnet_id,
                evidence=evidence,
            )
            return
        reasons = "; ".join(plan.exclusions()) or f"{db.vpc_id} has no subnet there"
        ignored = (
            f"; --worker-subnet {', '.join(plan.ignored)} not in {db.vpc_id}/{db.availability_zone}"
            if plan.ignored
            else ""
        )
        yield ctx.finding(
            Status.FAIL,
            f"no subnet of {db.vpc_id} in {db.availability_zone} (the DB instance's Availability "
            f"Zone) {self.wants} ({reasons}{ignored})",
            resource_id=db.vpc_id,
            remediation=self.remediation(ctx, plan),
            evidence=evidence,
        )

    def remediation(self, ctx: CheckContext, plan: Plan) -> str:
        pins = set(ctx.config.subnet_ids)
        fixable = [
            s
            for s in plan.in_az
            if s.state == "available" and s.available_ips > 0 and (not pins or s.subnet_id in pins)
        ]
        if fixable:
            subnet = fixable[0].subnet_id
            return f"aws ec2 modify-subnet-attribute --subnet-id {subnet} {self.fix_flag}"
        db = ctx.db
        return (
            f"aws ec2 create-subnet --vpc-id {db.vpc_id} "
            f"--availability-zone {db.availability_zone} "
            "--cidr-block <a free CIDR of the VPC> --query Subnet.SubnetId\n"
            f"aws ec2 modify-subnet-attribute --subnet-id <the new subnet id> {self.fix_flag}"
        )
