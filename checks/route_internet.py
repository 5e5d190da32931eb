"""route.internet: the worker subnet's effective route table sends every public IPv4 address to
the internet gateway attached to the VPC (public mode). The rule holds on the chosen worker
subnet: the planner judges every candidate with `InternetRoute.subnet_rule`."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance, RegionInventory, Subnet
from auditor.model import Evidence, Finding, Mode, Status
from auditor.network import (
    Stray,
    attached_gateways,
    gateways_by_vpc,
)
from auditor.outcome import Outcome, unknown
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.route_tables import effective_table, public_strays


class InternetRoute(Check):
    id: ClassVar[str] = "route.internet"
    title: ClassVar[str] = "Every public IPv4 address routes to the internet gateway"
    path_hop: ClassVar[str] = "route"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    subnet_rule_uses_db: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ("subnet.public-ip",)
    reads: ClassVar[tuple[str, ...]] = (parts.SUBNETS, parts.ROUTING, parts.PREFIX_LISTS)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_TARGET_SETTINGS_RDS,
        docs.A_AWS_PREFIX_LISTS,
        docs.A_ROUTE_TABLES,
        docs.A_IGW,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from ctx.report_best(Mode.PUBLIC)

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        return route_internet(unit, subnet)


def diverted_outcome(
    unit: RegionInventory,
    subnet: Subnet,
    where: str,
    igw: str,
    stray: list[Stray],
    went: str,
    evidence: Evidence,
) -> Outcome | None:
    """The default route reaches the gateway and more specific routes divert some public
    prefixes: Veeam asks for "routes that direct internet-bound traffic to this internet
    gateway", not for every address, so a diversion fails only where it takes the Region's S3
    addresses (the workers' backup traffic) away; elsewhere it warns. None: it fails."""
    if unit.s3_ranges is None:
        error = unit.error_for("GetManagedPrefixListEntries") or unit.error_for(
            "DescribeManagedPrefixLists"
        )
        found = unknown(f"whether {went} takes the Region's S3 addresses away", error)
        return Outcome(
            Status.UNKNOWN, found.message, subnet.subnet_id, None, {**evidence, **found.evidence}
        )
    s3 = [IPv4Network(c) for c in unit.s3_ranges if ":" not in c]
    hitting = [s for s in stray if any(n.overlaps(m) for n in s.nets for m in s3)]
    if hitting:
        evidence["s3_prefixes_diverted"] = [s.describe() for s in hitting]
        return None
    return Outcome(
        Status.WARN,
        f"{where} sends the internet to {igw}, but more specific routes divert {went}: none of "
        f"them covers the Region's S3 addresses; they must not cover the other AWS service "
        "endpoints the workers use (ssm, ssmmessages, sqs) either",
        subnet.subnet_id,
        None,
        evidence,
    )


def route_internet(unit: RegionInventory, subnet: Subnet) -> Outcome:
    """Every public IPv4 address (less gateway-endpoint prefix lists) reaches, by longest-prefix
    match, an active route to the internet gateway attached to this VPC (once per subnet)."""
    return unit.derived("route_internet", subnet.subnet_id, lambda: _route_internet(unit, subnet))


def _route_internet(unit: RegionInventory, subnet: Subnet) -> Outcome:
    found = effective_table(unit, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    if unit.internet_gateways is None:
        return unknown(
            f"internet gateways of {subnet.vpc_id}", unit.error_for("DescribeInternetGateways")
        )
    gateways = unit.internet_gateways
    index = unit.derived("gateways_by_vpc", None, lambda: gateways_by_vpc(gateways))
    igws = attached_gateways(subnet.vpc_id, gateways, index)
    stray = public_strays(unit, rtb, candidates, tuple(igws), active_only=True)
    evidence: Evidence = {
        "subnet": subnet.subnet_id,
        "route_table": rtb,
        "route_table_association": how,
        "internet_gateways_attached": igws,
    }
    used = "explicitly associated with" if how == "explicit" else "main table, used by"
    where = f"{rtb} ({used} {subnet.subnet_id})"
    if not stray:
        to_igw = sorted({str(c.cidr) for c in candidates if c.route.target in igws})
        evidence["routes_to_gateway"] = to_igw
        return Outcome(
            Status.PASS,
            f"{where} sends every public IPv4 address to {', '.join(igws)}",
            subnet.subnet_id,
            evidence=evidence,
        )

    def describe(s: Stray) -> str:
        detached = s.route is not None and s.route.target.startswith("igw-")
        return s.describe(
            "every public IPv4 address", " (not attached to this VPC)" if detached else ""
        )

    went = "; ".join(describe(s) for s in stray)
    evidence["public_prefixes_elsewhere"] = [describe(s) for s in stray]
    if not igws:
        unattached = sorted(
            {s.route.target for s in stray if s.route and s.route.target.startswith("igw-")}
        )
        igw_hint = unattached[0] if unattached else "<the new igw id>"
        create = (
            ""
            if unattached
            else "aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId\n"
        )
        return Outcome(
            Status.FAIL,
            f"no internet gateway is attached to {subnet.vpc_id}, so {where} cannot reach the "
            f"internet ({went})",
            subnet.subnet_id,
            f"{create}aws ec2 attach-internet-gateway --internet-gateway-id {igw_hint} "
            f"--vpc-id {subnet.vpc_id}"
            + (
                ""
                if unattached
                else f"\naws ec2 create-route --route-table-id {rtb} --destination-cidr-block "
                f"0.0.0.0/0 --gateway-id {igw_hint}"
            ),
            evidence,
        )
    igw = igws[0]
    default = next((c for c in candidates if str(c.cidr) == "0.0.0.0/0" and c.rank == 0), None)
    if default is not None and default.route.target == igw:
        diverted = diverted_outcome(unit, subnet, where, igw, stray, went, evidence)
        if diverted is not None:
            return diverted
    default_route = f"--route-table-id {rtb} --destination-cidr-block 0.0.0.0/0 --gateway-id {igw}"
    fix: str | None
    if default is None:
        fix = f"aws ec2 create-route {default_route}"
    elif default.route.target != igw:
        fix = f"aws ec2 replace-route {default_route}"
    else:  # more specific routes take public prefixes elsewhere
        fix = (
            "\n".join(
                f"aws ec2 delete-route --route-table-id {rtb} --destination-cidr-block "
                f"{s.route.destination}  # or point it at {igw}"
                for s in stray
                if s.route is not None and s.route.destination
            )
            or None
        )
    return Outcome(
        Status.FAIL,
        f"in {where} not every public IPv4 address reaches {igw}: {went}",
        subnet.subnet_id,
        fix,
        evidence,
    )
