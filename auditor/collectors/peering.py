"""VPC peering, for Veeam's private network deployment: the S3 interface endpoint the workers use
may sit in another VPC, in the repository's Region, reached over a peering connection
(REQUIREMENTS.md §1 "Mode PN"; Veeam, "Worker Instances in Private Environment").

- `PeeringCollector` (unit): the target VPCs' peering connections (one call).
- `PeerNetworksCollector` (run): for the peered VPCs that may hold that endpoint, their VPC
  endpoints, route tables and the endpoints' security groups (with the CIDRs of the prefix
  lists those tables and groups name), read once per run with the session of the account
  that owns each VPC.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from auditor import scope
from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.collectors.endpoints import DESCRIBE_VPC_ENDPOINTS, parse_endpoint
from auditor.collectors.fields import Malformed, need, optional
from auditor.collectors.routing import (
    DESCRIBE_ROUTE_TABLES,
    GET_PREFIX_LIST_ENTRIES,
    PrefixListsCollector,
    parse_route_table,
)
from auditor.collectors.security_groups import DESCRIBE_SECURITY_GROUPS, parse_security_group
from auditor.constants import PEER_NETWORKS, PEERINGS
from auditor.inventory import (
    PeeringSide,
    RegionInventory,
    RepositoryAccount,
    VpcPeering,
)
from auditor.network import active_peers, available, s3_interfaces
from auditor.sessions import AwsSession
from auditor.veeam_config import VeeamConfig

DESCRIBE_PEERINGS = ApiCall(
    "ec2", "DescribeVpcPeeringConnections", "ec2:DescribeVpcPeeringConnections"
)


def parse_side(raw: Any) -> PeeringSide:
    # Real answers carry CidrBlockSet (every IPv4 block); moto 5.2.5 only CidrBlock.
    blocks = [b["CidrBlock"] for b in raw.get("CidrBlockSet") or [] if b.get("CidrBlock")]
    main = optional(raw, "CidrBlock", str)
    cidrs = sorted(set(blocks) | ({main} if main else set()))
    if not cidrs:
        raise Malformed("a peered VPC without a CIDR block")
    return PeeringSide(
        owner_id=need(raw, "OwnerId", str),
        vpc_id=need(raw, "VpcId", str),
        region=need(raw, "Region", str),
        cidrs=cidrs,
    )


def parse_peering(raw: Any) -> VpcPeering:
    return VpcPeering(
        peering_id=need(raw, "VpcPeeringConnectionId", str),
        status=need(need(raw, "Status", dict), "Code", str),
        requester=parse_side(need(raw, "RequesterVpcInfo", dict)),
        accepter=parse_side(need(raw, "AccepterVpcInfo", dict)),
    )


class PeeringCollector(Collector):
    name: ClassVar[str] = PEERINGS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_PEERINGS,)

    def collect(self, ctx: UnitContext) -> None:
        # One unfiltered call: a filter on the requester or the accepter VPC would need two
        # (EC2 ANDs filters), and a Region holds few peering connections.
        vpcs = set(ctx.target_vpc_ids())
        if not vpcs:
            ctx.inventory.peerings = []
            return
        found = ctx.paginate(DESCRIBE_PEERINGS, "VpcPeeringConnections")
        if found is None:
            return
        with ctx.parsing(DESCRIBE_PEERINGS):
            parsed = (parse_peering(p) for p in found)
            ctx.inventory.peerings = sorted(
                (p for p in parsed if vpcs & {p.requester.vpc_id, p.accepter.vpc_id}),
                key=lambda p: p.peering_id,
            )


@dataclass(frozen=True)
class PeerVpc:
    owner_id: str
    region: str
    vpc_id: str


def peer_needs(
    units: list[RegionInventory],
    requested: list[str],
    veeam: VeeamConfig | None,
    repositories: dict[str, RepositoryAccount],
) -> set[PeerVpc]:
    """The peered VPCs worth reading: the other end of each active peering of a target VPC, in
    a Region where its workers need an S3 interface endpoint they may lack (the target's own
    Region when its VPC has no available one; the Region of each repository bucket of its
    Veeam policy)."""
    wanted: set[PeerVpc] = set()
    for unit in units:
        if unit.db_instances is None or not unit.peerings:
            continue
        for db in scope.select(unit.db_instances, requested).targets:
            vpc = db.vpc_id or ""
            regions = set() if has_s3_interface(unit, vpc) else {unit.region}
            regions |= bucket_regions(veeam, repositories, unit, db.db_instance_id)
            for _, other in active_peers(unit.peerings, vpc, regions):
                wanted.add(PeerVpc(other.owner_id, other.region, other.vpc_id))
    return wanted


def has_s3_interface(unit: RegionInventory, vpc_id: str) -> bool:
    found = s3_interfaces(unit.vpc_endpoints or [], vpc_id, unit.region)
    return any(available(e.state) for e in found)


def bucket_regions(
    veeam: VeeamConfig | None,
    repositories: dict[str, RepositoryAccount],
    unit: RegionInventory,
    db_id: str,
) -> set[str]:
    policy = veeam.policy_for(db_id, unit.account_id, unit.region) if veeam else None
    regions = set()
    for _, repo in policy.repositories() if policy else []:
        record = repositories.get(repo.owner(unit.account_id))
        bucket = record.buckets.get(repo.bucket) if record else None
        if bucket is not None and bucket.region and bucket.region != unit.region:
            regions.add(bucket.region)
    return regions


class PeerNetworksCollector(Collector):
    """Run scope: the peered VPCs of one (account, region), once, with that account's session."""

    name: ClassVar[str] = PEER_NETWORKS
    scope: ClassVar[str] = "run"
    calls: ClassVar[tuple[ApiCall, ...]] = (
        DESCRIBE_VPC_ENDPOINTS,
        DESCRIBE_ROUTE_TABLES,
        DESCRIBE_SECURITY_GROUPS,
        GET_PREFIX_LIST_ENTRIES,
    )

    def collect_region(
        self,
        aws: AwsSession,
        account_id: str,
        region: str,
        vpc_ids: list[str],
        limiter: threading.Semaphore,
        max_fan_out: int,
    ) -> RegionInventory:
        network = RegionInventory(account_id, region)
        ctx = UnitContext(aws, network, list, limiter, max_fan_out=max_fan_out).for_collector(
            self.calls
        )
        by_vpc = [{"Name": "vpc-id", "Values": sorted(vpc_ids)}]
        endpoints = ctx.paginate(DESCRIBE_VPC_ENDPOINTS, "VpcEndpoints", Filters=by_vpc)
        if endpoints is not None:
            with ctx.parsing(DESCRIBE_VPC_ENDPOINTS):
                network.vpc_endpoints = sorted(
                    (parse_endpoint(e) for e in endpoints), key=lambda e: e.endpoint_id
                )
        tables = ctx.paginate(DESCRIBE_ROUTE_TABLES, "RouteTables", Filters=by_vpc)
        if tables is not None:
            with ctx.parsing(DESCRIBE_ROUTE_TABLES):
                network.route_tables = sorted(
                    (parse_route_table(t) for t in tables), key=lambda t: t.route_table_id
                )
        group_ids = sorted({g for e in network.vpc_endpoints or [] for g in e.security_group_ids})
        if group_ids:
            groups = ctx.paginate(DESCRIBE_SECURITY_GROUPS, "SecurityGroups", GroupIds=group_ids)
            if groups is not None:
                with ctx.parsing(DESCRIBE_SECURITY_GROUPS):
                    network.security_groups = sorted(
                        (parse_security_group(g) for g in groups), key=lambda g: g.group_id
                    )
        elif network.vpc_endpoints is not None:
            network.security_groups = []
        PrefixListsCollector.read_referenced(ctx)  # the tables' lists too (an S3 gateway route)
        return network


__all__ = [
    "PeerNetworksCollector",
    "PeerVpc",
    "PeeringCollector",
    "parse_peering",
    "peer_needs",
]
