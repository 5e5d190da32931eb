"""With --veeam-config: the repositories its policies name (REQUIREMENTS.md §5 "Repositories"),
read once per run however many policies use them, with the session of the account that owns
each bucket, key and role. An account this run does not audit is recorded as such
(``audited=False``) and nothing is guessed about it.

"Not configured" answers (no default encryption, no Object Lock, no lifecycle, no bucket policy,
no Public Access Block) are facts; every other failure is a gap in the account's ``errors``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from auditor import scope
from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, need_list, optional
from auditor.collectors.iam_roles import ROLE_READS, IamRolesCollector
from auditor.constants import REPOSITORIES
from auditor.inventory import (
    Bucket,
    KmsKey,
    LifecycleRule,
    RegionInventory,
    RepositoryAccount,
)
from auditor.sessions import AwsSession
from auditor.veeam_config import VeeamConfig

PAB_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
NOT_CONFIGURED_PAB = ("NoSuchPublicAccessBlockConfiguration",)
HEAD_BUCKET = ApiCall("s3", "HeadBucket", "s3:ListBucket", absent=("404", "NoSuchBucket"))
BUCKET_LOCATION = ApiCall("s3", "GetBucketLocation", "s3:GetBucketLocation")
BUCKET_ENCRYPTION = ApiCall("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration")
BUCKET_VERSIONING = ApiCall("s3", "GetBucketVersioning", "s3:GetBucketVersioning")
OBJECT_LOCK = ApiCall(
    "s3", "GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"
)  # ObjectLockConfigurationNotFoundError: off
POLICY_STATUS = ApiCall(
    "s3", "GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", absent=("NoSuchBucketPolicy",)
)
BUCKET_PAB = ApiCall(
    "s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", absent=NOT_CONFIGURED_PAB
)
ACCOUNT_PAB = ApiCall(
    "s3control", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock", absent=NOT_CONFIGURED_PAB
)
LIFECYCLE = ApiCall(
    "s3",
    "GetBucketLifecycleConfiguration",
    "s3:GetLifecycleConfiguration",
    absent=("NoSuchLifecycleConfiguration",),
)
BUCKET_POLICY = ApiCall(
    "s3", "GetBucketPolicy", "s3:GetBucketPolicy", absent=("NoSuchBucketPolicy",)
)
DESCRIBE_KEY = ApiCall("kms", "DescribeKey", "kms:DescribeKey")
KEY_POLICY = ApiCall("kms", "GetKeyPolicy", "kms:GetKeyPolicy")


@dataclass
class Needs:
    """What one account must be asked about."""

    buckets: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)  # ARNs as the config gives them
    roles: set[str] = field(default_factory=set)


def repository_needs(
    veeam: VeeamConfig, units: list[RegionInventory], requested: list[str]
) -> dict[str, Needs]:
    """By account: the buckets, keys and roles of the policies that select a target."""
    needs: dict[str, Needs] = {}
    for unit in units:
        if unit.db_instances is None:
            continue
        for db in scope.select(unit.db_instances, requested).targets:
            policy = veeam.policy_for(db.db_instance_id, unit.account_id, unit.region)
            for _, repo in policy.repositories() if policy else []:
                needs.setdefault(repo.owner(unit.account_id), Needs()).buckets.add(repo.bucket)
                if repo.kms_key and repo.key_account:
                    needs.setdefault(repo.key_account, Needs()).keys.add(repo.kms_key)
                if repo.role and repo.role_account:
                    needs.setdefault(repo.role_account, Needs()).roles.add(repo.role)
    return needs


class RepositoriesCollector(Collector):
    """Run scope: after every unit, once, in each account that owns a repository resource."""

    name: ClassVar[str] = REPOSITORIES
    scope: ClassVar[str] = "run"
    calls: ClassVar[tuple[ApiCall, ...]] = (
        HEAD_BUCKET,
        BUCKET_LOCATION,
        BUCKET_ENCRYPTION,
        BUCKET_VERSIONING,
        OBJECT_LOCK,
        POLICY_STATUS,
        BUCKET_PAB,
        ACCOUNT_PAB,
        LIFECYCLE,
        BUCKET_POLICY,
        DESCRIBE_KEY,
        KEY_POLICY,
        *ROLE_READS,
    )

    def collect_account(
        self,
        aws: AwsSession,
        account_id: str,
        home: str,
        needs: Needs,
        limiter: threading.Semaphore,
        max_fan_out: int,
    ) -> RepositoryAccount:
        """Every read ``needs`` asks of one account, through contexts of that account's session
        (S3 first in ``home``, then in the bucket's own Region; a key in its Region)."""
        record = RepositoryAccount(account_id)
        scratch: dict[str, RegionInventory] = {}
        lock = threading.Lock()

        def ctx(region: str) -> UnitContext:
            with lock:
                unit = scratch.setdefault(region, RegionInventory(account_id, region))
            base = UnitContext(aws, unit, list, limiter, max_fan_out=max_fan_out)
            return base.for_collector(self.calls)

        home_ctx = ctx(home)
        work: list[Callable[[], None]] = [
            *(lambda b=b: self.bucket(record, b, home_ctx, ctx) for b in sorted(needs.buckets)),
            *(lambda k=k: self.key(record, k, ctx(k.split(":")[3])) for k in sorted(needs.keys)),
            *(lambda r=r: self.role(record, r, home_ctx) for r in sorted(needs.roles)),
        ]
        if needs.buckets:
            work.append(lambda: self.account_pab(record, home_ctx))
        home_ctx.fan_out(lambda step: step(), work)
        record.errors = [e for unit in scratch.values() for e in unit.errors]
        return record

    # --- buckets -----------------------------------------------------------------------------
    def bucket(
        self,
        record: RepositoryAccount,
        name: str,
        home: UnitContext,
        ctx: Callable[[str], UnitContext],
    ) -> None:
        bucket = Bucket(name)
        record.buckets[name] = bucket
        try:
            if home.call(HEAD_BUCKET, resource_id=name, Bucket=name) is None:
                return  # 403 or another failure: a gap, nothing more is asked
        except Absent:
            bucket.exists = False
            return
        bucket.exists = True
        location = home.call(BUCKET_LOCATION, resource_id=name, Bucket=name)
        if location is None:
            return
        with home.parsing(BUCKET_LOCATION, name):
            constraint = optional(location, "LocationConstraint", str)
            # No constraint is us-east-1; "EU" is the legacy name of eu-west-1.
            bucket.region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
                constraint, constraint
            )
        if bucket.region is None:
            return
        regional = ctx(bucket.region)
        for read in (
            self.encryption,
            self.versioning,
            self.object_lock,
            self.policy_status,
            self.public_access_block,
            self.lifecycle,
            self.policy,
        ):
            read(regional, bucket)

    def encryption(self, ctx: UnitContext, bucket: Bucket) -> None:
        try:
            got = ctx.call(BUCKET_ENCRYPTION, resource_id=bucket.name, Bucket=bucket.name)
        except Absent:
            bucket.encryption = []
            return
        if got is None:
            return
        with ctx.parsing(BUCKET_ENCRYPTION, bucket.name):
            rules = need_list(need(got, "ServerSideEncryptionConfiguration", dict), "Rules")
            algorithms, key = [], None
            for rule in rules:
                default = need(rule, "ApplyServerSideEncryptionByDefault", dict)
                algorithms.append(need(default, "SSEAlgorithm", str))
                key = key or optional(default, "KMSMasterKeyID", str)
            bucket.encryption, bucket.encryption_key = algorithms, key

    def versioning(self, ctx: UnitContext, bucket: Bucket) -> None:
        got = ctx.call(BUCKET_VERSIONING, resource_id=bucket.name, Bucket=bucket.name)
        if got is None:
            return
        with ctx.parsing(BUCKET_VERSIONING, bucket.name):
            bucket.versioning = optional(got, "Status", str) or ""  # absent: never enabled

    def object_lock(self, ctx: UnitContext, bucket: Bucket) -> None:
        try:
            got = ctx.call(OBJECT_LOCK, resource_id=bucket.name, Bucket=bucket.name)
        except Absent:
            bucket.object_lock, bucket.default_retention = "", ""
            return
        if got is None:
            return
        with ctx.parsing(OBJECT_LOCK, bucket.name):
            config = need(got, "ObjectLockConfiguration", dict)
            enabled = optional(config, "ObjectLockEnabled", str) or ""
            rule = optional(config, "Rule", dict) or {}
            retention = optional(rule, "DefaultRetention", dict) or {}
            period = (
                f"{retention['Days']} days"
                if "Days" in retention
                else f"{retention['Years']} years"
                if "Years" in retention
                else ""
            )
            mode = optional(retention, "Mode", str) or ""
            bucket.object_lock = enabled
            bucket.default_retention = f"{mode} {period}".strip() if retention else ""

    def policy_status(self, ctx: UnitContext, bucket: Bucket) -> None:
        try:
            got = ctx.call(POLICY_STATUS, resource_id=bucket.name, Bucket=bucket.name)
        except Absent:
            bucket.policy_public = False  # no bucket policy: not public by policy
            return
        if got is None:
            return
        with ctx.parsing(POLICY_STATUS, bucket.name):
            bucket.policy_public = need(need(got, "PolicyStatus", dict), "IsPublic", bool)

    def public_access_block(self, ctx: UnitContext, bucket: Bucket) -> None:
        bucket.public_access_block = self.pab(ctx, BUCKET_PAB, bucket.name, Bucket=bucket.name)

    def account_pab(self, record: RepositoryAccount, ctx: UnitContext) -> None:
        record.account_public_access_block = self.pab(
            ctx, ACCOUNT_PAB, record.account_id, AccountId=record.account_id
        )

    @staticmethod
    def pab(ctx: UnitContext, api: ApiCall, resource: str, **params: Any) -> dict[str, bool] | None:
        try:
            got = ctx.call(api, resource_id=resource, **params)
        except Absent:
            return {}
        if got is None:
            return None
        settings: dict[str, bool] | None = None
        with ctx.parsing(api, resource):
            raw = need(got, "PublicAccessBlockConfiguration", dict)
            settings = {k: need(raw, k, bool) for k in PAB_SETTINGS}
        return settings

    def lifecycle(self, ctx: UnitContext, bucket: Bucket) -> None:
        try:
            got = ctx.call(LIFECYCLE, resource_id=bucket.name, Bucket=bucket.name)
        except Absent:
            bucket.lifecycle = []
            return
        if got is None:
            return
        with ctx.parsing(LIFECYCLE, bucket.name):
            bucket.lifecycle = [self.rule(r) for r in need_list(got, "Rules")]

    @staticmethod
    def rule(raw: Any) -> LifecycleRule:
        status = need(raw, "Status", str)
        prefix = optional(raw, "Prefix", str)  # the legacy form
        filtered = False
        flt = optional(raw, "Filter", dict)
        if flt is not None:
            inner = optional(flt, "And", dict) or flt
            prefix = optional(inner, "Prefix", str) if prefix is None else prefix
            filtered = any(
                k in inner for k in ("Tag", "Tags", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
            )
        return LifecycleRule(optional(raw, "ID", str) or "", status, prefix or "", filtered)

    def policy(self, ctx: UnitContext, bucket: Bucket) -> None:
        try:
            got = ctx.call(BUCKET_POLICY, resource_id=bucket.name, Bucket=bucket.name)
        except Absent:
            bucket.has_policy = False
            return
        if got is None:
            return
        with ctx.parsing(BUCKET_POLICY, bucket.name):
            bucket.policy = need(got, "Policy", str)
            bucket.has_policy = True

    # --- keys and roles ------------------------------------------------------------------------
    def key(self, record: RepositoryAccount, key: str, ctx: UnitContext) -> None:
        record.keys[key] = None
        try:
            got = ctx.call(DESCRIBE_KEY, resource_id=key, KeyId=key)
        except Absent:
            record.keys[key] = KmsKey(key, exists=False)
            return
        if got is None:
            return
        found: KmsKey | None = None
        with ctx.parsing(DESCRIBE_KEY, key):
            meta = need(got, "KeyMetadata", dict)
            found = KmsKey(
                key,
                state=need(meta, "KeyState", str),
                manager=need(meta, "KeyManager", str),
                arn=need(meta, "Arn", str),
                spec=need(meta, "KeySpec", str),
                deletion_date=(
                    str(meta["DeletionDate"]) if meta.get("DeletionDate") is not None else None
                ),
            )
            key_id = need(meta, "KeyId", str)
        if found is None:
            return
        try:
            policy = ctx.call(KEY_POLICY, resource_id=key, KeyId=key_id, PolicyName="default")
        except Absent:
            policy = None
        if policy is not None:
            with ctx.parsing(KEY_POLICY, key):
                found.policy = need(policy, "Policy", str)
        record.keys[key] = found

    def role(self, record: RepositoryAccount, arn: str, ctx: UnitContext) -> None:
        # read_role turns a malformed answer into a gap and an unreadable role itself.
        record.roles[arn] = IamRolesCollector().read_role(ctx, arn, simulate=False)


__all__ = ["Needs", "RepositoriesCollector", "repository_needs"]
