"""vpc.block-public-access (public mode): VPC Block Public Access lets the workers use the
internet gateway (FAILURE-MODES.md C1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.constants import UNSUPPORTED, UNSUPPORTED_TEXT
from auditor.model import Finding, Mode, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class BlockPublicAccess(Check):
    id: ClassVar[str] = "vpc.block-public-access"
    title: ClassVar[str] = "VPC Block Public Access lets the workers use the internet gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_BPA,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        g, db = ctx.region.guardrails, ctx.db
        if g.bpa_mode is None or (g.bpa_mode != "off" and g.bpa_exclusions is None):
            error = ctx.region.first_error(
                "DescribeVpcBlockPublicAccessOptions",
                "DescribeVpcBlockPublicAccessExclusions",
            )
            yield ctx.unknown("VPC Block Public Access", error)
            return
        evidence: dict[str, str | list[str]] = {"internet_gateway_block_mode": g.bpa_mode}
        if g.bpa_mode in ("off", UNSUPPORTED):
            state = "off" if g.bpa_mode == "off" else UNSUPPORTED_TEXT
            yield ctx.finding(
                Status.PASS,
                f"VPC Block Public Access is {state} in {ctx.region.region}",
                evidence=evidence,
            )
            return
        plan = ctx.workers.plan(db, Mode.PUBLIC)
        covered = [f"vpc/{db.vpc_id}", *(f"subnet/{s.subnet_id}" for s in plan.candidates)]
        exclusions = [
            e
            for e in g.bpa_exclusions or []
            if e.state.endswith("-complete") and any(e.resource_arn.endswith(c) for c in covered)
        ]
        evidence["exclusions"] = [
            f"{e.exclusion_id} ({e.mode}) {e.resource_arn}" for e in exclusions
        ]
        if any(e.mode == "allow-bidirectional" for e in exclusions):
            yield ctx.finding(
                Status.PASS,
                f"VPC Block Public Access is {g.bpa_mode}, but an allow-bidirectional exclusion "
                "covers "
                f"{db.vpc_id} or its worker subnet",
                resource_id=db.vpc_id,
                evidence=evidence,
            )
            return
        fix = (
            f"aws ec2 create-vpc-block-public-access-exclusion --vpc-id {db.vpc_id} "
            "--internet-gateway-exclusion-mode allow-bidirectional"
        )
        if exclusions or g.bpa_mode == "block-ingress":
            what = (
                "only an allow-egress exclusion covers it"
                if exclusions
                else "the region blocks inbound internet traffic (block-ingress)"
            )
            yield ctx.finding(
                Status.WARN,
                f"VPC Block Public Access is {g.bpa_mode} and {what}: which direction Veeam's "
                "workers need opened is not documented (they start every connection themselves)",
                resource_id=db.vpc_id,
                remediation=fix,
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.FAIL,
            f"VPC Block Public Access is block-bidirectional in {ctx.region.region} and no "
            f"exclusion covers {db.vpc_id} or a worker subnet: the internet gateway route carries "
            "nothing, so public-mode workers cannot reach AWS services",
            resource_id=db.vpc_id,
            remediation=fix,
            evidence=evidence,
        )
