"""Every built-in check over the in-memory baseline, one change per row (no moto, no files).

Each row: what changes from a unit where `db` is ready everywhere, the mode looked at, the
check's status there, a fragment of its message and of its remediation, and the verdict the
change leaves in that mode. The collector paths are proven by the moto scenarios elsewhere
(tests/test_*_scenarios.py); these rows prove the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from auditor import veeam_permissions as veeam_actions
from auditor.inventory import (
    BpaExclusion,
    IamRole,
    InternetGateway,
    KmsKey,
    LifecycleRule,
    NaclEntry,
    NamedPolicy,
    ReadError,
    RegionInventory,
    RepositoryAccount,
    Route,
    SecurityGroup,
    SecurityGroupMembership,
    SgRule,
    WorkerConfig,
)
from auditor.model import Mode, Status, Verdict
from auditor.veeam_config import VeeamConfig
from tests.inventory_builder import (
    APPLIANCE,
    ARCHIVE,
    ARCHIVE_BUCKET,
    BACKUP_ROLE,
    IGW,
    MAIN_TABLE,
    NAT,
    PRIVATE_SUBNET,
    PRIVATE_TABLE,
    PUBLIC_SUBNET,
    REPO_ACCOUNT,
    REPO_BUCKET,
    REPO_KEY,
    REPO_ROLE,
    ROLE_ARN,
    S3_ANY_BUCKET,
    S3_GATEWAY,
    VPC,
    WORKER_ROLE,
    PeerSetup,
    allow_all,
    baseline,
    db,
    judge,
    repositories,
    repository_config,
    subnet,
    table,
    trust,
    veeam_config,
    vpc_endpoint,
    with_veeam_roles,
)

P, R, E = Mode.PUBLIC, Mode.PRIVATE, Mode.VPC_ENDPOINTS
READY, NOT_READY, UNKNOWN = Verdict.READY, Verdict.NOT_READY, Verdict.UNKNOWN


@dataclass(frozen=True)
class Row:
    name: str
    change: Callable[[RegionInventory], object]
    mode: Mode
    status: Status | None  # None: the check says nothing there
    message: str = ""
    remediation: str = ""
    verdict: Verdict | None = None  # default: ready for pass/warn/None, else as the status says
    engine: str = "postgres"
    config: WorkerConfig = field(default_factory=WorkerConfig)
    veeam: VeeamConfig | None = None
    # What changes in the backup account's repository reads (rows with a repository).
    repos: Callable[[RepositoryAccount], object] | None = None
    # A VPC peered with the worker VPC, holding an S3 interface endpoint (private).
    peers: PeerSetup | None = None

    def expected_verdict(self) -> Verdict:
        if self.verdict is not None:
            return self.verdict
        return {Status.FAIL: NOT_READY, Status.UNKNOWN: UNKNOWN}.get(self.status, READY)  # type: ignore[arg-type]


def denied(operation: str, action: str, resource: str | None = None) -> ReadError:
    return ReadError(
        "111122223333", "eu-west-1", "ec2", operation, "UnauthorizedOperation", action, resource,
        "You are not authorized to perform this operation.", denied=True,
    )  # fmt: skip


def gap(unit: RegionInventory, attribute: str, operation: str, action: str) -> None:
    """The collection was not read: None in the inventory, the denial in errors."""
    setattr(unit, attribute, None)
    unit.errors.append(denied(operation, action))


def nothing(unit: RegionInventory) -> None:
    return None


def both(*changes: Callable[[RegionInventory], object]) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        for change in changes:
            change(unit)

    return run


def routes(unit: RegionInventory, table_id: str, *new: Route) -> None:
    table(unit, table_id).routes = [
        r for r in table(unit, table_id).routes if r.target == "local"
    ] + list(new)


def endpoints_without(*ids: str) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        assert unit.vpc_endpoints is not None
        unit.vpc_endpoints = [e for e in unit.vpc_endpoints if e.endpoint_id not in ids]

    return run


NO_LOCAL_S3 = endpoints_without("vpce-s3-interface")


def set_attr(get: Callable[[RegionInventory], object], **values: object) -> Callable:
    def run(unit: RegionInventory) -> None:
        target = get(unit)
        for k, v in values.items():
            setattr(target, k, v)

    return run


def guardrails(**values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: u.guardrails, **values)


def the_db(**values: object) -> Callable[[RegionInventory], None]:
    return set_attr(db, **values)


def vpc(**values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: u.vpcs[VPC], **values)


def a_subnet(subnet_id: str, **values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: subnet(u, subnet_id), **values)


def an_endpoint(endpoint_id: str, **values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: vpc_endpoint(u, endpoint_id), **values)


def detached_igw(unit: RegionInventory) -> None:
    assert unit.internet_gateways is not None
    unit.internet_gateways[0].attachments = {}


def five_db_groups(unit: RegionInventory) -> None:
    db(unit).security_groups = [SecurityGroupMembership(f"sg-{i}", "active") for i in range(5)]


def acl_denies(
    egress: bool, low: int, high: int | None = None, cidr: str = "0.0.0.0/0"
) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        assert unit.network_acls is not None
        entry = NaclEntry(40, egress, "6", "deny", cidr, low, high or low)
        unit.network_acls[0].entries.insert(0, entry)

    return run


def acl_denies_https_out(unit: RegionInventory) -> None:
    assert unit.network_acls is not None
    unit.network_acls[0].entries.insert(0, NaclEntry(50, True, "6", "deny", "0.0.0.0/0", 443, 443))


def endpoint_group_admits(*rules: SgRule) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        assert unit.security_groups is not None
        unit.security_groups[0].ingress = list(rules)

    return run


def worker_group(*egress: SgRule) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        assert unit.security_groups is not None
        unit.security_groups.append(SecurityGroup("sg-worker", VPC, [], list(egress)))

    return run


def shared_by(owner: str) -> Callable[[RegionInventory], None]:
    """The VPC is another account's, shared through AWS RAM; its tables are not visible."""

    def run(unit: RegionInventory) -> None:
        for s in unit.subnets or []:
            s.owner_id = owner
        unit.route_tables, unit.vpc_endpoints, unit.network_acls = [], [], []
        unit.internet_gateways, unit.nat_gateways = [], []

    return run


def excluded(
    mode: str, resource: str, state: str = "create-complete", block: str = "block-bidirectional"
) -> Callable[[RegionInventory], None]:
    return guardrails(
        bpa_mode=block,
        bpa_exclusions=[
            BpaExclusion(
                "vpcbpa-exclude-1", mode, f"arn:aws:ec2:eu-west-1:111122223333:{resource}", state
            )
        ],
    )


V = veeam_config()


def vrole(arn: str, **values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: u.roles[arn], **values)


WORKER_GROUP = WorkerConfig(security_group_ids=["sg-worker"])
HTTPS_EVERYWHERE = SgRule("tcp", 443, 443, cidrs=["0.0.0.0/0"])


def role(**values: object) -> Callable[[RegionInventory], None]:
    return set_attr(lambda u: u.roles[ROLE_ARN], **values)


def option(**settings: str) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        group = next(g for g in unit.option_groups.values() if g is not None)
        group.options = {"SQLSERVER_BACKUP_RESTORE": settings} if settings else {}

    return run


SQL = "sqlserver-se"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/k1"

# --- Veeam's repositories (rows change the backup account's reads) ------------------------------
RC = repository_config()
ARCHIVING = repository_config(archive=ARCHIVE)
IMMUTABLE = repository_config({"immutable": True})
PASSWORD = repository_config({"encryption": "password", "kms_key": None})  # no key to move
LOCKED: dict[str, object] = {"object_lock": "Enabled", "versioning": "Enabled"}


def in_bucket(name: str = REPO_BUCKET, **changes: object) -> Callable[[RepositoryAccount], None]:
    def run(record: RepositoryAccount) -> None:
        record.buckets[name] = replace(record.buckets[name], **changes)  # type: ignore[arg-type]

    return run


def in_key(**changes: object) -> Callable[[RepositoryAccount], None]:
    def run(record: RepositoryAccount) -> None:
        key = record.keys[REPO_KEY]
        assert key is not None
        record.keys[REPO_KEY] = replace(key, **changes)  # type: ignore[arg-type]

    return run


def in_role(**changes: object) -> Callable[[RepositoryAccount], None]:
    def run(record: RepositoryAccount) -> None:
        role = record.roles[REPO_ROLE]
        record.roles[REPO_ROLE] = replace(role, **changes)  # type: ignore[arg-type]

    return run


def repo_denied(
    service: str,
    operation: str,
    action: str,
    resource: str,
    forget: Callable[[RepositoryAccount], None],
) -> Callable[[RepositoryAccount], None]:
    def run(record: RepositoryAccount) -> None:
        forget(record)
        record.errors.append(
            ReadError(
                REPO_ACCOUNT,
                "eu-west-1",
                service,
                operation,
                "AccessDenied",
                action,
                resource,
                "Access Denied",
                denied=True,
            )
        )

    return run


def not_audited(record: RepositoryAccount) -> None:
    record.audited = False
    record.buckets.clear()
    record.keys.clear()
    record.roles.clear()


def forget_key(record: RepositoryAccount) -> None:
    del record.keys[REPO_KEY]


