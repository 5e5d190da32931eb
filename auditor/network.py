"""Pure VPC routing semantics, as AWS applies them (REQUIREMENTS.md §4; DESIGN.md `route.internet`).

- A subnet's effective route table is its explicit association, else the VPC's main table
  (DescribeRouteTables lists no implicit associations).
- A destination is routed by longest-prefix match; at equal prefix length a static route wins
  over a prefix-list route, which wins over a propagated one. `blackhole` routes are ignored.
- Prefix-list routes (gateway endpoints) match per CIDR of the list.

Address sets are lists of IPv4 networks; no AWS calls, no inventory mutation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, summarize_address_range
from typing import TypeVar

from auditor.inventory import (
    InternetGateway,
    NetworkAcl,
    PeeringSide,
    Route,
    RouteTable,
    SgRule,
    Subnet,
    VpcEndpoint,
    VpcPeering,
)

EVERYWHERE = IPv4Network("0.0.0.0/0")


@functools.lru_cache(maxsize=1 << 16)
def network(cidr: str) -> IPv4Network:
    """``cidr`` as an IPv4 network (host bits ignored, as AWS does), parsed once per address:
    the same subnet and route CIDRs were parsed again for every target and mode that asked.
    The objects are immutable, so sharing them is safe."""
    return IPv4Network(cidr, strict=False)


NOT_PUBLIC = tuple(
    IPv4Network(c)
    for c in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
PROPAGATED = "EnableVgwRoutePropagation"
STATIC, PREFIX_LIST, PROPAGATED_RANK = 0, 1, 2


# --- address sets ------------------------------------------------------------------------------
# Sets of IPv4 addresses are computed as sorted, merged integer intervals [first, last] and
# turned back into the minimal list of CIDRs only at the edges: the same answers as
# `ipaddress.collapse_addresses` and friends (tests/test_network_properties.py proves them
# against per-address membership), without building a network object per step.

Interval = tuple[int, int]


def _intervals(nets: Iterable[IPv4Network]) -> list[Interval]:
    return _merge((int(n.network_address), int(n.broadcast_address)) for n in nets)


def _merge(ivs: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _minus(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Merged ``a`` less merged ``b``."""
    out: list[Interval] = []
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] < lo:
            j += 1
        k, start = j, lo
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > start:
                out.append((start, b[k][0] - 1))
            start = max(start, b[k][1] + 1)
            k += 1
        if start <= hi:
            out.append((start, hi))
    return out


