"""The snapshot: everything `collect` read, as plain dataclasses that round-trip through JSON.

A value of ``None`` means "not read" (the matching entry in ``errors`` says why); an absent AWS
resource is a fact and is recorded as such (``exists=False``), never as ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from auditor import strict_json
from auditor.serde import SnapshotFormatError, from_data, to_data

T = TypeVar("T")

SNAPSHOT_VERSION = 1


@dataclass
class ReadError:
    """A read that failed: the data it would have given is a gap, never a pass or a fail."""

    account_id: str
    region: str
    service: str
    operation: str
    code: str
    iam_action: str | None
    resource_id: str | None
    message: str
    denied: bool = False

    def explain(self) -> str:
        """One sentence for a finding: what failed and, for a denial, what to grant."""
        what = f"{self.service}:{self.operation}"
        if self.resource_id:
            what += f" on {self.resource_id}"
        if self.denied and self.iam_action:
            return f"{what} was denied ({self.code}); grant {self.iam_action} to the audit role"
        return f"{what} failed ({self.code}): {self.message}"


def error_for(
    errors: list[ReadError], operation: str, resource_id: str | None = None
) -> ReadError | None:
    """The gap that explains a missing value: the resource's own, else the operation's."""
    same_op = [e for e in errors if e.operation == operation]
    for err in same_op:
        if err.resource_id == resource_id:
            return err
    return same_op[0] if same_op else None


@dataclass
class OptionGroupMembership:
    name: str
    status: str


@dataclass
class SecurityGroupMembership:
    group_id: str
    status: str


@dataclass(slots=True)
class DBInstance:
    db_instance_id: str
    arn: str
    engine: str
    engine_version: str
    status: str
    availability_zone: str | None = None
    secondary_availability_zone: str | None = None
    multi_az: bool = False
    vpc_id: str | None = None
    subnet_group: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_groups: list[SecurityGroupMembership] = field(default_factory=list)
    option_groups: list[OptionGroupMembership] = field(default_factory=list)
    db_cluster_id: str | None = None
    storage_encrypted: bool = False
    kms_key_id: str | None = None
    allocated_storage_gib: int = 0
    port: int | None = None


@dataclass(slots=True)
class Vpc:
    """A VPC that a target lives in. ``None`` attributes were not read."""

    vpc_id: str
    exists: bool = True
    dns_support: bool | None = None
    dns_hostnames: bool | None = None
    cidrs: list[str] | None = None  # associated IPv4 CIDR blocks
    name: str | None = None  # its Name tag (untrusted text: reports escape it)
    tags: dict[str, str] | None = None  # None: DescribeVpcs not read


@dataclass(slots=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    state: str
    cidr: str
    available_ips: int
    map_public_ip: bool
    owner_id: str | None = None  # the account that owns it (another one: shared through RAM)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Route:
    """One route of a route table. ``target`` is the id it points at ("local", igw-, nat-, …)."""

    target: str
    state: str
    origin: str = "CreateRoute"
    destination: str | None = None  # IPv4 CIDR
    destination_ipv6: str | None = None
    prefix_list_id: str | None = None


@dataclass(slots=True)
class RouteTable:
    route_table_id: str
    vpc_id: str
    main: bool
    subnet_ids: list[str]  # explicit associations only (AWS lists no implicit ones)
    routes: list[Route]


@dataclass(slots=True)
class InternetGateway:
    gateway_id: str
    attachments: dict[str, str]  # VPC id -> attachment state ("available" when attached)


@dataclass(slots=True)
class NatGateway:
    nat_gateway_id: str
    vpc_id: str
    subnet_id: str
    state: str
    connectivity: str = "public"


@dataclass(slots=True)
class VpcEndpoint:
    endpoint_id: str
    vpc_id: str
    service_name: str
    endpoint_type: str  # "Interface" | "Gateway" | "GatewayLoadBalancer"
    state: str
    private_dns: bool
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    route_table_ids: list[str] = field(default_factory=list)


@dataclass
class PeeringSide:
    """One VPC of a peering connection, as DescribeVpcPeeringConnections gives it."""

    owner_id: str
    vpc_id: str
    region: str
    cidrs: list[str] = field(default_factory=list)  # IPv4 CIDR blocks of that VPC


@dataclass
class VpcPeering:
    peering_id: str
    status: str  # Status.Code: active | pending-acceptance | deleted | ...
    requester: PeeringSide
    accepter: PeeringSide

    def other_side(self, vpc_id: str) -> PeeringSide | None:
        """The VPC on the other end from ``vpc_id`` (None: the connection does not join it)."""
        if self.requester.vpc_id == vpc_id:
            return self.accepter
        if self.accepter.vpc_id == vpc_id:
            return self.requester
        return None


def peer_key(account_id: str, region: str) -> str:
    """The key of a peered network in ``Inventory.peer_networks``."""
    return f"{account_id}/{region}"


@dataclass(slots=True)
class NaclEntry:
    rule_number: int
    egress: bool
    protocol: str  # "-1" all, "6" tcp, …
    action: str  # "allow" | "deny"
    cidr: str | None  # IPv4; None for an IPv6 entry
    port_from: int | None = None
    port_to: int | None = None


@dataclass(slots=True)
class NetworkAcl:
    acl_id: str
    vpc_id: str
    default: bool
    subnet_ids: list[str]
    entries: list[NaclEntry]


@dataclass(slots=True)
class SgRule:
    protocol: str  # "-1" all, "tcp", "6", …
    from_port: int | None
    to_port: int | None
    cidrs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    prefix_lists: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SecurityGroup:
    group_id: str
    vpc_id: str
    ingress: list[SgRule]
    egress: list[SgRule]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class OptionGroup:
    """An option group a SQL Server target uses. ``options``: option name -> its settings."""

    name: str
    exists: bool = True
    arn: str | None = None
    engine: str | None = None
    options: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class NamedPolicy:
    name: str  # the inline policy's name, or the managed policy's ARN
    kind: str  # "inline" | "managed" | "boundary"
    document: Any  # as IAM returned it: a dict, or a (URL-encoded) JSON string


@dataclass
class IamRole:
    """A role an option group names. ``None`` fields were not (completely) read."""

    arn: str
    exists: bool = True
    trust_policy: Any = None
    policies: list[NamedPolicy] | None = None  # inline + attached managed (default versions)
    boundary_arn: str | None = None
    boundary: NamedPolicy | None = None
    simulation: dict[str, str] | None = None  # --simulate: "action resource" -> EvalDecision
    unreadable: str | None = None  # why it could not be read at all (e.g. another account)
    instance_profiles: list[str] | None = None  # Veeam's worker role: its instance profiles


@dataclass
class BpaExclusion:
    exclusion_id: str
    mode: str  # "allow-bidirectional" | "allow-egress"
    resource_arn: str
    state: str


@dataclass
class KmsKey:
    key_id: str
    exists: bool = True
    state: str | None = None  # KeyState: Enabled, Disabled, PendingDeletion, …
    manager: str | None = None  # KeyManager: AWS | CUSTOMER
    arn: str | None = None  # the key's own ARN (an alias resolves to it)
    spec: str | None = None  # KeySpec: SYMMETRIC_DEFAULT, RSA_2048, …
    policy: Any = None  # the key policy (repository keys only; None: not read)
    deletion_date: str | None = None  # PendingDeletion: when


@dataclass
class LifecycleRule:
    """One rule of a bucket's lifecycle configuration."""

    rule_id: str
    status: str  # Enabled | Disabled
    prefix: str  # the key prefix it covers ("" = every object)
    filtered: bool = False  # also filtered by tag or size: it may not touch every object there