REPO_ACTIONS = veeam_actions.REPOSITORY_ANY + veeam_actions.REPOSITORY_BUCKET
BUCKET_ARN = f"arn:aws:s3:::{REPO_BUCKET}"
DENY_DELETE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": f"{BUCKET_ARN}/*",
        }
    ],
}


ROWS: dict[str, list[Row]] = {
    "rds.engine-supported": [
        Row("postgres 16 available", nothing, P, Status.PASS, "postgres 16.3"),
        Row(
            "postgres 11",
            the_db(engine_version="11.22"),
            P,
            Status.FAIL,
            "older than PostgreSQL 12",
            "--allow-major-version-upgrade",
        ),
        Row(
            "postgres 18: unconfirmed",
            the_db(engine_version="18.1"),
            P,
            Status.WARN,
            "newer than PostgreSQL 17",
        ),
        Row(
            "stopped",
            the_db(status="stopped"),
            R,
            Status.FAIL,
            "'stopped'",
            "aws rds start-db-instance --db-instance-identifier db",
        ),
        Row("modifying", the_db(status="modifying"), E, Status.WARN, "modifying"),
        Row("sql server express", nothing, P, Status.PASS, "sqlserver-se", engine=SQL),
        Row(
            "sql server over 5 TiB",
            the_db(allocated_storage_gib=6000),
            P,
            Status.WARN,
            "Veeam backs up SQL Server databases of up to 5 TiB",
            engine=SQL,
        ),
        Row(
            "postgres over 5 TiB is not limited", the_db(allocated_storage_gib=6000), P, Status.PASS
        ),
    ],
    "vpc.dns-support": [
        Row("on", nothing, P, Status.PASS, "enableDnsSupport is on"),
        Row("off", vpc(dns_support=False), R, Status.FAIL, "off", "--enable-dns-support"),
        Row("not read", vpc(dns_support=None), E, Status.UNKNOWN, "could not check"),
        Row("vpc gone", vpc(exists=False), P, Status.FAIL, "does not exist"),
        Row("no vpc reported", the_db(vpc_id=None), P, Status.UNKNOWN, "reported no VPC"),
    ],
    "vpc.dns-hostnames": [
        Row("off: private modes", vpc(dns_hostnames=False), R, Status.FAIL, "private DNS names"),
        Row("off: public unaffected", vpc(dns_hostnames=False), P, None),
        Row("on", nothing, E, Status.PASS, "enableDnsHostnames is on"),
    ],
    "vpc.internet-gateway": [
        Row("attached", nothing, P, Status.PASS, IGW),
        Row(
            "detached, still routed: re-attach it, as route.internet says",
            detached_igw,
            P,
            Status.FAIL,
            "no internet gateway is attached to vpc-1 (its route tables still send traffic to "
            "igw-1: re-attach it, the fix route.internet gives too)",
            "aws ec2 attach-internet-gateway --internet-gateway-id igw-1 --vpc-id vpc-1",
        ),
        Row(
            "none and no route to one: create one",
            both(
                detached_igw,
                lambda u: [
                    setattr(t, "routes", [r for r in t.routes if not r.target.startswith("igw-")])
                    for t in u.route_tables or []
                ],
            ),
            P,
            Status.FAIL,
            "no internet gateway is attached to vpc-1: workers",
            "aws ec2 create-internet-gateway",
        ),
        Row(
            "not read",
            lambda u: gap(u, "internet_gateways", "DescribeInternetGateways", "ec2:Describe"),
            P,
            Status.UNKNOWN,
            "DescribeInternetGateways was denied",
        ),
        Row("private modes do not need it", detached_igw, R, None),
    ],
    "subnet.public-ip": [
        Row("one candidate", nothing, P, Status.PASS, PUBLIC_SUBNET),
        Row(
            "no subnet in the DB's AZ auto-assigns public IPv4",
            a_subnet(PUBLIC_SUBNET, availability_zone="eu-west-1b"),
            P,
            Status.FAIL,
            "in eu-west-1a (the DB instance's Availability Zone)",
            "--map-public-ip-on-launch",
        ),
        Row(
            "a public subnet outside the DB subnet group will do",
            nothing,
            P,
            Status.PASS,
            "subnet-public",
        ),
        Row(
            "auto-assign off everywhere",
            a_subnet(PUBLIC_SUBNET, map_public_ip=False),
            P,
            Status.FAIL,
            "public IPv4 auto-assign off",
            "--map-public-ip-on-launch",
        ),
        Row(
            "no free address",
            a_subnet(PUBLIC_SUBNET, available_ips=0),
            P,
            Status.FAIL,
            "no free IPv4 addresses",
        ),
        Row(
            "subnets not read",
            lambda u: gap(u, "subnets", "DescribeSubnets", "ec2:DescribeSubnets"),
            P,
            Status.UNKNOWN,
            "grant ec2:DescribeSubnets",
        ),
        Row(
            "pinned to a private subnet",
            nothing,
            P,
            Status.FAIL,
            "not in the worker configuration",
            config=WorkerConfig(subnet_ids=[PRIVATE_SUBNET]),
        ),
    ],
    "subnet.worker-candidate": [
        Row("one candidate", nothing, R, Status.PASS, PRIVATE_SUBNET),
        Row(
            "auto-assign on everywhere",
            a_subnet(PRIVATE_SUBNET, map_public_ip=True),
            E,
            Status.FAIL,
            "public IPv4 auto-assign on",
            "--no-map-public-ip-on-launch",
        ),
        Row("pending", a_subnet(PRIVATE_SUBNET, state="pending"), R, Status.FAIL, "state pending"),
    ],
    "route.internet": [
        Row("default route to the gateway", nothing, P, Status.PASS, "every public IPv4 address"),
        Row(
            "a partner prefix diverted, clear of S3",
            lambda u: routes(
                u,
                MAIN_TABLE,
                Route(IGW, "active", "CreateRoute", "0.0.0.0/0"),
                Route("pcx-partner", "active", "CreateRoute", "8.8.8.0/24"),
            ),
            P,
            Status.WARN,
            "divert 8.8.8.0/24 -> pcx-partner: none of them covers the Region's S3 addresses",
        ),
        Row(
            "a diverted prefix takes S3 addresses away",
            lambda u: routes(
                u,
                MAIN_TABLE,
                Route(IGW, "active", "CreateRoute", "0.0.0.0/0"),
                Route("pcx-partner", "active", "CreateRoute", "52.218.0.0/20"),
            ),
            P,
            Status.FAIL,
            "52.218.0.0/20 -> pcx-partner",
            "delete-route",
        ),
        Row(
            "a diverted prefix, S3's ranges not read",
            both(
                lambda u: routes(
                    u,
                    MAIN_TABLE,
                    Route(IGW, "active", "CreateRoute", "0.0.0.0/0"),
                    Route("pcx-partner", "active", "CreateRoute", "8.8.8.0/24"),
                ),
                lambda u: gap(
                    u,
                    "s3_ranges",
                    "DescribeManagedPrefixLists",
                    "ec2:DescribeManagedPrefixLists",
                ),
            ),
            P,
            Status.UNKNOWN,
            "grant ec2:DescribeManagedPrefixLists",
        ),
        Row(
            "default route to a NAT gateway",
            lambda u: routes(u, MAIN_TABLE, Route(NAT, "active", "CreateRoute", "0.0.0.0/0")),
            P,
            Status.FAIL,
            f"not every public IPv4 address reaches {IGW}",
            "replace-route",
        ),
        Row(
            "no default route",
            lambda u: routes(u, MAIN_TABLE),
            P,
            Status.FAIL,
            "not every public IPv4 address",
            "create-route",
        ),
        Row(
            "blackhole default route",
            lambda u: routes(u, MAIN_TABLE, Route(IGW, "blackhole", "CreateRoute", "0.0.0.0/0")),
            P,
            Status.FAIL,
            "not every public IPv4 address",
        ),
        Row(
            "two /1 routes stand in for the default",
            lambda u: routes(
                u,
                MAIN_TABLE,
                Route(IGW, "active", "CreateRoute", "0.0.0.0/1"),
                Route(IGW, "active", "CreateRoute", "128.0.0.0/1"),
            ),
            P,
            Status.PASS,
            "every public IPv4 address",
        ),
        Row(
            "a more specific route takes a public prefix elsewhere",
            lambda u: table(u, MAIN_TABLE).routes.append(
                Route("tgw-1", "active", "CreateRoute", "52.0.0.0/8")
            ),
            P,
            Status.FAIL,
            "52.0.0.0/8",
            "delete-route",
        ),
        Row(
            "only a narrow prefix routed to the gateway names what is missing",
            lambda u: routes(u, MAIN_TABLE, Route(IGW, "active", "CreateRoute", "52.0.0.0/8")),
            P,
            Status.FAIL,
            "igw-1: 0.0.0.0/5, 8.0.0.0/7",
            "create-route",
        ),
        Row(
            "a route to another VPC's gateway does not count",
            both(
                lambda u: u.internet_gateways.append(  # type: ignore[union-attr]
                    InternetGateway("igw-other", {"vpc-9": "available"})
                ),
                lambda u: routes(
                    u, MAIN_TABLE, Route("igw-other", "active", "CreateRoute", "0.0.0.0/0")
                ),
            ),
            P,
            Status.FAIL,
            "every public IPv4 address -> igw-other (not attached to this VPC)",
            "replace-route --route-table-id rtb-main",
        ),
        Row(
            "an IPv6 default route alone gives no IPv4 internet",
            lambda u: routes(u, MAIN_TABLE, Route(IGW, "active", destination_ipv6="::/0")),
            P,
            Status.FAIL,
            "not every public IPv4 address",
        ),
        Row(
            "no public subnet in the DB's AZ: skipped",
            a_subnet(PUBLIC_SUBNET, availability_zone="eu-west-1b"),
            P,
            Status.SKIP,
            "prerequisite subnet.public-ip is fail",
            verdict=NOT_READY,
        ),
        Row(
            "two subnets with half the requirements each are not enough",
            both(
                lambda u: routes(u, MAIN_TABLE),
                lambda u: routes(
                    u, PRIVATE_TABLE, Route(IGW, "active", "CreateRoute", "0.0.0.0/0")
                ),
            ),
            P,
            Status.FAIL,
            "main table, used by subnet-public",
        ),
        Row(
            "gateway detached",
            detached_igw,
            P,
            Status.FAIL,
            "no internet gateway is attached",
            "attach-internet-gateway",
        ),
        Row(
            "a shared VPC: unknown naming the owner, never fail",
            shared_by("999988887777"),
            P,
            Status.UNKNOWN,
            "vpc-1 is shared with 111122223333 by account 999988887777 (AWS RAM)",
        ),
        Row(
            "route tables not read",
            lambda u: gap(u, "route_tables", "DescribeRouteTables", "ec2:DescribeRouteTables"),
            P,
            Status.UNKNOWN,
            "grant ec2:DescribeRouteTables",
        ),
        Row(
            "explicit table without the route overrides the main table",
            lambda u: table(u, PRIVATE_TABLE).subnet_ids.append(PUBLIC_SUBNET),
            P,
            Status.FAIL,
            "explicitly associated with subnet-public",
        ),
    ],
    "endpoints.interface": [
        Row("all three available", nothing, R, Status.PASS, "admits TCP 443 from the workers"),
        Row(
            "ssm missing",
            endpoints_without("vpce-ssm"),
            R,
            Status.FAIL,
            "no com.amazonaws.eu-west-1.ssm interface endpoint",
            "create-vpc-endpoint",
        ),
        Row(
            "ssmmessages missing",
            endpoints_without("vpce-ssmmessages"),
            E,
            Status.FAIL,
            "no com.amazonaws.eu-west-1.ssmmessages interface endpoint",
        ),
        Row(
            "sqs missing",
            endpoints_without("vpce-sqs"),
            R,
            Status.FAIL,
            "no com.amazonaws.eu-west-1.sqs interface endpoint",
        ),
        Row(
            "sqs private DNS off",
            an_endpoint("vpce-sqs", private_dns=False),
            E,
            Status.FAIL,
            "private DNS is off",
            "--private-dns-enabled",
        ),
        Row(
            "ssmmessages pending",
            an_endpoint("vpce-ssmmessages", state="pending"),
            R,
            Status.FAIL,
            "state is 'pending'",
        ),
        Row(
            "no endpoint subnet in the DB's AZ",
            an_endpoint("vpce-ssm", subnet_ids=["subnet-nat"]),
            R,
            Status.WARN,
            "no endpoint subnet in eu-west-1a",
        ),
        Row(
            "group admits only another CIDR",
            endpoint_group_admits(SgRule("tcp", 443, 443, cidrs=["192.168.0.0/16"])),
            R,
            Status.FAIL,
            "do not admit TCP 443 from the workers",
            "authorize-security-group-ingress",
        ),
        Row(
            "group admits by group reference",
            endpoint_group_admits(SgRule("tcp", 443, 443, groups=["sg-other"])),
            R,
            Status.WARN,
            "admitted only by security-group references",
        ),
        Row(
            "group admits by a prefix list holding the workers' CIDR",
            both(
                endpoint_group_admits(SgRule("tcp", 443, 443, prefix_lists=["pl-corp"])),
                lambda u: u.prefix_lists.update({"pl-corp": ["10.0.0.0/8"]}),
            ),
            R,
            Status.PASS,
            "admit",
        ),
        Row(
            "group admits by a prefix list of other CIDRs",
            both(
                endpoint_group_admits(SgRule("tcp", 443, 443, prefix_lists=["pl-corp"])),
                lambda u: u.prefix_lists.update({"pl-corp": ["192.168.0.0/16"]}),
            ),
            R,
            Status.FAIL,
            "do not admit TCP 443 from the workers",
        ),
        Row(
            "group admits by a prefix list not read",
            both(
                endpoint_group_admits(SgRule("tcp", 443, 443, prefix_lists=["pl-corp"])),
                lambda u: u.prefix_lists.update({"pl-corp": None}),
            ),
            R,
            Status.UNKNOWN,
            "prefix list pl-corp, which was not read",
        ),
        Row(
            "a shared VPC: the owner's endpoints are not visible",
            shared_by("999988887777"),
            R,
            Status.UNKNOWN,
            "--role-arn arn:aws:iam::999988887777:role/",
        ),
        Row("public mode does not need them", endpoints_without("vpce-ssm"), P, None),
    ],
    "endpoints.s3": [
        Row("interface endpoint (private)", nothing, R, Status.PASS, "vpce-s3-interface"),
        # Its prerequisite subnet.worker-candidate gates the vpc-endpoints mode only
        # (requires_modes): without a worker subnet, the private mode is still judged
        Row(
            "no worker subnet: the private mode still judged",
            a_subnet(PRIVATE_SUBNET, state="pending"),
            R,
            Status.PASS,
            "vpce-s3-interface",
            verdict=NOT_READY,
        ),
        Row(
            "no worker subnet: the vpc-endpoints mode skipped",
            a_subnet(PRIVATE_SUBNET, state="pending"),
            E,
            Status.SKIP,
            "not evaluated: prerequisite subnet.worker-candidate is fail",
            verdict=NOT_READY,
        ),
        Row(
            "no interface endpoint (private)",
            endpoints_without("vpce-s3-interface"),
            R,
            Status.FAIL,
            "no available S3 interface endpoint",
            "--vpc-endpoint-type Interface",
        ),
        Row(
            "an S3 interface endpoint in a peered VPC (private)",
            NO_LOCAL_S3,
            R,
            Status.PASS,
            "vpce-s3-repo is available in vpc-repo (account 444455556666, eu-west-1, peered over "
            "pcx-repo), routes join the two VPCs both ways",
            peers=PeerSetup(),
        ),
        Row(
            "the peering is not accepted yet",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "pcx-repo to vpc-repo is 'pending-acceptance'",
            peers=PeerSetup(status="pending-acceptance"),
        ),
        Row(
            "no route from the worker subnet to the peer",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "rtb-private (explicit route table of worker subnet subnet-private) does not send the "
            "peered VPC's addresses to pcx-repo",
            "aws ec2 create-route --route-table-id rtb-private --destination-cidr-block "
            "11.0.0.0/16 --vpc-peering-connection-id pcx-repo",
            peers=PeerSetup(route=False),
        ),
        Row(
            "no route back from the endpoint's subnet",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "does not send the workers' addresses back to pcx-repo",
            "--route-table-id rtb-repo --destination-cidr-block 10.0.2.0/24",
            peers=PeerSetup(back=False),
        ),
        Row(
            "overlapping CIDRs",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "have overlapping CIDRs (10.0.0.0/16 and 10.0.0.0/8)",
            peers=PeerSetup(cidr="10.0.0.0/8"),
        ),
        Row(
            "the peer's group does not admit the workers",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "vpce-s3-repo in vpc-repo",
            "in account 444455556666: aws ec2 authorize-security-group-ingress --group-id "
            "sg-repo-endpoint --protocol tcp --port 443 --cidr 10.0.2.0/24 --region eu-west-1",
            peers=PeerSetup(admits=False),
        ),
        Row(
            "the peer's endpoint is pending",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "no available S3 interface endpoint for eu-west-1 in the peered VPC vpc-repo",
            peers=PeerSetup(endpoint_state="pendingAcceptance"),
        ),
        Row(
            "the peer's account is not audited",
            NO_LOCAL_S3,
            R,
            Status.UNKNOWN,
            "account 444455556666 is not audited by this run",
            "--role-arn arn:aws:iam::444455556666:role/",
            peers=PeerSetup(audited=False),
        ),
        Row(
            "peering connections not read",
            lambda u: (
                NO_LOCAL_S3(u),
                gap(
                    u,
                    "peerings",
                    "DescribeVpcPeeringConnections",
                    "ec2:DescribeVpcPeeringConnections",
                ),
            ),
            R,
            Status.UNKNOWN,
            "grant ec2:DescribeVpcPeeringConnections",
        ),
        Row(
            "a peered VPC in another Region does not serve this Region",
            NO_LOCAL_S3,
            R,
            Status.FAIL,
            "no available S3 interface endpoint in vpc-1 or in a VPC peered with it",
            peers=PeerSetup(region="eu-central-1"),
        ),
        Row(
            "a gateway endpoint does not do for private",
            endpoints_without("vpce-s3-interface"),
            R,
            Status.FAIL,
            "gateway endpoints are not supported there",
        ),
        Row(
            "the S3 interface endpoint's group does not admit the workers (private)",
            an_endpoint("vpce-s3-interface", security_group_ids=["sg-db"]),
            R,
            Status.FAIL,
            "vpce-s3-interface: its security groups do not admit TCP 443 from the workers",
            "authorize-security-group-ingress --group-id sg-db",
        ),
        Row(
            "the S3 interface endpoint's group admits by reference only (private)",
            both(
                an_endpoint("vpce-s3-interface", security_group_ids=["sg-db"]),
                lambda u: setattr(
                    u.security_groups[1],  # type: ignore[index]
                    "ingress",
                    [SgRule("tcp", 443, 443, groups=["sg-workers"])],
                ),
            ),
            R,
            Status.WARN,
            "references",
        ),
        Row("gateway route (vpc-endpoints)", nothing, E, Status.PASS, "routes S3 (pl-s3)"),
        Row(
            "no gateway endpoint (vpc-endpoints)",
            endpoints_without(S3_GATEWAY),
            E,
            Status.FAIL,
            "no available S3 gateway endpoint",
            "--vpc-endpoint-type Gateway",
        ),
        Row(
            "gateway endpoint not on the worker subnet's table",
            lambda u: routes(u, PRIVATE_TABLE, Route(NAT, "active", "CreateRoute", "0.0.0.0/0")),
            E,
            Status.FAIL,
            "has no route in rtb-private",
            "--add-route-table-ids rtb-private",
        ),
        Row(
            "prefix list not read",
            lambda u: (
                u.prefix_lists.update({"pl-s3": None}),
                u.errors.append(denied("GetManagedPrefixListEntries", "ec2:Get", "pl-s3")),
            ),
            E,
            Status.UNKNOWN,
            "prefix list pl-s3",
        ),
    ],
    "s3.public-endpoint": [
        Row("postgres does not need it", nothing, R, None),
        Row(
            "through the gateway endpoint", nothing, E, Status.PASS, "gateway endpoint", engine=SQL
        ),
        Row(
            "through the NAT gateway",
            endpoints_without(S3_GATEWAY),
            R,
            Status.PASS,
            "NAT gateway nat-1",
            engine=SQL,
        ),
        Row(
            "through an S3 interface endpoint with private DNS",
            both(
                endpoints_without(S3_GATEWAY),
                an_endpoint("vpce-s3-interface", private_dns=True),
                lambda u: routes(u, PRIVATE_TABLE),
            ),
            R,
            Status.PASS,
            "resolves to S3 interface endpoint vpce-s3-interface",
            engine=SQL,
        ),
        Row(
            "no path at all",
            both(endpoints_without(S3_GATEWAY), lambda u: routes(u, PRIVATE_TABLE)),
            R,
            Status.FAIL,
            "has no path to the public s3.eu-west-1.amazonaws.com",
            "create-vpc-endpoint",
            engine=SQL,
        ),
        Row(
            "block-bidirectional blocks the NAT path",
            both(endpoints_without(S3_GATEWAY), guardrails(bpa_mode="block-bidirectional")),
            R,
            Status.FAIL,
            "VPC Block Public Access (block-bidirectional) blocks nat-1",
            engine=SQL,
        ),
        Row(
            "block-bidirectional with the NAT's subnet excluded",
            both(endpoints_without(S3_GATEWAY), excluded("allow-egress", "subnet/subnet-nat")),
            R,
            Status.PASS,
            "NAT gateway nat-1",
            engine=SQL,
        ),
        Row(
            "block-ingress lets the NAT path through",
            both(endpoints_without(S3_GATEWAY), guardrails(bpa_mode="block-ingress")),
            R,
            Status.PASS,
            "NAT gateway nat-1",
            engine=SQL,
        ),
        Row(
            "Block Public Access not read: the NAT path is unknown",
            both(endpoints_without(S3_GATEWAY), guardrails(bpa_mode=None)),
            R,
            Status.UNKNOWN,
            "whether VPC Block Public Access lets NAT gateway nat-1 through",
            engine=SQL,
        ),
        Row(
            "NAT gateway whose own subnet has no internet route",
            both(
                endpoints_without(S3_GATEWAY),
                lambda u: table(u, PRIVATE_TABLE).subnet_ids.append("subnet-nat"),
            ),
            R,
            Status.FAIL,
            "do not all go to a working public NAT gateway",
            engine=SQL,
        ),
    ],
    "rds.postgres-ca-download": [
        Row("through the NAT gateway", nothing, R, Status.PASS, "NAT gateway nat-1"),
        Row(
            "no internet path: warns, never blocks",
            lambda u: routes(u, PRIVATE_TABLE),
            R,
            Status.WARN,
            "download the RDS certificate bundle from truststore.pki.rds.amazonaws.com",
            "create-route --route-table-id rtb-private",
        ),
        Row(
            "block-bidirectional blocks the NAT gateway",
            guardrails(bpa_mode="block-bidirectional"),
            R,
            Status.WARN,
            "blocks nat-1",
        ),
        Row("public mode: the internet route already", nothing, P, None),
        Row("sql server: not its concern", nothing, R, None, engine=SQL),
    ],
    "subnet.db-port-nacl": [
        Row("open", nothing, P, Status.PASS, "let TCP 5432 through"),
        Row(
            "the DB port denied out of the worker subnet",
            acl_denies(True, 5432),
            R,
            Status.WARN,
            "acl-default denies TCP 5432 out to 10.0.2.0/24",
        ),
        Row(
            "replies denied back into the worker subnet",
            acl_denies(False, 1024, 65535),
            P,
            Status.WARN,
            "denies the replies",
        ),
        # What is denied depends on the addresses: the DB's subnet is 10.0.2.0/24, the public
        # mode's worker subnet 10.0.1.0/24
        Row(
            "the DB port denied out to the DB's subnet only",
            acl_denies(True, 5432, cidr="10.0.2.0/24"),
            P,
            Status.WARN,
            "acl-default denies TCP 5432 out to 10.0.2.0/24",
        ),
        Row(
            "the DB port denied out to other addresses only",
            acl_denies(True, 5432, cidr="192.168.0.0/16"),
            P,
            Status.PASS,
            "let TCP 5432 through",
        ),
        Row(
            "the DB port denied in from the worker subnet only",
            acl_denies(False, 5432, cidr="10.0.1.0/24"),
            P,
            Status.WARN,
            "acl-default denies TCP 5432 in from 10.0.1.0/24",
        ),
        Row(
            "a shared VPC: the owner's ACLs are not visible",
            shared_by("999988887777"),
            P,
            Status.UNKNOWN,
            "shared with 111122223333 by account 999988887777",
            verdict=UNKNOWN,  # from the blocker network checks; this warning decides nothing
        ),
        Row(
            "no port reported",
            the_db(port=None),
            P,
            Status.UNKNOWN,
            "gave no port",
            verdict=READY,  # a warning never decides
        ),
    ],
    "subnet.nacl": [
        Row("open", nothing, P, Status.PASS, "allows TCP 443"),
        Row("denies HTTPS out", acl_denies_https_out, R, Status.WARN, "denies outbound TCP 443"),
        Row(
            "denies HTTPS out to the VPC, where the private modes' endpoints are",
            acl_denies(True, 443, cidr="10.0.0.0/16"),
            R,
            Status.WARN,
            "denies outbound TCP 443 to 10.0.0.0/16 (rule 40)",
        ),
        Row(
            "denies HTTPS out to the VPC: the public mode's internet is elsewhere",
            acl_denies(True, 443, cidr="10.0.0.0/16"),
            P,
            Status.PASS,
            "allows TCP 443 to the internet",
        ),
    ],
    "ec2.security-group-headroom": [
        Row("one group", nothing, P, Status.PASS, "room for Veeam's one more"),
        Row(
            "five groups at the default quota",
            five_db_groups,
            P,
            Status.FAIL,
            "already has 5 VPC security groups",
            "modify-db-instance",
        ),
        Row(
            "five groups, quota raised",
            both(five_db_groups, lambda u: u.quotas.update({"vpc/L-2AFB9258": 16.0})),
            P,
            Status.WARN,
            "may still cap",
        ),
        Row(
            "five groups, quota not read",
            both(five_db_groups, lambda u: u.quotas.pop("vpc/L-2AFB9258")),
            P,
            Status.UNKNOWN,
            "L-2AFB9258",
        ),
    ],
    "ec2.worker-security-group": [
        Row("not given: says nothing", nothing, P, None),
        Row(
            "HTTPS everywhere",
            worker_group(HTTPS_EVERYWHERE),
            P,
            Status.PASS,
            "allows outbound TCP 443",
            config=WORKER_GROUP,
        ),
        Row(
            "no egress",
            worker_group(),
            P,
            Status.FAIL,
            "does not allow outbound TCP 443",
            "authorize-security-group-egress",
            config=WORKER_GROUP,
        ),
        Row(
            "private: egress to the VPC is enough (the S3 interface endpoint is in it)",
            worker_group(SgRule("tcp", 443, 443, cidrs=["10.0.0.0/16"])),
            R,
            Status.PASS,
            "allows outbound TCP 443 to the VPC's endpoints",
            config=WORKER_GROUP,
        ),
        Row(
            "vpc-endpoints: S3 through the gateway needs its prefix list or 0.0.0.0/0",
            worker_group(SgRule("tcp", 443, 443, cidrs=["10.0.0.0/16"])),
            E,
            Status.FAIL,
            "S3 (its prefix list or 0.0.0.0/0)",
            config=WORKER_GROUP,
        ),
        Row(
            "vpc-endpoints: the S3 prefix list will do",
            worker_group(
                SgRule("tcp", 443, 443, cidrs=["10.0.0.0/16"]),
                SgRule("tcp", 443, 443, prefix_lists=["pl-s3"]),
            ),
            E,
            Status.PASS,
            "allows outbound TCP 443",
            config=WORKER_GROUP,
        ),
        Row(
            "public: the Region's S3 addresses, not everything",
            worker_group(SgRule("tcp", 443, 443, cidrs=["52.218.0.0/17", "3.5.64.0/21"])),
            P,
            Status.WARN,
            "allows outbound TCP 443 to the Region's S3 addresses (com.amazonaws.eu-west-1.s3) "
            "but not to 0.0.0.0/0",
            config=WORKER_GROUP,
        ),
        Row(
            "public: S3 by its prefix list",
            worker_group(SgRule("tcp", 443, 443, prefix_lists=["pl-s3"])),
            P,
            Status.WARN,
            "the public ssm, ssmmessages and sqs endpoints of eu-west-1",
            config=WORKER_GROUP,
        ),
        Row(
            "public: part of S3 only",
            worker_group(SgRule("tcp", 443, 443, cidrs=["52.218.0.0/17"])),
            P,
            Status.FAIL,
            "does not allow outbound TCP 443 to the internet (0.0.0.0/0)",
            config=WORKER_GROUP,
        ),
        Row(
            "public: some egress, the S3 addresses not read",
            both(
                worker_group(SgRule("tcp", 443, 443, cidrs=["52.218.0.0/17"])),
                set_attr(lambda u: u, s3_ranges=None),
            ),
            P,
            Status.UNKNOWN,
            "could not check whether sg-worker's outbound rules cover the Region's S3 addresses",
            config=WORKER_GROUP,
        ),
        Row(
            "public: egress by a prefix list of everything",
            both(
                worker_group(SgRule("tcp", 443, 443, prefix_lists=["pl-all"])),
                lambda u: u.prefix_lists.update({"pl-all": ["0.0.0.0/0"]}),
            ),
            P,
            Status.PASS,
            "allows outbound TCP 443",
            config=WORKER_GROUP,
        ),
        Row(
            "public: egress by a prefix list not read",
            both(
                worker_group(SgRule("tcp", 443, 443, prefix_lists=["pl-all"])),
                lambda u: u.prefix_lists.update({"pl-all": None}),
            ),
            P,
            Status.UNKNOWN,
            "(prefix list pl-all)",
            config=WORKER_GROUP,
        ),
        Row(
            "egress by group reference only",
            worker_group(SgRule("tcp", 443, 443, groups=["sg-endpoints"])),
            P,
            Status.WARN,
            "security-group references",
            config=WORKER_GROUP,
        ),
    ],
    "ec2.worker-instance-type": [
        Row("offered", nothing, P, Status.PASS, "c5.large"),
        Row(
            "not offered",
            lambda u: u.instance_type_offerings.update({"eu-west-1a": []}),  # type: ignore[union-attr]
            P,
            Status.WARN,
            "c5.large",
        ),
    ],
    "rds.sqlserver-backup-restore": [
        Row("option with a role", nothing, P, Status.PASS, "SQLSERVER_BACKUP_RESTORE", engine=SQL),
        Row(
            "no option",
            option(),
            R,
            Status.FAIL,
            "has no SQLSERVER_BACKUP_RESTORE option",
            "add-option-to-option-group",
            engine=SQL,
        ),
        Row(
            "option without a role",
            option(OTHER="x"),
            E,
            Status.FAIL,
            "has no IAM_ROLE_ARN setting",
            engine=SQL,
        ),
        Row(
            "membership pending",
            lambda u: setattr(db(u).option_groups[0], "status", "pending-apply"),
            P,
            Status.FAIL,
            "not yet 'in-sync'",
            "modify-db-instance",
            engine=SQL,
        ),
        Row("postgres does not need it", nothing, P, None),
    ],
    "iam.sqlserver-role-trust": [
        Row("rds may assume it", nothing, P, Status.PASS, "lets rds.amazonaws.com", engine=SQL),
        Row(
            "role gone",
            role(exists=False, trust_policy=None, policies=None),
            P,
            Status.FAIL,
            "does not exist",
            "create-role",
            engine=SQL,
        ),
        Row(
            "trusts another service",
            role(
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            P,
            Status.FAIL,
            "does not let rds.amazonaws.com assume it",
            "update-assume-role-policy",
            engine=SQL,
        ),
        Row(
            "SourceArn names only the DB instance",
            role(
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "rds.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {
                                    "aws:SourceArn": "arn:aws:rds:eu-west-1:111122223333:db:db"
                                }
                            },
                        }
                    ],
                }
            ),
            P,
            Status.FAIL,
            "for arn:aws:rds:eu-west-1:111122223333:og:sqlse-native: no statement allows it",
            engine=SQL,
        ),
        Row(
            "trust conditioned on another account",
            role(
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "rds.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": "444455556666"}},
                        }
                    ],
                }
            ),
            R,
            Status.FAIL,
            "does not let rds.amazonaws.com assume it",
            engine=SQL,
        ),
        Row(
            "no option: skipped",
            option(),
            P,
            Status.SKIP,
            "prerequisite rds.sqlserver-backup-restore",
            verdict=NOT_READY,
            engine=SQL,
        ),
    ],
    "iam.sqlserver-role-s3": [
        Row("any bucket", nothing, P, Status.PASS, "may use the seven S3 actions", engine=SQL),
        Row(
            "one fixed bucket",
            role(
                policies=[
                    NamedPolicy(
                        "s3",
                        "inline",
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "s3:*",
                                    "Resource": [
                                        "arn:aws:s3:::backups",
                                        "arn:aws:s3:::backups/*",
                                    ],
                                }
                            ],
                        },
                    )
                ]
            ),
            P,
            Status.FAIL,
            "its grants name only arn:aws:s3:::backups",
            "put-role-policy",
            engine=SQL,
        ),
        Row(
            "a bucket pattern",
            role(
                policies=[
                    NamedPolicy(
                        "s3",
                        "inline",
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "s3:*",
                                    "Resource": ["arn:aws:s3:::veeam*", "arn:aws:s3:::veeam*/*"],
                                }
                            ],
                        },
                    )
                ]
            ),
            P,
            Status.WARN,
            "whether they start with 'veeam' is unconfirmed",
            engine=SQL,
        ),
        Row(
            "an explicit deny on PutObject names the statement",
            role(
                policies=[
                    NamedPolicy("s3", "inline", S3_ANY_BUCKET),
                    NamedPolicy(
                        "no-uploads",
                        "inline",
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "NoUploads",
                                    "Effect": "Deny",
                                    "Action": "s3:PutObject",
                                    "Resource": "*",
                                }
                            ],
                        },
                    ),
                ]
            ),
            P,
            Status.FAIL,
            "s3:PutObject explicitly denied to arn:aws:iam::111122223333:role/rds-native-backup "
            "by inline policy no-uploads (Sid 'NoUploads')",
            engine=SQL,
        ),
        Row(
            "a boundary allowing only List removes the writes",
            role(
                boundary_arn="arn:aws:iam::111122223333:policy/list-only",
                boundary=NamedPolicy(
                    "arn:aws:iam::111122223333:policy/list-only",
                    "boundary",
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
                    },
                ),
            ),
            P,
            Status.FAIL,
            "the permissions boundary permissions boundary "
            "arn:aws:iam::111122223333:policy/list-only does not allow it",
            engine=SQL,
        ),
        Row(
            "policies not read",
            role(policies=None),
            P,
            Status.UNKNOWN,
            "could not check the policies",
            engine=SQL,
        ),
    ],
    "vpc.block-public-access": [
        Row("off", nothing, P, Status.PASS, "is off"),
        Row(
            "bidirectional, no exclusion",
            guardrails(bpa_mode="block-bidirectional"),
            P,
            Status.FAIL,
            "no completed exclusion covers it: no internet gateway traffic passes",
            "create-vpc-block-public-access-exclusion --vpc-id vpc-1",
        ),
        Row(
            "block-ingress blocks a public-IP worker too",
            guardrails(bpa_mode="block-ingress"),
            P,
            Status.FAIL,
            "only NAT gateway and egress-only internet gateway traffic passes",
        ),
        Row(
            "bidirectional, VPC excluded",
            excluded("allow-bidirectional", f"vpc/{VPC}"),
            P,
            Status.PASS,
            "an allow-bidirectional exclusion covers it",
        ),
        Row(
            "bidirectional, the worker subnet excluded",
            excluded("allow-bidirectional", f"subnet/{PUBLIC_SUBNET}"),
            P,
            Status.PASS,
            "worker subnet subnet-public",
        ),
        Row(
            "another subnet excluded",
            excluded("allow-bidirectional", "subnet/subnet-nat"),
            P,
            Status.FAIL,
            "no completed exclusion",
        ),
        Row(
            "a deleted exclusion exempts nothing",
            excluded("allow-bidirectional", f"vpc/{VPC}", "delete-complete"),
            P,
            Status.FAIL,
            "no completed exclusion",
        ),
        Row(
            "an exclusion in progress exempts nothing",
            excluded("allow-bidirectional", f"vpc/{VPC}", "update-in-progress"),
            P,
            Status.FAIL,
            "no completed exclusion",
        ),
        Row(
            "an updated exclusion exempts",
            excluded("allow-bidirectional", f"vpc/{VPC}", "update-complete"),
            P,
            Status.PASS,
            "allow-bidirectional",
        ),
        Row(
            "allow-egress only: undocumented, warns",
            excluded("allow-egress", f"vpc/{VPC}"),
            P,
            Status.WARN,
            "which direction Veeam's workers need opened is not documented",
        ),
        Row("not read", guardrails(bpa_mode=None), P, Status.UNKNOWN, "could not check"),
        Row("private modes: not its concern", guardrails(bpa_mode="block-bidirectional"), R, None),
    ],
    "rds.snapshot-quota": [
        Row("room", nothing, P, Status.PASS, "there is room"),
        Row(
            "full",
            guardrails(manual_snapshots_used=100),
            R,
            Status.FAIL,
            "they do not fit",
            "request-service-quota-increase",
        ),
        Row("nearly full", guardrails(manual_snapshots_used=99), E, Status.WARN, "fewer than two"),
        Row("not read", guardrails(manual_snapshots_max=None), P, Status.UNKNOWN, "snapshot quota"),
    ],
    "ec2.worker-capacity": [
        Row("room", nothing, P, Status.PASS, "against a quota of 64"),
        Row("vCPUs exhausted", guardrails(standard_vcpus_running=64), P, Status.WARN, "quota"),
    ],
    "ec2.ebs-default-encryption": [
        Row("off", nothing, P, Status.PASS, "is off"),
        Row(
            "on with a disabled key",
            both(
                guardrails(ebs_encryption_by_default=True, ebs_default_key=KEY),
                lambda u: u.guardrails.kms_keys.update(
                    {KEY: KmsKey(KEY, state="Disabled", manager="CUSTOMER")}
                ),
            ),
            P,
            Status.FAIL,
            "is Disabled",
            "aws kms enable-key",
        ),
        Row(
            "on with a customer managed key",
            both(
                guardrails(ebs_encryption_by_default=True, ebs_default_key=KEY),
                lambda u: u.guardrails.kms_keys.update(
                    {KEY: KmsKey(KEY, state="Enabled", manager="CUSTOMER")}
                ),
            ),
            P,
            Status.WARN,
            "cannot be confirmed here",
        ),
        Row(
            "on, key not read",
            guardrails(ebs_encryption_by_default=True, ebs_default_key=KEY),
            P,
            Status.UNKNOWN,
            "could not check the default EBS encryption key",
        ),
    ],
    "ec2.allowed-amis": [
        Row("disabled", nothing, P, Status.PASS, "is disabled"),
        Row(
            "enabled without amazon",
            guardrails(allowed_images_state="enabled", allowed_images_providers=[["123456789012"]]),
            P,
            Status.FAIL,
            "no criterion admits Amazon-provided images",
            "ImageProviders=amazon",
        ),
        Row(
            "enabled with amazon",
            guardrails(allowed_images_state="enabled", allowed_images_providers=[["amazon"]]),
            P,
            Status.PASS,
            "admits Amazon-provided images",
        ),
    ],
    "rds.kms-key": [
        Row("not encrypted", nothing, P, Status.PASS, "is not encrypted"),
        Row(
            "key pending deletion",
            both(
                the_db(storage_encrypted=True, kms_key_id=KEY),
                lambda u: u.guardrails.kms_keys.update(
                    {KEY: KmsKey(KEY, state="PendingDeletion", manager="CUSTOMER")}
                ),
            ),
            R,
            Status.FAIL,
            "is PendingDeletion",
            "cancel-key-deletion",
        ),
        Row(
            "key not read",
            the_db(storage_encrypted=True, kms_key_id=KEY),
            P,
            Status.UNKNOWN,
            "could not check the KMS key of db",
        ),
    ],
    "iam.backup-role-trust": [
        Row("no --veeam-config: says nothing", nothing, P, None),
        Row("trusts the appliance role", nothing, P, Status.PASS, "admits the appliance", veeam=V),
        Row(
            "the backup role in another account",
            nothing,
            P,
            Status.FAIL,
            "its backup role arn:aws:iam::444455556666:role/VeeamRdsBackup is in account "
            "444455556666",
            'accounts = ["111122223333"]',
            veeam=veeam_config(backup_role="arn:aws:iam::444455556666:role/VeeamRdsBackup"),
        ),
        Row(
            "trusts the appliance's account",
            vrole(BACKUP_ROLE, trust_policy=trust({"AWS": "999988887777"})),
            R,
            Status.PASS,
            "rests on Veeam's documented default",
            veeam=V,
        ),
        Row(
            "trusts someone else",
            vrole(BACKUP_ROLE, trust_policy=trust({"AWS": "arn:aws:iam::555555555555:root"})),
            P,
            Status.FAIL,
            "does not let the appliance",
            "update-assume-role-policy --role-name VeeamRdsBackup",
            veeam=V,
        ),
        Row(
            "the role does not exist",
            vrole(BACKUP_ROLE, exists=False, trust_policy=None, policies=None),
            E,
            Status.FAIL,
            "does not exist in 111122223333",
            "aws iam create-role --role-name VeeamRdsBackup",
            veeam=V,
        ),
        Row(
            "an ExternalId condition without the value",
            vrole(
                BACKUP_ROLE,
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": APPLIANCE},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"sts:ExternalId": "veeam-123"}},
                        }
                    ],
                },
            ),
            P,
            Status.UNKNOWN,
            "sts:ExternalId",
            veeam=V,
        ),
        Row(
            "the role was not read",
            lambda u: u.roles.pop(BACKUP_ROLE),
            P,
            Status.UNKNOWN,
            "could not check role",
            veeam=V,
        ),
        Row(
            "no policy selects the DB instance",
            nothing,
            P,
            None,
            veeam=veeam_config(db_instances=["other-*"]),
        ),
    ],
    "iam.backup-role-permissions": [
        Row("all of them", nothing, P, Status.PASS, "allows all 87 actions", veeam=V),
        Row(
            "one image-level action missing",
            vrole(
                BACKUP_ROLE,
                policies=[
                    NamedPolicy(
                        "veeam",
                        "inline",
                        allow_all(
                            tuple(a for a in veeam_actions.BACKUP_ROLE if a != "ec2:RunInstances")
                        ),
                    )
                ],
            ),
            P,
            Status.FAIL,
            "lacks 1 of the actions Veeam Backup for AWS v10 (10.0.0.232) lists",
            '"Action":["ec2:RunInstances"]',
            veeam=V,
        ),
        Row(
            "PassRole for another service only",
            vrole(
                BACKUP_ROLE,
                policies=[
                    NamedPolicy(
                        "veeam",
                        "inline",
                        allow_all(
                            tuple(a for a in veeam_actions.BACKUP_ROLE if a != "iam:PassRole"),
                            {
                                "Effect": "Allow",
                                "Action": "iam:PassRole",
                                "Resource": "*",
                                "Condition": {
                                    "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
                                },
                            },
                        ),
                    )
                ],
            ),
            R,
            Status.FAIL,
            "iam:PassRole",
            "veeam-pass-worker-role",
            veeam=V,
        ),
        Row(
            "an explicit deny",
            vrole(
                BACKUP_ROLE,
                policies=[
                    NamedPolicy(
                        "veeam",
                        "inline",
                        allow_all(
                            veeam_actions.BACKUP_ROLE,
                            {
                                "Sid": "NoSnapshots",
                                "Effect": "Deny",
                                "Action": "rds:CreateDBSnapshot",
                                "Resource": "*",
                            },
                        ),
                    )
                ],
            ),
            P,
            Status.FAIL,
            "rds:CreateDBSnapshot explicitly denied",
            veeam=V,
        ),
        Row(
            "the trust failed: skipped",
            vrole(BACKUP_ROLE, trust_policy=trust({"Service": "ec2.amazonaws.com"})),
            P,
            Status.SKIP,
            "prerequisite iam.backup-role-trust",
            verdict=NOT_READY,
            veeam=V,
        ),
    ],
    "iam.worker-role": [
        Row("set up", nothing, P, Status.PASS, "is in instance profile VeeamProdWorker", veeam=V),
        Row(
            "in no instance profile",
            vrole(WORKER_ROLE, instance_profiles=[]),
            P,
            Status.FAIL,
            "it is in no instance profile",
            "aws iam add-role-to-instance-profile --instance-profile-name VeeamProdWorker",
            veeam=V,
        ),
        Row(
            "not trusted by EC2",
            vrole(WORKER_ROLE, trust_policy=trust({"AWS": APPLIANCE})),
            R,
            Status.FAIL,
            "its trust does not let ec2.amazonaws.com assume it",
            "update-assume-role-policy",
            veeam=V,
        ),
        Row(
            "in another account than the backup role",
            nothing,
            P,
            Status.FAIL,
            "is not in the backup role's account",
            veeam=veeam_config(worker_role="arn:aws:iam::444455556666:role/VeeamProdWorker"),
        ),
        Row(
            "a worker action missing",
            vrole(
                WORKER_ROLE,
                policies=[
                    NamedPolicy(
                        "worker",
                        "inline",
                        allow_all(
                            tuple(
                                a
                                for a in veeam_actions.WORKER_ROLE
                                if a != "ssm:UpdateInstanceInformation"
                            )
                        ),
                    )
                ],
            ),
            E,
            Status.FAIL,
            "it lacks ssm:UpdateInstanceInformation",
            "veeam-production-worker",
            veeam=V,
        ),
    ],
}
ROWS.update(
    {
        "s3.repository": [
            Row(
                "set up",
                nothing,
                P,
                Status.PASS,
                "default encryption AES256 (not SSE-KMS)",
                veeam=RC,
            ),
            Row(
                "the bucket does not exist",
                nothing,
                P,
                Status.FAIL,
                "repository bucket veeam-rds-eu does not exist in account 444455556666",
                "aws s3api create-bucket --bucket veeam-rds-eu",
                veeam=RC,
                repos=in_bucket(exists=False),
            ),
            Row(
                "HeadBucket denied",
                nothing,
                P,
                Status.UNKNOWN,
                "grant s3:ListBucket",
                veeam=RC,
                repos=repo_denied(
                    "s3", "HeadBucket", "s3:ListBucket", REPO_BUCKET, in_bucket(exists=None)
                ),
            ),
            Row(
                "default SSE-KMS",
                nothing,
                P,
                Status.FAIL,
                "encrypts by default with SSE-KMS (aws:kms)",
                "aws s3api put-bucket-encryption --bucket veeam-rds-eu",
                veeam=RC,
                repos=in_bucket(encryption=["aws:kms"]),
            ),
            Row(
                "default DSSE-KMS",
                nothing,
                R,
                Status.FAIL,
                "SSE-KMS (aws:kms:dsse)",
                veeam=RC,
                repos=in_bucket(encryption=["aws:kms:dsse"]),
            ),
            Row(
                "encryption not read",
                nothing,
                P,
                Status.UNKNOWN,
                "grant s3:GetEncryptionConfiguration",
                veeam=RC,
                repos=repo_denied(
                    "s3",
                    "GetBucketEncryption",
                    "s3:GetEncryptionConfiguration",
                    REPO_BUCKET,
                    in_bucket(encryption=None),
                ),
            ),
            Row(
                "immutable without Object Lock",
                nothing,
                P,
                Status.FAIL,
                "has no Object Lock",
                "--object-lock-enabled-for-bucket",
                veeam=IMMUTABLE,
            ),
            Row(
                "immutable with a default retention",
                nothing,
                P,
                Status.FAIL,
                "default retention (COMPLIANCE 30 days)",
                "put-object-lock-configuration",
                veeam=IMMUTABLE,
                repos=in_bucket(**LOCKED, default_retention="COMPLIANCE 30 days"),
            ),
            Row(
                "immutable with versioning suspended",
                nothing,
                P,
                Status.FAIL,
                "Versioning is Suspended",
                "put-bucket-versioning",
                veeam=IMMUTABLE,
                repos=in_bucket(object_lock="Enabled", versioning="Suspended"),
            ),
            Row(
                "immutable as Veeam needs",
                nothing,
                P,
                Status.PASS,
                "(immutable)",
                veeam=IMMUTABLE,
                repos=in_bucket(**LOCKED),
            ),
            Row(
                "Object Lock on a mutable repository",
                nothing,
                P,
                Status.FAIL,
                "Object Lock cannot be turned off",
                "immutable = true",
                veeam=RC,
                repos=in_bucket(**LOCKED),
            ),
            Row(
                "public by its policy",
                nothing,
                P,
                Status.WARN,
                "is public by its bucket policy",
                "put-public-access-block",
                veeam=RC,
                repos=in_bucket(policy_public=True, public_access_block={}),
            ),
            Row(
                "public status not read",
                nothing,
                P,
                Status.WARN,
                "its policy status (s3:GetBucketPolicyStatus)",
                veeam=RC,
                repos=in_bucket(policy_public=None),
            ),
            Row(
                "a lifecycle rule covers the folder",
                nothing,
                P,
                Status.WARN,
                "expire-all of veeam-rds-eu cover folder 'rds'",
                veeam=RC,
                repos=in_bucket(lifecycle=[LifecycleRule("expire-all", "Enabled", "")]),
            ),
            Row(
                "a lifecycle rule elsewhere",
                nothing,
                P,
                Status.PASS,
                "no enabled lifecycle rule covers Veeam's files",
                veeam=RC,
                repos=in_bucket(lifecycle=[LifecycleRule("logs", "Enabled", "logs/")]),
            ),
            Row(
                "a disabled lifecycle rule",
                nothing,
                P,
                Status.PASS,
                "no enabled lifecycle rule",
                veeam=RC,
                repos=in_bucket(lifecycle=[LifecycleRule("old", "Disabled", "rds/")]),
            ),
            Row(
                "the backup account not audited",
                nothing,
                P,
                Status.UNKNOWN,
                "it is in account 444455556666, which this run does not audit",
                "--role-arn arn:aws:iam::444455556666:role/",
                veeam=RC,
                repos=not_audited,
            ),
            Row(
                "another Region, vpc-endpoints",
                nothing,
                E,
                Status.FAIL,
                "serves only buckets in its own Region",
                "LocationConstraint=eu-west-1",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
            ),
            Row(
                "another Region, private, no peered VPC there",
                nothing,
                R,
                Status.FAIL,
                "repository bucket veeam-rds-eu is in us-east-1, not in eu-west-1: no VPC in "
                "us-east-1 with an available S3 interface endpoint is peered with vpc-1",
                "--peer-region us-east-1",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
            ),
            Row(
                "another Region, private, peered VPC with an endpoint there",
                nothing,
                R,
                Status.PASS,
                "in us-east-1, reached from eu-west-1: S3 interface endpoint vpce-s3-repo is "
                "available in vpc-repo (account 444455556666, us-east-1, peered over pcx-repo)",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
                peers=PeerSetup(region="us-east-1"),
            ),
            Row(
                "another Region, private, the route back is missing",
                nothing,
                R,
                Status.FAIL,
                "is in us-east-1, not in eu-west-1: rtb-repo",
                "in account 444455556666: aws ec2 create-route --region us-east-1 --route-table-id "
                "rtb-repo",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
                peers=PeerSetup(region="us-east-1", back=False),
            ),
            Row(
                "another Region, private, the peer account is not audited",
                nothing,
                R,
                Status.UNKNOWN,
                "account 444455556666 is not audited by this run",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
                peers=PeerSetup(region="us-east-1", audited=False),
            ),
            Row(
                "another Region, public",
                nothing,
                P,
                Status.PASS,
                "not SSE-KMS",
                veeam=PASSWORD,
                repos=in_bucket(region="us-east-1"),
            ),
            Row("no repository in the policy", nothing, P, None, veeam=V),
        ],
        "kms.repository-key": [
            Row(
                "set up",
                nothing,
                P,
                Status.PASS,
                "lets arn:aws:iam::444455556666:role/VeeamRepository encrypt",
                veeam=RC,
            ),
            Row(
                "disabled",
                nothing,
                P,
                Status.FAIL,
                "is Disabled",
                "aws kms enable-key",
                veeam=RC,
                repos=in_key(state="Disabled"),
            ),
            Row(
                "pending deletion",
                nothing,
                R,
                Status.FAIL,
                "is PendingDeletion",
                "aws kms cancel-key-deletion",
                veeam=RC,
                repos=in_key(state="PendingDeletion"),
            ),
            Row(
                "AWS managed",
                nothing,
                P,
                Status.FAIL,
                "is AWS managed",
                "aws kms create-key",
                veeam=RC,
                repos=in_key(manager="AWS"),
            ),
            Row(
                "asymmetric",
                nothing,
                P,
                Status.FAIL,
                "is RSA_2048: Veeam supports only symmetric",
                veeam=RC,
                repos=in_key(spec="RSA_2048"),
            ),
            Row(
                "not in the bucket's Region",
                nothing,
                P,
                Status.FAIL,
                "Veeam needs the key in the bucket's Region",
                "--region us-east-1",
                veeam=RC,
                repos=in_bucket(region="us-east-1"),
            ),
            Row(
                "the key policy names someone else",
                nothing,
                P,
                Status.FAIL,
                "does not let repository role",
                "VeeamRepositoryRole",
                veeam=RC,
                repos=in_key(policy=trust({"AWS": "arn:aws:iam::444455556666:role/Other"})),
            ),
            Row(
                "the role may not encrypt",
                nothing,
                P,
                Status.FAIL,
                "kms:Encrypt",
                veeam=RC,
                repos=in_role(
                    policies=[
                        NamedPolicy(
                            "veeam-repository",
                            "inline",
                            allow_all(tuple(a for a in REPO_ACTIONS if a != "kms:Encrypt")),
                        )
                    ]
                ),
            ),
            Row(
                "DescribeKey denied",
                nothing,
                P,
                Status.UNKNOWN,
                "grant kms:DescribeKey",
                veeam=RC,
                repos=repo_denied("kms", "DescribeKey", "kms:DescribeKey", REPO_KEY, forget_key),
            ),
            Row(
                "not encrypted with KMS",
                nothing,
                P,
                None,
                veeam=repository_config({"encryption": "password", "kms_key": None}),
            ),
        ],
        "iam.repository-role": [
            Row(
                "set up",
                nothing,
                P,
                Status.PASS,
                "trusts the appliance and S3 Batch Operations",
                veeam=RC,
            ),
            Row(
                "S3 Batch Operations not trusted",
                nothing,
                P,
                Status.FAIL,
                "does not let batchoperations.s3.amazonaws.com assume it",
                "update-assume-role-policy",
                veeam=RC,
                repos=in_role(trust_policy=trust({"AWS": APPLIANCE})),
            ),
            Row(
                "no object permissions",
                nothing,
                P,
                Status.FAIL,
                "s3:DeleteObject",
                "veeam-repository",
                veeam=RC,
                repos=in_role(
                    policies=[NamedPolicy("veeam-repository", "inline", allow_all(REPO_ACTIONS))]
                ),
            ),
            Row(
                "objects only in another folder",
                nothing,
                P,
                Status.FAIL,
                "s3:PutObject",
                f"{BUCKET_ARN}/rds/*",
                veeam=RC,
                repos=in_role(
                    policies=[
                        NamedPolicy("veeam-repository", "inline", allow_all(REPO_ACTIONS)),
                        NamedPolicy(
                            "objects",
                            "inline",
                            {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": list(veeam_actions.REPOSITORY_OBJECTS),
                                        "Resource": f"{BUCKET_ARN}/other/*",
                                    }
                                ],
                            },
                        ),
                    ]
                ),
            ),
            Row(
                "the bucket policy denies deletes",
                nothing,
                P,
                Status.FAIL,
                "s3:DeleteObject explicitly denied",
                veeam=RC,
                repos=in_bucket(has_policy=True, policy=DENY_DELETE),
            ),
            Row(
                "the bucket policy not read",
                nothing,
                P,
                Status.UNKNOWN,
                "the bucket policy of veeam-rds-eu was not read",
                veeam=RC,
                repos=in_bucket(has_policy=None),
            ),
            Row(
                "the role does not exist",
                nothing,
                P,
                Status.FAIL,
                "does not exist",
                "aws iam create-role --role-name VeeamRepository",
                veeam=RC,
                repos=in_role(exists=False, policies=None, trust_policy=None),
            ),
            Row(
                "no role in the file",
                nothing,
                P,
                Status.UNKNOWN,
                "names no role",
                'add role = "arn:aws:iam::444455556666:role/',
                veeam=repository_config({"role": None}),
            ),
            Row(
                "the role in an account not audited",
                nothing,
                P,
                Status.UNKNOWN,
                "account 777788889999, which this run does not audit",
                veeam=repository_config({"role": "arn:aws:iam::777788889999:role/VeeamRepository"}),
            ),
        ],
        "veeam.archive": [
            Row(
                "set up",
                nothing,
                P,
                Status.PASS,
                "archives to veeam-rds-archive (Glacier Deep Archive)",
                veeam=ARCHIVING,
            ),
            Row(
                "a SQL Server target",
                nothing,
                P,
                Status.FAIL,
                "Veeam cannot archive SQL Server backups",
                engine=SQL,
                veeam=ARCHIVING,
            ),
            Row(
                "only the repository encrypted",
                nothing,
                P,
                Status.FAIL,
                "the repository is encrypted and the archive is not",
                veeam=repository_config(archive={**ARCHIVE, "encryption": "none", "kms_key": None}),
            ),
            Row(
                "schemes differ",
                nothing,
                P,
                Status.PASS,
                "encryption matching",
                veeam=repository_config(
                    archive={**ARCHIVE, "encryption": "password", "kms_key": None}
                ),
            ),
            Row(
                "archive in Standard-IA",
                nothing,
                P,
                Status.FAIL,
                "stores STANDARD_IA",
                veeam=repository_config(archive={**ARCHIVE, "storage_class": "STANDARD_IA"}),
            ),
            Row(
                "repository in Standard-IA",
                nothing,
                P,
                Status.FAIL,
                "must be S3 Standard",
                veeam=repository_config({"storage_class": "STANDARD_IA"}, archive=ARCHIVE),
            ),
            Row(
                "short Deep Archive retention",
                nothing,
                P,
                Status.WARN,
                "at least 180",
                veeam=repository_config(archive={**ARCHIVE, "retention_days": 30}),
            ),
            Row(
                "archive bucket with SSE-KMS",
                nothing,
                P,
                Status.FAIL,
                "archive bucket veeam-rds-archive encrypts by default with SSE-KMS",
                veeam=ARCHIVING,
                repos=in_bucket(ARCHIVE_BUCKET, encryption=["aws:kms"]),
            ),
            Row("no archive", nothing, P, None, veeam=RC),
        ],
    }
)


