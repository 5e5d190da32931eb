"""Properties of the pure routing module against brute-force references on `ipaddress`."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from hypothesis import given
from hypothesis import strategies as st

from auditor.inventory import Route, RouteTable
from auditor.network import (
    contains,
    expand,
    intersect,
    lookup,
    partition,
    public_space,
    strays,
    subtract,
)

addresses = st.integers(0, 2**32 - 1).map(IPv4Address)
networks = st.builds(
    lambda a, p: IPv4Network((a, p), strict=False),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0, 1, 2, 3, 4, 8, 10, 12, 16, 20, 24, 28, 32]),
)
routes = st.builds(
    Route,
    target=st.sampled_from(["igw-1", "nat-1", "pcx-1", "local"]),
    state=st.sampled_from(["active", "active", "active", "blackhole"]),
    origin=st.sampled_from(["CreateRoute", "CreateRouteTable", "EnableVgwRoutePropagation"]),
    destination=networks.map(str),
)


def probes(nets: list[IPv4Network], extra: list[IPv4Address]) -> list[IPv4Address]:
    """Addresses at and around every boundary, where an off-by-one would show."""
    out = list(extra)
    for n in nets:
        for edge in (int(n.network_address), int(n.broadcast_address)):
            out += [IPv4Address(v) for v in (edge - 1, edge, edge + 1) if 0 <= v < 2**32]
    return out


@given(st.lists(routes, max_size=8), st.lists(addresses, max_size=20))
def test_longest_prefix_partition_agrees_with_per_address_lookup(route_list, extra):
    table = RouteTable("rtb-1", "vpc-1", True, [], route_list)
    candidates, _ = expand(table, {})
    parts = partition(candidates)

    for address in probes([c.cidr for c in candidates], extra):
        owners = [c for net, c in parts if address in net]
        expected = lookup(address, candidates)
        assert len(owners) <= 1
        assert (owners[0] if owners else None) == expected


@given(st.lists(routes, max_size=8), st.lists(addresses, max_size=20))
def test_public_coverage_agrees_with_sampled_addresses(route_list, extra):
    table = RouteTable("rtb-1", "vpc-1", True, [], route_list)
    candidates, _ = expand(table, {})
    space = public_space()
    found = strays(candidates, space, lambda r: r.target == "igw-1")
    stray_nets = [n for s in found for n in s.nets]

    for address in probes([c.cidr for c in candidates], extra):
        if not contains(space, address):
            assert not contains(stray_nets, address)
            continue
        winner = lookup(address, candidates)
        reaches = winner is not None and winner.route.target == "igw-1"
        assert contains(stray_nets, address) is not reaches


@given(
    st.lists(networks, max_size=5), st.lists(networks, max_size=5), st.lists(addresses, max_size=20)
)
def test_set_operations_agree_with_membership(a, b, extra):
    difference, both = subtract(a, b), intersect(a, b)

    for address in probes(a + b, extra):
        in_a, in_b = contains(a, address), contains(b, address)
        assert contains(difference, address) is (in_a and not in_b)
        assert contains(both, address) is (in_a and in_b)
