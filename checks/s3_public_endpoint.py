"""s3.public-endpoint (SQL Server, both private modes): the worker subnet reaches the public
s3.<region>.amazonaws.com, where RDS native backups put the temporary buckets. The rule holds
on the chosen worker subnet (`S3PublicEndpoint.subnet_rule`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance, RegionInventory, Subnet
from auditor.model import Finding, Mode, Status
from auditor.network import (
    available,
    is_service,
    service_name,
)
from auditor.outcome import Outcome
from auditor.scope import SQLSERVER_FAMILY
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.endpoints_s3 import s3_gateway_route
from checks.support.nat_path import nat_path
from checks.support.route_tables import vpc_endpoints


class S3PublicEndpoint(Check):
    id: ClassVar[str] = "s3.public-endpoint"
    title: ClassVar[str] = "SQL Server: a path to the public s3.<region>.amazonaws.com"
    path_hop: ClassVar[str] = "route"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    subnet_rule_uses_db: ClassVar[bool] = False
    engines: ClassVar[frozenset[str] | None] = SQLSERVER_FAMILY
    requires: ClassVar[tuple[str, ...]] = ("subnet.worker-candidate",)
    reads: ClassVar[tuple[str, ...]] = (parts.VPC_ENDPOINTS, parts.ROUTING, parts.PREFIX_LISTS)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_ENABLE_PRIVATE, docs.V_LIMITATIONS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        yield from ctx.per_mode(ctx.report_best)

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        return s3_public_path(unit, subnet)


def s3_public_path(unit: RegionInventory, subnet: Subnet) -> Outcome:
    """A path from a worker without a public IP to the public s3.<region>.amazonaws.com: an S3
    interface endpoint with private DNS, an S3 gateway endpoint route, or a working NAT gateway."""
    s3_host = f"s3.{unit.region}.amazonaws.com"
    eps = vpc_endpoints(unit, subnet.vpc_id)
    gaps: list[Outcome] = []
    if isinstance(eps, Outcome):
        gaps.append(eps)
        eps = []
    for e in eps:
        if (
            e.endpoint_type == "Interface"
            and is_service(e, unit.region, "s3")
            and available(e.state)
            and e.private_dns
        ):
            return Outcome(
                Status.PASS,
                f"{s3_host} resolves to S3 interface endpoint {e.endpoint_id} (private DNS on)",
                subnet.subnet_id,
                evidence={"subnet": subnet.subnet_id, "via": e.endpoint_id},
            )
    gateway = s3_gateway_route(unit, subnet)
    if gateway.status is Status.PASS:
        return Outcome(
            Status.PASS,
            f"{s3_host} is reached through the S3 gateway endpoint: {gateway.message}",
            subnet.subnet_id,
            evidence={**gateway.evidence, "via": "gateway endpoint"},
        )
    if gateway.status is Status.UNKNOWN:
        gaps.append(gateway)
    nat = nat_path(unit, subnet)
    if nat.status is Status.PASS:
        return nat
    if nat.status is Status.UNKNOWN:
        gaps.append(nat)
    if gaps:
        return gaps[0]
    return Outcome(
        Status.FAIL,
        f"{subnet.subnet_id} has no path to the public {s3_host}, which SQL Server backups need: "
        f"no S3 interface endpoint with private DNS; {gateway.message}; "
        f"{nat.message}",
        subnet.subnet_id,
        f"aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} --vpc-endpoint-type Gateway "
        f"--service-name {service_name(unit.region, 's3')} --route-table-ids "
        f"{gateway.evidence.get('route_table', '<the subnet route table>')}",
        {**gateway.evidence, **nat.evidence},
    )
