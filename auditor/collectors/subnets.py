"""Subnets and network ACLs of the target VPCs (one filtered, paginated call each)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.constants import SUBNETS
from auditor.inventory import NaclEntry, NetworkAcl, Subnet

DESCRIBE_SUBNETS = ApiCall("ec2", "DescribeSubnets", "ec2:DescribeSubnets")
DESCRIBE_NETWORK_ACLS = ApiCall("ec2", "DescribeNetworkAcls", "ec2:DescribeNetworkAcls")


def parse_subnet(raw: dict[str, Any]) -> Subnet:
    return Subnet(
        subnet_id=raw["SubnetId"],
        vpc_id=raw.get("VpcId", ""),
        availability_zone=raw.get("AvailabilityZone", ""),
        state=raw.get("State", ""),
        cidr=raw.get("CidrBlock", ""),
        available_ips=int(raw.get("AvailableIpAddressCount", 0) or 0),
        map_public_ip=bool(raw.get("MapPublicIpOnLaunch", False)),
    )


def parse_nacl(raw: dict[str, Any]) -> NetworkAcl:
    entries = []
    for e in raw.get("Entries", []):
        ports = e.get("PortRange") or {}
        entries.append(
            NaclEntry(
                rule_number=int(e.get("RuleNumber", 32767)),
                egress=bool(e.get("Egress", False)),
                protocol=str(e.get("Protocol", "-1")),
                action=str(e.get("RuleAction", "deny")),
                cidr=e.get("CidrBlock"),
                port_from=ports.get("From"),
                port_to=ports.get("To"),
            )
        )
    return NetworkAcl(
        acl_id=raw["NetworkAclId"],
        vpc_id=raw.get("VpcId", ""),
        default=bool(raw.get("IsDefault", False)),
        subnet_ids=sorted(a["SubnetId"] for a in raw.get("Associations", []) if a.get("SubnetId")),
        entries=sorted(entries, key=lambda x: (x.egress, x.rule_number)),
    )


class SubnetsCollector(Collector):
    name: ClassVar[str] = SUBNETS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_SUBNETS, DESCRIBE_NETWORK_ACLS)

    def collect(self, ctx: UnitContext) -> None:
        subnets = ctx.paginate_by_vpc(DESCRIBE_SUBNETS, "Subnets")
        if subnets is not None:
            ctx.inventory.subnets = sorted(
                (parse_subnet(r) for r in subnets), key=lambda s: s.subnet_id
            )
        acls = ctx.paginate_by_vpc(DESCRIBE_NETWORK_ACLS, "NetworkAcls")
        if acls is not None:
            ctx.inventory.network_acls = sorted(
                (parse_nacl(r) for r in acls), key=lambda a: a.acl_id
            )
