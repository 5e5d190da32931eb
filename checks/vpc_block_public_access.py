"""vpc.block-public-access (public mode): VPC Block Public Access lets a public-IP worker use the
internet gateway (FAILURE-MODES.md C1). It holds on the chosen worker subnet: an exclusion may
cover one subnet and not another (`BlockPublicAccess.subnet_rule`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import DBInstance, RegionInventory, Subnet
from auditor.model import Finding, Mode, Status
from auditor.outcome import Outcome, unknown
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support import block_public_access as bpa


class BlockPublicAccess(Check):
    id: ClassVar[str] = "vpc.block-public-access"
    title: ClassVar[str] = "VPC Block Public Access lets the workers use the internet gateway"
    path_hop: ClassVar[str] = "vpc"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    subnet_rule_uses_db: ClassVar[bool] = False
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_BPA, docs.A_BPA_GUIDE)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        g, db = ctx.region.guardrails, ctx.db
        region_wide = bpa.readable(g) and g.bpa_mode in bpa.OPEN_MODES
        if region_wide or not ctx.workers.plan(db, Mode.PUBLIC).candidates:
            yield ctx.report(judge(ctx.region, db.vpc_id, None))  # nothing per subnet to say
            return
        yield from ctx.report_best(Mode.PUBLIC)

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        return judge(unit, subnet.vpc_id, subnet.subnet_id)


def judge(unit: RegionInventory, vpc_id: str | None, subnet_id: str | None) -> Outcome:
    g = unit.guardrails
    if not bpa.readable(g):
        error = unit.first_error(
            "DescribeVpcBlockPublicAccessOptions", "DescribeVpcBlockPublicAccessExclusions"
        )
        return unknown("VPC Block Public Access", error)
    status, why, found = bpa.internet_gateway(g, vpc_id, subnet_id)
    evidence: dict[str, str | list[str]] = {"internet_gateway_block_mode": g.bpa_mode or ""}
    if found:
        evidence["exclusions"] = [f"{e.exclusion_id} ({e.mode}) {e.resource_arn}" for e in found]
    if g.bpa_mode in bpa.OPEN_MODES:
        state = "off" if g.bpa_mode == "off" else parts.UNSUPPORTED_TEXT
        return Outcome(
            Status.PASS, f"VPC Block Public Access is {state} in {unit.region}", evidence=evidence
        )
    where = f"worker subnet {subnet_id} of {vpc_id}" if subnet_id else f"{vpc_id}"
    fix = None
    if status is not Status.PASS:
        fix = (
            f"aws ec2 create-vpc-block-public-access-exclusion --vpc-id {vpc_id} "
            "--internet-gateway-exclusion-mode allow-bidirectional"
        )
    return Outcome(
        status,
        f"VPC Block Public Access is {g.bpa_mode} in {unit.region}; for {where} {why}",
        subnet_id or vpc_id,
        fix,
        evidence,
    )
