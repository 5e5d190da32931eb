"""Veeam's repositories on moto (S3 with encryption and Object Lock, KMS with key policies, IAM):
the buckets, key and repository role live in a second account, the backup account, reached with
--role-arn and read with that account's session once per run.

moto answers HeadBucket for a bucket of any account from any account's credentials; the key and
the role, though, exist only in the backup account, so passes on them prove the session used.
"""

from __future__ import annotations

import json

import boto3
import pytest

from auditor import veeam_permissions as veeam
from tests.builders import Builder, Layout
from tests.test_accounts import as_account

pytestmark = pytest.mark.usefixtures("aws")

TARGETS = "123456789012"
BACKUP = "444455556666"
APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"
REPO_ROLE = f"arn:aws:iam::{BACKUP}:role/VeeamRepository"


def trusting(*principals: dict[str, str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
            ],
        }
    )


def allowing(actions: tuple[str, ...] | list[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


def role(name: str, trust: str, actions: tuple[str, ...] | list[str]) -> None:
    iam = boto3.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=name, PolicyName="veeam", PolicyDocument=allowing(actions))


def targets_account() -> Layout:
    """Four targets, Veeam's backup and worker roles set up as Veeam documents."""
    b = Builder("eu-west-1")
    net = b.ready_network()
    for name in ("orders", "billing", "pg-arch"):
        b.db(name, "postgres", "16.3", net.db_subnet_group)
    b.sql_server("erp", net.db_subnet_group)
    role("VeeamRdsBackup", trusting({"AWS": APPLIANCE}), veeam.BACKUP_ROLE)
    role(
        "VeeamProdWorker",
        trusting({"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}),
        veeam.WORKER_ROLE,
    )
    iam = boto3.client("iam")
    iam.create_instance_profile(InstanceProfileName="VeeamProdWorker")
    iam.add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    return net


def backup_account(monkeypatch: pytest.MonkeyPatch) -> str:
    """The repositories: a good bucket, one with default SSE-KMS, an archive; a key; a role."""
    with monkeypatch.context() as m:
        as_account(m, BACKUP)
        s3 = boto3.client("s3", region_name="eu-west-1")
        where = {"LocationConstraint": "eu-west-1"}
        for name in ("veeam-rds-eu", "veeam-kms-default", "veeam-rds-archive"):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration=where)  # type: ignore[arg-type]
        s3.put_bucket_encryption(
            Bucket="veeam-kms-default",
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
        role(
            "VeeamRepository",
            trusting({"AWS": APPLIANCE}, {"Service": veeam.BATCH_OPERATIONS_SERVICE}),
            veeam.REPOSITORY_ANY + veeam.REPOSITORY_BUCKET + veeam.REPOSITORY_OBJECTS,
        )
    boto3.DEFAULT_SESSION = None
    return str(key)


def config(tmp_path, key: str) -> str:
    roles = f"""option = "account"
backup_role = "arn:aws:iam::{TARGETS}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{TARGETS}:role/VeeamProdWorker"
"""

    def repo(bucket: str, table: str = "repository", **extra: str) -> str:
        lines = [f'bucket = "{bucket}"', f'account = "{BACKUP}"', f'role = "{REPO_ROLE}"']
        lines += [f'{k} = "{v}"' for k, v in extra.items()]
        return f"[policies.{table}]\n" + "\n".join(lines) + "\n"

    text = f"""appliance_principal = "{APPLIANCE}"

[[policies]]
name = "nightly"
db_instances = ["orders"]
{roles}{repo("veeam-rds-eu", encryption="kms", kms_key=key, folder="rds")}
[[policies]]
name = "kms-default"
db_instances = ["billing"]
{roles}{repo("veeam-kms-default")}
[[policies]]
name = "archiving"
db_instances = ["pg-arch", "erp"]
{roles}{repo("veeam-rds-eu")}{repo("veeam-rds-archive", "archive", storage_class="GLACIER")}"""
    path = tmp_path / "veeam.toml"
    path.write_text(text)
    return str(path)


def statuses(run, check_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in run.findings(check_id):
        out.setdefault(f["target"], set()).add(f["status"])
    return out


def test_each_repository_rule_flips_exactly_the_targets_of_its_policy(
    preflight, tmp_path, monkeypatch
):
    targets_account()
    key = backup_account(monkeypatch)
    path = config(tmp_path, key)

    run = preflight(
        "audit", "--region", "eu-west-1", "--veeam-config", path, "--worker-network", "public",
        "--role-arn", f"arn:aws:iam::{TARGETS}:role/audit",
        "--role-arn", f"arn:aws:iam::{BACKUP}:role/audit",
    )  # fmt: skip

    assert run.report is not None, run.err
    assert statuses(run, "s3.repository") == {
        "orders": {"pass"},
        "billing": {"fail"},
        "pg-arch": {"pass"},
        "erp": {"pass"},
    }
    (kms,) = run.findings("s3.repository", "billing")
    assert "encrypts by default with SSE-KMS (aws:kms)" in kms["message"]
    assert "put-bucket-encryption --bucket veeam-kms-default" in kms["remediation"]
    assert statuses(run, "veeam.archive") == {"pg-arch": {"pass"}, "erp": {"fail"}}
    assert statuses(run, "kms.repository-key") == {"orders": {"pass"}}
    # The key and the role exist only in the backup account: read with its session.
    assert set(statuses(run, "iam.repository-role")) == {"orders", "billing", "pg-arch", "erp"}
    assert all(s == {"pass"} for s in statuses(run, "iam.repository-role").values())
    assert run.target("orders")["verdict"] == "ready"
    assert run.target("billing")["blocking"] == ["s3.repository"]
    assert run.target("pg-arch")["verdict"] == "ready"
    assert run.target("erp")["blocking"] == ["veeam.archive"]
    # Each bucket once, however many policies use it (veeam-rds-eu: two).
    assert run.report["api_calls"]["s3.HeadBucket"] == 3
    assert run.report["errors"] == []


def test_a_repository_in_an_account_not_audited_is_unknown_naming_it(
    preflight, tmp_path, monkeypatch
):
    targets_account()
    key = backup_account(monkeypatch)

    run = preflight(
        "audit", "--region", "eu-west-1", "--veeam-config", config(tmp_path, key),
        "--worker-network", "public",
    )  # fmt: skip

    assert run.report is not None, run.err
    (finding,) = run.findings("s3.repository", "orders")
    assert finding["status"] == "unknown"
    assert f"it is in account {BACKUP}, which this run does not audit" in finding["message"]
    assert f"--role-arn arn:aws:iam::{BACKUP}:role/" in finding["remediation"]
    assert run.target("orders")["verdict"] == "unknown"
    assert "s3.HeadBucket" not in run.report["api_calls"]


def frankfurt_repository(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str, str]:
    """The backup account's repository in eu-central-1, and a VPC there (11.0.0.0/16) holding
    an S3 interface endpoint whose group admits 443 from the worker VPC, as Veeam's private
    example sets it up: (bucket, VPC, its route table, the S3 interface endpoint)."""
    with monkeypatch.context() as m:
        as_account(m, BACKUP)
        where = {"LocationConstraint": "eu-central-1"}
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(Bucket="veeam-rds-fra", CreateBucketConfiguration=where)  # type: ignore[arg-type]
        role(
            "VeeamRepository",
            trusting({"AWS": APPLIANCE}, {"Service": veeam.BATCH_OPERATIONS_SERVICE}),
            veeam.REPOSITORY_ANY + veeam.REPOSITORY_BUCKET + veeam.REPOSITORY_OBJECTS,
        )
        b = Builder("eu-central-1")
        vpc = b.vpc("11.0.0.0/16", "repository")
        subnet = b.subnet(vpc, "11.0.1.0/24")
        group = b.security_group(vpc, "s3-endpoint", https_from="10.0.0.0/16")
        endpoint = b.interface_endpoint(vpc, "s3", [subnet], group, private_dns=False)
        table = b.main_table(vpc)
        b.s3_gateway_endpoint(vpc, [table])  # a prefix-list route in the endpoint's table
    boto3.DEFAULT_SESSION = None
    return "veeam-rds-fra", vpc, table, endpoint


def test_a_repository_in_another_region_is_reached_over_a_peered_vpc_in_private_mode(
    preflight, tmp_path, monkeypatch
):
    net = targets_account()
    bucket, repo_vpc, repo_table, endpoint = frankfurt_repository(monkeypatch)
    path = tmp_path / "veeam.toml"
    path.write_text(
        f"""appliance_principal = "{APPLIANCE}"

[[policies]]
name = "to-frankfurt"
db_instances = ["orders"]
option = "account"
backup_role = "arn:aws:iam::{TARGETS}:role/VeeamRdsBackup"
worker_role = "arn:aws:iam::{TARGETS}:role/VeeamProdWorker"
[policies.repository]
bucket = "{bucket}"
account = "{BACKUP}"
role = "{REPO_ROLE}"
"""
    )

    def audit():
        run = preflight(
            "audit", "--region", "eu-west-1", "--veeam-config", str(path),
            "--worker-network", "private", "--db-instance", "orders",
            "--role-arn", f"arn:aws:iam::{TARGETS}:role/audit",
            "--role-arn", f"arn:aws:iam::{BACKUP}:role/audit",
        )  # fmt: skip
        assert run.report is not None, run.err
        (finding,) = [f for f in run.findings("s3.repository", "orders") if "private" in f["modes"]]
        return run, finding

    # No peering: nothing in eu-central-1 is reachable from the worker VPC.
    run, finding = audit()
    assert finding["status"] == "fail"
    assert (
        f"is in eu-central-1, not in eu-west-1: no VPC in eu-central-1 with an available S3 "
        f"interface endpoint is peered with {net.vpc_id}" in finding["message"]
    )
    assert "ec2.DescribeVpcEndpoints" in run.report["api_calls"]  # the unit's own, not a peer's

    # Peered (the targets account asks, the backup account accepts) and routed one way only.
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    pcx = ec2.create_vpc_peering_connection(
        VpcId=net.vpc_id, PeerVpcId=repo_vpc, PeerOwnerId=BACKUP, PeerRegion="eu-central-1"
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    with monkeypatch.context() as m:
        as_account(m, BACKUP)
        boto3.client("ec2", region_name="eu-central-1").accept_vpc_peering_connection(
            VpcPeeringConnectionId=pcx
        )
    boto3.DEFAULT_SESSION = None
    Builder("eu-west-1").route(net.private_table, "11.0.0.0/16", pcx)

    run, finding = audit()
    assert finding["status"] == "fail"
    assert f"does not send the workers' addresses back to {pcx}" in finding["message"]
    assert finding["remediation"].startswith(
        f"in account {BACKUP}: aws ec2 create-route --region eu-central-1 "
        f"--route-table-id {repo_table}"
    )

    # The route back, in the backup account: the workers reach the bucket's Region.
    with monkeypatch.context() as m:
        as_account(m, BACKUP)
        Builder("eu-central-1").route(repo_table, "10.0.0.0/16", pcx)
    boto3.DEFAULT_SESSION = None

    run, finding = audit()
    assert finding["status"] == "pass", finding["message"]
    assert (
        f"in eu-central-1, reached from eu-west-1: S3 interface endpoint {endpoint} is available "
        f"in {repo_vpc} (account {BACKUP}, eu-central-1, peered over {pcx})" in finding["message"]
    )
    assert run.report["api_calls"]["ec2.DescribeVpcPeeringConnections"] == 1
    assert run.report["errors"] == []
    assert run.target("orders")["modes"]["private"]["verdict"] == "ready"
