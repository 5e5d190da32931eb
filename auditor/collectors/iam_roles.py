"""The IAM roles SQL Server option groups name: trust policy, inline and attached managed
policies (default versions), permissions boundary; with --simulate, AWS's own decision."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import Malformed, need
from auditor.constants import IAM_ROLES
from auditor.inventory import IamRole, NamedPolicy
from auditor.sqlserver import (
    BUCKET_ACTIONS,
    OBJECT_ACTIONS,
    OPTION,
    PROBE_BUCKET,
    PROBE_KEY,
    ROLE_SETTING,
    bucket_arn,
    partition_of_arn,
)

GET_ROLE = ApiCall("iam", "GetRole", "iam:GetRole")
LIST_ROLE_POLICIES = ApiCall("iam", "ListRolePolicies", "iam:ListRolePolicies")
GET_ROLE_POLICY = ApiCall("iam", "GetRolePolicy", "iam:GetRolePolicy")
LIST_ATTACHED = ApiCall("iam", "ListAttachedRolePolicies", "iam:ListAttachedRolePolicies")
GET_POLICY = ApiCall("iam", "GetPolicy", "iam:GetPolicy")
GET_POLICY_VERSION = ApiCall("iam", "GetPolicyVersion", "iam:GetPolicyVersion")
SIMULATE = ApiCall(
    "iam", "SimulatePrincipalPolicy", "iam:SimulatePrincipalPolicy", flag="--simulate"
)


# What reading one role takes: the role, its inline and attached policies, their documents.
ROLE_READS = (
    GET_ROLE,
    LIST_ROLE_POLICIES,
    GET_ROLE_POLICY,
    LIST_ATTACHED,
    GET_POLICY,
    GET_POLICY_VERSION,
)


def simulated(
    ctx: UnitContext, arn: str, actions: list[str], resource: str, **extra: Any
) -> dict[str, str] | None:
    """iam:SimulatePrincipalPolicy for ``arn``: action -> EvalDecision on ``resource``; None
    when it could not be read (the gap is recorded; a malformed answer too, nothing half-read)."""
    try:
        results = ctx.paginate(
            SIMULATE,
            "EvaluationResults",
            resource_id=arn,
            PolicySourceArn=arn,
            ActionNames=actions,
            ResourceArns=[resource],
            **extra,
        )
    except Absent:
        return None
    if results is None:
        return None
    decided: dict[str, str] | None = None
    with ctx.parsing(SIMULATE, arn):
        decided = {need(r, "EvalActionName", str): need(r, "EvalDecision", str) for r in results}
    return decided


class IamRolesCollector(Collector):
    """Stage 2: after the option groups, which name the roles."""

    name: ClassVar[str] = IAM_ROLES
    stage: ClassVar[int] = 2
    calls: ClassVar[tuple[ApiCall, ...]] = (*ROLE_READS, SIMULATE)

    def collect(self, ctx: UnitContext) -> None:
        arns = sorted(
            {
                group.options[OPTION].get(ROLE_SETTING, "")
                for group in ctx.inventory.option_groups.values()
                if group is not None and OPTION in group.options
            }
            - {""}
        )
        # Once per (account, role) in the run, however many regions name it.
        roles = ctx.fan_out(
            lambda arn: ctx.once(
                ("sqlserver-role", ctx.account_id, arn), lambda c: self.read_role(c, arn)
            ),
            arns,
        )
        with ctx.lock:
            ctx.inventory.roles.update({r.arn: r for r in roles})

    def read_role(self, ctx: UnitContext, arn: str, simulate: bool = True) -> IamRole:
        """One role; an answer without what a rule needs costs this role only (a gap)."""
        try:
            return self._read_role(ctx, arn, simulate)
        except (Malformed, KeyError, TypeError) as exc:
            ctx.record_gap(GET_ROLE, "MalformedResponse", f"malformed response: {exc}", arn)
            return IamRole(arn, unreadable="an IAM answer about it was malformed")

    def _read_role(self, ctx: UnitContext, arn: str, simulate: bool) -> IamRole:
        parts = arn.split(":")
        if len(parts) < 6 or not parts[5].startswith("role/"):
            return IamRole(arn, unreadable=f"{arn!r} is not an IAM role ARN")
        if parts[4] != ctx.account_id:
            return IamRole(
                arn, unreadable=f"the role is in account {parts[4]}, not {ctx.account_id}"
            )
        name = parts[5].rsplit("/", 1)[-1]
        try:
            got = ctx.call(GET_ROLE, resource_id=arn, RoleName=name)
        except Absent:
            return IamRole(arn, exists=False)
        if got is None:
            return IamRole(arn)
        raw = got["Role"]
        role = IamRole(
            arn,
            trust_policy=raw.get("AssumeRolePolicyDocument"),
            boundary_arn=(raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        )
        role.policies = self.identity_policies(ctx, arn, name)
        if role.boundary_arn:
            document = self.managed_document(ctx, role.boundary_arn)
            if document is not None:
                role.boundary = NamedPolicy(role.boundary_arn, "boundary", document)
        if simulate and SIMULATE.flag in ctx.flags:
            role.simulation = self.simulate(ctx, arn)
        return role

    def identity_policies(self, ctx: UnitContext, arn: str, name: str) -> list[NamedPolicy] | None:
        """Inline and attached managed policies; None if any of them could not be read."""
        try:
            inline = ctx.paginate(LIST_ROLE_POLICIES, "PolicyNames", resource_id=arn, RoleName=name)
            attached = ctx.paginate(
                LIST_ATTACHED, "AttachedPolicies", resource_id=arn, RoleName=name
            )
        except Absent:
            return None
        if inline is None or attached is None:
            return None
        out: list[NamedPolicy] = []
        for policy_name in inline:
            try:
                got = ctx.call(
                    GET_ROLE_POLICY, resource_id=arn, RoleName=name, PolicyName=str(policy_name)
                )
            except Absent:
                return None
            if got is None:
                return None
            out.append(NamedPolicy(str(policy_name), "inline", got["PolicyDocument"]))
        for item in attached:
            document = self.managed_document(ctx, item["PolicyArn"])
            if document is None:
                return None
            out.append(NamedPolicy(item["PolicyArn"], "managed", document))
        return out

    def managed_document(self, ctx: UnitContext, policy_arn: str) -> Any:
        """The default version's document of a managed policy; None if it could not be read."""
        try:
            policy = ctx.call(GET_POLICY, resource_id=policy_arn, PolicyArn=policy_arn)
            if policy is None:
                return None
            version = ctx.call(
                GET_POLICY_VERSION,
                resource_id=policy_arn,
                PolicyArn=policy_arn,
                VersionId=policy["Policy"]["DefaultVersionId"],
            )
        except Absent:
            return None
        return None if version is None else version["PolicyVersion"]["Document"]

    def simulate(self, ctx: UnitContext, arn: str) -> dict[str, str] | None:
        """AWS's decision for the seven actions on the probe bucket and object (sees SCPs)."""
        partition = partition_of_arn(arn)
        bucket = bucket_arn(partition, PROBE_BUCKET)
        out: dict[str, str] = {}
        for actions, resource in (
            (BUCKET_ACTIONS, bucket),
            (OBJECT_ACTIONS, f"{bucket}/{PROBE_KEY}"),
        ):
            decided = simulated(ctx, arn, list(actions), resource)
            if decided is None:
                return None
            out.update(decided)
        return out
