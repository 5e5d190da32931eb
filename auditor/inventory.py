"""The snapshot: everything `collect` read, as plain dataclasses that round-trip through JSON.

A value of ``None`` means "not read" (the matching entry in ``errors`` says why); an absent AWS
resource is a fact and is recorded as such (``exists=False``), never as ``None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from auditor.serde import SnapshotFormatError, from_data, to_data

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

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.account_id, self.region, self.service, self.operation, self.resource_id or "")

    def explain(self) -> str:
        """One sentence for a finding: what failed and, for a denial, what to grant."""
        what = f"{self.service}:{self.operation}"
        if self.resource_id:
            what += f" on {self.resource_id}"
        if self.denied and self.iam_action:
            return f"{what} was denied ({self.code}); grant {self.iam_action} to the audit role"
        return f"{what} failed ({self.code}): {self.message}"


@dataclass
class OptionGroupMembership:
    name: str
    status: str


@dataclass
class SecurityGroupMembership:
    group_id: str
    status: str


@dataclass
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


@dataclass
class Vpc:
    """A VPC that a target lives in. ``None`` attributes were not read."""

    vpc_id: str
    exists: bool = True
    dns_support: bool | None = None
    dns_hostnames: bool | None = None


@dataclass
class RegionInventory:
    account_id: str
    region: str
    db_instances: list[DBInstance] | None = None
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """The unit could be audited at all: its DB instances were listed."""
        return self.db_instances is not None

    def error_for(self, operation: str, resource_id: str | None = None) -> ReadError | None:
        """The gap that explains a missing value (the resource's own, else the operation's)."""
        same_op = [e for e in self.errors if e.operation == operation]
        for err in same_op:
            if err.resource_id == resource_id:
                return err
        return same_op[0] if same_op else None


@dataclass
class AccountRecord:
    account_id: str
    caller_arn: str | None
    status: str = "audited"
    reason: str | None = None


@dataclass
class Inventory:
    accounts: list[AccountRecord]
    regions: list[RegionInventory]
    requested_db_instances: list[str] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    api_retries: dict[str, int] = field(default_factory=dict)
    snapshot_version: int = SNAPSHOT_VERSION

    def to_json(self) -> str:
        return json.dumps(to_data(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Inventory:
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotFormatError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise SnapshotFormatError("a snapshot is a JSON object")
        version = data.get("snapshot_version")
        if version != SNAPSHOT_VERSION:
            raise SnapshotFormatError(
                f"snapshot_version {version!r} is not {SNAPSHOT_VERSION}, "
                "the one this preflight reads"
            )
        return from_data(cls, data)
