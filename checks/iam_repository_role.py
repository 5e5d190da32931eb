"""iam.repository-role (with --veeam-config): the IAM role Veeam uses for a repository trusts the
appliance and S3 Batch Operations, and its policies — with the bucket's policy, across accounts
when the role is elsewhere — allow the §2.4 actions on the bucket and on `bucket/folder/*`
(REQUIREMENTS.md §2.4; Veeam: "Repository IAM Role Permissions")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import Bucket, IamRole
from auditor.model import Finding, Status
from auditor.outcome import Outcome
from auditor.policy import (
    Context,
    Policy,
    PolicyError,
    Principal,
    Request,
    evaluate,
    evaluate_resource_policy,
)
from auditor.sqlserver import partition_of_arn
from auditor.veeam_permissions import (
    BATCH_OPERATIONS_SERVICE,
    REPOSITORY_ANY,
    REPOSITORY_BUCKET,
    REPOSITORY_OBJECTS,
    VEEAM_VERSION,
)
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.repositories import (
    Located,
    locate,
    repository_role,
    session_of,
)
from checks.support.role_policies import identity_of
from checks.support.veeam_roles import appliance, shown, trust_json


class RepositoryRole(Check):
    id: ClassVar[str] = "iam.repository-role"
    title: ClassVar[str] = "Veeam's repository role: trust and permissions on the bucket"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.REPOSITORIES,)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_REPOSITORY_ROLE,
        docs.V_APPLIANCE_ROLES,
        docs.A_POLICY_EVALUATION,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        for kind in ("repository", "archive"):
            found = locate(ctx, kind)
            if isinstance(found, Outcome):
                yield ctx.report(found)
            elif found is not None:
                yield ctx.report(self.judge(ctx, found))

    def judge(self, ctx: CheckContext, found: Located) -> Outcome:
        role = repository_role(ctx, found)
        if isinstance(role, Outcome):
            return role
        arn = found.repo.role or ""
        name = arn.rsplit("/", 1)[-1]
        trust = trust_json(
            {"AWS": ctx.veeam.appliance_principal if ctx.veeam else ""},
            {"Service": BATCH_OPERATIONS_SERVICE},
        )
        if not role.exists:
            return Outcome(
                Status.FAIL,
                f"repository role {arn} of Veeam policy {found.policy.name!r} does not exist",
                arn,
                f"aws iam create-role --role-name {name} --assume-role-policy-document '{trust}'"
                f"\n{self.grant_fix(found, arn)}",
            )
        bucket = found.record.buckets.get(found.repo.bucket)
        problems, fixes, unsure = [], [], []
        evidence: dict[str, str | list[str]] = {"policy": found.policy.name, "role": arn}
        try:
            trust_problems = self.trust(ctx, role)
            problems += [p for p, sure in trust_problems if sure]
            unsure += [p for p, sure in trust_problems if not sure]
            if any(sure for _, sure in trust_problems):
                fixes.append(
                    f"aws iam update-assume-role-policy --role-name {name} --policy-document "
                    f"'{trust}'"
                )
            missing, denied, maybe = self.permissions(found, role, bucket)
        except PolicyError as exc:
            return Outcome(
                Status.UNKNOWN, f"a policy of {arn} or of its bucket could not be read: {exc}", arn
            )
        if missing:
            evidence["missing_actions"] = missing
            problems.append(f"it lacks {shown(missing)} ({VEEAM_VERSION})")
            fixes.append(self.grant_fix(found, arn))
        if denied:
            problems.append(f"{shown(denied)} explicitly denied")
        unsure += maybe
        if problems:
            return Outcome(
                Status.FAIL,
                f"repository role {arn} of Veeam policy {found.policy.name!r}: "
                + "; ".join(problems),
                arn,
                "\n".join(fixes) or None,
                evidence,
            )
        if unsure:
            return Outcome(
                Status.UNKNOWN,
                f"could not decide for repository role {arn}: " + "; ".join(unsure),
                arn,
                evidence=evidence,
            )
        return Outcome(
            Status.PASS,
            f"repository role {arn} trusts the appliance and S3 Batch Operations and may use "
            f"{found.repo.bucket}" + (f"/{found.repo.folder}" if found.repo.folder else ""),
            arn,
            evidence=evidence,
        )

    @staticmethod
    def trust(ctx: CheckContext, role: IamRole) -> list[tuple[str, bool]]:
        """(problem, decided) for each principal the trust must admit."""
        assert ctx.veeam is not None
        out: list[tuple[str, bool]] = []
        for who, label in (
            (appliance(ctx.veeam), ctx.veeam.appliance_principal),
            (Principal("Service", BATCH_OPERATIONS_SERVICE), BATCH_OPERATIONS_SERVICE),
        ):
            verdict = evaluate_resource_policy(
                Request("sts:AssumeRole", role.arn, who, Context()),
                Policy("trust policy", role.trust_policy),
                None,
                None,
                role.arn.split(":")[4],
            )
            if verdict.decision in ("implicitDeny", "explicitDeny"):
                out.append((f"its trust does not let {label} assume it", True))
            elif verdict.decision == "unknown" and verdict.delegated_to is None:
                out.append(
                    (f"whether {label} may assume it ({'; '.join(verdict.unknowns)})", False)
                )
        return out

    @staticmethod
    def permissions(
        found: Located, role: IamRole, bucket: Bucket | None
    ) -> tuple[list[str], list[str], list[str]]:
        """(missing, explicitly denied, undecided) of the §2.4 actions, each on its resource,
        with the bucket policy where it applies (across accounts it must allow too)."""
        identity, boundary = identity_of(role)
        partition = partition_of_arn(role.arn)
        name, folder = found.repo.bucket, (found.repo.folder or "").strip("/")
        bucket_arn = f"arn:{partition}:s3:::{name}"
        objects = f"{bucket_arn}/{folder}/*" if folder else f"{bucket_arn}/*"
        requests = [(a, "*", False) for a in REPOSITORY_ANY]
        requests += [(a, bucket_arn, True) for a in REPOSITORY_BUCKET]
        requests += [(a, objects.replace("*", "veeam-object"), True) for a in REPOSITORY_OBJECTS]
        missing, denied, unsure = [], [], []
        policy_unread = bucket is None or bucket.has_policy is None
        bucket_policy = (
            Policy(f"bucket policy of {name}", bucket.policy)
            if bucket is not None and bucket.has_policy
            else None
        )
        who = session_of(role.arn)
        for action, resource, on_bucket in requests:
            verdict = evaluate(
                Request(action, resource, who, Context()),
                identity,
                boundary,
                bucket_policy if on_bucket else None,
                found.owner if on_bucket else None,
            )
            if verdict.decision == "implicitDeny":
                missing.append(action)
            elif verdict.decision == "explicitDeny":
                denied.append(action)
            elif verdict.decision == "unknown":
                unsure.append(f"{action} ({'; '.join(verdict.unknowns) or verdict.reason})")
            elif on_bucket and policy_unread:
                unsure.append(f"{action} (the bucket policy of {name} was not read)")
        return missing, denied, sorted(set(unsure))

    @staticmethod
    def grant_fix(found: Located, arn: str) -> str:
        partition = partition_of_arn(arn)
        name, folder = found.repo.bucket, (found.repo.folder or "").strip("/")
        bucket_arn = f"arn:{partition}:s3:::{name}"
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": sorted(REPOSITORY_ANY), "Resource": "*"},
                {"Effect": "Allow", "Action": sorted(REPOSITORY_BUCKET), "Resource": bucket_arn},
                {
                    "Effect": "Allow",
                    "Action": sorted(REPOSITORY_OBJECTS),
                    "Resource": f"{bucket_arn}/{folder}/*" if folder else f"{bucket_arn}/*",
                },
            ],
        }
        return (
            f"aws iam put-role-policy --role-name {arn.rsplit('/', 1)[-1]} --policy-name "
            f"veeam-repository --policy-document '{json.dumps(document, separators=(',', ':'))}'"
        )
