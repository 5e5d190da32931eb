"""Subnets and network ACLs of the target VPCs (one filtered, paginated call each)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, need_list, optional, tags
from auditor.constants import SUBNETS
from auditor.inventory import NaclEntry, NetworkAcl, Subnet

DESCRIBE_SUBNETS = ApiCall("ec2", "DescribeSubnets", "ec2:DescribeSubnets")
DESCRIBE_NETWORK_ACLS = ApiCall("ec2", "DescribeNetworkAcls", "ec2:DescribeNetworkAcls")


def parse_subnet(raw: dict[str, Any]) -> Subnet:
    return Subnet(
        subnet_id=need(raw, "SubnetId", str),
        vpc_id=need(raw, "VpcId", str),
        availability_zone=need(raw, "AvailabilityZone", str),
        state=need(raw, "State", str),
        cidr=need(raw, "CidrBlock", str),
        available_ips=need(raw, "AvailableIpAddressCount", int),
        map_public_ip=need(raw, "MapPublicIpOnLaunch", bool),  # off would make private modes
        owner_id=optional(raw, "OwnerId", str),
        tags=tags(raw),
    )


def parse_nacl(raw: dict[str, Any]) -> NetworkAcl:
    entries = []
    for e in need_list(raw, "Entries"):
        ports = e.get("PortRange") or {}
        entries.append(
            NaclEntry(
                rule_number=need(e, "RuleNumber", int),
                egress=need(e, "Egress", bool),
                protocol=need(e, "Protocol", str),
                action=need(e, "RuleAction", str),
                cidr=e.get("CidrBlock"),
                port_from=ports.get("From"),
                port_to=ports.get("To"),
            )
        )
    return NetworkAcl(
        acl_id=need(raw, "NetworkAclId", str),
        vpc_id=need(raw, "VpcId", str),
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
            with ctx.parsing(DESCRIBE_SUBNETS):
                ctx.inventory.subnets = sorted(
                    (parse_subnet(r) for r in subnets), key=lambda s: s.subnet_id
                )
        acls = ctx.paginate_by_vpc(DESCRIBE_NETWORK_ACLS, "NetworkAcls")
        if acls is not None:
            with ctx.parsing(DESCRIBE_NETWORK_ACLS):
                ctx.inventory.network_acls = sorted(
                    (parse_nacl(r) for r in acls), key=lambda a: a.acl_id
                )
