"""endpoints.interface: the ssm, ssmmessages and sqs interface endpoints Veeam's workers use in
both private setups (REQUIREMENTS.md §1)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import VpcEndpoint
from auditor.model import Finding, Mode, Status
from auditor.network import available, is_service, service_name
from auditor.outcome import Outcome
from auditor.workers import worker_peer
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.endpoint_groups import RANK, admits_https
from checks.support.route_tables import vpc_endpoints
from checks.support.shared_vpc import unknown_shared

SERVICES = ("ssm", "ssmmessages", "sqs")


class InterfaceEndpoints(Check):
    id: ClassVar[str] = "endpoints.interface"
    title: ClassVar[str] = "ssm, ssmmessages and sqs interface endpoints in the VPC"
    path_hop: ClassVar[str] = "gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    reads: ClassVar[tuple[str, ...]] = (parts.VPC_ENDPOINTS, parts.SUBNETS, parts.SECURITY_GROUPS)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_PRIVATE_NETWORKS,
        docs.V_CREATE_ENDPOINTS_PROD,
        docs.V_WORKERS_PRIVATE,
        docs.A_PRIVATE_DNS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        unit, vpc_id = ctx.region, ctx.db.vpc_id or ""
        if (
            shared := unknown_shared(unit, vpc_id, f"the interface endpoints of {vpc_id}")
        ) is not None:
            yield ctx.report(shared)
            return
        if unit.vpc_endpoints is None:
            yield ctx.unknown(f"VPC endpoints of {vpc_id}", unit.error_for("DescribeVpcEndpoints"))
            return
        in_vpc = vpc_endpoints(unit, vpc_id)  # once per VPC, not a scan of the Region's
        if isinstance(in_vpc, Outcome):  # not read: said above already, in this check's words
            yield ctx.report(in_vpc)
            return
        for service in SERVICES:
            matching = [
                e
                for e in in_vpc
                if e.endpoint_type == "Interface" and is_service(e, unit.region, service)
            ]
            yield from ctx.per_mode(partial(self.judge, ctx, service=service, endpoints=matching))

    def judge(
        self, ctx: CheckContext, mode: Mode, service: str, endpoints: list[VpcEndpoint]
    ) -> Iterator[Finding]:
        db, unit = ctx.db, ctx.region
        name = service_name(unit.region, service)
        plan = ctx.workers.plan(db, mode)
        if not endpoints:
            subnet = plan.best.subnet_id if plan.best else f"<a subnet in {db.availability_zone}>"
            yield ctx.finding(
                Status.FAIL,
                f"no {name} interface endpoint in {db.vpc_id}",
                resource_id=db.vpc_id,
                remediation=(
                    f"aws ec2 create-vpc-endpoint --vpc-id {db.vpc_id} --vpc-endpoint-type "
                    f"Interface --service-name {name} --subnet-ids {subnet} --private-dns-enabled "
                    "--security-group-ids <a group allowing TCP 443 from the VPC CIDR>"
                ),
                evidence={"service": name},
                modes=[mode],
            )
            return
        endpoint = min(endpoints, key=lambda e: (not available(e.state), e.endpoint_id))
        problems: list[tuple[Status, str, str | None]] = []
        if not available(endpoint.state):
            problems.append((Status.FAIL, f"state is '{endpoint.state}', not available", None))
        if not endpoint.private_dns:
            problems.append(
                (
                    Status.FAIL,
                    "private DNS is off (workers resolve the public service name)",
                    f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint.endpoint_id} "
                    "--private-dns-enabled",
                )
            )
        problems += self.placement(ctx, endpoint)
        problems += admits_https(unit, endpoint, worker_peer(unit, db, plan))
        evidence: dict[str, str | list[str]] = {
            "service": name,
            "endpoint": endpoint.endpoint_id,
            "endpoint_subnets": endpoint.subnet_ids,
            "security_groups": endpoint.security_group_ids,
        }
        if not problems:
            yield ctx.finding(
                Status.PASS,
                f"{endpoint.endpoint_id} ({name}) is available with private DNS, in "
                f"{db.availability_zone}, and admits TCP 443 from the workers",
                resource_id=endpoint.endpoint_id,
                evidence=evidence,
                modes=[mode],
            )
            return
        worst = max((p[0] for p in problems), key=RANK.__getitem__)
        fixes = [p[2] for p in problems if p[2]]
        yield ctx.finding(
            worst,
            f"{endpoint.endpoint_id} ({name}): " + "; ".join(p[1] for p in problems),
            resource_id=endpoint.endpoint_id,
            remediation="\n".join(fixes) or None,
            evidence=evidence,
            modes=[mode],
        )

    def placement(
        self, ctx: CheckContext, endpoint: VpcEndpoint
    ) -> list[tuple[Status, str, str | None]]:
        unit, db = ctx.region, ctx.db
        if unit.subnets is None:
            return [(Status.UNKNOWN, "its subnets were not read (ec2:DescribeSubnets)", None)]
        zones = {s.availability_zone for s in unit.subnets_of(endpoint.subnet_ids)}
        if db.availability_zone in zones:
            return []
        return [
            (
                Status.WARN,
                f"no endpoint subnet in {db.availability_zone} (it works across AZs; Veeam asks "
                "for one in every AZ where workers run)",
                None,
            )
        ]
