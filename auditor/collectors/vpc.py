"""The DNS attributes of the VPCs that targets live in (no bulk form: 2 calls per VPC)."""

from __future__ import annotations

from typing import ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.inventory import Vpc

DESCRIBE_VPC_ATTRIBUTE = ApiCall("ec2", "DescribeVpcAttribute", "ec2:DescribeVpcAttribute")

# (API attribute name, response key, Vpc field)
DNS_ATTRIBUTES = (
    ("enableDnsSupport", "EnableDnsSupport", "dns_support"),
    ("enableDnsHostnames", "EnableDnsHostnames", "dns_hostnames"),
)


class VpcAttributesCollector(Collector):
    name: ClassVar[str] = "ec2.vpc_attributes"
    stage: ClassVar[int] = 1
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_VPC_ATTRIBUTE,)

    def collect(self, ctx: UnitContext) -> None:
        vpc_ids = sorted({db.vpc_id for db in ctx.targets() if db.vpc_id})
        vpcs = {vpc_id: Vpc(vpc_id) for vpc_id in vpc_ids}
        ctx.inventory.vpcs.update(vpcs)

        def read(job: tuple[str, tuple[str, str, str]]) -> None:
            vpc_id, (attribute, key, field_name) = job
            try:
                response = ctx.call(
                    DESCRIBE_VPC_ATTRIBUTE, resource_id=vpc_id, VpcId=vpc_id, Attribute=attribute
                )
            except Absent:
                vpcs[vpc_id].exists = False
                return
            if response is not None and key in response:
                setattr(vpcs[vpc_id], field_name, bool(response[key].get("Value")))

        ctx.fan_out(read, [(v, attr) for v in vpc_ids for attr in DNS_ATTRIBUTES])
