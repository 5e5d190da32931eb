"""The built-in sample account: moto, in process, audited by the same pipeline as `audit`.

Two regions with targets that pass and fail every check that exists and that moto can
produce. Nothing leaves the machine: moto answers every request, with fake credentials.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3

from auditor.inventory import Inventory
from auditor.model import AuditResult, Mode
from auditor.run import AuditOptions, gather, judge
from auditor.sample_account import Builder, Layout

log = logging.getLogger(__name__)

DEMO_REGIONS = ("eu-west-1", "us-east-1")
DEMO_ACCOUNT = "123456789012"  # moto's default account
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

        from auditor import moto_extension

        moto_extension.install()  # the guardrail calls moto 5.2.5 lacks, as an untouched account
        moto_extension.reset()  # a fresh moto: no answers or shares of an earlier demo
        with mock_aws():
            yield


def build_demo_account() -> None:
    """The sample: what each target shows is in its comment and in the README."""
    eu = Builder("eu-west-1")
    prod = eu.ready_network("10.0", "prod")
    eu.db("orders-pg", "postgres", "16.3", prod.db_subnet_group)  # ready in every mode
    backup_role = eu.native_backup_role("sql-native-backup")
    sql15 = eu.backup_option_group("sql15-native-backup", "sqlserver-se", "15.00", backup_role)
    eu.db(
        "billing-sql",
        "sqlserver-se",
        "15.00.4345.5.v1",
        prod.db_subnet_group,
        az="b",
        option_group=sql15,
    )  # ready in every mode
    eu.db("ledger-sql", "sqlserver-se", "15.00.4345.5.v1", prod.db_subnet_group)
    # ledger-sql: not ready (the default option group has no SQLSERVER_BACKUP_RESTORE)
    ec2_role = eu.native_backup_role("sql-backup-trusts-ec2", service="ec2.amazonaws.com")
    eu.db(
        "payroll-sql",
        "sqlserver-se",
        "15.00.4345.5.v1",
        prod.db_subnet_group,
        option_group=eu.backup_option_group("payroll-backup", "sqlserver-se", "15.00", ec2_role),
    )  # not ready: the role trusts EC2, not RDS
    one_bucket = eu.native_backup_role("sql-backup-one-bucket", buckets="backups-2019")
    eu.db(
        "sales-sql",
        "sqlserver-se",
        "15.00.4345.5.v1",
        prod.db_subnet_group,
        option_group=eu.backup_option_group("sales-backup", "sqlserver-se", "15.00", one_bucket),
    )  # not ready: S3 allowed on one fixed bucket only
    prefixed = eu.native_backup_role("sql-backup-prefixed", buckets="veeam-*")
    eu.db(
        "audit-sql",
        "sqlserver-se",
        "15.00.4345.5.v1",
        prod.db_subnet_group,
        option_group=eu.backup_option_group("audit-backup", "sqlserver-se", "15.00", prefixed),
    )  # ready, with a warning: S3 only on buckets named veeam-*
    eu.db("legacy-pg11", "postgres", "11.22", prod.db_subnet_group)  # not ready: PostgreSQL 11
    eu.db("crm-mysql", "mysql", "8.0.35", prod.db_subnet_group)  # skipped: MySQL

    analytics = eu.ready_network("10.1", "analytics", dns_hostnames=False)
    eu.db("reports-pg", "postgres", "15.7", analytics.db_subnet_group)
    # reports-pg: ready in public mode; not ready in the private modes (DNS hostnames off)

    batch = eu.ready_network("10.2", "batch")
    eu.ec2.detach_internet_gateway(InternetGatewayId=batch.igw_id, VpcId=batch.vpc_id)
    eu.db("batch-pg", "postgres", "16.3", batch.db_subnet_group)
    # batch-pg: not ready in public mode (no internet gateway attached; the route to the
    # detached gateway stays in the table; and VPC Block Public Access blocks it: its
    # exclusion was deleted); ready in both private modes (block-ingress lets NAT through)

    from auditor import moto_extension

    def exclusion(n: int, vpc_id: str, state: str = "create-complete") -> dict[str, str]:
        return {
            "ExclusionId": f"vpcbpa-exclude-0000000000000000{n}",
            "InternetGatewayExclusionMode": "allow-bidirectional",
            "ResourceArn": f"arn:aws:ec2:eu-west-1:{DEMO_ACCOUNT}:vpc/{vpc_id}",
            "State": state,
        }

    moto_extension.configure(
        "eu-west-1",
        block_public_access="block-ingress",
        bpa_exclusions=(
            exclusion(1, prod.vpc_id),
            exclusion(2, analytics.vpc_id),
            exclusion(3, batch.vpc_id, "delete-complete"),
        ),
    )  # eu-west-1 blocks inbound internet traffic; prod and analytics are excluded, batch not

    us = Builder("us-east-1")
    legacy = us.ready_network("10.3", "legacy-net", dns_support=False)
    us.db("archive-pg", "postgres", "14.12", legacy.db_subnet_group)  # not ready: DNS off

    shared = us.ready_network("10.4", "shared")
    nat = us.nat_gateway(shared.public_subnets["b"])
    us.ec2.replace_route(
        RouteTableId=shared.public_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat
    )
    us.db("hr-pg", "postgres", "16.3", shared.db_subnet_group, az="b")
    # hr-pg: not ready in public mode (public subnets route to a NAT gateway, not the internet
    # gateway); ready in the private modes

    erp = us.ready_network("10.5", "erp")
    us.ec2.delete_vpc_endpoints(VpcEndpointIds=[erp.endpoints["s3"], erp.endpoints["s3-gateway"]])
    erp_role = us.native_backup_role("erp-native-backup")
    erp_group = us.backup_option_group("erp-native-backup", "sqlserver-ee", "15.00", erp_role)
    us.db("erp-sql", "sqlserver-ee", "15.00.4345.5.v1", erp.db_subnet_group, option_group=erp_group)
    # erp-sql: ready in public mode; not ready in the private modes (no S3 endpoint, no path to
    # the public S3 endpoint that SQL Server backups need)

    us.db("paused-pg", "postgres", "16.3", erp.db_subnet_group)
    us.rds.stop_db_instance(DBInstanceIdentifier="paused-pg")  # not ready: stopped

    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(Description="vault-pg")["KeyMetadata"]
    us.db("vault-pg", "postgres", "16.3", erp.db_subnet_group, kms_key=key["Arn"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    # vault-pg: not ready anywhere (its KMS key is pending deletion: no snapshot possible)

    groups = [us.security_group(erp.vpc_id, f"app-{i}") for i in range(5)]
    us.db("crowded-pg", "postgres", "16.3", erp.db_subnet_group, security_groups=groups)
    # crowded-pg: not ready anywhere (5 security groups already: no room for Veeam's)

    net = build_network_account()
    lent = [*net.private_subnets.values(), *net.public_subnets.values()]
    moto_extension.share_subnets(NETWORK_ACCOUNT, DEMO_ACCOUNT, "us-east-1", lent)
    db_subnets = us.db_subnet_group("network-db", list(net.private_subnets.values()))
    us.db("network-pg", "postgres", "16.3", db_subnets)
    # network-pg: unknown in every mode (its VPC is shared by the network account over AWS
    # RAM; the demo does not audit that account, so its routes and endpoints are not read)


NETWORK_ACCOUNT = "210987654321"  # owns the VPC it shares with the demo account (AWS RAM)


def build_network_account() -> Layout:
    """A VPC of the network account, ready for workers in every mode."""
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{NETWORK_ACCOUNT}:role/network-admin",
        RoleSessionName="demo-setup",
    )["Credentials"]
    as_owner = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    with mock.patch.dict(os.environ, as_owner):
        boto3.DEFAULT_SESSION = None
        net = Builder("us-east-1").ready_network("10.6", "shared-by-network")
    boto3.DEFAULT_SESSION = None
    return net


APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"  # the appliance's account
REPOSITORY_ROLE = f"arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRepository"
DEMO_VEEAM_CONFIG = f"""# Veeam's side of the demo's backup policies (audit --veeam-config FILE).
# What the Veeam console shows, stated once; preflight checks what AWS can show about it.
appliance_principal = "{APPLIANCE}"

