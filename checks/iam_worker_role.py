"""iam.worker-role (with --veeam-config): Veeam's production worker role is in the backup role's
account, in at least one instance profile, trusted by ec2.amazonaws.com and by the appliance,
and allowed every action Veeam lists for it (REQUIREMENTS.md §2.2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from auditor.policy import (
    Context,
    Policy,
    PolicyError,
    Principal,
    Request,
    evaluate_resource_policy,
)
from auditor.veeam_permissions import EC2_SERVICE, VEEAM_VERSION, WORKER_ROLE
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.iam_gaps import iam_error
from checks.support.veeam_roles import (
    appliance,
    basis,
    grant_fix,
    grants,
    shown,
    simulated_grants,
    target_partition,
    trust_json,
    unread_role,
)


class WorkerRole(Check):
    id: ClassVar[str] = "iam.worker-role"
    title: ClassVar[str] = "Veeam's production worker role: same account, instance profile, trust"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.VEEAM_ROLES,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_WORKER_ROLE, docs.V_TARGET_SETTINGS_RDS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        policy, config = ctx.policy, ctx.veeam
        if policy is None or config is None:
            return
        partition = target_partition(ctx)
        backup = policy.backup_role_arn(ctx.region.account_id, partition)
        arn = policy.worker_role_arn(ctx.region.account_id, partition)
        name = arn.rsplit("/", 1)[-1]
        evidence: dict[str, str | list[str]] = {"policy": policy.name, "role": arn}
        if arn.split(":")[4] != backup.split(":")[4]:
            yield ctx.finding(
                Status.FAIL,
                f"worker role {arn} is not in the backup role's account ({backup}): Veeam needs "
                "the production worker role in the same account",
                resource_id=arn,
                evidence=evidence,
            )
            return
        role = ctx.region.roles.get(arn)
        if (unread := unread_role(ctx, arn, evidence)) is not None:
            yield unread
            return
        assert role is not None
        trust = trust_json({"Service": EC2_SERVICE}, {"AWS": config.appliance_principal})
        if not role.exists:
            yield ctx.finding(
                Status.FAIL,
                f"worker role {arn} of Veeam policy {policy.name!r} does not exist",
                resource_id=arn,
                remediation=(
                    f"aws iam create-role --role-name {name} --assume-role-policy-document "
                    f"'{trust}'\naws iam create-instance-profile --instance-profile-name "
                    f"{name}\naws iam add-role-to-instance-profile --instance-profile-name {name} "
                    f"--role-name {name}"
                ),
                evidence=evidence,
            )
            return
        if role.trust_policy is None or role.policies is None or role.instance_profiles is None:
            yield ctx.unknown(f"role {arn}", iam_error(ctx, arn), resource_id=arn)
            return
        problems: list[str] = []
        fixes: list[str] = []
        unsure: list[str] = []
        if not role.instance_profiles:
            problems.append("it is in no instance profile, so no worker can carry it")
            fixes += [
                f"aws iam create-instance-profile --instance-profile-name {name}",
                f"aws iam add-role-to-instance-profile --instance-profile-name {name} "
                f"--role-name {name}",
            ]
        else:
            evidence["instance_profiles"] = role.instance_profiles
        try:
            for who, label in (
                (Principal("Service", EC2_SERVICE), EC2_SERVICE),
                (appliance(config), config.appliance_principal),
            ):
                verdict = evaluate_resource_policy(
                    Request("sts:AssumeRole", arn, who, Context()),
                    Policy("trust policy", role.trust_policy),
                    None,
                    None,
                    arn.split(":")[4],
                )
                if verdict.decision in ("implicitDeny", "explicitDeny"):
                    problems.append(f"its trust does not let {label} assume it")
                elif verdict.decision == "unknown" and verdict.delegated_to is None:
                    unsure.append(f"whether {label} may assume it ({'; '.join(verdict.unknowns)})")
        except PolicyError as exc:
            yield ctx.finding(
                Status.UNKNOWN,
                f"the trust policy of {arn} could not be read: {exc}",
                resource_id=arn,
                evidence=evidence,
            )
            return
        if any("trust" in p for p in problems):
            fixes.append(
                f"aws iam update-assume-role-policy --role-name {name} --policy-document '{trust}'"
            )
        judged = grants(role, WORKER_ROLE)
        decided = ""
        if isinstance(judged, str):
            unsure.append(judged)
        else:
            aws = simulated_grants(role, list(WORKER_ROLE))
            if aws is not None:
                decided = f" ({basis(judged, aws)})"
                evidence["local_refused"] = sorted(
                    {*judged.missing, *(a for a, _ in judged.denied)}
                )
                judged = aws
            if judged.missing:
                evidence["missing_actions"] = judged.missing
                problems.append(f"it lacks {shown(judged.missing)} ({VEEAM_VERSION}){decided}")
                fixes.append(grant_fix(arn, "veeam-production-worker", judged.missing))
            if judged.denied:
                problems.append(
                    f"{shown([a for a, _ in judged.denied])} explicitly denied by "
                    + ", ".join(sorted({s for _, s in judged.denied}))
                )
            unsure += [f"{a} ({w})" for a, w in judged.unsure]
        if problems:
            yield ctx.finding(
                Status.FAIL,
                f"worker role {arn} of Veeam policy {policy.name!r}: " + "; ".join(problems),
                resource_id=arn,
                remediation="\n".join(fixes) or None,
                evidence=evidence,
            )
        elif unsure:
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not decide for worker role {arn}: " + "; ".join(unsure),
                resource_id=arn,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.PASS,
                f"worker role {arn} is in instance profile {role.instance_profiles[0]}, trusted by "
                f"{EC2_SERVICE} and the appliance, and allowed the {len(WORKER_ROLE)} worker "
                f"actions{decided}",
                resource_id=arn,
                evidence=evidence,
            )
