"""`--veeam-config FILE`: Veeam's side of the policy, stated once in TOML (DESIGN.md, "Veeam's
side of the policy"). Validated before any AWS call: every problem is one line naming the file,
the policy and the key (PreflightError, exit 2). Pure: no AWS here.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import PreflightError
from auditor.input_files import read_input

ACCOUNT = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$"
)
ROOT_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):root$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
KMS_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:(\d{12}):(key|alias)/.+$")

TOP_KEYS = {"appliance_principal", "policies"}
POLICY_KEYS = {
    "name",
    "db_instances",
    "regions",
    "accounts",
    "option",
    "backup_role",
    "worker_role",
    "worker_network_tag",
    "repository",
    "archive",
}
REPOSITORY_KEYS = {
    "bucket",
    "folder",
    "account",
    "role",
    "encryption",
    "kms_key",
    "immutable",
    "storage_class",
    "retention_days",
}
OPTIONS = ("account", "organization")
ENCRYPTIONS = ("none", "password", "kms")


@dataclass
class Repository:
    bucket: str
    folder: str | None = None
    account: str | None = None
    role: str | None = None
    encryption: str = "none"
    kms_key: str | None = None
    immutable: bool = False
    storage_class: str | None = None
    retention_days: int | None = None

    def owner(self, target_account: str) -> str:
        """The account that owns the bucket: as given, else the target's."""
        return self.account or target_account

    @property
    def key_account(self) -> str | None:
        return self.kms_key.split(":")[4] if self.kms_key else None

    @property
    def key_region(self) -> str | None:
        return self.kms_key.split(":")[3] if self.kms_key else None

    @property
    def role_account(self) -> str | None:
        return self.role.split(":")[4] if self.role else None


@dataclass
class VeeamPolicy:
    name: str
    option: str  # "account" | "organization"
    backup_role: str  # an ARN (account option) or a role name (organization option)
    worker_role: str | None = None  # omitted: the backup role
    db_instances: list[str] = field(default_factory=list)  # ids or globs; empty: every target
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    worker_network_tag: dict[str, str] | None = None
    repository: Repository | None = None
    archive: Repository | None = None

    def selects(self, db_instance_id: str, account: str, region: str) -> bool:
        named = not self.db_instances or any(
            fnmatch.fnmatchcase(db_instance_id, p) for p in self.db_instances
        )
        return (
            named
            and (not self.regions or region in self.regions)
            and (not self.accounts or account in self.accounts)
        )

    def repositories(self) -> list[tuple[str, Repository]]:
        """("repository" | "archive", the repository) as the policy names them."""
        named = (("repository", self.repository), ("archive", self.archive))
        return [(kind, repo) for kind, repo in named if repo is not None]

    def backup_role_arn(self, account: str, partition: str = "aws") -> str:
        """The backup role of a target in ``account`` (organization: the name in that account)."""
        if self.option == "organization":
            return f"arn:{partition}:iam::{account}:role/{self.backup_role}"
        return self.backup_role

    def worker_role_arn(self, account: str, partition: str = "aws") -> str:
        role = self.worker_role or self.backup_role
        if self.option == "organization":
            return f"arn:{partition}:iam::{account}:role/{role}"
        return role


