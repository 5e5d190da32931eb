"""RDS DB instances: the discovery stage (one paginated DescribeDBInstances per region)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, need_list
from auditor.constants import DB_INSTANCES
from auditor.inventory import DBInstance, OptionGroupMembership, SecurityGroupMembership

DESCRIBE_DB_INSTANCES = ApiCall("rds", "DescribeDBInstances", "rds:DescribeDBInstances")


def parse_db_instance(raw: dict[str, Any]) -> DBInstance:
    subnet_group = raw.get("DBSubnetGroup") or {}
    return DBInstance(
        db_instance_id=need(raw, "DBInstanceIdentifier", str),
        arn=need(raw, "DBInstanceArn", str),
        engine=need(raw, "Engine", str),
        engine_version=need(raw, "EngineVersion", str),
        status=need(raw, "DBInstanceStatus", str),
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
            for g in need_list(raw, "VpcSecurityGroups")  # none would read as "room for one"
        ],
        option_groups=[
            OptionGroupMembership(o["OptionGroupName"], o.get("Status", ""))
            for o in raw.get("OptionGroupMemberships", [])
        ],
        db_cluster_id=raw.get("DBClusterIdentifier"),
        storage_encrypted=need(raw, "StorageEncrypted", bool),  # not "unencrypted" by default
        kms_key_id=raw.get("KmsKeyId"),
        allocated_storage_gib=need(raw, "AllocatedStorage", int),
        port=(raw.get("Endpoint") or {}).get("Port") or raw.get("DbInstancePort") or None,
    )


class DBInstancesCollector(Collector):
    name: ClassVar[str] = DB_INSTANCES
    stage: ClassVar[int] = 0
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_DB_INSTANCES,)

    def collect(self, ctx: UnitContext) -> None:
        raw = ctx.paginate(DESCRIBE_DB_INSTANCES, "DBInstances")
        if raw is not None:
            with ctx.parsing(DESCRIBE_DB_INSTANCES):
                ctx.inventory.db_instances = sorted(
                    (parse_db_instance(r) for r in raw), key=lambda d: d.db_instance_id
                )
