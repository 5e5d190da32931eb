"""Private network deployment: the S3 interface endpoint the workers use for one Region.

Veeam ("Worker Instances in Private Environment"): the S3 interface endpoint is created in the
Regions where the repositories are; when it is in another VPC than the workers', "create peering
connections between those VPCs" and "add routes to the route tables associated with the subnets
of those VPCs"; the CIDR blocks must differ; the endpoint's security group must "allow inbound
HTTPS traffic (port 443) from both the backup appliance and the worker instances".

So an endpoint counts when it is `available` and admits TCP 443 from the worker subnet, and it
is either in the worker VPC (the target's own Region only) or in a VPC joined to it by an
`active` peering whose CIDRs do not overlap, with the worker subnet's route table sending the
peer VPC's CIDRs to the peering and the endpoint subnets' tables sending the worker subnet's
addresses back. Used by endpoints.s3 (the target's Region) and s3.repository (a bucket in
another Region).
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Network

from auditor.inventory import (
    PeeringSide,
    RegionInventory,
    VpcEndpoint,
    VpcPeering,
    peer_key,
)
from auditor.model import Evidence, Mode, Status
from auditor.network import (
    active_peers,
    available,
    effective_route_table,
    expand,
    s3_interfaces,
    strays,
)
from auditor.network import network as ip_network
from auditor.outcome import Outcome, unknown
from auditor.workers import worker_peer
from checks.base import CheckContext
from checks.support.endpoint_groups import RANK, admits_https, worst
from checks.support.route_tables import effective_table, vpc_endpoints
from checks.support.shared_vpc import unknown_shared


def s3_interface_path(ctx: CheckContext, region: str) -> Outcome:
    """The best way the target's private-mode workers have to an S3 interface endpoint for
    ``region``: a pass if any endpoint works, else `unknown` if one could not be judged, else
    the nearest miss (the worker VPC's own endpoint first)."""
    db, unit = ctx.db, ctx.region
    vpc_id = db.vpc_id or ""
    if (shared := unknown_shared(unit, vpc_id, f"the S3 endpoints of {vpc_id}")) is not None:
        return shared
    plan = ctx.workers.plan(db, Mode.PRIVATE)
    workers = worker_peer(unit, db, plan)
    judged: list[Outcome] = []
    local: list[VpcEndpoint] = []
    if region == unit.region:
        if unit.vpc_endpoints is None:
            return unknown(f"VPC endpoints of {vpc_id}", unit.error_for("DescribeVpcEndpoints"))
        in_vpc = vpc_endpoints(unit, vpc_id)  # indexed once per unit
        local = s3_interfaces(in_vpc if isinstance(in_vpc, list) else [], vpc_id, region)
        ready = [e for e in local if available(e.state)]
        if ready:
            judged.append(local_endpoint(unit, vpc_id, ready, workers))
    if not any(o.status is Status.PASS for o in judged):
        if unit.peerings is None:
            judged.append(
                unknown(
                    f"the VPC peering connections of {vpc_id}",
                    unit.error_for("DescribeVpcPeeringConnections"),
                    vpc_id,
                )
            )
        else:
            for pcx, other in active_peers(unit.peerings, vpc_id, {region}):
                judged.append(
                    via_peering(
                        ctx, pcx, other, workers, plan.best.subnet_id if plan.best else None
                    )
                )
    if judged:
        return min(judged, key=lambda o: RANK[o.status])
    return nothing_found(ctx, region, local)


def local_endpoint(
    unit: RegionInventory, vpc_id: str, ready: list[VpcEndpoint], workers: list[IPv4Network] | None
) -> Outcome:
    judged = sorted(
        ((admits_https(unit, e, workers), e) for e in ready),
        key=lambda pe: (worst(pe[0]), pe[1].endpoint_id),
    )
    problems, endpoint = judged[0]
    evidence: Evidence = {
        "s3_interface_endpoints": [e.endpoint_id for e in ready],
        "security_groups": endpoint.security_group_ids,
    }
    if not problems:
        return Outcome(
            Status.PASS,
            f"S3 interface endpoint {endpoint.endpoint_id} is available in {vpc_id} and "
            "admits TCP 443 from the workers (select it in each repository's settings in Veeam)",
            endpoint.endpoint_id,
            evidence=evidence,
        )
    status, text, fix = max(problems, key=lambda p: worst([p]))
    return Outcome(
        status,
        f"S3 interface endpoint {endpoint.endpoint_id}: {text}; Veeam: the endpoint's group must "
        "allow inbound HTTPS from the appliance and the worker instances",
        endpoint.endpoint_id,
        fix,
        evidence,
    )


def via_peering(
    ctx: CheckContext,
    pcx: VpcPeering,
    other: PeeringSide,
    workers: list[IPv4Network] | None,
    worker_subnet: str | None,
) -> Outcome:
    """An S3 interface endpoint in the peered VPC ``other``, judged as Veeam requires."""
    where = (
        f"{other.vpc_id} (account {other.owner_id}, {other.region}, peered over {pcx.peering_id})"
    )
    evidence: Evidence = {"peering": pcx.peering_id, "peer_vpc": other.vpc_id}
    key = peer_key(other.owner_id, other.region)
    if key not in ctx.peer_networks:
        return unknown(f"the S3 interface endpoint of the peered VPC {where}", None, other.vpc_id)
    network = ctx.peer_networks[key]
    if network is None:
        return Outcome(
            Status.UNKNOWN,
            f"could not check the peered VPC {where}: account {other.owner_id} is not audited by "
            "this run, so its endpoints, routes and groups were not read",
            other.vpc_id,
            f"audit account {other.owner_id} in the same run (--role-arn "
            f"arn:aws:iam::{other.owner_id}:role/<audit role>)",
            evidence,
        )
    if network.vpc_endpoints is None:
        error = network.error_for("DescribeVpcEndpoints")
        return unknown(f"the VPC endpoints of the peered VPC {where}", error, other.vpc_id)
    ready = [
        e
        for e in s3_interfaces(network.vpc_endpoints, other.vpc_id, other.region)
        if available(e.state)
    ]
    if not ready:
        return Outcome(
            Status.FAIL,
            f"no available S3 interface endpoint for {other.region} in the peered VPC {where}",
            other.vpc_id,
            None,
            evidence,
        )
    evidence["s3_interface_endpoints"] = [e.endpoint_id for e in ready]
    own = pcx.requester if pcx.accepter is other else pcx.accepter
    overlap = [
        f"{a} and {b}"
        for a in own.cidrs
        for b in other.cidrs
        if ip_network(a).overlaps(ip_network(b))
    ]
    if overlap:
        return Outcome(
            Status.FAIL,
            f"the worker VPC and the peered VPC {where} have overlapping CIDRs "
            f"({'; '.join(overlap)}): Veeam requires different CIDR blocks, and traffic to "
            "the overlap stays local",
            pcx.peering_id,
            None,
            evidence,
        )
    there = [ip_network(c) for c in other.cidrs]
    outbound = route_to_peer(ctx, pcx, there, worker_subnet)
    if outbound is not None:
        return replace(outbound, evidence={**evidence, **outbound.evidence})
    judged = [
        judge_peer_endpoint(network, endpoint, pcx, other, workers, where, evidence)
        for endpoint in ready
    ]
    return min(judged, key=lambda o: RANK[o.status])  # the first of the best, as before


def route_to_peer(
    ctx: CheckContext,
    pcx: VpcPeering,
    there: list[IPv4Network],
    worker_subnet: str | None,
) -> Outcome | None:
    """None when the worker subnet's route table sends all of ``there`` (the peered VPC's
    CIDRs) to the peering."""
    unit = ctx.region
    subnet = next(iter(unit.subnets_of([worker_subnet] if worker_subnet else [])), None)
    if subnet is None:
        return Outcome(
            Status.UNKNOWN,
            "could not check the route to the peered VPC: no worker subnet candidate to evaluate",
            pcx.peering_id,
        )
    found = effective_table(unit, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    wrong = strays(candidates, there, lambda r: r.target == pcx.peering_id)
    if not wrong:
        return None
    cidr = str(there[0])
    return Outcome(
        Status.FAIL,
        f"{rtb} ({how} route table of worker subnet {subnet.subnet_id}) does not send the "
        f"peered VPC's addresses to {pcx.peering_id}: "
        + "; ".join(w.describe("all of them") for w in wrong),
        rtb,
        f"aws ec2 create-route --route-table-id {rtb} --destination-cidr-block {cidr} "
        f"--vpc-peering-connection-id {pcx.peering_id}",
        {"route_table": rtb},
    )


def judge_peer_endpoint(
    network: RegionInventory,
    endpoint: VpcEndpoint,
    pcx: VpcPeering,
    other: PeeringSide,
    workers: list[IPv4Network] | None,
    where: str,
    evidence: Evidence,
) -> Outcome:
    """The peer side: routes back to the workers from the endpoint's subnets, and its group."""
    found: Evidence = {**evidence, "security_groups": endpoint.security_group_ids}
    if network.route_tables is None or workers is None:
        error = network.error_for("DescribeRouteTables")
        return unknown(f"the routes back from the peered VPC {where}", error, endpoint.endpoint_id)
    for subnet_id in endpoint.subnet_ids:
        table = effective_route_table(subnet_id, other.vpc_id, network.route_tables)
        if table is None:
            return Outcome(
                Status.FAIL,
                f"no route table applies to {subnet_id} of S3 interface endpoint "
                f"{endpoint.endpoint_id} in {where}",
                endpoint.endpoint_id,
                None,
                found,
            )
        candidates, unread = expand(table[0], network.prefix_lists)
        rtb = table[0].route_table_id
        if unread:
            error = network.error_for("GetManagedPrefixListEntries", unread[0])
            return unknown(f"prefix list {unread[0]} used by {rtb}", error, rtb)
        wrong = strays(candidates, workers, lambda r: r.target == pcx.peering_id)
        if wrong:
            return Outcome(
                Status.FAIL,
                f"{rtb} (route table of {subnet_id}, where S3 interface endpoint "
                f"{endpoint.endpoint_id} has its interface in the peered VPC {where}) does not "
                f"send the workers' addresses back to {pcx.peering_id}: "
                f"{'; '.join(w.describe('all of them') for w in wrong)}",
                endpoint.endpoint_id,
                f"in account {other.owner_id}: aws ec2 create-route --region {other.region} "
                f"--route-table-id {rtb} --destination-cidr-block {workers[0]} "
                f"--vpc-peering-connection-id {pcx.peering_id}",
                {**found, "route_table": rtb},
            )
    problems = admits_https(network, endpoint, workers)
    if problems:
        status, text, fix = max(problems, key=lambda p: worst([p]))
        return Outcome(
            status,
            f"S3 interface endpoint {endpoint.endpoint_id} in {where}: {text}; Veeam: the "
            "endpoint's group must allow inbound HTTPS from the appliance and the worker instances",
            endpoint.endpoint_id,
            fix and f"in account {other.owner_id}: {fix} --region {other.region}",
            found,
        )
    return Outcome(
        Status.PASS,
        f"S3 interface endpoint {endpoint.endpoint_id} is available in {where}, routes join the "
        "two VPCs both ways and its group admits TCP 443 from the workers (select it in the "
        "repository's settings in Veeam)",
        endpoint.endpoint_id,
        evidence=found,
    )


def nothing_found(ctx: CheckContext, region: str, local: list[VpcEndpoint]) -> Outcome:
    """No S3 interface endpoint for ``region`` anywhere the workers could reach."""
    db, unit = ctx.db, ctx.region
    vpc_id = db.vpc_id or ""
    plan = ctx.workers.plan(db, Mode.PRIVATE)
    elsewhere = [
        f"{p.peering_id} to {side.vpc_id} is '{p.status}'"
        for p in unit.peerings or []
        if (side := p.other_side(vpc_id)) is not None
        and side.region == region
        and p.status != "active"
    ]
    states = ", ".join(f"{e.endpoint_id} is '{e.state}'" for e in local)
    notes = "; ".join(x for x in (states, ", ".join(elsewhere)) if x)
    suffix = f" ({notes})" if notes else ""
    if region == unit.region:
        subnet = plan.best.subnet_id if plan.best else f"<a subnet in {db.availability_zone}>"
        return Outcome(
            Status.FAIL,
            f"no available S3 interface endpoint in {vpc_id} or in a VPC peered with it{suffix}: "
            "Veeam's private network deployment needs one (gateway endpoints are not supported "
            "there)",
            vpc_id,
            f"aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Interface "
            f"--service-name com.amazonaws.{region}.s3 --subnet-ids {subnet} "
            "--security-group-ids <a group allowing TCP 443 from the workers and the appliance>",
            {"vpc": vpc_id},
        )
    return Outcome(
        Status.FAIL,
        f"no VPC in {region} with an available S3 interface endpoint is peered with {vpc_id}"
        f"{suffix}: Veeam's private network deployment reaches a repository in another Region "
        "through an S3 interface endpoint there, over VPC peering",
        vpc_id,
        f"in {region}: create an S3 interface endpoint (com.amazonaws.{region}.s3) in a VPC whose "
        f"CIDR does not overlap {vpc_id}'s, peer that VPC with {vpc_id} (aws ec2 "
        f"create-vpc-peering-connection --vpc-id {vpc_id} --peer-vpc-id <vpc> --peer-region "
        f"{region}), and route each VPC's CIDR to the peering in both route tables",
        {"vpc": vpc_id},
    )