@dataclass
class VeeamConfig:
    appliance_principal: str  # a role ARN, an account id or an account's :root ARN
    policies: list[VeeamPolicy]
    source: str = ""  # the file it came from

    def policy_for(self, db_instance_id: str, account: str, region: str) -> VeeamPolicy | None:
        """The first policy that selects the target (DESIGN.md: first match wins)."""
        return next((p for p in self.policies if p.selects(db_instance_id, account, region)), None)

    @property
    def appliance_account(self) -> str:
        if ACCOUNT.match(self.appliance_principal):
            return self.appliance_principal
        return self.appliance_principal.split(":")[4]

    @property
    def appliance_is_account(self) -> bool:
        """Only the appliance's account is known (an id or a :root ARN), not its role."""
        return bool(
            ACCOUNT.match(self.appliance_principal) or ROOT_ARN.match(self.appliance_principal)
        )

    def to_dict(self) -> dict[str, Any]:
        """The file's content, normalised (the report's `veeam_config`)."""
        return {
            "source": self.source,
            "appliance_principal": self.appliance_principal,
            "policies": [_drop_none(asdict(p)) for p in self.policies],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VeeamConfig:
        """Back from `to_dict` (a snapshot holds the file's content)."""
        return parse(
            {"appliance_principal": data["appliance_principal"], "policies": data["policies"]},
            str(data.get("source", "snapshot")),
        )


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def load(path: Path) -> VeeamConfig:
    """The file, validated; one clear line (exit 2) for the first problem found."""
    text = read_input(path, "the Veeam config", "give a TOML file (preflight veeam-config --init)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PreflightError(f"the Veeam config {path} is not TOML: {exc}") from None
    return parse(data, str(path))


def parse(data: dict[str, Any], source: str) -> VeeamConfig:
    def bad(where: str, problem: str) -> PreflightError:
        return PreflightError(f"the Veeam config {source}: {where}: {problem}")

    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    appliance = data.get("appliance_principal")
    if not isinstance(appliance, str):
        raise bad(
            "appliance_principal", "missing: give the appliance's IAM role ARN or its account id"
        )
    if not (ACCOUNT.match(appliance) or ROLE_ARN.match(appliance) or ROOT_ARN.match(appliance)):
        raise bad("appliance_principal", f"{appliance!r} is no role ARN, account id or :root ARN")
    raw_policies = data.get("policies")
    if not isinstance(raw_policies, list) or not raw_policies:
        raise bad("policies", "missing: add at least one [[policies]] table")
    partitions = {appliance.split(":")[1]} if appliance.startswith("arn:") else set()
    policies: list[VeeamPolicy] = []
    names: set[str] = set()
    for index, item in enumerate(raw_policies):
        label = f"policies[{index}]"
        if not isinstance(item, dict):
            raise bad(label, "a policy is a table ([[policies]])")
        name = item.get("name")
        if isinstance(name, str) and name:
            label = f"policy {name!r}"
        policy = _policy(item, label, bad)
        if policy.name in names:
            raise bad(label, "duplicate policy name: names must be unique")
        names.add(policy.name)
        for arn in _arns(policy):
            partitions.add(arn.split(":")[1])
        if len(partitions) > 1:
            raise bad(label, f"ARNs of more than one partition ({', '.join(sorted(partitions))})")
        policies.append(policy)
    return VeeamConfig(appliance, policies, source)


def _arns(policy: VeeamPolicy) -> list[str]:
    out = [r for r in (policy.backup_role, policy.worker_role) if r and r.startswith("arn:")]
    for repo in (policy.repository, policy.archive):
        if repo is not None:
            out += [v for v in (repo.role, repo.kms_key) if v and v.startswith("arn:")]
    return out


def _policy(item: dict[str, Any], label: str, bad: Any) -> VeeamPolicy:
    unknown = sorted(set(item) - POLICY_KEYS)
    if unknown:
        raise bad(
            f"{label}: {unknown[0]}", f"unknown key (known: {', '.join(sorted(POLICY_KEYS))})"
        )
    name = _string(item, "name", label, bad, required=True)
    option = _string(item, "option", label, bad, required=True)
    if option not in OPTIONS:
        raise bad(f"{label}: option", f'{option!r}: give "account" or "organization"')
    backup = _string(item, "backup_role", label, bad, required=True)
    worker = _string(item, "worker_role", label, bad)
    for key, value in (("backup_role", backup), ("worker_role", worker)):
        if value is None:
            continue
        if option == "account" and not ROLE_ARN.match(value):
            raise bad(f"{label}: {key}", f'{value!r} is not an IAM role ARN (option = "account")')
        if option == "organization" and not ROLE_NAME.match(value):
            raise bad(f"{label}: {key}", f'{value!r} is not a role name (option = "organization")')
    tag = item.get("worker_network_tag")
    if tag is not None and not (
        isinstance(tag, dict)
        and set(tag) == {"key", "value"}
        and all(isinstance(v, str) for v in tag.values())
    ):
        raise bad(f"{label}: worker_network_tag", 'give { key = "…", value = "…" }')
    return VeeamPolicy(
        name=str(name),
        option=str(option),
        backup_role=str(backup),
        worker_role=worker,
        db_instances=_strings(item, "db_instances", label, bad),
        regions=_strings(item, "regions", label, bad),
        accounts=_accounts(item, label, bad),
        worker_network_tag=dict(tag) if tag else None,
        repository=_repository(item.get("repository"), f"{label}: repository", bad),
        archive=_repository(item.get("archive"), f"{label}: archive", bad),
    )


def _string(
    item: dict[str, Any], key: str, label: str, bad: Any, required: bool = False
) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            raise bad(f"{label}: {key}", "missing")
        return None
    if not isinstance(value, str) or not value:
        raise bad(f"{label}: {key}", f"give a non-empty string, not {value!r}")
    return value


def _strings(item: dict[str, Any], key: str, label: str, bad: Any) -> list[str]:
    value = item.get(key, [])
    if isinstance(value, str):
        raise bad(f"{label}: {key}", f'give a list: {key} = ["{value}"]')
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad(f"{label}: {key}", "give a list of non-empty strings")
    return list(value)


def _accounts(item: dict[str, Any], label: str, bad: Any) -> list[str]:
    accounts = _strings(item, "accounts", label, bad)
    for a in accounts:
        if not ACCOUNT.match(a):
            raise bad(f"{label}: accounts", f"{a!r} is not a 12-digit account id")
    return accounts


def _repository(raw: Any, label: str, bad: Any) -> Repository | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad(label, "a repository is a table")
    unknown = sorted(set(raw) - REPOSITORY_KEYS)
    if unknown:
        raise bad(
            f"{label}: {unknown[0]}", f"unknown key (known: {', '.join(sorted(REPOSITORY_KEYS))})"
        )
    bucket = _string(raw, "bucket", label, bad, required=True)
    account = _string(raw, "account", label, bad)
    if account is not None and not ACCOUNT.match(account):
        raise bad(f"{label}: account", f"{account!r} is not a 12-digit account id")
    role = _string(raw, "role", label, bad)
    if role is not None and not ROLE_ARN.match(role):
        raise bad(f"{label}: role", f"{role!r} is not an IAM role ARN")
    encryption = _string(raw, "encryption", label, bad) or "none"
    if encryption not in ENCRYPTIONS:
        raise bad(f"{label}: encryption", f"{encryption!r}: give one of {', '.join(ENCRYPTIONS)}")
    key = _string(raw, "kms_key", label, bad)
    if encryption == "kms" and key is None:
        raise bad(f"{label}: kms_key", 'missing (encryption = "kms")')
    if key is not None and not KMS_ARN.match(key):
        raise bad(f"{label}: kms_key", f"{key!r} is not a KMS key or alias ARN")
    immutable = raw.get("immutable", False)
    if not isinstance(immutable, bool):
        raise bad(f"{label}: immutable", "give true or false")
    retention = raw.get("retention_days")
    if retention is not None and (
        not isinstance(retention, int) or isinstance(retention, bool) or retention < 1
    ):
        raise bad(f"{label}: retention_days", "give a whole number of days")
    return Repository(
        bucket=str(bucket),
        folder=_string(raw, "folder", label, bad),
        account=account,
        role=role,
        encryption=encryption,
        kms_key=key,
        immutable=immutable,
        storage_class=_string(raw, "storage_class", label, bad),
        retention_days=retention,
    )
