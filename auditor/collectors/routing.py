"""Routing of the target VPCs: route tables, internet and NAT gateways (one filtered call each),
then the CIDRs of the prefix lists those routes use (one call per prefix list)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import Malformed, need, need_list, optional
from auditor.constants import PREFIX_LISTS, ROUTING
from auditor.inventory import InternetGateway, NatGateway, Route, RouteTable

DESCRIBE_ROUTE_TABLES = ApiCall("ec2", "DescribeRouteTables", "ec2:DescribeRouteTables")
DESCRIBE_INTERNET_GATEWAYS = ApiCall(
    "ec2", "DescribeInternetGateways", "ec2:DescribeInternetGateways"
)
DESCRIBE_NAT_GATEWAYS = ApiCall("ec2", "DescribeNatGateways", "ec2:DescribeNatGateways")
DESCRIBE_MANAGED_PREFIX_LISTS = ApiCall(
    "ec2", "DescribeManagedPrefixLists", "ec2:DescribeManagedPrefixLists"
)
GET_PREFIX_LIST_ENTRIES = ApiCall(
    "ec2", "GetManagedPrefixListEntries", "ec2:GetManagedPrefixListEntries"
)

ROUTE_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


def parse_route(raw: dict[str, Any]) -> Route:
    target = next((str(raw[k]) for k in ROUTE_TARGET_KEYS if raw.get(k)), "unknown")
    return Route(
        target=target,
        state=need(raw, "State", str),  # a missing state is not "active"
        origin=need(raw, "Origin", str),
        destination=raw.get("DestinationCidrBlock"),
        destination_ipv6=raw.get("DestinationIpv6CidrBlock"),
        prefix_list_id=raw.get("DestinationPrefixListId"),
    )


def parse_route_table(raw: dict[str, Any]) -> RouteTable:
    associations = [
        a
        for a in need_list(raw, "Associations")
        if a.get("AssociationState", {}).get("State", "associated") == "associated"
    ]
    return RouteTable(
        route_table_id=raw["RouteTableId"],
        vpc_id=need(raw, "VpcId", str),
        main=any(a.get("Main") is True for a in associations),
        subnet_ids=sorted(a["SubnetId"] for a in associations if a.get("SubnetId")),
        routes=[parse_route(r) for r in need_list(raw, "Routes")],
    )


def connectivity(raw: dict[str, Any]) -> str:
    """ConnectivityType; where an answer lacks it (moto 5.2.5 does), a NAT gateway holding a
    public IP is a public one (only public NAT gateways get an Elastic IP); otherwise the
    answer is malformed, never assumed public."""
    given = optional(raw, "ConnectivityType", str)
    if given is not None:
        return given
    if any(a.get("PublicIp") for a in raw.get("NatGatewayAddresses") or [] if isinstance(a, dict)):
        return "public"
    raise Malformed("ConnectivityType is missing and the NAT gateway has no public IP")


class RoutingCollector(Collector):
    name: ClassVar[str] = ROUTING
    calls: ClassVar[tuple[ApiCall, ...]] = (
        DESCRIBE_ROUTE_TABLES,
        DESCRIBE_INTERNET_GATEWAYS,
        DESCRIBE_NAT_GATEWAYS,
    )

    def collect(self, ctx: UnitContext) -> None:
        inv = ctx.inventory
        tables = ctx.paginate_by_vpc(DESCRIBE_ROUTE_TABLES, "RouteTables")
        if tables is not None:
            with ctx.parsing(DESCRIBE_ROUTE_TABLES):
                inv.route_tables = sorted(
                    (parse_route_table(t) for t in tables), key=lambda t: t.route_table_id
                )
        gateways = ctx.paginate_by_vpc(
            DESCRIBE_INTERNET_GATEWAYS, "InternetGateways", filter_name="attachment.vpc-id"
        )
        if gateways is not None:
            with ctx.parsing(DESCRIBE_INTERNET_GATEWAYS):
                inv.internet_gateways = sorted(
                    (
                        InternetGateway(
                            need(g, "InternetGatewayId", str),
                            {
                                need(a, "VpcId", str): need(a, "State", str)
                                for a in need_list(g, "Attachments")
                            },
                        )
                        for g in gateways
                    ),
                    key=lambda g: g.gateway_id,
                )
        nats = ctx.paginate_by_vpc(DESCRIBE_NAT_GATEWAYS, "NatGateways", filter_name="vpc-id")
        if nats is not None:
            with ctx.parsing(DESCRIBE_NAT_GATEWAYS):
                inv.nat_gateways = sorted(
                    (
                        NatGateway(
                            nat_gateway_id=need(n, "NatGatewayId", str),
                            vpc_id=need(n, "VpcId", str),
                            subnet_id=need(n, "SubnetId", str),
                            state=need(n, "State", str),
                            connectivity=connectivity(n),
                        )
                        for n in nats
                    ),
                    key=lambda n: n.nat_gateway_id,
                )


class PrefixListsCollector(Collector):
    """Stage 2: the CIDRs behind every prefix list the target VPCs' routes point at and their
    security groups' rules name (a rule by prefix list is judged like the CIDRs it holds)."""

    name: ClassVar[str] = PREFIX_LISTS
    stage: ClassVar[int] = 2
    calls: ClassVar[tuple[ApiCall, ...]] = (GET_PREFIX_LIST_ENTRIES, DESCRIBE_MANAGED_PREFIX_LISTS)

    def collect(self, ctx: UnitContext) -> None:
        self.read_referenced(ctx)
        self.s3_ranges(ctx)

    @classmethod
    def read_referenced(cls, ctx: UnitContext) -> None:
        """The entries of every prefix list the inventory's route tables and security-group
        rules name, one call per list."""
        inv = ctx.inventory
        ids = sorted(
            {r.prefix_list_id for t in inv.route_tables or [] for r in t.routes if r.prefix_list_id}
            | {
                pl
                for g in inv.security_groups or []
                for rule in (*g.ingress, *g.egress)
                for pl in rule.prefix_lists
            }
        )
        inv.prefix_lists.update(ctx.fan_out(lambda pl_id: (pl_id, cls.entries(ctx, pl_id)), ids))

    @staticmethod
    def entries(ctx: UnitContext, pl_id: str) -> list[str] | None:
        """The CIDRs of one prefix list; None when they could not be read (a gap)."""
        try:
            entries = ctx.paginate(
                GET_PREFIX_LIST_ENTRIES, "Entries", resource_id=pl_id, PrefixListId=pl_id
            )
        except Absent:  # a route or rule names a prefix list that no longer exists
            return []
        if entries is None:
            return None
        cidrs: list[str] | None = None
        with ctx.parsing(GET_PREFIX_LIST_ENTRIES, pl_id):
            cidrs = sorted(need(e, "Cidr", str) for e in entries)
        return cidrs

    def s3_ranges(self, ctx: UnitContext) -> None:
        """The Region's S3 addresses, from AWS's managed prefix list for S3."""
        name = f"com.amazonaws.{ctx.region}.s3"
        found = ctx.paginate(
            DESCRIBE_MANAGED_PREFIX_LISTS,
            "PrefixLists",
            resource_id=name,
            Filters=[{"Name": "prefix-list-name", "Values": [name]}],
        )
        if found is None:
            return
        ids: list[str] | None = None
        with ctx.parsing(DESCRIBE_MANAGED_PREFIX_LISTS, name):
            ids = [need(p, "PrefixListId", str) for p in found]
        if not ids:
            if ids is not None:  # no such list in this Region: a gap, not "no S3 addresses"
                ctx.record_gap(
                    DESCRIBE_MANAGED_PREFIX_LISTS, "NotFound", f"no prefix list {name}", name
                )
            return
        known = ctx.inventory.prefix_lists.get(ids[0])
        cidrs = known if known is not None else self.entries(ctx, ids[0])
        if cidrs is not None:
            ctx.inventory.s3_ranges = list(cidrs)
