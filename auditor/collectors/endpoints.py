"""VPC endpoints of the target VPCs (one filtered, paginated call)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.collectors.fields import need
from auditor.constants import VPC_ENDPOINTS
from auditor.inventory import VpcEndpoint

DESCRIBE_VPC_ENDPOINTS = ApiCall("ec2", "DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints")


def parse_endpoint(raw: dict[str, Any]) -> VpcEndpoint:
    return VpcEndpoint(
        endpoint_id=raw["VpcEndpointId"],
        vpc_id=need(raw, "VpcId", str),
        service_name=need(raw, "ServiceName", str),
        endpoint_type=need(raw, "VpcEndpointType", str),
        state=need(raw, "State", str),
        private_dns=bool(raw.get("PrivateDnsEnabled", False)),
        subnet_ids=sorted(raw.get("SubnetIds", [])),
        security_group_ids=sorted(g["GroupId"] for g in raw.get("Groups", []) if g.get("GroupId")),
        route_table_ids=sorted(raw.get("RouteTableIds", [])),
    )


class EndpointsCollector(Collector):
    name: ClassVar[str] = VPC_ENDPOINTS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_VPC_ENDPOINTS,)

    def collect(self, ctx: UnitContext) -> None:
        endpoints = ctx.paginate_by_vpc(DESCRIBE_VPC_ENDPOINTS, "VpcEndpoints")
        if endpoints is not None:
            with ctx.parsing(DESCRIBE_VPC_ENDPOINTS):
                ctx.inventory.vpc_endpoints = sorted(
                    (parse_endpoint(e) for e in endpoints), key=lambda e: e.endpoint_id
                )