@dataclass
class Bucket:
    """A repository bucket of --veeam-config, read in the account that owns it. ``None``: not
    read (the account's `errors` say why); a "not configured" answer is a fact ("" or [])."""

    name: str
    exists: bool | None = None  # HeadBucket: False = 404 (a fact), None = not read
    region: str | None = None
    encryption: list[str] | None = None  # default SSEAlgorithm of each rule ([] = none)
    encryption_key: str | None = None  # KMSMasterKeyID of an aws:kms default
    versioning: str | None = None  # Enabled | Suspended | "" (never enabled)
    object_lock: str | None = None  # Enabled | "" (not configured)
    default_retention: str | None = None  # "GOVERNANCE 30 days", "" = none
    policy_public: bool | None = None  # GetBucketPolicyStatus IsPublic (False: no policy)
    public_access_block: dict[str, bool] | None = None  # the bucket's ({} = none configured)
    lifecycle: list[LifecycleRule] | None = None
    policy: Any = None  # the bucket policy document
    has_policy: bool | None = None  # False: NoSuchBucketPolicy


@dataclass
class RepositoryAccount:
    """What --veeam-config's repositories need from one account: its buckets, the KMS keys,
    the repository roles. ``audited`` False: this run has no session there (nothing read)."""

    account_id: str
    audited: bool = True
    buckets: dict[str, Bucket] = field(default_factory=dict)
    keys: dict[str, KmsKey | None] = field(default_factory=dict)  # as the config names them
    roles: dict[str, IamRole] = field(default_factory=dict)
    account_public_access_block: dict[str, bool] | None = None  # s3control ({} = none)
    errors: list[ReadError] = field(default_factory=list)

    def error_for(self, operation: str, resource_id: str | None = None) -> ReadError | None:
        return error_for(self.errors, operation, resource_id)


