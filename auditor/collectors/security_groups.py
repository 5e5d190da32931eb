"""Security groups (the region's, counted; the target VPCs', kept in full) and the two VPC
quotas that bound them: per network interface (L-2AFB9258, read only when a target already has
5 groups) and per region (L-E79EC296)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, need_list, tags
from auditor.constants import (
    DB_SECURITY_GROUPS_BEFORE_QUOTA,
    SECURITY_GROUPS,
    SG_PER_INTERFACE,
    SG_PER_REGION,
)
from auditor.inventory import SecurityGroup, SgRule

DESCRIBE_SECURITY_GROUPS = ApiCall("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups")
GET_SERVICE_QUOTA = ApiCall("service-quotas", "GetServiceQuota", "servicequotas:GetServiceQuota")


def parse_rule(raw: dict[str, Any]) -> SgRule:
    return SgRule(
        protocol=need(raw, "IpProtocol", str),  # a missing protocol is not "all"
        from_port=raw.get("FromPort"),
        to_port=raw.get("ToPort"),
        cidrs=sorted(r["CidrIp"] for r in raw.get("IpRanges", []) if r.get("CidrIp")),
        groups=sorted(g["GroupId"] for g in raw.get("UserIdGroupPairs", []) if g.get("GroupId")),
        prefix_lists=sorted(
            p["PrefixListId"] for p in raw.get("PrefixListIds", []) if p.get("PrefixListId")
        ),
    )


def parse_security_group(raw: dict[str, Any]) -> SecurityGroup:
    return SecurityGroup(
        group_id=need(raw, "GroupId", str),
        vpc_id=need(raw, "VpcId", str),
        ingress=[parse_rule(r) for r in need_list(raw, "IpPermissions")],
        egress=[parse_rule(r) for r in need_list(raw, "IpPermissionsEgress")],
        tags=tags(raw),
    )


class SecurityGroupsCollector(Collector):
    name: ClassVar[str] = SECURITY_GROUPS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_SECURITY_GROUPS, GET_SERVICE_QUOTA)

    def collect(self, ctx: UnitContext) -> None:
        inv = ctx.inventory
        if not ctx.targets():
            return
        groups = ctx.paginate(DESCRIBE_SECURITY_GROUPS, "SecurityGroups")
        if groups is not None:
            vpcs = set(ctx.target_vpc_ids())
            with ctx.parsing(DESCRIBE_SECURITY_GROUPS):
                inv.security_groups = sorted(
                    (parse_security_group(g) for g in groups if g.get("VpcId") in vpcs),
                    key=lambda g: g.group_id,
                )
                inv.security_group_count = len(groups)
        wanted = [SG_PER_REGION]
        if any(len(db.security_groups) >= DB_SECURITY_GROUPS_BEFORE_QUOTA for db in ctx.targets()):
            wanted.append(SG_PER_INTERFACE)

        def read(key: str) -> tuple[str, float | None]:
            service, code = key.split("/")
            try:
                answer = ctx.call(
                    GET_SERVICE_QUOTA, resource_id=key, ServiceCode=service, QuotaCode=code
                )
            except Absent:
                return key, None
            if answer is None:
                return key, None
            value: float | None = None
            with ctx.parsing(GET_SERVICE_QUOTA, key):
                value = float(need(need(answer, "Quota", dict), "Value", float))
            return key, value

        inv.quotas.update(read(key) for key in wanted)  # one or two calls: in order
