"""A RegionInventory in a few lines, no moto: the valid baseline the table tests change one row
at a time (STYLE.md lesson 6, the OpenShift installer's validation tests).

`baseline()` is one account, one region, one VPC in which the DB instance `db` is ready in all
three worker modes: a public subnet behind an attached internet gateway, a private subnet whose
table sends the internet to a working NAT gateway and S3 to a gateway endpoint, the ssm,
ssmmessages, sqs and S3 interface endpoints, open network ACLs, untouched guardrails. With
`engine="sqlserver-se"` it also carries the native-backup option group and a role that RDS may
assume and that may use any bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor import veeam_permissions as veeam
from auditor.constants import SG_PER_INTERFACE, SG_PER_REGION
from auditor.engine import evaluate, load_checks
from auditor.inventory import (
    AccountRecord,
    Bucket,
    DBInstance,
    Guardrails,
    IamRole,
    InternetGateway,
    Inventory,
    KmsKey,
    NaclEntry,
    NamedPolicy,
    NatGateway,
    NetworkAcl,
    OptionGroup,
    OptionGroupMembership,
    PeeringSide,
    RegionInventory,
    RepositoryAccount,
    Route,
    RouteTable,
    SecurityGroup,
    SecurityGroupMembership,
    SgRule,
    Subnet,
    Vpc,
    VpcEndpoint,
    VpcPeering,
    WorkerConfig,
    peer_key,
)
from auditor.model import AuditResult, Finding, Mode, Status, Verdict
from auditor.sqlserver import ACTIVE, OPTION, ROLE_SETTING
from auditor.veeam_config import VeeamConfig, parse

ACCOUNT = "111122223333"
REGION = "eu-west-1"
AZ = "eu-west-1a"
VPC = "vpc-1"
PUBLIC_SUBNET = "subnet-public"
PRIVATE_SUBNET = "subnet-private"
NAT_SUBNET = "subnet-nat"
MAIN_TABLE = "rtb-main"
PRIVATE_TABLE = "rtb-private"
IGW = "igw-1"
NAT = "nat-1"
S3_PREFIX_LIST = "pl-s3"
S3_GATEWAY = "vpce-s3-gateway"
ENDPOINT_GROUP = "sg-endpoints"
DB_GROUP = "sg-db"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/rds-native-backup"
OPTION_GROUP = "sqlse-native"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rds.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
S3_ANY_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": "arn:aws:s3:::*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:GetObjectAttributes",
                "s3:ListMultipartUploadParts",
                "s3:AbortMultipartUpload",
            ],
            "Resource": "arn:aws:s3:::*/*",
        },
    ],
}


def endpoint(service: str, kind: str = "Interface", **changes: Any) -> VpcEndpoint:
    fields: dict[str, Any] = {
        "endpoint_id": f"vpce-{service}",
        "vpc_id": VPC,
        "service_name": f"com.amazonaws.{REGION}.{service}",
        "endpoint_type": kind,
        "state": "available",
        "private_dns": kind == "Interface",
        "subnet_ids": [PRIVATE_SUBNET] if kind == "Interface" else [],
        "security_group_ids": [ENDPOINT_GROUP] if kind == "Interface" else [],
        "route_table_ids": [PRIVATE_TABLE] if kind == "Gateway" else [],
    }
    fields.update(changes)
    return VpcEndpoint(**fields)


def open_acl() -> NetworkAcl:
    entries = [
        NaclEntry(100, True, "-1", "allow", "0.0.0.0/0"),
        NaclEntry(100, False, "-1", "allow", "0.0.0.0/0"),
    ]
    return NetworkAcl("acl-default", VPC, True, [], entries)


def db_instance(engine: str = "postgres", **changes: Any) -> DBInstance:
    version = "15.00.4345.5.v1" if engine.startswith("sqlserver") else "16.3"
    fields: dict[str, Any] = {
        "db_instance_id": "db",
        "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:db",
        "engine": engine,
        "engine_version": version,
        "status": "available",
        "availability_zone": AZ,
        "vpc_id": VPC,
        "subnet_group": "db-subnets",
        "subnet_ids": [PRIVATE_SUBNET],
        "security_groups": [SecurityGroupMembership(DB_GROUP, "active")],
        "option_groups": (
            [OptionGroupMembership(OPTION_GROUP, ACTIVE)] if engine.startswith("sqlserver") else []
        ),
        "allocated_storage_gib": 20,
        "port": 1433 if engine.startswith("sqlserver") else 5432,
    }
    fields.update(changes)
    return DBInstance(**fields)


def baseline(engine: str = "postgres") -> RegionInventory:
    """One unit where `db` is ready in every mode (see the module docstring)."""
    unit = RegionInventory(
        account_id=ACCOUNT,
        region=REGION,
        db_instances=[db_instance(engine)],
        vpcs={VPC: Vpc(VPC, dns_support=True, dns_hostnames=True, cidrs=["10.0.0.0/16"])},
        subnets=[
            Subnet(PUBLIC_SUBNET, VPC, AZ, "available", "10.0.1.0/24", 250, True),
            Subnet(PRIVATE_SUBNET, VPC, AZ, "available", "10.0.2.0/24", 250, False),
            Subnet(NAT_SUBNET, VPC, "eu-west-1b", "available", "10.0.3.0/24", 250, True),
        ],
        route_tables=[
            RouteTable(
                MAIN_TABLE,
                VPC,
                True,
                [],
                [
                    Route("local", "active", "CreateRouteTable", "10.0.0.0/16"),
                    Route(IGW, "active", "CreateRoute", "0.0.0.0/0"),
                ],
            ),
            RouteTable(
                PRIVATE_TABLE,
                VPC,
                False,
                [PRIVATE_SUBNET],
                [
                    Route("local", "active", "CreateRouteTable", "10.0.0.0/16"),
                    Route(NAT, "active", "CreateRoute", "0.0.0.0/0"),
                    Route(S3_GATEWAY, "active", "CreateRoute", prefix_list_id=S3_PREFIX_LIST),
                ],
            ),
        ],
        internet_gateways=[InternetGateway(IGW, {VPC: "available"})],
        nat_gateways=[NatGateway(NAT, VPC, NAT_SUBNET, "available")],
        vpc_endpoints=[
            endpoint("ssm"),
            endpoint("ssmmessages"),
            endpoint("sqs"),
            endpoint("s3", private_dns=False, endpoint_id="vpce-s3-interface"),
            endpoint("s3", "Gateway", endpoint_id=S3_GATEWAY),
        ],
        network_acls=[open_acl()],
        peerings=[],
        prefix_lists={S3_PREFIX_LIST: ["52.218.0.0/17", "3.5.64.0/21"]},
        s3_ranges=["52.218.0.0/17", "3.5.64.0/21"],
        security_groups=[
            SecurityGroup(
                ENDPOINT_GROUP,
                VPC,
                ingress=[SgRule("tcp", 443, 443, cidrs=["10.0.0.0/16"])],
                egress=[SgRule("-1", None, None, cidrs=["0.0.0.0/0"])],
            ),
            SecurityGroup(
                DB_GROUP, VPC, ingress=[], egress=[SgRule("-1", None, None, cidrs=["0.0.0.0/0"])]
            ),
        ],
        security_group_count=2,
        quotas={SG_PER_REGION: 2500.0, SG_PER_INTERFACE: 5.0},
        instance_type_offerings={AZ: ["c5.large", "c5.xlarge"]},
        guardrails=Guardrails(
            bpa_mode="off",
            bpa_exclusions=[],
            manual_snapshots_used=0,
            manual_snapshots_max=100.0,
            ebs_encryption_by_default=False,
            allowed_images_state="disabled",
            allowed_images_providers=[],
            standard_vcpu_quota=64.0,
            standard_vcpus_running=0,
        ),
    )
    if engine.startswith("sqlserver"):
        unit.option_groups[OPTION_GROUP] = OptionGroup(
            OPTION_GROUP,
            arn=f"arn:aws:rds:{REGION}:{ACCOUNT}:og:{OPTION_GROUP}",
            engine=engine,
            options={OPTION: {ROLE_SETTING: ROLE_ARN}},
        )
        unit.roles[ROLE_ARN] = IamRole(
            ROLE_ARN,
            trust_policy=TRUST,
            policies=[NamedPolicy("s3", "inline", S3_ANY_BUCKET)],
        )
    return unit


def db(unit: RegionInventory) -> DBInstance:
    """The unit's DB instance `db`, to change in place."""
    assert unit.db_instances is not None
    return next(d for d in unit.db_instances if d.db_instance_id == "db")


