"""The gap behind a role that was not read: the failed IAM call about that role, else the first
failed IAM call of the unit (one definition for the SQL Server and the Veeam role checks)."""

from __future__ import annotations

from auditor.inventory import ReadError
from checks.base import CheckContext


def iam_error(ctx: CheckContext, arn: str) -> ReadError | None:
    errors = [e for e in ctx.region.errors if e.service == "iam"]
    return next((e for e in errors if e.resource_id == arn), errors[0] if errors else None)
