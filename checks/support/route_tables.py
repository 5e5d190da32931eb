"""The worker subnet's effective route table and the VPC's endpoints, as the subnet rules of
route.internet, endpoints.s3 and s3.public-endpoint read them (a gap is an `unknown` Outcome)."""

from __future__ import annotations

from auditor.inventory import RegionInventory, Route, Subnet, VpcEndpoint
from auditor.model import Status
from auditor.network import (
    Candidate,
    Stray,
    effective_route_table,
    expand,
    gateway_endpoint_space,
    grouped,
    public_space,
    route_table_index,
    strays,
)
from auditor.outcome import Outcome, unknown
from checks.support.shared_vpc import unknown_shared


def effective_table(
    unit: RegionInventory, subnet: Subnet
) -> Outcome | tuple[str, str, list[Candidate]]:
    """(route table id, "explicit"/"main", its routes as candidates) or an Outcome saying why
    not: the tables or a prefix list they use were not read, or no table applies. Once per
    subnet of the unit."""
    return unit.derived("effective_table", subnet.subnet_id, lambda: _effective(unit, subnet))


def _effective(unit: RegionInventory, subnet: Subnet) -> Outcome | tuple[str, str, list[Candidate]]:
    shared = unknown_shared(unit, subnet.vpc_id, f"the route table of {subnet.subnet_id}")
    if shared is not None:
        return shared
    if unit.route_tables is None:
        return unknown(
            f"the route table of {subnet.subnet_id}", unit.error_for("DescribeRouteTables")
        )
    tables = unit.route_tables
    index = unit.derived("route_table_index", None, lambda: route_table_index(tables))
    found = effective_route_table(subnet.subnet_id, subnet.vpc_id, tables, index)
    if found is None:
        return Outcome(
            Status.FAIL,
            f"no route table applies to {subnet.subnet_id}: no explicit association and no main "
            f"route table in {subnet.vpc_id}",
            subnet.subnet_id,
        )
    table, explicit = found
    # once per table: the subnets that share it share its routes
    candidates, unread = unit.derived(
        "routes", table.route_table_id, lambda: expand(table, unit.prefix_lists)
    )
    if unread:
        return unknown(
            f"prefix list {unread[0]} used by {table.route_table_id}",
            unit.error_for("GetManagedPrefixListEntries", unread[0]),
            table.route_table_id,
        )
    return table.route_table_id, "explicit" if explicit else "main", candidates


def public_strays(
    unit: RegionInventory,
    table_id: str,
    candidates: list[Candidate],
    targets: tuple[str, ...],
    active_only: bool = False,
) -> list[Stray]:
    """`network.strays` of the public space (less the table's gateway-endpoint prefix lists)
    under ``table_id``'s routes, ``candidates``: where the winning route does not go to one of
    ``targets`` (and, with ``active_only``, is not active). Once per (table, targets,
    active_only): the subnets that share a table share its answer."""

    def good(route: Route) -> bool:
        return route.target in targets and (not active_only or route.state == "active")

    return unit.derived(
        "public_strays",
        (table_id, targets, active_only),
        lambda: strays(candidates, public_space(gateway_endpoint_space(candidates)), good),
    )


def vpc_endpoints(unit: RegionInventory, vpc_id: str) -> list[VpcEndpoint] | Outcome:
    """The VPC's endpoints, or `unknown` when DescribeVpcEndpoints was not read."""
    return unit.derived("vpc_endpoints", vpc_id, lambda: _endpoints(unit, vpc_id))


def _endpoints(unit: RegionInventory, vpc_id: str) -> list[VpcEndpoint] | Outcome:
    shared = unknown_shared(unit, vpc_id, f"the VPC endpoints of {vpc_id}")
    if shared is not None:
        return shared
    if unit.vpc_endpoints is None:
        return unknown(f"VPC endpoints of {vpc_id}", unit.error_for("DescribeVpcEndpoints"))
    endpoints = unit.vpc_endpoints
    by_vpc = unit.derived("endpoints_by_vpc", None, lambda: grouped(endpoints, lambda e: e.vpc_id))
    return list(by_vpc.get(vpc_id, []))