def table(unit: RegionInventory, table_id: str) -> RouteTable:
    assert unit.route_tables is not None
    return next(t for t in unit.route_tables if t.route_table_id == table_id)


def subnet(unit: RegionInventory, subnet_id: str) -> Subnet:
    assert unit.subnets is not None
    return next(s for s in unit.subnets if s.subnet_id == subnet_id)


def vpc_endpoint(unit: RegionInventory, endpoint_id: str) -> VpcEndpoint:
    assert unit.vpc_endpoints is not None
    return next(e for e in unit.vpc_endpoints if e.endpoint_id == endpoint_id)


def audit(
    unit: RegionInventory,
    headline: Mode = Mode.PUBLIC,
    config: WorkerConfig | None = None,
    veeam: VeeamConfig | None = None,
    repositories: dict[str, RepositoryAccount] | None = None,
    peer_networks: dict[str, RegionInventory | None] | None = None,
) -> AuditResult:
    """The engine over this one unit with every built-in check (no AWS, no files)."""
    inventory = Inventory(
        accounts=[AccountRecord(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/auditor")],
        regions=[unit],
        worker_config=config or WorkerConfig(),
        veeam_config=veeam.to_dict() if veeam is not None else None,
        repositories=repositories or {},
        peer_networks=peer_networks or {},
    )
    return evaluate(inventory, CHECKS, headline)


CHECKS = load_checks(entry_points=[])


@dataclass(frozen=True)
class Judged:
    """What a user sees of one check for `db` in one mode."""

    verdict: Verdict
    findings: list[Finding]

    @property
    def status(self) -> Status | None:
        order = [Status.FAIL, Status.UNKNOWN, Status.WARN, Status.SKIP, Status.PASS]
        present = {f.status for f in self.findings}
        return next((s for s in order if s in present), None)

    @property
    def message(self) -> str:
        return " | ".join(f.message for f in self.findings)

    @property
    def remediation(self) -> str:
        return "\n".join(f.remediation or "" for f in self.findings)


def judge(unit: RegionInventory, check_id: str, mode: Mode, **kwargs: Any) -> Judged:
    """The verdict of `db` in `mode`, and the findings of `check_id` there (target or region)."""
    result = audit(unit, **kwargs)
    target = next(t for t in result.targets if t.db_instance_id == "db")
    findings = [
        f
        for f in result.findings
        if f.check_id == check_id and mode in f.modes and f.target in ("db", None)
    ]
    return Judged(target.modes[mode].verdict, findings)


# --- Veeam's side of the policy (--veeam-config) ------------------------------------------------

APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"
BACKUP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/VeeamRdsBackup"
WORKER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/VeeamProdWorker"


def veeam_config(**policy: Any) -> VeeamConfig:
    """One policy selecting every target, with the baseline's two roles."""
    fields = {
        "name": "rds-nightly",
        "option": "account",
        "backup_role": BACKUP_ROLE,
        "worker_role": WORKER_ROLE,
        **policy,
    }
    return parse({"appliance_principal": APPLIANCE, "policies": [fields]}, "veeam.toml")


def trust(*principals: dict[str, str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
        ],
    }


def allow_all(actions: tuple[str, ...], *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}, *extra],
    }


