"""The target VPCs: their CIDR blocks (one filtered DescribeVpcs) and DNS attributes (no bulk
form: 2 DescribeVpcAttribute calls per VPC)."""

from __future__ import annotations

from typing import ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, tags
from auditor.constants import VPC_ATTRIBUTES
from auditor.inventory import Vpc

DESCRIBE_VPC_ATTRIBUTE = ApiCall("ec2", "DescribeVpcAttribute", "ec2:DescribeVpcAttribute")
DESCRIBE_VPCS = ApiCall("ec2", "DescribeVpcs", "ec2:DescribeVpcs")

# (API attribute name, response key, Vpc field)
DNS_ATTRIBUTES = (
    ("enableDnsSupport", "EnableDnsSupport", "dns_support"),
    ("enableDnsHostnames", "EnableDnsHostnames", "dns_hostnames"),
)


class VpcAttributesCollector(Collector):
    name: ClassVar[str] = VPC_ATTRIBUTES
    stage: ClassVar[int] = 1
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_VPC_ATTRIBUTE, DESCRIBE_VPCS)

    def collect(self, ctx: UnitContext) -> None:
        vpc_ids = ctx.target_vpc_ids()
        with ctx.lock:
            vpcs = {v: ctx.inventory.vpcs.setdefault(v, Vpc(v)) for v in vpc_ids}

        def read(job: tuple[str, tuple[str, str, str]]) -> None:
            vpc_id, (attribute, key, field_name) = job
            try:
                response = ctx.call(
                    DESCRIBE_VPC_ATTRIBUTE, resource_id=vpc_id, VpcId=vpc_id, Attribute=attribute
                )
            except Absent:
                vpcs[vpc_id].exists = False
                return
            if response is not None:
                with ctx.parsing(DESCRIBE_VPC_ATTRIBUTE, vpc_id):  # absent is not "off" either
                    value = need(need(response, key, dict), "Value", bool)
                    setattr(vpcs[vpc_id], field_name, value)

        ctx.fan_out(read, [(v, attr) for v in vpc_ids for attr in DNS_ATTRIBUTES])
        described = ctx.paginate_by_vpc(DESCRIBE_VPCS, "Vpcs")
        if described is not None:
            for raw in described:
                if raw["VpcId"] in vpcs:
                    with ctx.parsing(DESCRIBE_VPCS, raw["VpcId"]):
                        vpcs[raw["VpcId"]].tags = tags(raw)
                    vpcs[raw["VpcId"]].name = (vpcs[raw["VpcId"]].tags or {}).get("Name")
                    vpcs[raw["VpcId"]].cidrs = sorted(
                        a["CidrBlock"]
                        for a in raw.get("CidrBlockAssociationSet", [])
                        if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
                    ) or ([raw["CidrBlock"]] if raw.get("CidrBlock") else [])
