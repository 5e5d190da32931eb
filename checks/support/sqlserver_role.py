"""What iam.sqlserver-role-trust and iam.sqlserver-role-s3 share: the role the option group's
IAM_ROLE_ARN names, looked up once, or the finding that says why it cannot be judged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import IamRole
from auditor.model import Finding, Status
from auditor.scope import SQLSERVER_FAMILY
from auditor.sqlserver import (
    backup_option,
)
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.iam_gaps import iam_error

TRUST_ID = "iam.sqlserver-role-trust"


class RoleCheck(Check):
    engines: ClassVar[frozenset[str] | None] = SQLSERVER_FAMILY
    requires: ClassVar[tuple[str, ...]] = ("rds.sqlserver-backup-restore",)
    reads: ClassVar[tuple[str, ...]] = (parts.OPTION_GROUPS, parts.IAM_ROLES)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_SQL_NATIVE, docs.A_POLICY_EVALUATION)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        found = self.role(ctx)
        if isinstance(found, Finding):
            yield found
        else:
            yield from self.judge_role(ctx, *found)

    def judge_role(self, ctx: CheckContext, arn: str, role: IamRole | None) -> Iterator[Finding]:
        raise NotImplementedError

    def role(self, ctx: CheckContext) -> tuple[str, IamRole | None] | Finding:
        """The role, or the finding that says why it cannot be judged."""
        arn = backup_option(ctx.region, ctx.db).role_arn
        if arn is None:
            return ctx.finding(
                Status.SKIP, "no IAM_ROLE_ARN", evidence={"skipped_because": self.requires[0]}
            )
        role = ctx.region.roles.get(arn)
        if role is None:
            return ctx.unknown(f"role {arn}", iam_error(ctx, arn), resource_id=arn)
        if role.unreadable:
            return ctx.finding(
                Status.UNKNOWN, f"could not check role {arn}: {role.unreadable}", resource_id=arn
            )
        return arn, role