[[policies]]
name = "rds-nightly"                 # roles and a KMS-encrypted repository as Veeam documents
db_instances = ["orders-pg", "billing-sql"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamProdWorker"

[policies.repository]
bucket = "veeam-demo-backups"
folder = "rds"
role = "{REPOSITORY_ROLE}"
encryption = "kms"
kms_key = "arn:aws:kms:eu-west-1:{DEMO_ACCOUNT}:alias/veeam-repository"
storage_class = "STANDARD"

[[policies]]
name = "rds-lean"                    # the backup role lacks ec2:RunInstances (image-level)
db_instances = ["legacy-pg11"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackupLean"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamProdWorker"

[[policies]]
name = "sql-weekly"                  # the worker role is in no instance profile
db_instances = ["payroll-sql"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamWorkerNoProfile"

[[policies]]
name = "sql-archive"                 # archives a SQL Server target: Veeam cannot
db_instances = ["audit-sql"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamProdWorker"

[policies.repository]
bucket = "veeam-demo-backups"
role = "{REPOSITORY_ROLE}"

[policies.archive]
bucket = "veeam-demo-archive"
role = "{REPOSITORY_ROLE}"
storage_class = "GLACIER"
retention_days = 365

[[policies]]
name = "pg-archive"                  # the repository is encrypted, the archive is not
db_instances = ["hr-pg"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamProdWorker"

[policies.repository]
bucket = "veeam-demo-backups-us"
role = "{REPOSITORY_ROLE}"
encryption = "password"

[policies.archive]
bucket = "veeam-demo-archive-us"
role = "{REPOSITORY_ROLE}"
storage_class = "DEEP_ARCHIVE"
encryption = "none"

[[policies]]
name = "kms-bucket"                  # the bucket encrypts by default with SSE-KMS
db_instances = ["crowded-pg"]
option = "account"
backup_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{DEMO_ACCOUNT}:role/VeeamProdWorker"

[policies.repository]
bucket = "veeam-demo-sse-kms"
role = "{REPOSITORY_ROLE}"
"""


DEMO_BUCKETS = {  # bucket -> (Region, default encryption)
    "veeam-demo-backups": ("eu-west-1", "AES256"),
    "veeam-demo-archive": ("eu-west-1", "AES256"),
    "veeam-demo-backups-us": ("us-east-1", "AES256"),
    "veeam-demo-archive-us": ("us-east-1", "AES256"),
    "veeam-demo-sse-kms": ("us-east-1", "aws:kms"),
}


def build_repositories() -> None:
    """The buckets, the KMS key and the repository role DEMO_VEEAM_CONFIG names."""
    from auditor import veeam_permissions as veeam

    for name, (region, algorithm) in DEMO_BUCKETS.items():
        s3 = boto3.client("s3", region_name=region)
        where: dict[str, Any] = {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **(where if region != "us-east-1" else {}))
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [rule]},
        )
    kms = boto3.client("kms", region_name="eu-west-1")
    key = kms.create_key(Description="Veeam repository")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/veeam-repository", TargetKeyId=key)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"}
            for p in ({"AWS": APPLIANCE}, {"Service": veeam.BATCH_OPERATIONS_SERVICE})
        ],
    }
    actions = veeam.REPOSITORY_ANY + veeam.REPOSITORY_BUCKET + veeam.REPOSITORY_OBJECTS
    iam = boto3.client("iam", region_name="us-east-1")
    name = REPOSITORY_ROLE.rsplit("/", 1)[-1]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName=name, PolicyName="veeam-repository", PolicyDocument=json.dumps(document)
    )


def build_veeam_roles() -> None:
    """The roles DEMO_VEEAM_CONFIG names (IAM is global: one set for both regions)."""
    from auditor import veeam_permissions as veeam

    iam = boto3.client("iam", region_name="us-east-1")

    def role(name: str, trust: list[dict[str, str]], actions: list[str], *extra: Any) -> None:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in trust
            ],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))
        statements = [{"Effect": "Allow", "Action": actions, "Resource": "*"}, *extra]
        iam.put_role_policy(
            RoleName=name,
            PolicyName="veeam",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )

    appliance = [{"AWS": APPLIANCE}]
    workers = [{"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}]
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{DEMO_ACCOUNT}:role/Veeam*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    role("VeeamRdsBackup", appliance, list(veeam.BACKUP_ROLE))
    lean = [a for a in veeam.BACKUP_ROLE if a not in ("ec2:RunInstances", "iam:PassRole")]
    role("VeeamRdsBackupLean", appliance, lean, pass_role)
    role("VeeamProdWorker", workers, list(veeam.WORKER_ROLE))
    iam.create_instance_profile(InstanceProfileName="VeeamProdWorker")
    iam.add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    role("VeeamWorkerNoProfile", workers, list(veeam.WORKER_ROLE))


# The sample never changes: it is read once per process (a second demo in the same process, as
# the tests run it, judges the same reads again in the mode asked for).
_SAMPLE: list[Inventory] = []


def run_demo(worker_network: Mode = Mode.PUBLIC) -> AuditResult:
    from auditor.veeam_config import parse

    config = parse(tomllib.loads(DEMO_VEEAM_CONFIG), "veeam-demo.toml")
    options = AuditOptions(
        regions=list(DEMO_REGIONS), worker_network=worker_network, veeam_config=config
    )
    started = time.monotonic()
    if not _SAMPLE:
        with offline_aws():
            build_demo_account()
            build_veeam_roles()
            build_repositories()
            _SAMPLE.append(gather(options, boto3.Session(), started, None))
    else:
        log.info("judging the sample account as this process read it before")
    return judge(copy.deepcopy(_SAMPLE[0]), options, started=started)
