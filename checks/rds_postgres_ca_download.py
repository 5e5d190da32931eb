"""rds.postgres-ca-download (warning, PostgreSQL, both private modes): the worker subnet has a
way to the internet for the RDS certificate bundle. Veeam's limitations page asks worker groups
to allow outbound 443 "to download a certificate bundle" for SSL/TLS, and
truststore.pki.rds.amazonaws.com has no VPC endpoint; whether the appliance supplies the bundle
instead is not documented (REQUIREMENTS.md §1.3, open question), so this warns, never blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Severity, Status
from auditor.scope import POSTGRES_ENGINES
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.nat_path import nat_path

TRUSTSTORE = "truststore.pki.rds.amazonaws.com"


class PostgresCaDownload(Check):
    id: ClassVar[str] = "rds.postgres-ca-download"
    title: ClassVar[str] = "PostgreSQL: the worker subnet can download the RDS certificate bundle"
    path_hop: ClassVar[str] = "route"
    severity: ClassVar[Severity] = Severity.WARNING
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    engines: ClassVar[frozenset[str] | None] = POSTGRES_ENGINES
    reads: ClassVar[tuple[str, ...]] = (
        parts.SUBNETS,
        parts.ROUTING,
        parts.PREFIX_LISTS,  # a prefix-list route can be the one a destination takes
        parts.GUARDRAILS,
    )
    docs: ClassVar[tuple[Source, ...]] = (docs.V_LIMITATIONS, docs.V_SYSTEM_REQUIREMENTS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if ctx.located() is None:
            yield from ctx.per_mode(lambda mode: self.judge(ctx, mode))

    def judge(self, ctx: CheckContext, mode: Mode) -> Iterator[Finding]:
        best = ctx.workers.plan(ctx.db, mode).best
        if best is None:
            return  # no worker subnet to speak of: the subnet checks say why
        path = nat_path(ctx.region, best)
        if path.status is Status.PASS or path.status is Status.UNKNOWN:
            yield ctx.report(path, modes=[mode])
        else:
            rtb = path.evidence.get("route_table", "<the worker subnet's route table>")
            yield ctx.finding(
                Status.WARN,
                f"worker subnet {best.subnet_id} has no path to the internet ({path.message}): "
                f"PostgreSQL workers download the RDS certificate bundle from {TRUSTSTORE} over "
                "TCP 443, which no VPC endpoint serves; if the appliance does not supply it, the "
                "backup's TLS connection fails",
                resource_id=best.subnet_id,
                remediation=(
                    f"aws ec2 create-route --route-table-id {rtb} --destination-cidr-block "
                    "0.0.0.0/0 --nat-gateway-id <a public NAT gateway in a public subnet>"
                ),
                evidence=dict(path.evidence),
                modes=[mode],
            )