def _and(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Merged ``a`` intersected with merged ``b``."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _networks(ivs: Iterable[Interval]) -> list[IPv4Network]:
    return [
        net for lo, hi in ivs for net in summarize_address_range(IPv4Address(lo), IPv4Address(hi))
    ]


def collapse(nets: Iterable[IPv4Network]) -> list[IPv4Network]:
    return _networks(_intervals(nets))


def subtract(nets: Iterable[IPv4Network], minus: Iterable[IPv4Network]) -> list[IPv4Network]:
    """``nets`` less every address in ``minus``."""
    return _networks(_minus(_intervals(nets), _intervals(minus)))


def intersect(a: Iterable[IPv4Network], b: Iterable[IPv4Network]) -> list[IPv4Network]:
    return _networks(_and(_intervals(a), _intervals(b)))


@functools.cache
def _public_space(excluded: tuple[IPv4Network, ...]) -> tuple[IPv4Network, ...]:
    return tuple(subtract([EVERYWHERE], [*NOT_PUBLIC, *excluded]))


def public_space(excluded: Iterable[IPv4Network] = ()) -> list[IPv4Network]:
    """Every public IPv4 address, less ``excluded`` (e.g. gateway-endpoint prefix lists)."""
    return list(_public_space(tuple(collapse(excluded))))


def contains(nets: Iterable[IPv4Network], address: IPv4Address) -> bool:
    return any(address in n for n in nets)


Item = TypeVar("Item")


def grouped(items: Iterable[Item], key: Callable[[Item], str]) -> dict[str, list[Item]]:
    """``items`` by ``key``, each group in the order listed: an index made once per unit where a
    scan of the Region's list per VPC or per endpoint grew with the square of its size."""
    out: dict[str, list[Item]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


# --- route tables ------------------------------------------------------------------------------


Associated = TypeVar("Associated", RouteTable, NetworkAcl)


def associations(
    items: list[Associated], fallback: Callable[[Associated], bool]
) -> tuple[dict[str, Associated], dict[str, Associated]]:
    """(subnet id -> the item explicitly associated with it, VPC id -> its ``fallback`` item:
    the main route table, the default network ACL), first match in the order AWS listed
    them: a Region's list is scanned once, not once per subnet that asks."""
    explicit: dict[str, Associated] = {}
    fallbacks: dict[str, Associated] = {}
    for item in items:
        for subnet_id in item.subnet_ids:
            explicit.setdefault(subnet_id, item)
        if fallback(item):
            fallbacks.setdefault(item.vpc_id, item)
    return explicit, fallbacks


TableIndex = tuple[dict[str, RouteTable], dict[str, RouteTable]]


def route_table_index(tables: list[RouteTable]) -> TableIndex:
    """(subnet id -> its explicitly associated table, VPC id -> its main table)."""
    return associations(tables, lambda table: table.main)


def effective_route_table(
    subnet_id: str, vpc_id: str, tables: list[RouteTable], index: TableIndex | None = None
) -> tuple[RouteTable, bool] | None:
    """(table, explicit?) for a subnet: its explicit association, else the VPC's main table.
    ``index``: `route_table_index(tables)`, when the caller keeps one."""
    explicit, main = index if index is not None else route_table_index(tables)
    if subnet_id in explicit:
        return explicit[subnet_id], True
    if vpc_id in main:
        return main[vpc_id], False
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One routable CIDR of a route (a prefix-list route gives one per CIDR of its list)."""

    cidr: IPv4Network
    route: Route
    rank: int  # STATIC, PREFIX_LIST or PROPAGATED_RANK: the tie-break at equal prefix length
    order: int  # position in the table, for a deterministic choice between true duplicates


def expand(
    table: RouteTable, prefix_lists: dict[str, list[str] | None]
) -> tuple[list[Candidate], list[str]]:
    """The table's IPv4 routes as candidates, blackholes left out; and the prefix lists whose
    CIDRs are not known (the answer then depends on what was not read)."""
    out: list[Candidate] = []
    unread: list[str] = []
    for order, route in enumerate(table.routes):
        if route.state == "blackhole":
            continue
        if route.destination:
            net = network(route.destination)
            rank = PROPAGATED_RANK if route.origin == PROPAGATED else STATIC
            out.append(Candidate(net, route, rank, order))
        elif route.prefix_list_id:
            cidrs = prefix_lists.get(route.prefix_list_id)
            if cidrs is None:
                unread.append(route.prefix_list_id)
                continue
            out += [Candidate(network(c), route, PREFIX_LIST, order) for c in cidrs if ":" not in c]
    return out, unread


def _precedence(c: Candidate) -> tuple[int, int, int]:
    return (-c.cidr.prefixlen, c.rank, c.order)


def lookup(address: IPv4Address, candidates: list[Candidate]) -> Candidate | None:
    """The route a packet to ``address`` takes (reference implementation, one address)."""
    matching = [c for c in candidates if address in c.cidr]
    return min(matching, key=_precedence) if matching else None


def partition(candidates: list[Candidate]) -> list[tuple[IPv4Network, Candidate]]:
    """The routed address space split by the route that wins each part."""
    claimed: list[IPv4Network] = []
    parts: list[tuple[IPv4Network, Candidate]] = []
    for cand in sorted(candidates, key=_precedence):
        for net in subtract([cand.cidr], claimed):
            parts.append((net, cand))
        claimed = collapse([*claimed, cand.cidr])
    return parts


@dataclass(frozen=True)
class Stray:
    """Addresses of the required space that do not go where they should."""

    intervals: tuple[Interval, ...]  # sorted, disjoint
    route: Route | None  # None: no route at all
    whole: bool = False  # the stray part is all of the space that was asked about

    @functools.cached_property
    def nets(self) -> tuple[IPv4Network, ...]:
        """The stray addresses as CIDR blocks, made when asked: most strays are only counted
        or described as the whole space, and the blocks of the public space less a VPC are
        dozens."""
        return tuple(_networks(self.intervals))

    def describe(self, everything: str = "all of them", note: str = "", limit: int = 4) -> str:
        if self.whole:
            shown = everything
        else:
            shown = ", ".join(str(n) for n in self.nets[:limit])
            if len(self.nets) > limit:
                shown += f" and {len(self.nets) - limit} more prefixes"
        where = f"{self.route.target}{note}" if self.route else "no route (dropped)"
        return f"{shown} -> {where}"


def strays(
    candidates: list[Candidate], space: list[IPv4Network], good: Callable[[Route], bool]
) -> list[Stray]:
    """The parts of ``space`` whose winning route is not ``good``, grouped by where they go
    (the longest-prefix partition of `partition`, computed on intervals)."""
    wanted = _intervals(space)
    claimed: list[Interval] = []
    covered: list[Interval] = []
    bad: dict[int, tuple[Route, list[Interval]]] = {}
    for cand in sorted(candidates, key=_precedence):
        mine = _intervals([cand.cidr])
        overlap = _and(_minus(mine, claimed), wanted)
        claimed = _merge([*claimed, *mine])
        if not overlap:
            continue
        covered += overlap
        if not good(cand.route):
            bad.setdefault(cand.order, (cand.route, []))[1].extend(overlap)
    out = []
    for _, (route, ivs) in sorted(bad.items()):
        merged = _merge(ivs)
        out.append(Stray(tuple(merged), route, merged == wanted))
    unrouted = _minus(wanted, _merge(covered))
    if unrouted:
        out.append(Stray(tuple(unrouted), None, unrouted == wanted))
    return out


def gateway_endpoint_space(
    candidates: list[Candidate],
) -> list[IPv4Network]:
    """CIDRs of prefix-list routes to gateway endpoints (traffic that may bypass the internet)."""
    return collapse(
        c.cidr for c in candidates if c.rank == PREFIX_LIST and c.route.target.startswith("vpce-")
    )


def gateways_by_vpc(gateways: list[InternetGateway]) -> dict[str, list[str]]:
    """VPC id -> the internet gateways attached to it (attachment state `available`, as the API
    says), sorted: the Region's gateways read once, not once per VPC or subnet that asks."""
    attached: dict[str, list[str]] = {}
    for g in gateways:
        for vpc_id, state in g.attachments.items():
            if state == "available":
                attached.setdefault(vpc_id, []).append(g.gateway_id)
    return {vpc_id: sorted(ids) for vpc_id, ids in attached.items()}


def attached_gateways(
    vpc_id: str, gateways: list[InternetGateway], index: dict[str, list[str]] | None = None
) -> list[str]:
    """Internet gateways attached to the VPC; ``index``: `gateways_by_vpc(gateways)`, kept."""
    return list((index if index is not None else gateways_by_vpc(gateways)).get(vpc_id, []))


# --- network ACLs ------------------------------------------------------------------------------


AclIndex = tuple[dict[str, NetworkAcl], dict[str, NetworkAcl]]


def acl_index(acls: list[NetworkAcl]) -> AclIndex:
    """(subnet id -> its associated ACL, VPC id -> its default ACL)."""
    return associations(acls, lambda acl: acl.default)


def acl_of(
    subnet: Subnet, acls: list[NetworkAcl], index: AclIndex | None = None
) -> NetworkAcl | None:
    """The subnet's network ACL: its explicit association, else the VPC's default ACL.
    ``index``: `acl_index(acls)`, when the caller keeps one."""
    explicit, default = index if index is not None else acl_index(acls)
    return explicit.get(subnet.subnet_id) or default.get(subnet.vpc_id)


def _tcp(protocol: str) -> bool:
    return protocol in ("-1", "6", "tcp", "all")


AclEntries = tuple[tuple[int, str, str, str | None, int | None, int | None], ...]


def acl_entries(acl: NetworkAcl, egress: bool) -> AclEntries:
    """The ACL's rules in one direction, as `cidr_denials` takes them: (number, protocol,
    action, CIDR, from port, to port)."""
    return tuple(
        (e.rule_number, e.protocol, e.action, e.cidr, e.port_from, e.port_to)
        for e in acl.entries
        if e.egress == egress
    )


@functools.lru_cache(maxsize=4096)
def cidr_denials(
    entries: AclEntries, ports: tuple[int, int], cidrs: tuple[str, ...] | None
) -> tuple[tuple[IPv4Network, int | None], ...]:
    """Parts of ``cidrs`` (None: the public space) where TCP on ``ports`` is denied by
    ``entries`` (`acl_entries`; first match by rule number), with the rule number that denies,
    or None for the implicit final deny. Once per question: many subnets share an ACL's rules
    (every default ACL has the same), and strings hash faster than `IPv4Network`s."""
    space = public_space() if cidrs is None else [network(c) for c in cidrs]
    remaining = collapse(space)
    denied: list[tuple[IPv4Network, int | None]] = []
    for number, protocol, action, cidr, port_from, port_to in sorted(entries):
        if not remaining or cidr is None or not _tcp(protocol):
            continue
        lo, hi = _port_range(protocol, port_from, port_to)
        if hi < ports[0] or lo > ports[1]:
            continue
        hit = intersect(remaining, [network(cidr)])
        if not hit:
            continue
        if action == "deny":
            denied += [(n, number) for n in hit]
            remaining = subtract(remaining, hit)
        elif lo <= ports[0] and hi >= ports[1]:
            remaining = subtract(remaining, hit)
    denied += [(n, None) for n in remaining]
    return tuple(denied)


def _port_range(protocol: str, port_from: int | None, port_to: int | None) -> tuple[int, int]:
    if protocol in ("-1", "all") or port_from is None:
        return 0, 65535
    return port_from, port_to if port_to is not None else port_from


# --- security groups ---------------------------------------------------------------------------


def rule_admits_port(rule: SgRule, port: int) -> bool:
    if rule.protocol in ("-1", "all"):
        return True
    if rule.protocol not in ("tcp", "6"):
        return False
    lo = -1 if rule.from_port is None else rule.from_port
    hi = 65535 if rule.to_port is None else rule.to_port
    return lo == -1 or lo <= port <= hi


def sg_admits(
    rules: list[SgRule],
    port: int,
    peer: IPv4Network,
    prefix_lists: dict[str, list[str] | None] | None = None,
) -> str:
    """ "cidr" when a rule admits TCP ``port`` for all of ``peer`` by CIDR or by a prefix list
    whose entries (``prefix_lists``: id -> CIDRs, None when unread) cover it; "unread" when only a
    prefix list that was not read could; "reference" when only a security-group reference could;
    else "no"."""
    known = prefix_lists or {}
    by_reference = unread = False
    for rule in rules:
        if not rule_admits_port(rule, port):
            continue
        cidrs = list(rule.cidrs)
        for pl in rule.prefix_lists:
            entries = known.get(pl)
            if entries is None:
                unread = True
            else:
                cidrs += entries
        if any(peer.subnet_of(network(c)) for c in cidrs if ":" not in c):
            return "cidr"
        by_reference = by_reference or bool(rule.groups)
    if unread:
        return "unread"
    return "reference" if by_reference else "no"


def service_name(region: str, service: str) -> str:
    """The endpoint service name of an AWS service in a region: com.amazonaws.<region>.<service>."""
    return f"com.amazonaws.{region}.{service}"


def is_service(endpoint: VpcEndpoint, region: str, service: str) -> bool:
    """`com.amazonaws.<region>.<service>` (other partitions prefix it, e.g. `cn.`)."""
    return endpoint.service_name.endswith(f"amazonaws.{region}.{service}")


def available(state: str) -> bool:
    """An EC2 resource state that means usable (AWS spells it in either case)."""
    return state.lower() == "available"


def s3_interfaces(endpoints: list[VpcEndpoint], vpc_id: str, region: str) -> list[VpcEndpoint]:
    """The VPC's S3 interface endpoints for ``region``, in any state."""
    return [
        e
        for e in endpoints
        if e.vpc_id == vpc_id and e.endpoint_type == "Interface" and is_service(e, region, "s3")
    ]


def active_peers(
    peerings: list[VpcPeering], vpc_id: str, regions: set[str]
) -> list[tuple[VpcPeering, PeeringSide]]:
    """The `active` peerings of ``vpc_id`` whose other VPC is in one of ``regions``."""
    out = []
    for pcx in peerings:
        other = pcx.other_side(vpc_id)
        if pcx.status == "active" and other is not None and other.region in regions:
            out.append((pcx, other))
    return out
