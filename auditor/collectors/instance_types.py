"""Which worker instance types (c5.large, c5.xlarge) each AZ of the region offers."""

from __future__ import annotations

from typing import ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.constants import INSTANCE_TYPE_OFFERINGS, WORKER_TYPES

DESCRIBE_OFFERINGS = ApiCall(
    "ec2", "DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypeOfferings"
)


class InstanceTypesCollector(Collector):
    name: ClassVar[str] = INSTANCE_TYPE_OFFERINGS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_OFFERINGS,)

    def collect(self, ctx: UnitContext) -> None:
        if not ctx.targets():
            ctx.inventory.instance_type_offerings = {}
            return
        offers = ctx.paginate(
            DESCRIBE_OFFERINGS,
            "InstanceTypeOfferings",
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": list(WORKER_TYPES)}],
        )
        if offers is not None:
            by_az: dict[str, list[str]] = {}
            for o in offers:
                by_az.setdefault(o["Location"], []).append(o["InstanceType"])
            ctx.inventory.instance_type_offerings = {
                az: sorted(t) for az, t in sorted(by_az.items())
            }
