"""route.internet: the worker subnet's effective route table sends every public IPv4 address to
the VPC's internet gateway (public mode; the rule itself is auditor.workers.route_internet)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

from auditor.model import Finding, Mode, Status
from auditor.workers import ROUTE_INTERNET
from checks import docs
from checks.base import Check, CheckContext


class InternetRoute(Check):
    id: ClassVar[str] = ROUTE_INTERNET
    title: ClassVar[str] = "Every public IPv4 address routes to the internet gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    requires: ClassVar[tuple[str, ...]] = ("subnet.public-ip",)
    reads: ClassVar[tuple[str, ...]] = ("ec2.subnets", "ec2.routing", "ec2.prefix_lists")
    docs: ClassVar[tuple[str, ...]] = (docs.V_TARGET_SETTINGS_RDS, docs.A_ROUTE_TABLES, docs.A_IGW)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from report_best(ctx, Mode.PUBLIC, ROUTE_INTERNET)


def report_best(ctx: CheckContext, mode: Mode, rule: str) -> Iterator[Finding]:
    """The finding of a subnet-level rule for the mode's best candidate (DESIGN.md)."""
    plan = ctx.workers.plan(ctx.db, mode)
    if plan.best is None:
        yield ctx.finding(
            Status.UNKNOWN,
            f"could not check {rule}: no worker subnet candidate to evaluate",
            modes=[mode],
        )
        return
    outcome = plan.results[plan.best.subnet_id][rule]
    note = (
        f" (best of {len(plan.candidates)} candidates; passing all subnet checks: "
        f"{', '.join(plan.passing) or 'none'})"
        if len(plan.candidates) > 1
        else ""
    )
    finding = ctx.report(
        outcome,
        modes=[mode],
        candidates=[s.subnet_id for s in plan.candidates],
        worker_subnets=plan.passing,
    )
    yield replace(finding, message=finding.message + note)
