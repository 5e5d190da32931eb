"""Account guardrails and capacity on moto. moto 5.2.5 lacks most of these calls: the answers
come from auditor.moto_extension (serialised by moto from botocore's model), set per scenario."""

from __future__ import annotations

import boto3
import pytest

from auditor import moto_extension
from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def b() -> Builder:
    return Builder("eu-west-1")


def one_db(b: Builder, name: str = "orders", **kw) -> str:
    net = b.ready_network()
    b.db(name, "postgres", "16.3", net.db_subnet_group, **kw)
    return net.vpc_id


def modes(run, name: str = "orders") -> dict[str, list[str]]:
    return {m: v["blocking"] for m, v in run.target(name)["modes"].items()}


def only(run, check_id: str) -> dict:
    (found,) = run.findings(check_id)
    return found


def test_block_public_access_bidirectional_blocks_public_mode_only(preflight, b):
    vpc = one_db(b)
    moto_extension.configure(block_public_access="block-bidirectional")

    run = preflight("audit", "--region", "eu-west-1")

    assert modes(run) == {"public": ["vpc.block-public-access"], "private": [], "vpc-endpoints": []}
    check = only(run, "vpc.block-public-access")
    assert f"create-vpc-block-public-access-exclusion --vpc-id {vpc}" in check["remediation"]


@pytest.mark.parametrize(
    ("exclusion", "expected"), [("allow-bidirectional", "pass"), ("allow-egress", "warn")]
)
def test_an_exclusion_covering_the_vpc(preflight, b, exclusion, expected):
    vpc = one_db(b)
    moto_extension.configure(
        block_public_access="block-bidirectional",
        bpa_exclusions=(
            {
                "ExclusionId": "vpcbpa-exclude-1",
                "InternetGatewayExclusionMode": exclusion,
                "ResourceArn": f"arn:aws:ec2:eu-west-1:123456789012:vpc/{vpc}",
                "State": "create-complete",
            },
        ),
    )

    run = preflight("audit", "--region", "eu-west-1")

    assert only(run, "vpc.block-public-access")["status"] == expected
    assert run.target("orders")["verdict"] == "ready"


def test_a_full_manual_snapshot_quota_blocks_every_mode(preflight, b):
    one_db(b)
    moto_extension.configure(manual_snapshots_used=100)

    run = preflight("audit", "--region", "eu-west-1")

    assert all(blocking == ["rds.snapshot-quota"] for blocking in modes(run).values())
    quota = only(run, "rds.snapshot-quota")
    assert quota["target"] is None
    assert "100 of 100 manual DB snapshots used" in quota["message"]


def test_ebs_default_encryption_with_a_disabled_key_blocks_every_mode(preflight, b):
    one_db(b)
    kms = boto3.client("kms", region_name="eu-west-1")
    meta = kms.create_key()["KeyMetadata"]
    key = meta["Arn"]
    kms.disable_key(KeyId=meta["KeyId"])  # moto takes the key id here, not the ARN (quirk)
    b.ec2.enable_ebs_encryption_by_default()
    moto_extension.configure(ebs_default_kms_key=key)

    run = preflight("audit", "--region", "eu-west-1")

    assert all(blocking == ["ec2.ebs-default-encryption"] for blocking in modes(run).values())
    check = only(run, "ec2.ebs-default-encryption")
    assert f"aws kms enable-key --key-id {key}" == check["remediation"]
    assert "Client error on launch" in check["message"]


@pytest.mark.parametrize(
    ("providers", "expected"),
    [(["123456789012"], "fail")],  # more: tests/test_check_tables.py
)
def test_allowed_amis(preflight, b, providers, expected):
    one_db(b)
    moto_extension.configure(
        allowed_images="enabled", image_criteria=({"ImageProviders": providers},)
    )

    run = preflight("audit", "--region", "eu-west-1")

    assert only(run, "ec2.allowed-amis")["status"] == expected


def test_a_db_key_pending_deletion_blocks_only_that_db(preflight, b):
    net = b.ready_network()
    kms = boto3.client("kms", region_name="eu-west-1")
    meta = kms.create_key()["KeyMetadata"]
    key = meta["Arn"]
    b.rds.create_db_instance(
        DBInstanceIdentifier="vault", DBInstanceClass="db.m5.large", Engine="postgres",
        EngineVersion="16.3", AllocatedStorage=50, MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1", DBSubnetGroupName=net.db_subnet_group,
        AvailabilityZone="eu-west-1a", StorageEncrypted=True, KmsKeyId=key,
    )  # fmt: skip
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)  # key id: moto quirk
    b.db("plain", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    assert modes(run, "vault")["public"] == ["rds.kms-key"]
    assert run.target("plain")["verdict"] == "ready"
    (check,) = run.findings("rds.kms-key", "vault")
    assert check["remediation"].startswith(f"aws kms cancel-key-deletion --key-id {key}")


@pytest.mark.parametrize(("quota", "expected"), [(5.0, "warn"), (256.0, "pass")])
def test_worker_capacity_against_the_vcpu_quota(preflight, b, quota, expected):
    one_db(b)
    moto_extension.configure(quotas={"ec2/L-1216C47A": quota, "rds/L-272F1212": 100.0})
    boto3.client("ec2", region_name="eu-west-1").run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.xlarge"
    )

    run = preflight("audit", "--region", "eu-west-1")

    capacity = only(run, "ec2.worker-capacity")
    assert capacity["status"] == expected
    assert (
        "4 standard vCPUs running + 2 for the workers" in capacity["message"] or expected == "warn"
    )
    assert run.target("orders")["verdict"] == "ready"  # a warning never decides


def test_without_the_extension_a_missing_call_is_unknown_never_a_pass(preflight, b, monkeypatch):
    from moto.ec2.responses import EC2Response

    one_db(b)
    monkeypatch.delattr(EC2Response, "get_allowed_images_settings")  # plain moto 5.2.5

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 3
    assert run.target("orders")["verdict"] == "unknown"
    assert run.target("orders")["unknown"] == ["ec2.allowed-amis"]
    (error,) = run.report["errors"]
    assert (error["operation"], error["iam_action"]) == (
        "GetAllowedImagesSettings",
        "ec2:GetAllowedImagesSettings",
    )


def test_a_region_without_block_public_access_or_allowed_amis_is_a_fact(preflight, b):
    one_db(b)
    moto_extension.configure(
        unsupported=(
            "DescribeVpcBlockPublicAccessOptions",
            "DescribeVpcBlockPublicAccessExclusions",
            "GetAllowedImagesSettings",
        )
    )

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 0
    assert run.report["errors"] == []  # UnsupportedOperation is an answer, not a failed read
    assert "not available (UnsupportedOperation)" in only(run, "vpc.block-public-access")["message"]
    assert only(run, "ec2.allowed-amis")["status"] == "pass"
