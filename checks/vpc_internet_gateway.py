"""vpc.internet-gateway: an internet gateway is attached to the DB instance's VPC (public mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Status
from auditor.network import attached_gateways, gateways_by_vpc
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.shared_vpc import unknown_shared


class InternetGatewayAttached(Check):
    id: ClassVar[str] = "vpc.internet-gateway"
    title: ClassVar[str] = "An internet gateway attached to the DB instance's VPC"
    path_hop: ClassVar[str] = "gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    reads: ClassVar[tuple[str, ...]] = (parts.ROUTING,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_TARGET_SETTINGS_RDS, docs.A_IGW)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if (missing := ctx.located()) is not None:
            yield missing
            return
        vpc_id = ctx.db.vpc_id or ""
        shared = unknown_shared(ctx.region, vpc_id, f"the internet gateway of {vpc_id}")
        if shared is not None:
            yield ctx.report(shared)
            return
        gateways = ctx.region.internet_gateways
        if gateways is None:
            error = ctx.region.error_for("DescribeInternetGateways")
            yield ctx.unknown(f"internet gateways of {vpc_id}", error, resource_id=vpc_id)
            return
        index = ctx.region.derived("gateways_by_vpc", None, lambda: gateways_by_vpc(gateways))
        attached = attached_gateways(vpc_id, gateways, index)
        if attached:
            yield ctx.finding(
                Status.PASS,
                f"{attached[0]} is attached to {vpc_id}",
                resource_id=attached[0],
                evidence={"internet_gateway": attached[0]},
            )
            return
        other_states = {
            g.gateway_id: g.attachments[vpc_id] for g in gateways if vpc_id in g.attachments
        }
        detached = sorted(other_states)
        # A gateway the VPC's route tables still point at (detached, so the attachment filter
        # no longer returns it): re-attaching it is the fix route.internet gives too, and the
        # one that needs no route change. One fix, the same in both findings.
        routed = sorted(
            {
                r.target
                for t in ctx.region.route_tables or []
                if t.vpc_id == vpc_id
                for r in t.routes
                if r.target.startswith("igw-")
            }
        )
        states = ", ".join(f"{g} is '{state}'" for g, state in sorted(other_states.items()))
        note = f" ({states}; an attachment must be 'available')" if detached else ""
        if not detached and routed:
            note = (
                f" (its route tables still send traffic to {routed[0]}: re-attach it, the fix "
                "route.internet gives too)"
            )
            detached = routed[:1]
        yield ctx.finding(
            Status.FAIL,
            f"no internet gateway is attached to {vpc_id}"
            + note
            + ": workers with public IPv4 addresses cannot reach AWS services",
            resource_id=vpc_id,
            remediation=(
                ""
                if detached
                else "aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId\n"
            )
            + "aws ec2 attach-internet-gateway --internet-gateway-id "
            + (detached[0] if detached else "<the new igw id>")
            + f" --vpc-id {vpc_id}",
            evidence={"vpc": vpc_id, "detached_gateways": detached},
        )
