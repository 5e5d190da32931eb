"""iam.backup-role-permissions (with --veeam-config): the backup role's identity policies,
boundary and denies allow every action Veeam lists for an RDS backup role, base and image-level
(REQUIREMENTS.md §2.1, `auditor/veeam_permissions.py`), on `*` as Veeam grants them, and
iam:PassRole on the worker role for ec2.amazonaws.com. With --simulate AWS's answer decides
(SCPs included) and the local one is kept in the evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from auditor.policy import Context, Request
from auditor.veeam_permissions import BACKUP_ROLE, EC2_SERVICE, VEEAM_VERSION
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.iam_gaps import iam_error
from checks.support.veeam_roles import (
    basis,
    grant_fix,
    grants,
    shown,
    simulated_grants,
    target_partition,
)


class BackupRolePermissions(Check):
    id: ClassVar[str] = "iam.backup-role-permissions"
    title: ClassVar[str] = "Veeam's backup role holds every permission of an RDS backup"
    path_hop: ClassVar[str] = "veeam"
    requires: ClassVar[tuple[str, ...]] = ("iam.backup-role-trust",)
    reads: ClassVar[tuple[str, ...]] = (parts.VEEAM_ROLES,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_BACKUP_ROLE,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        policy = ctx.policy
        if policy is None:
            return
        partition = target_partition(ctx)
        arn = policy.backup_role_arn(ctx.region.account_id, partition)
        worker = policy.worker_role_arn(ctx.region.account_id, partition)
        role = ctx.region.roles.get(arn)
        evidence: dict[str, str | list[str]] = {"policy": policy.name, "role": arn}
        if role is None or not role.exists or role.unreadable:
            return  # iam.backup-role-trust says why (this check requires it)
        if role.policies is None or (role.boundary_arn and role.boundary is None):
            yield ctx.unknown(f"the policies of {arn}", iam_error(ctx, arn), resource_id=arn)
            return
        pass_role = Request(
            "iam:PassRole", worker, None, Context({"iam:PassedToService": [EC2_SERVICE]})
        )
        # iam:PassRole is asked on the worker role itself, not on `*`: a grant on just that role
        # is what least privilege looks like, and it is enough.
        on_any = tuple(a for a in BACKUP_ROLE if a != "iam:PassRole")
        local = grants(role, on_any, (pass_role,))
        if isinstance(local, str):
            yield ctx.finding(Status.UNKNOWN, local, resource_id=arn)
            return
        aws = simulated_grants(role, [*on_any, f"iam:PassRole {worker}"])
        judged, decided = aws or local, basis(local, aws)
        if aws is not None:
            evidence["local_refused"] = sorted({*local.missing, *(a for a, _ in local.denied)})
        if judged.denied:
            actions = sorted({a for a, _ in judged.denied})
            by = sorted({s for _, s in judged.denied})
            evidence["denied_actions"] = actions
            yield ctx.finding(
                Status.FAIL,
                f"{shown(actions)} explicitly denied to backup role {arn} by {', '.join(by)}: "
                f"Veeam's RDS backup needs them; {decided}",
                resource_id=arn,
                evidence=evidence,
            )
            return
        if judged.missing:
            evidence["missing_actions"] = judged.missing
            passrole = "iam:PassRole" in judged.missing
            fix = grant_fix(
                arn, "veeam-rds-backup", [a for a in judged.missing if a != "iam:PassRole"]
            )
            if passrole:
                fix += (
                    f"\naws iam put-role-policy --role-name {arn.rsplit('/', 1)[-1]} --policy-name "
                    'veeam-pass-worker-role --policy-document \'{"Version":"2012-10-17",'
                    '"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":'
                    f'"{worker}","Condition":{{"StringEquals":{{"iam:PassedToService":'
                    f'"{EC2_SERVICE}"}}}}}}]}}\''
                )
            yield ctx.finding(
                Status.FAIL,
                f"backup role {arn} of Veeam policy {policy.name!r} lacks {len(judged.missing)} "
                f"of the actions {VEEAM_VERSION} lists for RDS backups: {shown(judged.missing)}"
                f"; {decided}",
                resource_id=arn,
                remediation=fix,
                evidence=evidence,
            )
            return
        if judged.unsure:
            evidence["undecided_actions"] = [a for a, _ in judged.unsure]
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not decide {shown([a for a, _ in judged.unsure])} for {arn}: it depends on "
                + "; ".join(sorted({w for _, w in judged.unsure})),
                resource_id=arn,
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.PASS,
            f"backup role {arn} allows all {len(BACKUP_ROLE)} actions of an RDS backup and "
            f"iam:PassRole on {worker} for EC2; {decided}",
            resource_id=arn,
            evidence=evidence,
        )
