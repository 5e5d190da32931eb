"""With --veeam-config: the backup and production worker roles of the policies that select this
unit's targets, read in this unit's account (GetRole, the identity policies, the boundary) and,
for a worker role, the instance profiles that hold it (ListInstanceProfilesForRole). With
--simulate, AWS's own decision for every action Veeam lists for the role (one
SimulatePrincipalPolicy call on `*`, and for a backup role one for iam:PassRole on its worker role
with iam:PassedToService = ec2.amazonaws.com)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need
from auditor.collectors.iam_roles import ROLE_READS, SIMULATE, IamRolesCollector, simulated
from auditor.constants import VEEAM_ROLES
from auditor.inventory import IamRole
from auditor.veeam_permissions import BACKUP_ROLE, EC2_SERVICE, WORKER_ROLE

LIST_INSTANCE_PROFILES = ApiCall(
    "iam", "ListInstanceProfilesForRole", "iam:ListInstanceProfilesForRole"
)


class VeeamRolesCollector(Collector):
    name: ClassVar[str] = VEEAM_ROLES
    stage: ClassVar[int] = 1
    calls: ClassVar[tuple[ApiCall, ...]] = (*ROLE_READS, LIST_INSTANCE_PROFILES, SIMULATE)

    def collect(self, ctx: UnitContext) -> None:
        if ctx.veeam is None:
            return
        partition = ctx.aws_partition()
        backup: dict[str, set[str]] = {}  # backup role -> the worker roles it must pass
        workers: set[str] = set()
        for db in ctx.targets():
            policy = ctx.veeam.policy_for(db.db_instance_id, ctx.account_id, ctx.region)
            if policy is None:
                continue
            worker = policy.worker_role_arn(ctx.account_id, partition)
            backup.setdefault(policy.backup_role_arn(ctx.account_id, partition), set()).add(worker)
            workers.add(worker)
        reader = IamRolesCollector()

        def read(scratch: UnitContext, arn: str) -> IamRole:
            role = reader.read_role(scratch, arn, simulate=False)
            if arn in workers and role.exists and role.unreadable is None:
                role.instance_profiles = self.instance_profiles(scratch, arn)
            if SIMULATE.flag in ctx.flags and role.exists and role.unreadable is None:
                role.simulation = self.simulate(
                    scratch, arn, arn in workers, backup.get(arn, set())
                )
            return role

        # Once per (account, role) in the run, however many regions' targets use it.
        roles = ctx.fan_out(
            lambda arn: ctx.once(("veeam-role", ctx.account_id, arn), lambda c: read(c, arn)),
            sorted(set(backup) | workers),
        )
        with ctx.lock:
            ctx.inventory.roles.update({r.arn: r for r in roles})

    def simulate(
        self, ctx: UnitContext, arn: str, is_worker: bool, passes: set[str]
    ) -> dict[str, str] | None:
        """AWS's decision per action ("iam:PassRole <worker ARN>" for a pass), or None."""
        actions = set(WORKER_ROLE) if is_worker else set()
        if passes:
            actions |= set(BACKUP_ROLE) - {"iam:PassRole"}
        asks: list[tuple[list[str], str, dict[str, Any]]] = [(sorted(actions), "*", {})]
        for worker in sorted(passes):
            context = {
                "ContextEntries": [
                    {
                        "ContextKeyName": "iam:PassedToService",
                        "ContextKeyValues": [EC2_SERVICE],
                        "ContextKeyType": "string",
                    }
                ]
            }
            asks.append((["iam:PassRole"], worker, context))
        out: dict[str, str] = {}
        for names, resource, extra in asks:
            decided = simulated(ctx, arn, names, resource, **extra)
            if decided is None:
                return None
            out.update(
                {(a if resource == "*" else f"{a} {resource}"): d for a, d in decided.items()}
            )
        return out

    def instance_profiles(self, ctx: UnitContext, arn: str) -> list[str] | None:
        name = arn.rsplit("/", 1)[-1]
        try:
            found = ctx.paginate(
                LIST_INSTANCE_PROFILES, "InstanceProfiles", resource_id=arn, RoleName=name
            )
        except Absent:
            return None
        if found is None:
            return None
        profiles: list[str] | None = None
        with ctx.parsing(LIST_INSTANCE_PROFILES, arn):
            profiles = sorted(need(p, "InstanceProfileName", str) for p in found)
        return profiles


__all__ = ["LIST_INSTANCE_PROFILES", "VeeamRolesCollector"]
