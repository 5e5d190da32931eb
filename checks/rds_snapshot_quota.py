"""rds.snapshot-quota: room for one more manual DB snapshot per DB instance under the region's
quota (FAILURE-MODES.md R1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class SnapshotQuota(Check):
    id: ClassVar[str] = "rds.snapshot-quota"
    title: ClassVar[str] = "Room for one more manual DB snapshot per DB instance"
    path_hop: ClassVar[str] = "db"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_ACCOUNT_QUOTA, docs.A_RDS_QUOTAS)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.manual_snapshots_used is None or g.manual_snapshots_max is None:
            error = unit.first_error(
                "DescribeAccountAttributes", "GetServiceQuota", "DescribeDBSnapshots"
            )
            yield ctx.unknown(
                f"the manual DB snapshot quota in {unit.region}", error, resource_id="L-272F1212"
            )
            return
        used, limit, n = g.manual_snapshots_used, g.manual_snapshots_max, len(ctx.targets)
        evidence: dict[str, str | list[str]] = {
            "manual_snapshots_used": str(used),
            "manual_snapshots_quota": f"{limit:g}",
            "targets": str(n),
        }
        text = (
            f"{used} of {limit:g} manual DB snapshots used in {unit.region}; each of the {n} "
            "DB instance(s) needs one more per backup"
        )
        fix = (
            "aws service-quotas request-service-quota-increase --service-code rds "
            f"--quota-code L-272F1212 --desired-value {int(limit) + 2 * n + 50}"
        )
        if used + n > limit:
            yield ctx.finding(
                Status.FAIL,
                f"{text}: they do not fit (SnapshotQuotaExceeded)",
                resource_id="L-272F1212",
                remediation=fix,
                evidence=evidence,
            )
        elif limit - used < 2 * n:
            yield ctx.finding(
                Status.WARN,
                f"{text}: fewer than two sessions' worth are left",
                resource_id="L-272F1212",
                remediation=fix,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.PASS, f"{text}: there is room", resource_id="L-272F1212", evidence=evidence
            )
