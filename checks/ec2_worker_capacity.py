"""ec2.worker-capacity (warning): the standard vCPU quota and the candidate subnets' free
addresses can take one worker per DB instance (FAILURE-MODES.md W2/W3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Severity, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.worker_sizing import WORKER_VCPUS, worker_type


class WorkerCapacity(Check):
    id: ClassVar[str] = "ec2.worker-capacity"
    title: ClassVar[str] = "vCPU quota and free addresses for one worker per DB instance"
    path_hop: ClassVar[str] = "subnet"
    severity: ClassVar[Severity] = Severity.WARNING
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS, parts.SUBNETS)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_WORKERS_LOCATION, docs.A_EC2_ERRORS)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        problems: list[str] = []
        notes: list[str] = []
        if g.standard_vcpu_quota is None or g.standard_vcpus_running is None:
            error = unit.first_error(
                "GetServiceQuota", "DescribeInstances", "DescribeInstanceTypes"
            )
            yield ctx.unknown(
                f"the On-Demand standard vCPU quota in {unit.region}",
                error,
                resource_id="L-1216C47A",
            )
        else:
            need = sum(WORKER_VCPUS[worker_type(db.allocated_storage_gib)] for db in ctx.targets)
            total = g.standard_vcpus_running + need
            line = (
                f"{g.standard_vcpus_running} standard vCPUs running + {need} for the workers "
                f"against a quota of {g.standard_vcpu_quota:g}"
            )
            (problems if total > g.standard_vcpu_quota else notes).append(line)
        per_az: dict[str, int] = {}
        for db in ctx.targets:
            per_az[db.availability_zone or ""] = per_az.get(db.availability_zone or "", 0) + 1
        target_vpcs = {d.vpc_id for d in ctx.targets}
        for az, n in sorted(per_az.items()):
            free = sum(
                s.available_ips
                for s in unit.subnets or []
                if s.availability_zone == az and s.state == "available" and s.vpc_id in target_vpcs
            )
            if free < n:
                problems.append(
                    f"{az}: {free} free addresses in the target VPCs' subnets for {n} workers"
                )
        if problems:
            yield ctx.finding(
                Status.WARN,
                "workers may not launch if Veeam backs these DB instances up at once "
                "(VcpuLimitExceeded / InsufficientFreeAddressesInSubnet): " + "; ".join(problems),
                resource_id=unit.region,
                evidence={"problems": problems},
            )
        elif notes:
            yield ctx.finding(Status.PASS, "; ".join(notes), resource_id=unit.region)