def with_veeam_roles(unit: RegionInventory) -> RegionInventory:
    """The baseline plus Veeam's roles as a well set-up account has them."""
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": WORKER_ROLE,
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    unit.roles[BACKUP_ROLE] = IamRole(
        BACKUP_ROLE,
        trust_policy=trust({"AWS": APPLIANCE}),
        policies=[NamedPolicy("veeam", "inline", allow_all(veeam.BACKUP_ROLE, pass_role))],
    )
    unit.roles[WORKER_ROLE] = IamRole(
        WORKER_ROLE,
        trust_policy=trust({"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}),
        policies=[NamedPolicy("worker", "inline", allow_all(veeam.WORKER_ROLE))],
        instance_profiles=["VeeamProdWorker"],
    )
    return unit


# --- Veeam's repositories -----------------------------------------------------------------------

REPO_ACCOUNT = "444455556666"
REPO_BUCKET = "veeam-rds-eu"
ARCHIVE_BUCKET = "veeam-rds-archive"
REPO_ROLE = f"arn:aws:iam::{REPO_ACCOUNT}:role/VeeamRepository"
REPO_KEY = f"arn:aws:kms:{REGION}:{REPO_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPOSITORY = {
    "bucket": REPO_BUCKET,
    "folder": "rds",
    "account": REPO_ACCOUNT,
    "role": REPO_ROLE,
    "encryption": "kms",
    "kms_key": REPO_KEY,
    "storage_class": "STANDARD",
}
ARCHIVE = {
    **REPOSITORY,
    "bucket": ARCHIVE_BUCKET,
    "storage_class": "DEEP_ARCHIVE",
    "retention_days": 365,
}
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{REPO_ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def repository_config(repository: dict[str, Any] | None = None, **policy: Any) -> VeeamConfig:
    """The baseline policy with a KMS-encrypted repository in the backup account."""
    return veeam_config(repository={**REPOSITORY, **(repository or {})}, **policy)


def bucket(name: str = REPO_BUCKET, **changes: Any) -> Bucket:
    """A bucket as Veeam wants it: in the region, SSE-S3, no Object Lock, private, no rules."""
    fields: dict[str, Any] = {
        "exists": True,
        "region": REGION,
        "encryption": ["AES256"],
        "versioning": "",
        "object_lock": "",
        "default_retention": "",
        "policy_public": False,
        "public_access_block": dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
        "lifecycle": [],
        "has_policy": False,
    }
    return Bucket(name, **{**fields, **changes})


def repositories() -> dict[str, RepositoryAccount]:
    """The backup account as a well set-up one reads: both buckets, the key, the role."""
    actions = veeam.REPOSITORY_ANY + veeam.REPOSITORY_BUCKET + veeam.REPOSITORY_OBJECTS
    role = IamRole(
        REPO_ROLE,
        trust_policy=trust({"AWS": APPLIANCE}, {"Service": veeam.BATCH_OPERATIONS_SERVICE}),
        policies=[NamedPolicy("veeam-repository", "inline", allow_all(actions))],
    )
    key = KmsKey(
        REPO_KEY,
        state="Enabled",
        manager="CUSTOMER",
        arn=REPO_KEY,
        spec="SYMMETRIC_DEFAULT",
        policy=KEY_POLICY,
    )
    record = RepositoryAccount(
        REPO_ACCOUNT,
        buckets={REPO_BUCKET: bucket(), ARCHIVE_BUCKET: bucket(ARCHIVE_BUCKET)},
        keys={REPO_KEY: key},
        roles={REPO_ROLE: role},
        account_public_access_block={},
    )
    return {REPO_ACCOUNT: record}


# --- VPC peering: the S3 interface endpoint in another VPC (private) ----------------------------

PEERING = "pcx-repo"
PEER_VPC = "vpc-repo"
PEER_CIDR = "11.0.0.0/16"
PEER_SUBNET = "subnet-repo"
PEER_TABLE = "rtb-repo"
PEER_GROUP = "sg-repo-endpoint"
PEER_ENDPOINT = "vpce-s3-repo"


@dataclass(frozen=True)
class PeerSetup:
    """A VPC of the repository account, peered with the worker VPC, holding an S3 interface
    endpoint for ``region``, as Veeam's private example sets it up; one field per thing to
    break."""

    region: str = REGION
    status: str = "active"
    route: bool = True  # the worker subnet's table sends PEER_CIDR to the peering
    back: bool = True  # the endpoint subnet's table sends the workers back
    cidr: str = PEER_CIDR
    audited: bool = True  # the run has a session for REPO_ACCOUNT
    admits: bool = True  # the endpoint's group admits 443 from the workers
    endpoint_state: str = "available"

    def apply(self, unit: RegionInventory) -> dict[str, RegionInventory | None]:
        """Peer the unit's VPC; the peer networks as the run would have read them."""
        mine = PeeringSide(unit.account_id, VPC, unit.region, ["10.0.0.0/16"])
        there = PeeringSide(REPO_ACCOUNT, PEER_VPC, self.region, [self.cidr])
        unit.peerings = [*(unit.peerings or []), VpcPeering(PEERING, self.status, mine, there)]
        if self.route:
            for t in unit.route_tables or []:
                t.routes.append(Route(PEERING, "active", "CreateRoute", self.cidr))
        if not self.audited:
            return {peer_key(REPO_ACCOUNT, self.region): None}
        routes = [Route("local", "active", "CreateRouteTable", self.cidr)]
        if self.back:
            routes.append(Route(PEERING, "active", "CreateRoute", "10.0.0.0/16"))
        admitted = "10.0.0.0/16" if self.admits else "192.168.0.0/16"
        network = RegionInventory(
            REPO_ACCOUNT,
            self.region,
            vpc_endpoints=[
                endpoint(
                    "s3",
                    endpoint_id=PEER_ENDPOINT,
                    vpc_id=PEER_VPC,
                    service_name=f"com.amazonaws.{self.region}.s3",
                    private_dns=False,
                    state=self.endpoint_state,
                    subnet_ids=[PEER_SUBNET],
                    security_group_ids=[PEER_GROUP],
                )
            ],
            route_tables=[RouteTable(PEER_TABLE, PEER_VPC, True, [], routes)],
            security_groups=[
                SecurityGroup(PEER_GROUP, PEER_VPC, [SgRule("tcp", 443, 443, cidrs=[admitted])], [])
            ],
        )
        return {peer_key(REPO_ACCOUNT, self.region): network}
