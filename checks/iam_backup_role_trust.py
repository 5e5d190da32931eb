"""iam.backup-role-trust (with --veeam-config): the backup role of the target's Veeam policy
exists in the target's account and its trust lets the appliance assume it (REQUIREMENTS.md §2.1;
Veeam: "IAM roles for the backup appliance"). A trust that names the appliance's *account*
delegates to that account's identity policies: it passes on Veeam's documented default (the
appliance's Impersonation role may sts:AssumeRole on `*`), and the message says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from auditor.policy import Context, Policy, PolicyError, Request, evaluate_resource_policy
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.iam_gaps import iam_error
from checks.support.veeam_roles import (
    appliance,
    target_partition,
    trust_json,
    unread_role,
)


class BackupRoleTrust(Check):
    id: ClassVar[str] = "iam.backup-role-trust"
    title: ClassVar[str] = "Veeam's backup role exists and trusts the appliance"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.VEEAM_ROLES,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_BACKUP_ROLE, docs.V_APPLIANCE_ROLES)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        policy, config = ctx.policy, ctx.veeam
        if policy is None or config is None:
            return  # no --veeam-config, or no policy selects this DB instance
        arn = policy.backup_role_arn(ctx.region.account_id, target_partition(ctx))
        role = ctx.region.roles.get(arn)
        evidence: dict[str, str | list[str]] = {"policy": policy.name, "role": arn}
        account = ctx.region.account_id
        if arn.split(":")[4] != account:
            yield ctx.finding(
                Status.FAIL,
                f"Veeam policy {policy.name!r} selects {ctx.db.db_instance_id} in account "
                f"{account}, but its backup role {arn} is in account {arn.split(':')[4]}: with "
                "the Account option Veeam backs up a DB instance with a role of its own account",
                resource_id=arn,
                remediation=(
                    f'add a policy for account {account} (accounts = ["{account}"]) naming '
                    f"that account's backup role, or limit {policy.name!r} with accounts = "
                    f'["{arn.split(":")[4]}"]'
                ),
                evidence=evidence,
            )
            return
        if (unread := unread_role(ctx, arn, evidence)) is not None:
            yield unread
            return
        assert role is not None
        principal = appliance(config)
        trust = trust_json({"AWS": config.appliance_principal})
        name = arn.rsplit("/", 1)[-1]
        if not role.exists:
            yield ctx.finding(
                Status.FAIL,
                f"backup role {arn} of Veeam policy {policy.name!r} does not exist in "
                f"{ctx.region.account_id}",
                resource_id=arn,
                remediation=f"aws iam create-role --role-name {name} "
                f"--assume-role-policy-document '{trust}'",
                evidence=evidence,
            )
            return
        if role.trust_policy is None:
            yield ctx.unknown(f"the trust policy of {arn}", iam_error(ctx, arn), resource_id=arn)
            return
        request = Request("sts:AssumeRole", arn, principal, Context())
        try:
            verdict = evaluate_resource_policy(
                request, Policy("trust policy", role.trust_policy), None, None, arn.split(":")[4]
            )
        except PolicyError as exc:
            yield ctx.finding(
                Status.UNKNOWN,
                f"the trust policy of {arn} could not be read: {exc}",
                resource_id=arn,
                evidence=evidence,
            )
            return
        fix = f"aws iam update-assume-role-policy --role-name {name} --policy-document '{trust}'"
        who = config.appliance_principal
        if verdict.allowed:
            yield ctx.finding(
                Status.PASS,
                f"the trust policy of {arn} lets the appliance ({who}) assume it",
                resource_id=arn,
                evidence=evidence,
            )
        elif (
            verdict.decision == "unknown"
            and verdict.delegated_to == principal.account
            and all(u.startswith("the identity policies of account") for u in verdict.unknowns)
        ):
            yield ctx.finding(
                Status.PASS,
                f"the trust policy of {arn} admits the appliance ({who}); the rest is the "
                f"appliance account {principal.account}'s side, which rests on Veeam's "
                "documented default: its Impersonation role may sts:AssumeRole on *",
                resource_id=arn,
                evidence={**evidence, "delegated_to": principal.account or ""},
            )
        elif verdict.decision == "unknown":
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not decide whether the appliance ({who}) may assume {arn}: it depends on "
                + "; ".join(verdict.unknowns),
                resource_id=arn,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.FAIL,
                f"the trust policy of {arn} does not let the appliance ({who}) assume it "
                f"({verdict.reason}): Veeam cannot use Veeam policy {policy.name!r}'s backup role",
                resource_id=arn,
                remediation=fix,
                evidence=evidence,
            )
