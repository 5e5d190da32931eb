"""RDS DB instances: the discovery stage (one paginated DescribeDBInstances per region)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.constants import DB_INSTANCES
from auditor.inventory import DBInstance, OptionGroupMembership, SecurityGroupMembership

DESCRIBE_DB_INSTANCES = ApiCall("rds", "DescribeDBInstances", "rds:DescribeDBInstances")


def parse_db_instance(raw: dict[str, Any]) -> DBInstance:
    subnet_group = raw.get("DBSubnetGroup") or {}
    return DBInstance(
        db_instance_id=raw["DBInstanceIdentifier"],
        arn=raw.get("DBInstanceArn", ""),
        engine=raw.get("Engine", ""),
        engine_version=raw.get("EngineVersion", ""),
        status=raw.get("DBInstanceStatus", ""),
        availability_zone=raw.get("AvailabilityZone"),
        secondary_availability_zone=raw.get("SecondaryAvailabilityZone"),
        multi_az=bool(raw.get("MultiAZ", False)),
        vpc_id=subnet_group.get("VpcId") or None,
        subnet_group=subnet_group.get("DBSubnetGroupName"),
        subnet_ids=sorted(
            s["SubnetIdentifier"]
            for s in subnet_group.get("Subnets", [])
            if s.get("SubnetIdentifier")
        ),
        security_groups=[
            SecurityGroupMembership(g["VpcSecurityGroupId"], g.get("Status", ""))
            for g in raw.get("VpcSecurityGroups", [])
        ],
        option_groups=[
            OptionGroupMembership(o["OptionGroupName"], o.get("Status", ""))
            for o in raw.get("OptionGroupMemberships", [])
        ],
        db_cluster_id=raw.get("DBClusterIdentifier"),
        storage_encrypted=bool(raw.get("StorageEncrypted", False)),
        kms_key_id=raw.get("KmsKeyId"),
        allocated_storage_gib=int(raw.get("AllocatedStorage", 0) or 0),
        port=(raw.get("Endpoint") or {}).get("Port") or raw.get("DbInstancePort") or None,
    )


class DBInstancesCollector(Collector):
    name: ClassVar[str] = DB_INSTANCES
    stage: ClassVar[int] = 0
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_DB_INSTANCES,)

    def collect(self, ctx: UnitContext) -> None:
        raw = ctx.paginate(DESCRIBE_DB_INSTANCES, "DBInstances")
        if raw is not None:
            ctx.inventory.db_instances = sorted(
                (parse_db_instance(r) for r in raw), key=lambda d: d.db_instance_id
            )