ORG = veeam_config(
    option="organization",
    backup_role="VeeamRdsBackup",
    worker_role="VeeamProdWorker",
)
ORG_TAGGED = veeam_config(
    option="organization",
    backup_role="VeeamRdsBackup",
    worker_role="VeeamProdWorker",
    worker_network_tag={"key": "veeam", "value": "worker"},
)


def tagged(*ids: str) -> Callable[[RegionInventory], None]:
    """Tag these subnets and security groups veeam=worker."""

    def run(unit: RegionInventory) -> None:
        for s in unit.subnets or []:
            if s.subnet_id in ids:
                s.tags["veeam"] = "worker"
        for g in unit.security_groups or []:
            if g.group_id in ids:
                g.tags["veeam"] = "worker"

    return run


def no_role(arn: str) -> Callable[[RegionInventory], None]:
    def run(unit: RegionInventory) -> None:
        unit.roles[arn] = IamRole(arn, exists=False)

    return run


ROWS.update(
    {
        "iam.organization-roles": [
            Row(
                "both roles there",
                nothing,
                P,
                Status.PASS,
                "exist in account 111122223333",
                veeam=ORG,
            ),
            Row(
                "the backup role missing in this account",
                no_role(BACKUP_ROLE),
                P,
                Status.FAIL,
                "account 111122223333 has no role named VeeamRdsBackup",
                veeam=ORG,
                verdict=NOT_READY,
            ),
            Row(
                "the tagged worker network",
                tagged(PUBLIC_SUBNET, PRIVATE_SUBNET, "sg-endpoints"),
                P,
                Status.PASS,
                "worker network tagged veeam=worker: subnet-public",
                veeam=ORG_TAGGED,
            ),
            Row(
                "the tagged subnet is the worker configuration",
                tagged(PRIVATE_SUBNET, "sg-endpoints"),
                P,
                Status.PASS,
                "worker network tagged veeam=worker: subnet-private",
                veeam=ORG_TAGGED,
                verdict=NOT_READY,  # public mode: the only tagged subnet is private
            ),
            Row(
                "no tagged subnet",
                tagged("sg-endpoints"),
                R,
                Status.FAIL,
                "no subnet tagged veeam=worker in vpc-1 (eu-west-1a)",
                "--tags Key=veeam,Value=worker",
                veeam=ORG_TAGGED,
            ),
            Row(
                "no tagged security group",
                tagged(PUBLIC_SUBNET, PRIVATE_SUBNET),
                R,
                Status.FAIL,
                "no security group tagged veeam=worker in vpc-1",
                veeam=ORG_TAGGED,
            ),
            Row(
                "subnets not read",
                lambda u: gap(u, "subnets", "DescribeSubnets", "ec2:DescribeSubnets"),
                R,
                Status.UNKNOWN,
                "grant ec2:DescribeSubnets",
                veeam=ORG_TAGGED,
            ),
            Row("the Account option", nothing, P, None, veeam=V),
        ],
    }
)

