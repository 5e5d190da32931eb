"""The built-in sample account: moto, in process, audited by the same pipeline as `audit`.

Two regions with targets that pass and fail every check that exists and that moto can
produce. Nothing leaves the machine: moto answers every request, with fake credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3

from auditor.model import AuditResult, Mode
from auditor.run import AuditOptions, run_audit

DEMO_REGIONS = ("eu-west-1", "us-east-1")
OFFLINE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
CLEARED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE")


@contextmanager
def offline_aws() -> Iterator[None]:
    """moto in process with fake credentials; the environment is restored afterwards."""
    with mock.patch.dict(os.environ, OFFLINE_ENV):
        for name in CLEARED_ENV:
            os.environ.pop(name, None)
        from moto import mock_aws

        with mock_aws():
            yield


@dataclass
class Builder:
    """Small, readable steps to lay out a sample account in moto (setup only, not the auditor)."""

    region: str

    def __post_init__(self) -> None:
        self.ec2: Any = boto3.client("ec2", region_name=self.region)
        self.rds: Any = boto3.client("rds", region_name=self.region)

    def vpc(
        self, cidr: str, name: str, *, dns_support: bool = True, dns_hostnames: bool = True
    ) -> str:
        vpc_id: str = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        self.ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": name}])
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": dns_support})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": dns_hostnames})
        return vpc_id

    def db_subnet_group(self, vpc_id: str, cidr_prefix: str, name: str) -> str:
        subnets = [
            self.ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=f"{cidr_prefix}.{i * 16}.0/20",
                AvailabilityZone=f"{self.region}{az}",
            )["Subnet"]["SubnetId"]
            for i, az in enumerate("ab")
        ]
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets
        )
        return name

    def db(self, name: str, engine: str, version: str, subnet_group: str, *, az: str = "a") -> str:
        self.rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.m5.large",
            Engine=engine,
            EngineVersion=version,
            AllocatedStorage=50,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
            DBSubnetGroupName=subnet_group,
            AvailabilityZone=f"{self.region}{az}",
        )
        return name


def build_demo_account() -> None:
    """The sample: what each target shows is in its name and in the README."""
    eu = Builder("eu-west-1")
    prod = eu.vpc("10.0.0.0/16", "prod")
    prod_dbs = eu.db_subnet_group(prod, "10.0", "prod-db")
    eu.db("orders-pg", "postgres", "16.3", prod_dbs)  # ready
    eu.db("billing-sql", "sqlserver-se", "15.00.4345.5.v1", prod_dbs, az="b")  # ready
    eu.db("legacy-pg11", "postgres", "11.22", prod_dbs)  # not ready: PostgreSQL 11
    eu.db("crm-mysql", "mysql", "8.0.35", prod_dbs)  # skipped: MySQL
    analytics = eu.vpc("10.1.0.0/16", "analytics", dns_hostnames=False)
    eu.db("reports-pg", "postgres", "15.7", eu.db_subnet_group(analytics, "10.1", "analytics-db"))
    # reports-pg: ready in public mode, not ready in the private modes (DNS hostnames off)

    us = Builder("us-east-1")
    legacy = us.vpc("10.2.0.0/16", "legacy-net", dns_support=False)
    us.db("archive-pg", "postgres", "14.12", us.db_subnet_group(legacy, "10.2", "legacy-db"))
    # archive-pg: not ready, DNS resolution off
    shared = us.vpc("10.3.0.0/16", "shared")
    us.db("paused-pg", "postgres", "16.3", us.db_subnet_group(shared, "10.3", "shared-db"))
    us.rds.stop_db_instance(DBInstanceIdentifier="paused-pg")  # not ready: stopped


def run_demo(worker_network: Mode = Mode.PUBLIC) -> AuditResult:
    with offline_aws():
        build_demo_account()
        options = AuditOptions(regions=list(DEMO_REGIONS), worker_network=worker_network)
        return run_audit(options, boto3.Session())
