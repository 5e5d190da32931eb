"""What vpc.dns-support and vpc.dns-hostnames share: a boolean attribute of the DB instance's VPC
(DescribeVpcAttribute) that must be on, with the modify-vpc-attribute fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from checks.base import Check, CheckContext


class VpcAttributeCheck(Check):
    attribute: ClassVar[str]  # the API attribute name
    field: ClassVar[str]  # the Vpc field holding it
    option: ClassVar[str]  # the modify-vpc-attribute option
    why: ClassVar[str]
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES, parts.VPC_ATTRIBUTES)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        vpc_id = ctx.db.vpc_id
        vpc = ctx.region.vpcs.get(vpc_id) if vpc_id else None
        if vpc_id is None:
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not check {self.attribute}: DescribeDBInstances reported no VPC "
                "(DB subnet group) for this DB instance",
                resource_id=ctx.db.db_instance_id,
            )
            return
        if vpc is not None and not vpc.exists:
            yield ctx.finding(
                Status.FAIL, f"VPC {vpc_id} of this DB instance does not exist", resource_id=vpc_id
            )
            return
        value = getattr(vpc, self.field) if vpc is not None else None
        named = {"vpc_name": vpc.name} if vpc is not None and vpc.name else {}
        if value is None:
            error = ctx.region.error_for("DescribeVpcAttribute", vpc_id)
            yield ctx.unknown(f"{self.attribute} of {vpc_id}", error, resource_id=vpc_id)
        elif value:
            yield ctx.finding(
                Status.PASS,
                f"{self.attribute} is on for {vpc_id}",
                resource_id=vpc_id,
                evidence={self.attribute: "true", **named},
            )
        else:
            yield ctx.finding(
                Status.FAIL,
                f"{self.attribute} is off for {vpc_id}: {self.why}",
                resource_id=vpc_id,
                remediation=(
                    f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} --{self.option} "
                    """'{"Value":true}'"""
                ),
                evidence={self.attribute: "false", **named},
            )
