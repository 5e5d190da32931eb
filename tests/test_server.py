"""Against moto's HTTP server on 127.0.0.1: the installed command as a user runs it, and IAM
enforced (moto enforces IAM only in front of a real endpoint's request handling)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import boto3
import pytest

from auditor.collectors import declared_calls
from tests.builders import Builder, healthy_vpc
from tests.server_helpers import iam_enforced, use_user_with_policy

pytestmark = pytest.mark.server


def test_installed_command_audits_a_moto_server_through_aws_endpoint_url(endpoint, tmp_path):
    b = Builder("eu-west-1")
    group = healthy_vpc(b)
    b.db("orders", "postgres", "16.3", group)
    b.db("old", "postgres", "11.22", group)
    exe = shutil.which("preflight")
    assert exe, "the preflight console script is installed by `pip install -e '.[dev]'`"
    out = tmp_path / "reports"

    done = subprocess.run(
        [exe, "audit", "--region", "eu-west-1", "--format", "json", "--output-dir", str(out)],
        env={**os.environ, "AWS_ENDPOINT_URL": endpoint},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    stamped = sorted(p.name for p in out.glob("preflight-123456789012-*.json"))
    assert len(stamped) == 1
    report = json.loads((out / "latest.json").read_text())
    assert report == json.loads((out / stamped[0]).read_text())
    assert report["schema_version"] == 1
    assert {t["db_instance_id"]: t["verdict"] for t in report["targets"]} == {
        "old": "not_ready",
        "orders": "ready",
    }
    assert report["api_calls"]["rds.DescribeDBInstances"] == 1
    assert "NOT READY" in done.stdout


def test_denied_describe_vpc_attribute_is_unknown_naming_the_action(
    endpoint, preflight, monkeypatch
):
    b = Builder("eu-west-1")
    net = b.ready_network("10.0", "prod")
    vpc_id = net.vpc_id
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    allowed = [c.iam_action for c in declared_calls() if c.operation != "DescribeVpcAttribute"]
    use_user_with_policy(monkeypatch, allowed)

    with iam_enforced(endpoint):
        run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 3, run.err
    target = run.target("orders")
    assert target["verdict"] == "unknown"
    assert target["unknown"] == ["vpc.dns-support"]
    assert target["modes"]["private"]["unknown"] == ["vpc.dns-hostnames", "vpc.dns-support"]
    statuses = {f["check_id"]: f["status"] for f in run.report["findings"]}
    assert statuses["vpc.dns-support"] == statuses["vpc.dns-hostnames"] == "unknown"
    assert "fail" not in statuses.values()
    (finding,) = run.findings("vpc.dns-support")
    assert finding["resource_id"] == vpc_id
    assert finding["evidence"]["missing_permission"] == "ec2:DescribeVpcAttribute"
    assert "grant ec2:DescribeVpcAttribute" in finding["message"]
    assert {(e["operation"], e["iam_action"], e["resource_id"]) for e in run.report["errors"]} == {
        ("DescribeVpcAttribute", "ec2:DescribeVpcAttribute", vpc_id)
    }
    assert "ec2:DescribeVpcAttribute" in run.out


def test_denied_describe_db_instances_everywhere_means_nothing_audited_exit_2(
    endpoint, preflight, monkeypatch
):
    use_user_with_policy(monkeypatch, ["sts:GetCallerIdentity"])

    with iam_enforced(endpoint):
        run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 2
    assert "nothing could be audited" in run.err
    assert "rds:DescribeDBInstances" in run.err
    assert run.report["units"][0]["status"] == "unknown"


def test_denied_iam_get_role_leaves_the_sql_server_role_checks_unknown(
    endpoint, preflight, monkeypatch
):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.sql_server("erp", net.db_subnet_group)
    allowed = [c.iam_action for c in declared_calls() if c.iam_action != "iam:GetRole"]
    use_user_with_policy(monkeypatch, allowed)

    with iam_enforced(endpoint):
        run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 3, run.err
    target = run.target("erp")
    assert target["verdict"] == "unknown"
    assert target["unknown"] == ["iam.sqlserver-role-s3", "iam.sqlserver-role-trust"]
    trust = run.findings("iam.sqlserver-role-trust", "erp")[0]
    assert trust["evidence"]["missing_permission"] == "iam:GetRole"
    assert "grant iam:GetRole" in trust["message"]
    assert not [f for f in run.report["findings"] if f["status"] == "fail"]


def test_an_account_whose_role_cannot_be_assumed_is_unknown_and_the_others_go_on(
    endpoint, preflight, monkeypatch, tmp_path
):
    accounts = ["111111111111", "222222222222", "333333333333"]
    sts = boto3.client("sts", region_name="eu-west-1")
    for i, account in enumerate(accounts):
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        iam = session.client("iam", region_name="us-east-1")
        iam.create_role(
            RoleName="PreflightAudit",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
        )
        iam.put_role_policy(
            RoleName="PreflightAudit",
            PolicyName="read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        with monkeypatch.context() as m:
            m.setattr(boto3, "DEFAULT_SESSION", session)
            b = Builder("eu-west-1")
            b.db(f"db-{i}", "postgres", "16.3", b.ready_network().db_subnet_group)
    refused = accounts[2]
    use_user_with_policy(monkeypatch, ["sts:GetCallerIdentity"])
    iam = boto3.client("iam", region_name="us-east-1")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": [f"arn:aws:iam::{a}:role/PreflightAudit" for a in accounts[:2]],
                    }
                ],
            }
        ),
    )
    listing = tmp_path / "accounts.csv"
    listing.write_text(
        "# production accounts\naccount_id,role_name\n"
        + "".join(f"{a},PreflightAudit\n" for a in accounts)
    )

    with iam_enforced(endpoint):
        run = preflight("audit", "--region", "eu-west-1", "--accounts-file", str(listing))

    assert run.code == 3, run.err
    status = {a["account_id"]: a["status"] for a in run.report["accounts"]}
    assert status == {accounts[0]: "audited", accounts[1]: "audited", refused: "unknown"}
    units = {u["account_id"]: u for u in run.report["units"]}
    assert units[refused]["status"] == "unknown"
    assert "sts:AssumeRole" in units[refused]["reason"]
    assert {t["db_instance_id"]: t["verdict"] for t in run.report["targets"]} == {
        "db-0": "ready",
        "db-1": "ready",
    }
    (error,) = [e for e in run.report["errors"] if e["operation"] == "AssumeRole"]
    assert error["iam_action"] == "sts:AssumeRole"
    assert error["resource_id"] == f"arn:aws:iam::{refused}:role/PreflightAudit"


def test_the_printed_least_privilege_policy_is_enough_for_a_clean_audit(
    endpoint, preflight, monkeypatch
):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.sql_server("erp", net.db_subnet_group)
    printed = preflight("permissions")
    assert printed.code == 0
    policy = json.loads(printed.out)
    (statement,) = policy["Statement"]
    use_user_with_policy(monkeypatch, statement["Action"])

    with iam_enforced(endpoint):
        run = preflight("audit", "--region", "eu-west-1")

    assert run.report["errors"] == []
    assert run.code == 0, run.out
    assert {t["verdict"] for t in run.report["targets"]} == {"ready"}


def test_optional_actions_appear_only_with_their_flags(preflight):
    plain = json.loads(preflight("permissions").out)["Statement"][0]["Action"]
    policy = json.loads(
        preflight("permissions", "--simulate", "--all-regions", "--org-role-name", "OrgAudit").out
    )
    full = policy["Statement"][0]["Action"] + policy["Statement"][1]["Action"]

    optional = {
        "iam:SimulatePrincipalPolicy",
        "ec2:DescribeRegions",
        "organizations:ListAccounts",
        "sts:AssumeRole",
    }
    assert optional.isdisjoint(plain)
    assert optional <= set(full)
    assert "rds:DescribeDBInstances" in plain
    assert policy["Statement"][1] == {  # audit's --org-role-name NAME, and only that role
        "Sid": "PreflightAssumeAuditRoles",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": ["arn:*:iam::*:role/OrgAudit"],
    }
    arn = "arn:aws:iam::210987654321:role/Audit"
    only = json.loads(preflight("permissions", "--role-arn", arn).out)["Statement"]
    assert only[1]["Resource"] == [arn]
    assert "organizations:ListAccounts" not in only[0]["Action"]
    assert preflight("permissions", "--org-role-name", "a/b").code == 2


def test_endpoint_url_sends_every_request_there_as_aws_cli_does(endpoint, tmp_path):
    """--endpoint-url, not the environment: the installed command reaches moto's server."""
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", healthy_vpc(b))
    exe = shutil.which("preflight")
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    out = tmp_path / "reports"

    done = subprocess.run(
        [exe, "audit", "--region", "eu-west-1", "--format", "json", "--output-dir", str(out),
         "--endpoint-url", endpoint],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    bad = subprocess.run(
        [exe, "audit", "--region", "eu-west-1", "--endpoint-url", "localhost:5000"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    report = json.loads((out / "latest.json").read_text())
    assert [t["db_instance_id"] for t in report["targets"]] == ["orders"]
    assert bad.returncode == 2
    assert "'localhost:5000' is not a URL: give http(s)://host[:port]" in bad.stderr
