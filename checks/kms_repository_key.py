"""kms.repository-key (with --veeam-config): a repository that Veeam encrypts with KMS uses a
symmetric, customer managed, enabled key in the bucket's Region, and the key policy (with the
role's identity policies where it delegates to the account) lets the repository role
kms:Encrypt, kms:Decrypt and kms:DescribeKey (REQUIREMENTS.md §5 "Repository encryption with
KMS", §2.4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import KmsKey
from auditor.model import Finding, Status
from auditor.outcome import Outcome, unknown
from auditor.policy import Context, Policy, PolicyError, Request, evaluate
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.kms_state import key_problem
from checks.support.repositories import (
    Located,
    locate,
    repository_role,
    session_of,
)
from checks.support.role_policies import identity_of

KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")


class RepositoryKey(Check):
    id: ClassVar[str] = "kms.repository-key"
    title: ClassVar[str] = "The KMS key Veeam encrypts a repository with is usable by its role"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.REPOSITORIES,)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_REPOSITORY_LIMITATIONS,
        docs.V_REPOSITORY_ENCRYPTION,
        docs.V_REPOSITORY_ROLE,
        docs.A_KMS_KEY_POLICY,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        for kind in ("repository", "archive"):
            policy = ctx.policy
            repo = None if policy is None else getattr(policy, kind)
            if repo is None or repo.encryption != "kms" or repo.kms_key is None:
                continue
            where = locate(ctx, kind, repo.key_account)
            if isinstance(where, Outcome):
                yield ctx.report(where)
            elif where is not None:
                yield ctx.report(self.judge(ctx, where))

    def judge(self, ctx: CheckContext, found: Located) -> Outcome:
        configured = found.repo.kms_key or ""
        key = found.record.keys.get(configured)
        if key is None:
            error = found.record.error_for("DescribeKey", configured)
            return unknown(f"KMS key {configured}", error, configured)
        evidence: dict[str, str | list[str]] = {"kms_key": configured}
        if (problem := self.key_rules(ctx, found, key)) is not None:
            return Outcome(problem[0], problem[1], configured, problem[2], evidence)
        return self.key_policy(ctx, found, key, evidence)

    @staticmethod
    def key_rules(
        ctx: CheckContext, found: Located, key: KmsKey
    ) -> tuple[Status, str, str | None] | None:
        what = f"the {found.kind}'s KMS key"
        if (problem := key_problem(key, what)) is not None and not key.exists:
            return problem
        if key.manager != "CUSTOMER" or ":alias/aws/" in key.key_id:
            return (
                Status.FAIL,
                f"{what} {key.key_id} is AWS managed: Veeam cannot encrypt repositories with AWS "
                "managed keys",
                "aws kms create-key --description 'Veeam repository'  # a customer managed "
                "symmetric key; give its ARN as kms_key in Veeam and in the file",
            )
        if key.spec != "SYMMETRIC_DEFAULT":
            return (
                Status.FAIL,
                f"{what} {key.key_id} is {key.spec}: Veeam supports only symmetric keys "
                "(SYMMETRIC_DEFAULT)",
                "aws kms create-key --key-spec SYMMETRIC_DEFAULT --description 'Veeam repository'",
            )
        if problem is not None:
            return problem
        key_region = (key.arn or key.key_id).split(":")[3]
        owner = ctx.repositories.get(found.repo.owner(ctx.region.account_id))
        bucket = owner.buckets.get(found.repo.bucket) if owner is not None else None
        if bucket is None or bucket.region is None:
            if bucket is not None and bucket.exists is False:
                return None  # s3.repository fails the missing bucket
            return (
                Status.UNKNOWN,
                f"could not check that {what} is in the Region of {found.repo.bucket}: the "
                "bucket's Region was not read (s3.repository says why)",
                None,
            )
        if bucket.region != key_region:
            return (
                Status.FAIL,
                f"{what} {key.key_id} is in {key_region}, bucket {bucket.name} in "
                f"{bucket.region}: Veeam needs the key in the bucket's Region",
                f"aws kms create-key --region {bucket.region} --description 'Veeam repository'"
                "  # or a multi-Region replica there",
            )
        return None

    def key_policy(
        self,
        ctx: CheckContext,
        found: Located,
        key: KmsKey,
        evidence: dict[str, str | list[str]],
    ) -> Outcome:
        configured = found.repo.kms_key or ""
        if key.policy is None:
            error = found.record.error_for("GetKeyPolicy", configured)
            return unknown(f"the key policy of {configured}", error, configured)
        role = repository_role(ctx, found)
        if isinstance(role, Outcome):
            return role
        arn = found.repo.role or ""
        if not role.exists:
            return Outcome(
                Status.FAIL,
                f"repository role {arn} does not exist, so KMS key {configured} cannot let it "
                "encrypt (iam.repository-role says how to create it)",
                arn,
            )
        identity, boundary = identity_of(role)
        key_arn = key.arn or configured
        missing, unsure = [], []
        try:
            for action in KEY_ACTIONS:
                verdict = evaluate(
                    Request(action, key_arn, session_of(arn), Context()),
                    identity,
                    boundary,
                    Policy(f"key policy of {key_arn}", key.policy),
                    key_arn.split(":")[4],
                    resource_policy_required=True,
                )
                if verdict.decision in ("implicitDeny", "explicitDeny"):
                    missing.append(action)
                elif verdict.decision == "unknown":
                    unsure.append(f"{action} ({'; '.join(verdict.unknowns) or verdict.reason})")
        except PolicyError as exc:
            return Outcome(
                Status.UNKNOWN,
                f"the key policy of {key_arn} or a policy of {arn} could not be read: {exc}",
                configured,
            )
        if missing:
            evidence["missing_actions"] = missing
            statement = {
                "Sid": "VeeamRepositoryRole",
                "Effect": "Allow",
                "Principal": {"AWS": arn},
                "Action": list(KEY_ACTIONS),
                "Resource": "*",
            }
            return Outcome(
                Status.FAIL,
                f"KMS key {key_arn} does not let repository role {arn} {', '.join(missing)} "
                "(the key policy and the role's policies together)",
                configured,
                "add this statement to the key policy (aws kms get-key-policy --key-id "
                f"{key_arn} --policy-name default, edit, then aws kms put-key-policy):\n"
                + json.dumps(statement, separators=(",", ":")),
                evidence,
            )
        if unsure:
            return Outcome(
                Status.UNKNOWN,
                f"could not decide whether {arn} may use KMS key {key_arn}: " + "; ".join(unsure),
                configured,
                evidence=evidence,
            )
        return Outcome(
            Status.PASS,
            f"KMS key {key_arn} is symmetric, customer managed, enabled, in the bucket's Region, "
            f"and lets {arn} encrypt and decrypt",
            configured,
            evidence=evidence,
        )
