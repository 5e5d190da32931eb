"""What the repository checks share: the target's repository as --veeam-config names it, the
record of the account that owns it (or why there is none), and the bucket rules Veeam states for
every repository bucket (REQUIREMENTS.md §5 "Repositories"), which `s3.repository` applies to the
repository and `veeam.archive` to the archive."""

from __future__ import annotations

import json
from dataclasses import dataclass

from auditor.inventory import Bucket, IamRole, ReadError, RepositoryAccount
from auditor.model import Finding, Mode, Status
from auditor.outcome import Outcome, unknown
from auditor.policy import Principal
from auditor.veeam_config import Repository, VeeamPolicy
from checks.base import CheckContext

SSE_KMS = ("aws:kms", "aws:kms:dsse")
SSE_S3 = json.dumps(
    {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Located:
    """A repository of the target's policy with the record of the account that owns it."""

    policy: VeeamPolicy
    kind: str  # "repository" | "archive"
    repo: Repository
    owner: str
    record: RepositoryAccount


def add_account_fix(account: str) -> str:
    return (
        f"audit account {account} in the same run: add --role-arn "
        f"arn:aws:iam::{account}:role/<the audit role there> (or list it in --accounts-file)"
    )


def locate(ctx: CheckContext, kind: str, account: str | None = None) -> Located | Outcome | None:
    """The target's repository of ``kind`` and its owner's record; an `unknown` Outcome when
    that account is not audited by this run or its reads are missing; None: nothing to judge.
    ``account``: whose record (default: the bucket's owner)."""
    policy = ctx.policy
    repo = None if policy is None else getattr(policy, kind)
    if policy is None or repo is None:
        return None
    owner = account or repo.owner(ctx.region.account_id)
    record = ctx.repositories.get(owner)
    if record is None:
        return Outcome(
            Status.UNKNOWN,
            f"could not check the {kind} of Veeam policy {policy.name!r}: account {owner} was "
            "not read for it",
            repo.bucket,
        )
    if not record.audited:
        return Outcome(
            Status.UNKNOWN,
            f"could not check the {kind} {repo.bucket} of Veeam policy {policy.name!r}: it is "
            f"in account {owner}, which this run does not audit",
            repo.bucket,
            add_account_fix(owner),
            {"account": owner},
        )
    return Located(policy, kind, repo, owner, record)


def reported(
    ctx: CheckContext, outcomes: list[Outcome], mode: Mode, subject: str = ""
) -> list[Finding]:
    """The problems (fail, unknown, warn) each as a finding; else one pass, ``subject`` first,
    naming what passed."""
    problems = [o for o in outcomes if o.status is not Status.PASS]
    if problems:
        return [ctx.report(o, modes=[mode]) for o in problems]
    if not outcomes:
        return []
    first = outcomes[0]
    text = subject + ", ".join(o.message for o in outcomes)
    return [ctx.finding(Status.PASS, text, resource_id=first.resource_id, modes=[mode])]


def bucket_gap(record: RepositoryAccount, bucket: str, operation: str) -> ReadError | None:
    return record.error_for(operation, bucket) or record.error_for("Deadline")


def bucket_rules(located: Located) -> list[Outcome]:
    """Veeam's rules for a repository bucket, in every mode: exists, no default SSE-KMS, Object
    Lock as immutability needs it; warnings for public access and lifecycle rules."""
    repo, record, kind = located.repo, located.record, located.kind
    name = repo.bucket
    bucket = record.buckets.get(name)
    if bucket is None or bucket.exists is None:
        return [unknown(f"{kind} bucket {name}", bucket_gap(record, name, "HeadBucket"), name)]
    if not bucket.exists:
        return [
            Outcome(
                Status.FAIL,
                f"{kind} bucket {name} does not exist in account {located.owner}",
                name,
                f"aws s3api create-bucket --bucket {name} ..."
                + (" --object-lock-enabled-for-bucket" if repo.immutable else "")
                + " (or correct the bucket in the Veeam policy)",
            )
        ]
    out = [encryption_rule(located, bucket), object_lock_rule(located, bucket)]
    out += [public_rule(located, bucket), lifecycle_rule(located, bucket)]
    return out


def encryption_rule(located: Located, bucket: Bucket) -> Outcome:
    name, kind = bucket.name, located.kind
    if bucket.encryption is None:
        error = bucket_gap(located.record, name, "GetBucketEncryption")
        return unknown(f"the default encryption of {name}", error, name)
    kms = [a for a in bucket.encryption if a in SSE_KMS]
    if kms:
        return Outcome(
            Status.FAIL,
            f"{kind} bucket {name} encrypts by default with SSE-KMS ({kms[0]}), which Veeam "
            "does not support for repositories (use Veeam's own KMS encryption instead)",
            name,
            f"aws s3api put-bucket-encryption --bucket {name} "
            f"--server-side-encryption-configuration '{SSE_S3}'",
            {"default_encryption": bucket.encryption},
        )
    shown = ", ".join(bucket.encryption) or "none configured"
    return Outcome(Status.PASS, f"default encryption {shown} (not SSE-KMS)", name)


def object_lock_rule(located: Located, bucket: Bucket) -> Outcome:
    name, repo, kind = bucket.name, located.repo, located.kind
    record = located.record
    if bucket.object_lock is None or bucket.default_retention is None:
        error = bucket_gap(record, name, "GetObjectLockConfiguration")
        return unknown(f"the Object Lock configuration of {name}", error, name)
    locked = bucket.object_lock == "Enabled"
    if not repo.immutable:
        if locked:
            return Outcome(
                Status.FAIL,
                f"{kind} bucket {name} has Object Lock enabled but the Veeam repository is not "
                "immutable: Object Lock cannot be turned off, and Veeam does not support "
                "changing a bucket's immutability settings once it holds backups",
                name,
                "set immutable = true for this repository in Veeam (and in the config file), "
                "or use a new bucket without Object Lock",
            )
        return Outcome(Status.PASS, "Object Lock off (a mutable repository)", name)
    if bucket.versioning is None:
        error = bucket_gap(record, name, "GetBucketVersioning")
        return unknown(f"the versioning of {name}", error, name)
    if not locked:
        return Outcome(
            Status.FAIL,
            f"immutable {kind} bucket {name} has no Object Lock: Veeam needs Object Lock and "
            "Versioning, and does not support turning immutability on for a bucket it "
            "already uses: a new bucket is needed",
            name,
            "aws s3api create-bucket --bucket <new bucket> --object-lock-enabled-for-bucket "
            "... and point the Veeam repository at it",
        )
    problems, fixes = [], []
    if bucket.versioning != "Enabled":
        problems.append(f"Versioning is {bucket.versioning or 'not enabled'}")
        fixes.append(
            f"aws s3api put-bucket-versioning --bucket {name} "
            "--versioning-configuration Status=Enabled"
        )
    if bucket.default_retention:
        problems.append(
            f"Object Lock has a default retention ({bucket.default_retention}), which Veeam "
            "does not allow"
        )
        fixes.append(
            f"aws s3api put-object-lock-configuration --bucket {name} "
            "--object-lock-configuration ObjectLockEnabled=Enabled"
        )
    if problems:
        return Outcome(
            Status.FAIL,
            f"immutable {kind} bucket {name}: " + "; ".join(problems),
            name,
            "\n".join(fixes),
        )
    return Outcome(
        Status.PASS,
        "Object Lock and Versioning enabled, no default retention (immutable)",
        name,
    )


def public_rule(located: Located, bucket: Bucket) -> Outcome:
    """A warning only (Veeam: never use a public bucket); the unread parts are named."""
    name = bucket.name
    unread = []
    if bucket.policy_public is None:
        unread.append("its policy status (s3:GetBucketPolicyStatus)")
    if bucket.public_access_block is None:
        unread.append("its Public Access Block (s3:GetBucketPublicAccessBlock)")
    if located.record.account_public_access_block is None:
        unread.append(
            f"account {located.owner}'s Public Access Block (s3:GetAccountPublicAccessBlock)"
        )
    blocks = dict(bucket.public_access_block or {})
    for key, value in (located.record.account_public_access_block or {}).items():
        blocks[key] = blocks.get(key, False) or value
    if bucket.policy_public and not blocks.get("RestrictPublicBuckets"):
        return Outcome(
            Status.WARN,
            f"{located.kind} bucket {name} is public by its bucket policy: Veeam says never to "
            "use a public bucket as a repository",
            name,
            f"aws s3api put-public-access-block --bucket {name} --public-access-block-"
            "configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,"
            "RestrictPublicBuckets=true",
        )
    if unread:
        return Outcome(
            Status.WARN,
            f"whether {name} is public was not fully read: " + "; ".join(unread),
            name,
        )
    return Outcome(Status.PASS, "not public by its bucket policy", name)


def lifecycle_rule(located: Located, bucket: Bucket) -> Outcome:
    """Veeam: lifecycle rules must not touch its files (a warning: they may delete them)."""
    name, folder = bucket.name, (located.repo.folder or "").strip("/")
    if bucket.lifecycle is None:
        error = bucket_gap(located.record, name, "GetBucketLifecycleConfiguration")
        found = unknown(f"the lifecycle rules of {name}", error, name)
        return Outcome(Status.WARN, found.message, name, evidence=found.evidence)
    covering = [
        r
        for r in bucket.lifecycle
        if r.status == "Enabled" and (not folder or _covers(r.prefix, folder))
    ]
    if covering:
        ids = ", ".join(r.rule_id or "(unnamed)" for r in covering)
        where = f"folder {folder!r}" if folder else "the whole bucket"
        return Outcome(
            Status.WARN,
            f"enabled lifecycle rule(s) {ids} of {name} cover {where}: they may delete or "
            "transition Veeam's backup files (Veeam: no lifecycle rule may apply to them)",
            name,
            f"aws s3api get-bucket-lifecycle-configuration --bucket {name}  # then limit the "
            "rules' prefixes so none covers Veeam's folder",
        )
    return Outcome(Status.PASS, "no enabled lifecycle rule covers Veeam's files", name)


def _covers(prefix: str, folder: str) -> bool:
    """A rule's prefix selects some of the folder's objects: one is a prefix of the other."""
    return f"{folder}/".startswith(prefix) or prefix.startswith(f"{folder}/")


def repository_role(ctx: CheckContext, located: Located) -> IamRole | Outcome:
    """The repository role as read in its account, or why it cannot be judged."""
    repo, policy = located.repo, located.policy
    if repo.role is None:
        return Outcome(
            Status.UNKNOWN,
            f"the {located.kind} of Veeam policy {policy.name!r} names no role: the config file "
            "must give the IAM role Veeam uses for it",
            repo.bucket,
            f'add role = "arn:aws:iam::{located.owner}:role/<the repository role>" to '
            f"[policies.{located.kind}] in {ctx.veeam.source if ctx.veeam else 'the file'}",
        )
    account = repo.role_account or located.owner
    record = ctx.repositories.get(account)
    if record is None or not record.audited:
        return Outcome(
            Status.UNKNOWN,
            f"could not check role {repo.role}: it is in account {account}, which this run "
            "does not audit",
            repo.role,
            add_account_fix(account),
        )
    role = record.roles.get(repo.role)
    if role is None:
        error = next((e for e in record.errors if e.resource_id == repo.role), None)
        return unknown(f"role {repo.role}", error, repo.role)
    if role.unreadable:
        return Outcome(
            Status.UNKNOWN, f"could not check role {repo.role}: {role.unreadable}", repo.role
        )
    if role.exists and (role.policies is None or (role.boundary_arn and role.boundary is None)):
        error = next((e for e in record.errors if e.resource_id == repo.role), None)
        return unknown(f"the policies of {repo.role}", error, repo.role)
    return role


def session_of(role_arn: str) -> Principal:
    """The role as Veeam uses it: a session of it (matches the role by ARN, as AWS does)."""
    parts = role_arn.split(":")
    name = parts[5].rsplit("/", 1)[-1]
    return Principal(
        "AWS", f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{name}/veeam", role_arn=role_arn
    )
