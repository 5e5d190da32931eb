"""Veeam's Organization option on moto: the role names are looked up in every audited account
that holds a selected target (a second account through --role-arn), and the worker network found
by tag becomes that account's worker configuration."""

from __future__ import annotations

import json

import boto3
import pytest

from auditor import veeam_permissions as veeam
from tests.builders import Builder
from tests.test_accounts import as_account

pytestmark = pytest.mark.usefixtures("aws")

HOME = "123456789012"
OTHER = "111111111111"
APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"
CONFIG = f"""appliance_principal = "{APPLIANCE}"

[[policies]]
name = "org-nightly"
option = "organization"
backup_role = "VeeamRdsBackup"
worker_role = "VeeamProdWorker"
worker_network_tag = {{ key = "veeam", value = "worker" }}
"""


def account_with(name: str, *, worker_role: bool) -> None:
    """A ready network with `name`; Veeam's roles by name; a private subnet and the endpoint
    group tagged veeam=worker."""
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db(name, "postgres", "16.3", net.db_subnet_group)
    b.ec2.create_tags(
        Resources=[net.private_subnets["a"], net.endpoint_group],
        Tags=[{"Key": "veeam", "Value": "worker"}],
    )
    iam = boto3.client("iam")

    def role(role_name: str, principals: list[dict[str, str]], actions: tuple[str, ...]) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
            ],
        }
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))
        allow = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName="veeam",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
        )

    role("VeeamRdsBackup", [{"AWS": APPLIANCE}], veeam.BACKUP_ROLE)
    if worker_role:
        role(
            "VeeamProdWorker",
            [{"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}],
            veeam.WORKER_ROLE,
        )
        iam.create_instance_profile(InstanceProfileName="VeeamProdWorker")
        iam.add_role_to_instance_profile(
            InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
        )


def test_a_role_missing_in_one_account_fails_only_that_accounts_targets(
    preflight, tmp_path, monkeypatch
):
    account_with("home-pg", worker_role=True)
    with monkeypatch.context() as m:
        as_account(m, OTHER)
        account_with("other-pg", worker_role=False)
    boto3.DEFAULT_SESSION = None
    path = tmp_path / "veeam.toml"
    path.write_text(CONFIG)

    run = preflight(
        "audit", "--region", "eu-west-1", "--veeam-config", str(path),
        "--worker-network", "private",
        "--role-arn", f"arn:aws:iam::{HOME}:role/audit",
        "--role-arn", f"arn:aws:iam::{OTHER}:role/audit",
    )  # fmt: skip

    assert run.report is not None, run.err
    (home,) = run.findings("iam.organization-roles", "home-pg")
    assert home["status"] == "pass", home["message"]
    assert "worker network tagged veeam=worker" in home["message"]
    (other,) = run.findings("iam.organization-roles", "other-pg")
    assert other["status"] == "fail"
    assert f"account {OTHER} has no role named VeeamProdWorker" in other["message"]
    assert run.target("home-pg")["verdict"] == "ready"
    assert "iam.organization-roles" in run.target("other-pg")["blocking"]
    # The tagged private subnet is the worker configuration: the only subnet judged.
    modes = run.target("home-pg")["modes"]
    assert modes["private"]["worker_subnets"] == home["evidence"]["worker_subnets"]
    assert len(modes["private"]["worker_subnets"]) == 1
    assert modes["public"]["verdict"] == "not_ready"  # no tagged public subnet
