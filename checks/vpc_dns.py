"""vpc.dns-support and vpc.dns-hostnames: the DB instance's VPC resolves names.

Veeam needs DNS resolution in every mode; private DNS of interface endpoints (the two private
modes) needs DNS hostnames as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor.model import Finding, Mode, Status
from checks import docs
from checks.base import Check, CheckContext


class _VpcAttributeCheck(Check):
    attribute: ClassVar[str]  # the API attribute name
    field: ClassVar[str]  # the Vpc field holding it
    option: ClassVar[str]  # the modify-vpc-attribute option
    why: ClassVar[str]
    reads: ClassVar[tuple[str, ...]] = ("rds.db_instances", "ec2.vpc_attributes")

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


class DnsSupport(_VpcAttributeCheck):
    id: ClassVar[str] = "vpc.dns-support"
    title: ClassVar[str] = "DNS resolution on the DB instance's VPC"
    attribute: ClassVar[str] = "enableDnsSupport"
    field: ClassVar[str] = "dns_support"
    option: ClassVar[str] = "enable-dns-support"
    why: ClassVar[str] = "Veeam's workers need DNS resolution in the VPC in every worker mode"
    docs: ClassVar[tuple[str, ...]] = (
        docs.V_TARGET_SETTINGS_RDS,
        docs.V_WORKER_NETWORK,
        docs.A_VPC_DNS,
    )


class DnsHostnames(_VpcAttributeCheck):
    id: ClassVar[str] = "vpc.dns-hostnames"
    title: ClassVar[str] = "DNS hostnames on the DB instance's VPC (private DNS of endpoints)"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    attribute: ClassVar[str] = "enableDnsHostnames"
    field: ClassVar[str] = "dns_hostnames"
    option: ClassVar[str] = "enable-dns-hostnames"
    why: ClassVar[str] = (
        "private DNS names of the ssm, ssmmessages and sqs interface endpoints resolve only "
        "when both DNS resolution and DNS hostnames are on"
    )
    docs: ClassVar[tuple[str, ...]] = (docs.V_CREATE_ENDPOINTS_PROD, docs.A_VPC_DNS)
