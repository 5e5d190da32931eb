"""Third-party style checks, loaded through entry points by the engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor.inventory import DBInstance, RegionInventory, Subnet
from auditor.model import Finding, Mode, Severity, Status
from auditor.outcome import Outcome
from checks.base import Check, CheckContext


class FailsInPublic(Check):
    id: ClassVar[str] = "acme.fails-in-public"
    title: ClassVar[str] = "Fails in public mode only"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(Status.FAIL, "acme says no", resource_id="acme-1")


class NeedsDns(Check):
    id: ClassVar[str] = "acme.needs-dns"
    title: ClassVar[str] = "Runs only where DNS resolution passed"
    requires: ClassVar[tuple[str, ...]] = ("vpc.dns-support",)
    ran: ClassVar[list[str]] = []

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        NeedsDns.ran.append(ctx.target.db_instance_id)
        yield ctx.finding(Status.PASS, "fine")


class WarningOnly(Check):
    id: ClassVar[str] = "acme.warning-only"
    title: ClassVar[str] = "A warning-severity check that fails"
    severity: ClassVar[Severity] = Severity.WARNING

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(Status.FAIL, "advisory")


class Crashes(Check):
    id: ClassVar[str] = "acme.crashes"
    title: ClassVar[str] = "A defective check"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        raise KeyError("boom")


class SqlServerOnly(Check):
    id: ClassVar[str] = "acme.sqlserver-only"
    title: ClassVar[str] = "Applies to SQL Server only"
    engines: ClassVar[frozenset[str] | None] = frozenset({"sqlserver-se"})

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(Status.FAIL, "sql only")


class DuplicateId(Check):
    id: ClassVar[str] = "vpc.dns-support"
    title: ClassVar[str] = "Claims a built-in id"


class BadMode(Check):
    id: ClassVar[str] = "acme.bad-mode"
    title: ClassVar[str] = "Declares a mode that does not exist"
    modes: ClassVar[frozenset[Mode]] = frozenset({"satellite"})  # type: ignore[arg-type]


class UnknownPrerequisite(Check):
    id: ClassVar[str] = "acme.orphan"
    title: ClassVar[str] = "Requires a check nobody defines"
    requires: ClassVar[tuple[str, ...]] = ("acme.nowhere",)


class RegionQuota(Check):
    id: ClassVar[str] = "acme.region-quota"
    title: ClassVar[str] = "A region-wide quota that is exhausted"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(
            Status.FAIL, f"no room for {len(ctx.targets)} more", resource_id="quota-1"
        )


class RegionSqlServerOnly(Check):
    id: ClassVar[str] = "acme.region-sqlserver"
    title: ClassVar[str] = "A region-wide check for SQL Server targets"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    engines: ClassVar[frozenset[str] | None] = frozenset({"sqlserver-se"})

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(Status.FAIL, ",".join(d.db_instance_id for d in ctx.targets))


class NoOddSubnets(Check):
    """A plugin subnet rule: a worker subnet whose id ends in an odd digit will not do."""

    id: ClassVar[str] = "acme.no-odd-subnets"
    title: ClassVar[str] = "Workers only in even subnets"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from ctx.report_best(Mode.PUBLIC)

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        odd = subnet.subnet_id[-1] in "13579"
        return Outcome(
            Status.FAIL if odd else Status.PASS,
            f"{subnet.subnet_id} is {'odd' if odd else 'even'}",
            subnet.subnet_id,
        )


class ReadsNothingKnown(Check):
    id: ClassVar[str] = "acme.reads-nothing-known"
    title: ClassVar[str] = "Declares a part no collector fills"
    reads: ClassVar[tuple[str, ...]] = ("ec2.flow_logs",)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(Status.PASS, "fine")
