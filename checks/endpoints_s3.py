"""endpoints.s3: the workers' way to S3 in Veeam's two private setups.

- private ("private network deployment"): an S3 *interface* endpoint, chosen by id in Veeam's
  repository settings, in the worker VPC or in a VPC peered with it
  (checks/support/s3_interface.py); gateway endpoints are not supported there.
- vpc-endpoints ("Appendix C"): an S3 *gateway* endpoint on the worker subnet's route table;
  this part holds on the chosen worker subnet (`S3Endpoint.subnet_rule`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance, RegionInventory, Subnet
from auditor.model import Evidence, Finding, Mode, Status
from auditor.network import available, is_service, service_name, strays
from auditor.outcome import Outcome
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.route_tables import effective_table, vpc_endpoints
from checks.support.s3_interface import s3_interface_path


class S3Endpoint(Check):
    id: ClassVar[str] = "endpoints.s3"
    title: ClassVar[str] = "The S3 endpoint Veeam's private setup needs"
    path_hop: ClassVar[str] = "gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset({Mode.VPC_ENDPOINTS})
    subnet_rule_uses_db: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ("subnet.worker-candidate",)
    requires_modes: ClassVar[frozenset[Mode] | None] = frozenset({Mode.VPC_ENDPOINTS})
    reads: ClassVar[tuple[str, ...]] = (
        parts.VPC_ENDPOINTS,
        parts.ROUTING,
        parts.PREFIX_LISTS,
        parts.PEERINGS,
        parts.PEER_NETWORKS,
    )
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_ENABLE_PRIVATE,
        docs.V_REPO_S3_ENDPOINT,
        docs.V_CONFIGURE_ENDPOINTS,
        docs.V_WORKERS_PRIVATE,
        docs.A_GATEWAY_ENDPOINTS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        if Mode.PRIVATE in ctx.modes:
            yield self.interface_endpoint(ctx)
        if Mode.VPC_ENDPOINTS in ctx.modes:
            yield from ctx.report_best(Mode.VPC_ENDPOINTS)

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        return s3_gateway_route(unit, subnet)

    def interface_endpoint(self, ctx: CheckContext) -> Finding:
        """An S3 interface endpoint for the target's Region: in its VPC or a peered one."""
        return ctx.report(s3_interface_path(ctx, ctx.region.region), modes=[Mode.PRIVATE])


def s3_gateway_route(unit: RegionInventory, subnet: Subnet) -> Outcome:
    """An available S3 gateway endpoint whose prefix-list route wins in the subnet's table."""
    eps = vpc_endpoints(unit, subnet.vpc_id)
    if isinstance(eps, Outcome):
        return eps
    found = effective_table(unit, subnet)
    if isinstance(found, Outcome):
        return found
    rtb, how, candidates = found
    gateways = [
        e
        for e in eps
        if e.endpoint_type == "Gateway" and is_service(e, unit.region, "s3") and available(e.state)
    ]
    evidence: Evidence = {
        "subnet": subnet.subnet_id,
        "route_table": rtb,
        "route_table_association": how,
    }
    s3 = service_name(unit.region, "s3")
    if not gateways:
        return Outcome(
            Status.FAIL,
            f"no available S3 gateway endpoint ({s3}) in {subnet.vpc_id}",
            subnet.subnet_id,
            f"aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} --vpc-endpoint-type Gateway "
            f"--service-name {s3} --route-table-ids {rtb}",
            evidence,
        )
    ids = {e.endpoint_id for e in gateways}
    evidence["s3_gateway_endpoints"] = sorted(ids)
    routed = [c for c in candidates if c.route.target in ids and c.route.prefix_list_id]
    if not routed:
        return Outcome(
            Status.FAIL,
            f"S3 gateway endpoint {', '.join(sorted(ids))} has no route in {rtb} "
            f"({how} route table of {subnet.subnet_id}): workers there do not use it",
            subnet.subnet_id,
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {sorted(ids)[0]} "
            f"--add-route-table-ids {rtb}",
            evidence,
        )
    pl_space = [c.cidr for c in routed]
    overridden = strays(candidates, pl_space, lambda r: r.target in ids)
    evidence["prefix_list"] = sorted({c.route.prefix_list_id or "" for c in routed})
    if overridden:
        return Outcome(
            Status.FAIL,
            f"in {rtb} more specific routes take S3 addresses away from the endpoint: "
            f"{'; '.join(s.describe('all of S3') for s in overridden)}",
            subnet.subnet_id,
            None,
            evidence,
        )
    return Outcome(
        Status.PASS,
        f"{rtb} ({how} route table of {subnet.subnet_id}) routes S3 ({evidence['prefix_list'][0]}) "
        f"to {routed[0].route.target}",
        subnet.subnet_id,
        evidence=evidence,
    )