CASES = [
    pytest.param(check_id, row, id=f"{check_id}: {row.name}")
    for check_id, rows in ROWS.items()
    for row in rows
]


@pytest.mark.parametrize(("check_id", "row"), CASES)
def test_check_rule(check_id: str, row: Row) -> None:
    unit = with_veeam_roles(baseline(row.engine)) if row.veeam else baseline(row.engine)
    row.change(unit)
    peers = row.peers.apply(unit) if row.peers is not None else {}
    repos = repositories()
    if row.repos is not None:
        row.repos(repos[REPO_ACCOUNT])

    judged = judge(
        unit,
        check_id,
        row.mode,
        headline=row.mode,
        config=row.config,
        veeam=row.veeam,
        repositories=repos,
        peer_networks=peers,
    )

    assert judged.status == row.status, judged.message
    assert row.message in judged.message
    assert row.remediation in judged.remediation
    assert judged.verdict == row.expected_verdict(), judged.message


def test_every_built_in_check_has_a_table() -> None:
    from tests.inventory_builder import CHECKS

    assert sorted(ROWS) == sorted(c.id for c in CHECKS)


@pytest.mark.parametrize("engine", ["postgres", SQL])
def test_the_baseline_is_ready_in_every_mode_with_nothing_to_report(engine: str) -> None:
    from tests.inventory_builder import audit

    result = audit(baseline(engine))

    assert {m: v.verdict for m, v in result.targets[0].modes.items()} == dict.fromkeys(Mode, READY)
    assert [f for f in result.findings if f.status not in (Status.PASS,)] == []
