"""With --veeam-config: the backup and production worker roles of the policies that select this
unit's targets, read in this unit's account (GetRole, the identity policies, the boundary) and,
for a worker role, the instance profiles that hold it (ListInstanceProfilesForRole)."""

from __future__ import annotations

from typing import ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need
from auditor.collectors.iam_roles import ROLE_READS, IamRolesCollector
from auditor.constants import VEEAM_ROLES
from auditor.inventory import IamRole

LIST_INSTANCE_PROFILES = ApiCall(
    "iam", "ListInstanceProfilesForRole", "iam:ListInstanceProfilesForRole"
)


class VeeamRolesCollector(Collector):
    name: ClassVar[str] = VEEAM_ROLES
    stage: ClassVar[int] = 1
    calls: ClassVar[tuple[ApiCall, ...]] = (*ROLE_READS, LIST_INSTANCE_PROFILES)

    def collect(self, ctx: UnitContext) -> None:
        if ctx.veeam is None:
            return
        partition = ctx.aws_partition()
        backup: set[str] = set()
        workers: set[str] = set()
        for db in ctx.targets():
            policy = ctx.veeam.policy_for(db.db_instance_id, ctx.account_id, ctx.region)
            if policy is None:
                continue
            backup.add(policy.backup_role_arn(ctx.account_id, partition))
            workers.add(policy.worker_role_arn(ctx.account_id, partition))
        reader = IamRolesCollector()

        def read(scratch: UnitContext, arn: str) -> IamRole:
            role = reader.read_role(scratch, arn, simulate=False)
            if arn in workers and role.exists and role.unreadable is None:
                role.instance_profiles = self.instance_profiles(scratch, arn)
            return role

        # Once per (account, role) in the run, however many regions' targets use it.
        roles = ctx.fan_out(
            lambda arn: ctx.once(("veeam-role", ctx.account_id, arn), lambda c: read(c, arn)),
            sorted(backup | workers),
        )
        with ctx.lock:
            ctx.inventory.roles.update({r.arn: r for r in roles})

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
