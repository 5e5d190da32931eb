"""The path from a worker without a public IP to the internet through a NAT gateway: every
public address from the subnet goes to an available public NAT gateway whose own subnet reaches
the attached internet gateway, and that VPC Block Public Access lets through. Used by
s3.public-endpoint (SQL Server) and rds.postgres-ca-download."""

from __future__ import annotations

from auditor.inventory import RegionInventory, Subnet
from auditor.model import Evidence, Status
from auditor.network import available, grouped
from auditor.outcome import Outcome, unknown
from checks.route_internet import route_internet
from checks.support import block_public_access as bpa
from checks.support.route_tables import effective_table, public_strays


def nat_path(unit: RegionInventory, subnet: Subnet) -> Outcome:
    """Every public address from the subnet goes to an available public NAT gateway whose own
    subnet reaches the attached internet gateway (once per subnet)."""
    return unit.derived("nat_path", subnet.subnet_id, lambda: _nat_path(unit, subnet))


def _nat_gateways(unit: RegionInventory, vpc_id: str) -> tuple[list[str], list[str], list[str]]:
    """The VPC's available public NAT gateways whose own subnet reaches the internet gateway:
    (working, blocked by VPC Block Public Access, Block Public Access not read); once per VPC,
    from the Region's gateways indexed by VPC once."""

    def build() -> tuple[list[str], list[str], list[str]]:
        gateways = unit.nat_gateways or []
        by_vpc = unit.derived(
            "nat_gateways_by_vpc", None, lambda: grouped(gateways, lambda n: n.vpc_id)
        )
        working: list[str] = []
        blocked: list[str] = []  # by VPC Block Public Access (block-bidirectional, not excluded)
        gaps: list[str] = []  # Block Public Access not read
        for nat in by_vpc.get(vpc_id, []):
            if not available(nat.state) or nat.connectivity != "public":
                continue
            home = next(iter(unit.subnets_of([nat.subnet_id])), None)
            if home is None or route_internet(unit, home).status is not Status.PASS:
                continue
            allowed = bpa.nat_gateway(unit.guardrails, nat.vpc_id, nat.subnet_id)
            if allowed is Status.UNKNOWN:
                gaps.append(nat.nat_gateway_id)
            elif allowed is Status.FAIL:
                blocked.append(nat.nat_gateway_id)
            else:
                working.append(nat.nat_gateway_id)
        return working, blocked, gaps

    return unit.derived("nat_gateways", vpc_id, build)


def _nat_path(unit: RegionInventory, subnet: Subnet) -> Outcome:
    found = effective_table(unit, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    if unit.nat_gateways is None:
        return unknown(f"NAT gateways of {subnet.vpc_id}", unit.error_for("DescribeNatGateways"))
    working, blocked, gaps = _nat_gateways(unit, subnet.vpc_id)
    stray = public_strays(unit, rtb, candidates, tuple(working))
    evidence: Evidence = {"working_nat_gateways": working, "route_table": rtb}
    if blocked:
        evidence["nat_gateways_blocked_by_block_public_access"] = blocked
    if stray and gaps:
        error = unit.first_error(
            "DescribeVpcBlockPublicAccessOptions", "DescribeVpcBlockPublicAccessExclusions"
        )
        return unknown(f"whether VPC Block Public Access lets NAT gateway {gaps[0]} through", error)
    if not stray:
        return Outcome(
            Status.PASS,
            f"{rtb} ({how} route table of {subnet.subnet_id}) sends public addresses to "
            "NAT gateway "
            f"{', '.join(working)}, which reaches the internet gateway",
            subnet.subnet_id,
            evidence={**evidence, "via": "NAT gateway"},
        )
    bpa_note = (
        f"; VPC Block Public Access (block-bidirectional) blocks {', '.join(blocked)}: "
        "exclude its subnet or VPC"
        if blocked
        else ""
    )
    return Outcome(
        Status.FAIL,
        f"public addresses from {rtb} do not all go to a working public NAT gateway "
        f"({'; '.join(s.describe('every public IPv4 address') for s in stray)}){bpa_note}",
        subnet.subnet_id,
        evidence=evidence,
    )
