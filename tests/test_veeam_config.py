"""--veeam-config: the file is validated before any AWS call (one line, exit 2), targets get
their policy, and Veeam's roles are read and judged (moto: IAM in process)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from auditor import veeam_permissions as veeam
from auditor.collect import UnitJob, collect_jobs
from auditor.engine import evaluate, load_checks
from auditor.inventory import AccountRecord
from auditor.model import Mode
from auditor.sessions import AwsSession
from auditor.veeam_config import load
from tests.builders import Builder
from tests.test_cli_errors import assert_one_line_error

ACCOUNT = "123456789012"
APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"
BACKUP = f"arn:aws:iam::{ACCOUNT}:role/VeeamRdsBackup"
WORKER = f"arn:aws:iam::{ACCOUNT}:role/VeeamProdWorker"
GOOD = f"""
appliance_principal = "{APPLIANCE}"

[[policies]]
name = "rds-nightly"
db_instances = ["orders", "pg-*"]
option = "account"
backup_role = "{BACKUP}"
worker_role = "{WORKER}"

[policies.repository]
bucket = "veeam-rds-eu"
encryption = "none"
"""


def write(tmp_path, text: str) -> str:
    path = tmp_path / "veeam.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (GOOD.replace("option =", "optoin ="), "policy 'rds-nightly': optoin: unknown key"),
        (GOOD + GOOD.split("\n", 2)[2], "policy 'rds-nightly': duplicate policy name"),
        (GOOD.replace(BACKUP, "VeeamRdsBackup"), "backup_role: 'VeeamRdsBackup' is not an IAM"),
        (GOOD.replace('option = "account"\n', ""), "policy 'rds-nightly': option: missing"),
        (
            GOOD.replace(WORKER, WORKER.replace("arn:aws:", "arn:aws-cn:")),
            "more than one partition",
        ),
        (GOOD.replace('db_instances = ["orders", "pg-*"]', 'accounts = ["12345"]'), "12-digit"),
        (
            GOOD.replace('db_instances = ["orders", "pg-*"]', 'db_instances = "orders"'),
            "give a list",
        ),
        ("appliance_principal = 5", "appliance_principal: missing"),
        ("[[policies]\n", "is not TOML"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_policy_and_key(preflight, tmp_path, text, phrase):
    path = write(tmp_path, text)

    run = preflight("audit", "--region", "eu-west-1", "--veeam-config", path)

    assert_one_line_error(run, path, phrase)


def role(name: str, trust: dict, *documents: dict) -> str:
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for i, document in enumerate(documents):
        iam.put_role_policy(
            RoleName=name, PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(document)
        )
    return arn


def allow(actions, resource="*", **extra):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}],
    }


def trusting(*principals):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
        ],
    }


def veeams_roles() -> None:
    """The backup and worker roles as Veeam documents them (trusts and actions)."""
    role("VeeamRdsBackup", trusting({"AWS": APPLIANCE}), allow(veeam.BACKUP_ROLE))
    role(
        "VeeamProdWorker",
        trusting({"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}),
        allow(veeam.WORKER_ROLE),
    )


@pytest.mark.usefixtures("aws")
def test_veeams_roles_decide_the_targets_of_their_policy(preflight, tmp_path):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.db("unmanaged", "postgres", "16.3", net.db_subnet_group)  # no policy selects it
    pass_role = allow(["iam:PassRole"], WORKER)
    lacking = [a for a in veeam.BACKUP_ROLE if a not in ("ec2:RunInstances", "iam:PassRole")]
    role("VeeamRdsBackup", trusting({"AWS": APPLIANCE}), allow(lacking), pass_role)
    role(
        "VeeamProdWorker",
        trusting({"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}),
        allow(veeam.WORKER_ROLE),
    )
    config = write(tmp_path, GOOD.split("[policies.repository]")[0])  # the roles alone

    broken = preflight("audit", "--region", "eu-west-1", "--veeam-config", config)

    assert broken.code == 1
    assert broken.target("orders")["policy"] == "rds-nightly"
    assert broken.target("orders")["blocking"] == ["iam.backup-role-permissions", "iam.worker-role"]
    assert broken.target("unmanaged")["policy"] is None
    assert broken.target("unmanaged")["verdict"] == "ready"
    (perm,) = broken.findings("iam.backup-role-permissions", "orders")
    assert "ec2:RunInstances" in perm["message"]
    assert '"Action":["ec2:RunInstances"]' in perm["remediation"]
    (worker,) = broken.findings("iam.worker-role", "orders")
    assert "it is in no instance profile" in worker["message"]
    assert broken.report["veeam_config"]["policies"][0]["name"] == "rds-nightly"
    assert "iam.ListInstanceProfilesForRole" in broken.report["api_calls"]

    iam = boto3.client("iam")
    iam.put_role_policy(
        RoleName="VeeamRdsBackup",
        PolicyName="fix",
        PolicyDocument=json.dumps(allow(["ec2:RunInstances"])),
    )
    iam.create_instance_profile(InstanceProfileName="VeeamProdWorker")
    iam.add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    fixed = preflight("audit", "--region", "eu-west-1", "--veeam-config", config)

    assert fixed.target("orders")["verdict"] == "ready"
    assert fixed.code == 0


@pytest.mark.usefixtures("aws")
def test_without_the_file_the_headline_says_what_was_not_checked(preflight, tmp_path):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    md = (tmp_path / "reports" / "latest.md").read_text()
    html = (tmp_path / "reports" / "latest.html").read_text()
    assert run.report["veeam_config"] is None
    assert run.target("orders")["policy"] is None
    assert "**Not checked:** Veeam's backup and worker roles and repositories" in md
    assert "--veeam-config" in html.split("<dl", 1)[0]  # next to the headline


@pytest.mark.usefixtures("aws")
def test_each_role_is_read_once_per_account_whatever_the_regions(preflight, tmp_path):
    for region, prefix in (("eu-west-1", "10.0"), ("us-east-1", "10.1")):
        b = Builder(region)
        net = b.ready_network(prefix)
        b.db(
            "orders" if region == "eu-west-1" else "pg-us", "postgres", "16.3", net.db_subnet_group
        )
        b.sql_server(f"erp-{region}", net.db_subnet_group)
    veeams_roles()
    config = write(tmp_path, GOOD.split("[policies.repository]")[0])

    run = preflight(
        "audit", "--region", "eu-west-1", "--region", "us-east-1", "--veeam-config", config
    )

    assert {t["policy"] for t in run.report["targets"] if t["engine"] == "postgres"} == {
        "rds-nightly"
    }
    # Veeam's two roles and the two SQL Server option roles: one GetRole each, not one per region.
    assert run.report["api_calls"]["iam.GetRole"] == 4
    assert run.report["api_calls"]["iam.ListInstanceProfilesForRole"] == 1
    (orders,) = run.findings("iam.worker-role", "orders")
    (us,) = run.findings("iam.worker-role", "pg-us")
    assert orders["message"] == us["message"]


@pytest.mark.usefixtures("aws")
def test_simulate_lets_aws_decide_for_veeams_roles(tmp_path):
    # moto does not implement iam:SimulatePrincipalPolicy: this answer is recorded in botocore's
    # shape (validated against the service model) and returned before any request is sent;
    # every other call goes to moto. An SCP denies ec2:RunInstances, which local evaluation
    # cannot see; iam:PassRole is asked on the worker role with iam:PassedToService.
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    pass_role = allow(["iam:PassRole"], WORKER)
    role("VeeamRdsBackup", trusting({"AWS": APPLIANCE}), allow(veeam.BACKUP_ROLE), pass_role)
    role(
        "VeeamProdWorker",
        trusting({"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}),
        allow(veeam.WORKER_ROLE),
    )
    iam_setup = boto3.client("iam")
    iam_setup.create_instance_profile(InstanceProfileName="VeeamProdWorker")
    iam_setup.add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    iam = aws.client("iam", "eu-west-1")
    output = iam.meta.service_model.operation_model("SimulatePrincipalPolicy").output_shape
    asked: list[dict[str, str]] = []

    def recorded(model, params, **_):
        body = params["body"]
        asked.append(body)
        actions = [v for k, v in sorted(body.items()) if k.startswith("ActionNames.member.")]
        response = {
            "EvaluationResults": [
                {
                    "EvalActionName": action,
                    "EvalResourceName": body["ResourceArns.member.1"],
                    "EvalDecision": "explicitDeny" if action == "ec2:RunInstances" else "allowed",
                    "MatchedStatements": [],
                    "MissingContextValues": [],
                }
                for action in actions
            ],
            "IsTruncated": False,
        }
        validate_parameters(response, output)
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), response

    iam.meta.events.register("before-call.iam.SimulatePrincipalPolicy", recorded)
    (tmp_path / "v.toml").write_text(GOOD.split("[policies.repository]")[0])
    config = load(tmp_path / "v.toml")

    inventory = collect_jobs(
        [UnitJob(aws, ACCOUNT, "eu-west-1")],
        [AccountRecord(ACCOUNT, None)],
        aws.stats,
        [],
        flags=frozenset({"--simulate"}),
        veeam=config,
    )
    result = evaluate(inventory, load_checks(), Mode.PUBLIC)

    (perm,) = [f for f in result.findings if f.check_id == "iam.backup-role-permissions"]
    assert perm.status == "fail"
    assert "ec2:RunInstances explicitly denied to backup role" in perm.message
    assert "decided by AWS's policy simulation (SCPs included); local evaluation disagrees" in (
        perm.message
    )
    assert perm.evidence["local_refused"] == []
    (worker,) = [f for f in result.findings if f.check_id == "iam.worker-role"]
    assert worker.status == "pass"
    assert "decided by AWS's policy simulation" in worker.message
    passes = [a for a in asked if a.get("ActionNames.member.1") == "iam:PassRole"]
    assert len(passes) == 1
    assert passes[0]["ResourceArns.member.1"] == WORKER
    assert passes[0]["ContextEntries.member.1.ContextKeyValues.member.1"] == "ec2.amazonaws.com"
    assert result.targets[0].verdict == "not_ready"


@pytest.mark.usefixtures("aws")
def test_init_suggests_a_file_that_parses_and_never_overwrites(preflight, tmp_path):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    veeams_roles()
    role(
        "VeeamRepository",
        trusting({"AWS": APPLIANCE}),
        allow(veeam.REPOSITORY_ANY),
        allow(veeam.REPOSITORY_OBJECTS, "arn:aws:s3:::veeam-backups/*"),
    )
    role("app-role", trusting({"Service": "ec2.amazonaws.com"}), allow(["s3:GetObject"]))
    path = tmp_path / "suggested.toml"

    run = preflight("veeam-config", "--init", "--region", "eu-west-1", "--output", str(path))

    assert run.code == 0, run.err
    text = path.read_text()
    config = load(path)  # the suggestion is a valid file as written
    assert config.appliance_principal == APPLIANCE
    (policy,) = config.policies
    assert policy.backup_role == BACKUP
    assert policy.worker_role == WORKER
    assert policy.db_instances == ["orders"]
    assert "veeam-backups" in text
    assert "app-role" not in text  # trusted by a service only: not Veeam's
    assert "never decides" in text

    again = preflight("veeam-config", "--init", "--region", "eu-west-1", "--output", str(path))

    assert again.code == 2
    assert "never overwrites" in again.err
    assert len(again.err.strip().splitlines()) == 1


@pytest.mark.usefixtures("aws")
def test_a_target_in_another_account_than_the_backup_role_fails_only_there(
    preflight, tmp_path, monkeypatch
):
    from tests.test_accounts import as_account

    other = "111111111111"
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    veeams_roles()
    boto3.client("iam").create_instance_profile(InstanceProfileName="VeeamProdWorker")
    boto3.client("iam").add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    with monkeypatch.context() as m:
        as_account(m, other)
        theirs = Builder("eu-west-1")
        theirs.db("pg-theirs", "postgres", "16.3", theirs.ready_network().db_subnet_group)
    boto3.DEFAULT_SESSION = None
    config = write(tmp_path, GOOD.split("[policies.repository]")[0])

    run = preflight(
        "audit", "--region", "eu-west-1", "--veeam-config", config,
        "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/audit",
        "--role-arn", f"arn:aws:iam::{other}:role/audit",
    )  # fmt: skip

    assert run.target("orders")["verdict"] == "ready"
    (trust,) = run.findings("iam.backup-role-trust", "pg-theirs")
    assert trust["status"] == "fail"
    assert f"its backup role {BACKUP} is in account {ACCOUNT}" in trust["message"]
    assert run.target("pg-theirs")["blocking"] == ["iam.backup-role-trust"]
