"""ec2.worker-instance-type (warning): the worker's default instance type is offered in the DB
instance's AZ (c5.large under 80 GB of storage, else c5.xlarge; V:workers_location)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Severity, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.worker_sizing import worker_type


class WorkerInstanceType(Check):
    id: ClassVar[str] = "ec2.worker-instance-type"
    title: ClassVar[str] = "The default worker instance type is offered in the AZ"
    path_hop: ClassVar[str] = "subnet"
    severity: ClassVar[Severity] = Severity.WARNING
    reads: ClassVar[tuple[str, ...]] = (parts.INSTANCE_TYPE_OFFERINGS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_WORKERS_LOCATION,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        if (missing := ctx.located()) is not None:
            yield missing
            return
        wanted = worker_type(db.allocated_storage_gib)
        offers = ctx.region.instance_type_offerings
        if offers is None:
            error = ctx.region.error_for("DescribeInstanceTypeOfferings")
            yield ctx.unknown(f"whether {wanted} is offered in {db.availability_zone}", error)
            return
        zone = db.availability_zone or ""
        evidence: dict[str, str | list[str]] = {
            "instance_type": wanted,
            "offered_in_az": offers.get(zone, []),
        }
        if wanted in offers.get(zone, []):
            yield ctx.finding(
                Status.PASS,
                f"{wanted} (Veeam's default worker for {db.allocated_storage_gib} GiB) is offered "
                f"in {zone}",
                resource_id=zone,
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.WARN,
            f"{wanted}, Veeam's default worker type for {db.allocated_storage_gib} GiB of storage, "
            f"is not offered in {zone}: choose another type in a Veeam worker profile",
            resource_id=zone,
            evidence=evidence,
        )