@dataclass
class Guardrails:
    """Account switches and quotas of a region that defeat otherwise good routes (None: not
    read, or not applicable where the field says so)."""

    bpa_mode: str | None = None  # InternetGatewayBlockMode
    bpa_exclusions: list[BpaExclusion] | None = None
    manual_snapshots_used: int | None = None
    manual_snapshots_max: float | None = None
    ebs_encryption_by_default: bool | None = None
    ebs_default_key: str | None = None  # read only when encryption by default is on
    allowed_images_state: str | None = None
    allowed_images_providers: list[list[str]] | None = None  # per criterion
    standard_vcpu_quota: float | None = None
    standard_vcpus_running: int | None = None
    kms_keys: dict[str, KmsKey | None] = field(default_factory=dict)  # the DBs' and EBS's


@dataclass
class RegionInventory:
    account_id: str
    region: str
    db_instances: list[DBInstance] | None = None
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    # Network, read for the target VPCs only (None: not read).
    subnets: list[Subnet] | None = None
    route_tables: list[RouteTable] | None = None
    internet_gateways: list[InternetGateway] | None = None
    nat_gateways: list[NatGateway] | None = None
    vpc_endpoints: list[VpcEndpoint] | None = None
    network_acls: list[NetworkAcl] | None = None
    # VPC peering connections of the target VPCs (None: not read).
    peerings: list[VpcPeering] | None = None
    # Shared VPCs (AWS RAM) whose owner's network was read in this run and merged in above:
    # VPC id -> owner account. A shared VPC not listed here holds only what the participant sees.
    shared_vpcs: dict[str, str] = field(default_factory=dict)
    prefix_lists: dict[str, list[str] | None] = field(default_factory=dict)  # id -> CIDRs
    # The Region's S3 addresses (AWS's managed prefix list com.amazonaws.<region>.s3); None: not
    # read. A public prefix routed elsewhere fails only when it overlaps them (route.internet).
    s3_ranges: list[str] | None = None
    # Security groups of the target VPCs in full; all of the region's counted.
    security_groups: list[SecurityGroup] | None = None
    security_group_count: int | None = None
    quotas: dict[str, float | None] = field(default_factory=dict)  # "vpc/L-2AFB9258" -> value
    instance_type_offerings: dict[str, list[str]] | None = None  # AZ -> offered worker types
    # SQL Server: the option groups targets use (None: not read) and the roles they name.
    option_groups: dict[str, OptionGroup | None] = field(default_factory=dict)
    roles: dict[str, IamRole] = field(default_factory=dict)
    guardrails: Guardrails = field(default_factory=Guardrails)
    errors: list[ReadError] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """The unit could be audited at all: its DB instances were listed."""
        return self.db_instances is not None

    def vpc_owners(self) -> dict[str, str]:
        """VPC id -> the other account that owns it (AWS RAM), from the subnets' OwnerId."""

        def build(subnets: list[Subnet]) -> dict[str, str]:
            index: dict[str, str] = {}
            for s in subnets:
                if s.owner_id and s.owner_id != self.account_id:
                    index.setdefault(s.vpc_id, s.owner_id)
            return index

        owners: dict[str, str] = self._subnet_index("vpc_owners", build)
        return owners

    def subnets_of(self, subnet_ids: list[str]) -> list[Subnet]:
        """These subnets, in the order of ``subnets`` (unknown ids left out)."""

        def build(subnets: list[Subnet]) -> dict[str, tuple[int, Subnet]]:
            return {s.subnet_id: (i, s) for i, s in enumerate(subnets)}

        by_id: dict[str, tuple[int, Subnet]] = self._subnet_index("by_id", build)
        return [s for _, s in sorted(by_id[i] for i in set(subnet_ids) if i in by_id)]

    def _subnet_index(self, name: str, build: Any) -> Any:
        """An index over ``subnets``, built once per subnet list (checks ask per target:
        scanning every subnet each time made large units quadratic); rebuilt when the list is
        replaced or grows. Not a field: snapshots never hold it."""
        subnets = self.subnets or []
        cache: dict[str, tuple[list[Subnet], int, Any]] = self.__dict__.setdefault("_indexes", {})
        found = cache.get(name)
        if found is None or found[0] is not subnets or found[1] != len(subnets):
            found = cache[name] = (subnets, len(subnets), build(subnets))
        return found[2]

    def derived(self, name: str, key: Hashable, build: Callable[[], T]) -> T:
        """A value the checks derive from this unit's reads (a subnet's route answer), built
        once per (name, key) and shared by every target and mode that asks. Evaluation never
        changes a unit's reads, so the value stays true; not a field: snapshots never hold it."""
        cache: dict[tuple[str, Hashable], Any] = self.__dict__.setdefault("_derived", {})
        try:
            value: T = cache[name, key]
        except KeyError:
            value = cache[name, key] = build()
        return value

    def error_for(self, operation: str, resource_id: str | None = None) -> ReadError | None:
        """The gap that explains a missing value (the resource's own, else the operation's)."""
        return error_for(self.errors, operation, resource_id)

    def first_error(self, *operations: str) -> ReadError | None:
        """The first gap of any of these operations (what a multi-read check could not see)."""
        return next((e for e in self.errors if e.operation in operations), None)


