"""Worker subnets (DESIGN.md "Worker subnets"): the candidates for a DB instance in a mode, the
subnet-level rules each candidate must pass, and the best candidate the findings describe.

Pure: reads a RegionInventory, never AWS. One `WorkerPlans` per (account, region) unit caches the
plan of every (target, mode), shared by the checks that report it and by the verdict fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from auditor.inventory import (
    DBInstance,
    ReadError,
    RegionInventory,
    Subnet,
    VpcEndpoint,
    WorkerConfig,
)
from auditor.model import Evidence, Mode, Status
from auditor.network import (
    Candidate,
    Stray,
    attached_gateways,
    effective_route_table,
    expand,
    gateway_endpoint_space,
    intersect,
    public_space,
    strays,
)
from auditor.scope import SQLSERVER_FAMILY

ROUTE_INTERNET = "route.internet"
ENDPOINTS_S3 = "endpoints.s3"
S3_PUBLIC = "s3.public-endpoint"


@dataclass(frozen=True)
class Outcome:
    """What one rule says about one subnet (or target): a finding waiting for its check."""

    status: Status
    message: str
    resource_id: str | None = None
    remediation: str | None = None
    evidence: Evidence = field(default_factory=dict)
    error: ReadError | None = None  # the gap behind an `unknown`


def unknown(what: str, error: ReadError | None, resource_id: str | None = None) -> Outcome:
    """`unknown` because an input could not be read: names the gap and the missing permission."""
    reason = error.explain() if error else "the data was not read"
    evidence: Evidence = {}
    if error is not None:
        evidence = {"error_code": error.code, "operation": f"{error.service}:{error.operation}"}
        if error.denied and error.iam_action:
            evidence["missing_permission"] = error.iam_action
    return Outcome(
        Status.UNKNOWN, f"could not check {what}: {reason}", resource_id, None, evidence, error
    )


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def is_service(endpoint: VpcEndpoint, region: str, service: str) -> bool:
    """`com.amazonaws.<region>.<service>` (other partitions prefix it, e.g. `cn.`)."""
    return endpoint.service_name.endswith(f"amazonaws.{region}.{service}")


def available(state: str) -> bool:
    return state.lower() == "available"


# --- the subnet-level rules ----------------------------------------------------------------


def _table(
    unit: RegionInventory, db: DBInstance, subnet: Subnet
) -> Outcome | tuple[str, str, list[Candidate]]:
    """(route table id, "explicit"/"main", candidates) or an Outcome explaining why not."""
    if unit.route_tables is None:
        return unknown(
            f"the route table of {subnet.subnet_id}", unit.error_for("DescribeRouteTables")
        )
    found = effective_route_table(subnet.subnet_id, subnet.vpc_id, unit.route_tables)
    if found is None:
        return Outcome(
            Status.FAIL,
            f"no route table applies to {subnet.subnet_id}: no explicit association and no main "
            f"route table in {subnet.vpc_id}",
            subnet.subnet_id,
        )
    table, explicit = found
    candidates, unread = expand(table, unit.prefix_lists)
    if unread:
        return unknown(
            f"prefix list {unread[0]} used by {table.route_table_id}",
            unit.error_for("GetManagedPrefixListEntries", unread[0]),
            table.route_table_id,
        )
    return table.route_table_id, "explicit" if explicit else "main", candidates


def route_internet(unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
    """Every public IPv4 address (less gateway-endpoint prefix lists) reaches, by longest-prefix
    match, an active route to the internet gateway attached to this VPC."""
    found = _table(unit, db, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    if unit.internet_gateways is None:
        return unknown(
            f"internet gateways of {subnet.vpc_id}", unit.error_for("DescribeInternetGateways")
        )
    igws = attached_gateways(subnet.vpc_id, unit.internet_gateways)
    space = public_space(gateway_endpoint_space(candidates))
    stray = strays(candidates, space, lambda r: r.target in igws and r.state == "active")
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


def _endpoints(unit: RegionInventory, vpc_id: str) -> list[VpcEndpoint] | Outcome:
    if unit.vpc_endpoints is None:
        return unknown(f"VPC endpoints of {vpc_id}", unit.error_for("DescribeVpcEndpoints"))
    return [e for e in unit.vpc_endpoints if e.vpc_id == vpc_id]


def s3_gateway_route(unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
    """An available S3 gateway endpoint whose prefix-list route wins in the subnet's table."""
    eps = _endpoints(unit, subnet.vpc_id)
    if isinstance(eps, Outcome):
        return eps
    found = _table(unit, db, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    gateways = [
        e
        for e in eps
        if e.endpoint_type == "Gateway" and is_service(e, unit.region, "s3") and available(e.state)
    ]
    evidence: Evidence = {
        "subnet": subnet.subnet_id,
        "route_table": rtb,
        "route_table_association": how,
    }
    s3 = service_name(unit.region, "s3")
    if not gateways:
        return Outcome(
            Status.FAIL,
            f"no available S3 gateway endpoint ({s3}) in {subnet.vpc_id}",
            subnet.subnet_id,
            f"aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} --vpc-endpoint-type Gateway "
            f"--service-name {s3} --route-table-ids {rtb}",
            evidence,
        )
    ids = {e.endpoint_id for e in gateways}
    evidence["s3_gateway_endpoints"] = sorted(ids)
    routed = [c for c in candidates if c.route.target in ids and c.route.prefix_list_id]
    if not routed:
        return Outcome(
            Status.FAIL,
            f"S3 gateway endpoint {', '.join(sorted(ids))} has no route in {rtb} "
            f"({how} route table of {subnet.subnet_id}): workers there do not use it",
            subnet.subnet_id,
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {sorted(ids)[0]} "
            f"--add-route-table-ids {rtb}",
            evidence,
        )
    pl_space = [c.cidr for c in routed]
    overridden = strays(candidates, pl_space, lambda r: r.target in ids)
    evidence["prefix_list"] = sorted({c.route.prefix_list_id or "" for c in routed})
    if overridden:
        return Outcome(
            Status.FAIL,
            f"in {rtb} more specific routes take S3 addresses away from the endpoint: "
            f"{'; '.join(s.describe('all of S3') for s in overridden)}",
            subnet.subnet_id,
            None,
            evidence,
        )
    return Outcome(
        Status.PASS,
        f"{rtb} ({how} route table of {subnet.subnet_id}) routes S3 ({evidence['prefix_list'][0]}) "
        f"to {routed[0].route.target}",
        subnet.subnet_id,
        evidence=evidence,
    )


def s3_public_path(unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
    """A path from a worker without a public IP to the public s3.<region>.amazonaws.com: an S3
    interface endpoint with private DNS, an S3 gateway endpoint route, or a working NAT gateway."""
    s3_host = f"s3.{unit.region}.amazonaws.com"
    eps = _endpoints(unit, subnet.vpc_id)
    gaps: list[Outcome] = []
    if isinstance(eps, Outcome):
        gaps.append(eps)
        eps = []
    for e in eps:
        if (
            e.endpoint_type == "Interface"
            and is_service(e, unit.region, "s3")
            and available(e.state)
            and e.private_dns
        ):
            return Outcome(
                Status.PASS,
                f"{s3_host} resolves to S3 interface endpoint {e.endpoint_id} (private DNS on)",
                subnet.subnet_id,
                evidence={"subnet": subnet.subnet_id, "via": e.endpoint_id},
            )
    gateway = s3_gateway_route(unit, db, subnet)
    if gateway.status is Status.PASS:
        return Outcome(
            Status.PASS,
            f"{s3_host} is reached through the S3 gateway endpoint: {gateway.message}",
            subnet.subnet_id,
            evidence={**gateway.evidence, "via": "gateway endpoint"},
        )
    if gateway.status is Status.UNKNOWN:
        gaps.append(gateway)
    nat = nat_path(unit, db, subnet)
    if nat.status is Status.PASS:
        return nat
    if nat.status is Status.UNKNOWN:
        gaps.append(nat)
    if gaps:
        return gaps[0]
    return Outcome(
        Status.FAIL,
        f"{subnet.subnet_id} has no path to the public {s3_host}, which SQL Server backups need: "
        f"no S3 interface endpoint with private DNS; {gateway.message}; "
        f"{nat.message}",
        subnet.subnet_id,
        f"aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} --vpc-endpoint-type Gateway "
        f"--service-name {service_name(unit.region, 's3')} --route-table-ids "
        f"{gateway.evidence.get('route_table', '<the subnet route table>')}",
        {**gateway.evidence, **nat.evidence},
    )


def nat_path(unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
    """Every public address from the subnet goes to an available public NAT gateway whose own
    subnet reaches the attached internet gateway."""
    found = _table(unit, db, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    if unit.nat_gateways is None:
        return unknown(f"NAT gateways of {subnet.vpc_id}", unit.error_for("DescribeNatGateways"))
    working: list[str] = []
    by_id = {s.subnet_id: s for s in unit.subnets or []}
    for nat in unit.nat_gateways:
        if nat.vpc_id != subnet.vpc_id or not available(nat.state) or nat.connectivity != "public":
            continue
        home = by_id.get(nat.subnet_id)
        if home is not None and route_internet(unit, db, home).status is Status.PASS:
            working.append(nat.nat_gateway_id)
    stray = strays(
        candidates, public_space(gateway_endpoint_space(candidates)), lambda r: r.target in working
    )
    evidence: Evidence = {"working_nat_gateways": working, "route_table": rtb}
    if not stray:
        return Outcome(
            Status.PASS,
            f"{rtb} ({how} route table of {subnet.subnet_id}) sends public addresses to "
            "NAT gateway "
            f"{', '.join(working)}, which reaches the internet gateway",
            subnet.subnet_id,
            evidence={**evidence, "via": "NAT gateway"},
        )
    return Outcome(
        Status.FAIL,
        f"public addresses from {rtb} do not all go to a working public NAT gateway "
        f"({'; '.join(s.describe('every public IPv4 address') for s in stray)})",
        subnet.subnet_id,
        evidence=evidence,
    )


Rule = Callable[[RegionInventory, DBInstance, Subnet], Outcome]

SUBNET_RULES: dict[Mode, tuple[tuple[str, Rule], ...]] = {
    Mode.PUBLIC: ((ROUTE_INTERNET, route_internet),),
    Mode.PRIVATE: ((S3_PUBLIC, s3_public_path),),
    Mode.VPC_ENDPOINTS: ((ENDPOINTS_S3, s3_gateway_route), (S3_PUBLIC, s3_public_path)),
}
SQLSERVER_ONLY = frozenset({S3_PUBLIC})


# --- candidates and plans --------------------------------------------------------------------


@dataclass
class Plan:
    mode: Mode
    subnets_read: bool
    in_az: list[Subnet]  # every subnet of the DB's VPC in its AZ
    candidates: list[Subnet]
    ignored: list[str]  # --worker-subnet ids outside this DB's VPC and AZ
    results: dict[str, dict[str, Outcome]]
    best: Subnet | None
    passing: list[str]

    def exclusions(self) -> list[str]:
        """Why each subnet of the AZ is not a candidate."""
        wanted_public = self.mode is Mode.PUBLIC
        chosen = {s.subnet_id for s in self.candidates}
        out = []
        for s in self.in_az:
            if s.subnet_id in chosen:
                continue
            if not available(s.state):
                out.append(f"{s.subnet_id}: state {s.state}")
            elif s.available_ips <= 0:
                out.append(f"{s.subnet_id}: no free IPv4 addresses")
            elif s.map_public_ip != wanted_public:
                out.append(
                    f"{s.subnet_id}: public IPv4 auto-assign {'off' if wanted_public else 'on'}"
                )
            else:
                out.append(f"{s.subnet_id}: not in the worker configuration (--worker-subnet)")
        return out


class WorkerPlans:
    def __init__(self, unit: RegionInventory, config: WorkerConfig | None = None):
        self.unit = unit
        self.config = config or WorkerConfig()
        self._cache: dict[tuple[str, Mode], Plan] = {}

    def plan(self, db: DBInstance, mode: Mode) -> Plan:
        key = (db.db_instance_id, mode)
        if key not in self._cache:
            self._cache[key] = self._make(db, mode)
        return self._cache[key]

    def _make(self, db: DBInstance, mode: Mode) -> Plan:
        subnets = self.unit.subnets
        in_az = [
            s
            for s in subnets or []
            if s.vpc_id == db.vpc_id and s.availability_zone == db.availability_zone
        ]
        pins = set(self.config.subnet_ids)
        ignored = sorted(pins - {s.subnet_id for s in in_az}) if pins else []
        candidates = [
            s
            for s in in_az
            if available(s.state)
            and s.available_ips > 0
            and s.map_public_ip == (mode is Mode.PUBLIC)
            and (not pins or s.subnet_id in pins)
        ]
        rules = [
            (cid, rule)
            for cid, rule in SUBNET_RULES[mode]
            if cid not in SQLSERVER_ONLY or db.engine in SQLSERVER_FAMILY
        ]
        results = {
            s.subnet_id: {cid: rule(self.unit, db, s) for cid, rule in rules} for s in candidates
        }

        def rank(s: Subnet) -> tuple[int, int, str]:
            statuses = [o.status for o in results[s.subnet_id].values()]
            return (statuses.count(Status.FAIL), statuses.count(Status.UNKNOWN), s.subnet_id)

        best = min(candidates, key=rank) if candidates else None
        passing = sorted(
            s.subnet_id
            for s in candidates
            if all(o.status in (Status.PASS, Status.WARN) for o in results[s.subnet_id].values())
        )
        return Plan(mode, subnets is not None, in_az, candidates, ignored, results, best, passing)


def worker_peer(unit: RegionInventory, db: DBInstance, plan: Plan) -> list[IPv4Network] | None:
    """The addresses a worker would have: the best candidate's CIDR, else the VPC's CIDRs."""
    if plan.best is not None:
        return [IPv4Network(plan.best.cidr, strict=False)]
    vpc = unit.vpcs.get(db.vpc_id or "")
    if vpc is None or vpc.cidrs is None:
        return None
    return [IPv4Network(c, strict=False) for c in vpc.cidrs]


__all__ = [
    "Outcome",
    "Plan",
    "WorkerPlans",
    "intersect",
    "route_internet",
    "unknown",
    "worker_peer",
]
