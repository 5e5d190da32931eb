"""endpoints.s3 and s3.public-endpoint: the workers' way to S3 in Veeam's two private setups.

- private ("private network deployment"): an S3 *interface* endpoint, chosen by id in Veeam's
  repository settings; gateway endpoints are not supported there.
- vpc-endpoints ("Appendix C"): an S3 *gateway* endpoint on the worker subnet's route table.
- SQL Server, both: a path to the public s3.<region>.amazonaws.com for the temporary buckets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor.model import Finding, Mode, Status
from auditor.scope import SQLSERVER_FAMILY
from auditor.workers import ENDPOINTS_S3, S3_PUBLIC, available, is_service, service_name
from checks import docs
from checks.base import Check, CheckContext
from checks.internet_routes import report_best


class S3Endpoint(Check):
    id: ClassVar[str] = ENDPOINTS_S3
    title: ClassVar[str] = "The S3 endpoint Veeam's private setup needs"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    requires: ClassVar[tuple[str, ...]] = ("subnet.worker-candidate",)
    requires_modes: ClassVar[frozenset[Mode] | None] = frozenset({Mode.VPC_ENDPOINTS})
    reads: ClassVar[tuple[str, ...]] = ("ec2.vpc_endpoints", "ec2.routing", "ec2.prefix_lists")
    docs: ClassVar[tuple[str, ...]] = (
        docs.V_ENABLE_PRIVATE,
        docs.V_REPO_S3_ENDPOINT,
        docs.V_CONFIGURE_ENDPOINTS,
        docs.A_GATEWAY_ENDPOINTS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        if Mode.PRIVATE in ctx.modes:
            yield self.interface_endpoint(ctx)
        if Mode.VPC_ENDPOINTS in ctx.modes:
            yield from report_best(ctx, Mode.VPC_ENDPOINTS, ENDPOINTS_S3)

    def interface_endpoint(self, ctx: CheckContext) -> Finding:
        db, unit = ctx.db, ctx.region
        vpc_id = db.vpc_id or ""
        if unit.vpc_endpoints is None:
            error = unit.error_for("DescribeVpcEndpoints")
            return ctx.unknown(f"VPC endpoints of {vpc_id}", error, modes=[Mode.PRIVATE])
        s3 = [
            e
            for e in unit.vpc_endpoints
            if e.vpc_id == vpc_id
            and e.endpoint_type == "Interface"
            and is_service(e, unit.region, "s3")
        ]
        ready = [e for e in s3 if available(e.state)]
        if ready:
            return ctx.finding(
                Status.PASS,
                f"S3 interface endpoint {ready[0].endpoint_id} is available in {vpc_id} "
                "(select it in each repository's settings in Veeam)",
                resource_id=ready[0].endpoint_id,
                evidence={"s3_interface_endpoints": [e.endpoint_id for e in ready]},
                modes=[Mode.PRIVATE],
            )
        plan = ctx.workers.plan(db, Mode.PRIVATE)
        subnet = (
            plan.best.subnet_id
            if plan.best
            else "<a subnet in " + (db.availability_zone or "") + ">"
        )
        states = ", ".join(f"{e.endpoint_id} is '{e.state}'" for e in s3)
        return ctx.finding(
            Status.FAIL,
            f"no available S3 interface endpoint in {vpc_id}"
            + (f" ({states})" if states else "")
            + ": Veeam's private network deployment needs one (gateway endpoints are not "
            "supported there). Veeam also allows one in the repository's VPC reached over VPC "
            "peering, which this audit does not follow",
            resource_id=vpc_id,
            remediation=(
                f"aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Interface "
                f"--service-name {service_name(unit.region, 's3')} --subnet-ids {subnet} "
                "--security-group-ids <a group allowing TCP 443 from the workers and the appliance>"
            ),
            evidence={"vpc": vpc_id},
            modes=[Mode.PRIVATE],
        )


class S3PublicEndpoint(Check):
    id: ClassVar[str] = S3_PUBLIC
    title: ClassVar[str] = "SQL Server: a path to the public s3.<region>.amazonaws.com"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    engines: ClassVar[frozenset[str] | None] = SQLSERVER_FAMILY
    requires: ClassVar[tuple[str, ...]] = ("subnet.worker-candidate",)
    reads: ClassVar[tuple[str, ...]] = ("ec2.vpc_endpoints", "ec2.routing", "ec2.prefix_lists")
    docs: ClassVar[tuple[str, ...]] = (docs.V_ENABLE_PRIVATE, docs.V_LIMITATIONS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        yield from ctx.per_mode(lambda mode: report_best(ctx, mode, S3_PUBLIC))
