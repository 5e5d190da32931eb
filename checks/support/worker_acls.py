"""What subnet.nacl and subnet.db-port-nacl both start from: the mode's best worker subnet, once
the network ACLs are known to be read, or the finding that says why they cannot be judged (not
read, or a VPC another account owns); a subnet's ACL, looked up once; and what an ACL denies of
some CIDRs, worked out once per unit."""

from __future__ import annotations

from ipaddress import IPv4Network

from auditor.inventory import NetworkAcl, RegionInventory, Subnet
from auditor.model import Finding, Mode
from auditor.network import acl_entries, acl_index, acl_of, cidr_denials
from checks.base import CheckContext
from checks.support.shared_vpc import unknown_shared


def worker_acls(ctx: CheckContext, mode: Mode) -> Subnet | Finding | None:
    """The best worker subnet, the unit's ACLs being read (`subnet_acl` then finds its ACL); a
    Finding when they cannot be judged; None when there is no worker subnet to speak of (the
    subnet checks say why)."""
    unit, db = ctx.region, ctx.db
    best = ctx.workers.plan(db, mode).best
    if best is None:
        return None
    shared = unknown_shared(unit, db.vpc_id, "the network ACLs")
    if shared is not None:
        return ctx.report(shared, modes=[mode])
    if unit.network_acls is None:
        return ctx.unknown(
            f"the network ACL of {best.subnet_id}",
            unit.error_for("DescribeNetworkAcls"),
            modes=[mode],
        )
    return best


def subnet_acl(unit: RegionInventory, subnet: Subnet) -> NetworkAcl | None:
    """The subnet's network ACL (network.acl_of), looked up once per subnet of the unit."""
    acls = unit.network_acls or []
    index = unit.derived("acl_index", None, lambda: acl_index(acls))
    return unit.derived("acl_of", subnet.subnet_id, lambda: acl_of(subnet, acls, index))


def denials(
    unit: RegionInventory,
    acl: NetworkAcl,
    egress: bool,
    ports: tuple[int, int],
    cidrs: tuple[str, ...] | None,
) -> tuple[tuple[IPv4Network, int | None], ...]:
    """What ``acl`` denies of ``cidrs`` (None: the public space; `network.cidr_denials`), its
    rules taken once per (ACL, direction) of the unit: every target whose worker and DB subnets
    share the ACLs asks the same questions in every mode."""
    entries = unit.derived("acl_entries", (acl.acl_id, egress), lambda: acl_entries(acl, egress))
    return cidr_denials(entries, ports, cidrs)