@dataclass
class AccountRecord:
    account_id: str
    caller_arn: str | None
    status: str = "audited"
    reason: str | None = None


@dataclass
class WorkerConfig:
    """Veeam's worker configuration, when given (--worker-subnet, --worker-security-group)."""

    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    accounts: list[AccountRecord]
    regions: list[RegionInventory]
    requested_db_instances: list[str] = field(default_factory=list)
    worker_config: WorkerConfig = field(default_factory=WorkerConfig)
    api_calls: dict[str, int] = field(default_factory=dict)
    api_retries: dict[str, int] = field(default_factory=dict)
    veeam_config: dict[str, Any] | None = None  # --veeam-config, normalised (replayed with it)
    repositories: dict[str, RepositoryAccount] = field(default_factory=dict)  # by account id
    # The VPCs peered with a worker VPC that may hold its S3 interface endpoint, by
    # "<account>/<region>": their endpoints, route tables and the endpoints' groups, read with
    # the owning account's session; None: this run does not audit that account (nothing read).
    peer_networks: dict[str, RegionInventory | None] = field(default_factory=dict)
    read_at: str | None = None  # when the read started (UTC, ISO 8601); None: an older snapshot
    snapshot_version: int = SNAPSHOT_VERSION

    def to_json(self) -> str:
        return json.dumps(to_data(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Inventory:
        # Each (account, region) unit becomes a RegionInventory as soon as it is parsed: the
        # plain data of a whole large snapshot took ten times the memory of its inventory.
        units: list[RegionInventory] = []
        wrong: list[SnapshotFormatError] = []

        def unit(item: Any, index: int) -> None:
            try:
                units.append(from_data(RegionInventory, item, f"$.regions[{index}]"))
            except SnapshotFormatError as exc:  # said after the version, which comes first
                wrong.append(exc)

        try:
            data: Any = strict_json.loads(text, each=("regions", unit))
        except strict_json.StrictJsonError as exc:
            raise SnapshotFormatError(str(exc)) from None
        if not isinstance(data, dict):
            raise SnapshotFormatError("a snapshot is a JSON object")
        version = data.get("snapshot_version")
        if version != SNAPSHOT_VERSION:
            raise SnapshotFormatError(
                f"snapshot_version {version!r} is not {SNAPSHOT_VERSION}, "
                "the one this preflight reads"
            )
        if wrong:
            raise wrong[0]
        regions = data.get("regions")
        if not isinstance(regions, list) or len(regions) != len(units):
            return from_data(cls, data)  # not an array of units: serde says what is wrong
        inventory = from_data(cls, {**data, "regions": []})
        inventory.regions = units
        return inventory
