"""What the three Veeam role checks share: the role of the target's policy as read, the
appliance as a principal, and the actions a role's policies leave out (Resource `*`, as Veeam
grants them)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from auditor.inventory import IamRole
from auditor.model import Finding, Status
from auditor.policy import Context, PolicyError, Principal, Request, Verdict, evaluate
from auditor.sqlserver import partition_of_arn
from auditor.veeam_config import VeeamConfig
from checks.base import CheckContext
from checks.support.iam_gaps import iam_error
from checks.support.role_policies import identity_of


def appliance(config: VeeamConfig) -> Principal:
    """The appliance as the caller of sts:AssumeRole: its role, or (only its account known) the
    account's root, which a trust can name only by naming the account."""
    if config.appliance_is_account:
        return Principal("AWS", f"arn:aws:iam::{config.appliance_account}:root")
    return Principal("AWS", config.appliance_principal)


def trust_json(*principals: dict[str, str]) -> str:
    """A trust policy letting ``principals`` sts:AssumeRole, compact, for a CLI argument."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def target_partition(ctx: CheckContext) -> str:
    return partition_of_arn(ctx.db.arn)


def unread_role(
    ctx: CheckContext, arn: str, evidence: dict[str, str | list[str]]
) -> Finding | None:
    """`unknown` when the role was not read (the gap), or cannot be (another account)."""
    role = ctx.region.roles.get(arn)
    if role is not None and role.unreadable:
        return ctx.finding(
            Status.UNKNOWN,
            f"could not check role {arn}: {role.unreadable}",
            resource_id=arn,
            evidence=evidence,
        )
    if role is None:
        return ctx.unknown(f"role {arn}", iam_error(ctx, arn), resource_id=arn)
    return None


@dataclass(frozen=True)
class Grants:
    missing: list[str]  # implicitly denied
    denied: list[tuple[str, str]]  # (action, the statement that denies it)
    unsure: list[tuple[str, str]]  # (action, what it depends on)


def grants(
    role: IamRole, actions: tuple[str, ...], extra: tuple[Request, ...] = ()
) -> Grants | str:
    """How the role's identity policies and boundary decide ``actions`` on `*` (and ``extra``
    requests); a string when a policy could not be read."""
    assert role.policies is not None
    identity, boundary = identity_of(role)
    requests = [Request(a, "*", None, Context()) for a in actions] + list(extra)
    missing, denied, unsure = [], [], []
    try:
        for request in requests:
            verdict: Verdict = evaluate(request, identity, boundary)
            if verdict.decision == "implicitDeny":
                missing.append(request.action)
            elif verdict.decision == "explicitDeny":
                denied.append((request.action, ", ".join(str(s) for s in verdict.deciding)))
            elif verdict.decision == "unknown":
                unsure.append((request.action, "; ".join(verdict.unknowns)))
    except PolicyError as exc:
        return f"a policy of {role.arn} could not be read: {exc}"
    return Grants(missing, denied, unsure)


def grant_fix(role_arn: str, policy_name: str, actions: list[str]) -> str:
    """The `put-role-policy` that adds exactly the missing actions."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}],
    }
    return (
        f"aws iam put-role-policy --role-name {role_arn.rsplit('/', 1)[-1]} --policy-name "
        f"{policy_name} --policy-document '{json.dumps(document, separators=(',', ':'))}'"
    )


def shown(actions: list[str], limit: int = 8) -> str:
    text = ", ".join(actions[:limit])
    return text + (f" and {len(actions) - limit} more" if len(actions) > limit else "")


def simulated_grants(role: IamRole, keys: list[str]) -> Grants | None:
    """AWS's answer (--simulate) as `Grants`, for the simulation keys of `VeeamRolesCollector`
    ("action" on `*`, "iam:PassRole <worker ARN>"); None without a simulation."""
    if role.simulation is None:
        return None
    missing, denied, unsure = [], [], []
    for key in keys:
        action = key.split(" ", 1)[0]
        decision = role.simulation.get(key)
        if decision == "allowed":
            continue
        if decision == "explicitDeny":
            denied.append((action, "a statement AWS's policy simulation saw (an SCP, a policy)"))
        elif decision == "implicitDeny":
            missing.append(action)
        else:
            unsure.append((action, "AWS's policy simulation gave no decision for it"))
    return Grants(missing, denied, unsure)


def basis(local: Grants, aws: Grants | None) -> str:
    """What decided, for the message: AWS (and whether the local evaluation agrees), or the
    local evaluation alone, which cannot see SCPs."""
    if aws is None:
        return "local evaluation cannot see SCPs (--simulate asks AWS)"
    local_refused = sorted({*local.missing, *(a for a, _ in local.denied)})
    aws_refused = sorted({*aws.missing, *(a for a, _ in aws.denied)})
    agreement = (
        "local evaluation agrees"
        if local_refused == aws_refused
        else f"local evaluation disagrees (local refuses: {shown(local_refused) or 'none'})"
    )
    return f"decided by AWS's policy simulation (SCPs included); {agreement}"
