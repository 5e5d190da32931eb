"""SQL Server native backup readiness on moto: the option group, the role's trust and its S3
permissions, decided like AWS decides; PostgreSQL targets untouched."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from auditor.collect import collect
from auditor.engine import evaluate, load_checks
from auditor.inventory import AccountRecord
from auditor.model import Mode
from auditor.sample_account import document
from auditor.sessions import AwsSession
from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")

SQL = ("sqlserver-se", "15.00.4345.5.v1")
RDS_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "rds.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
S3_ALL = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


@pytest.fixture
def b() -> Builder:
    return Builder("eu-west-1")


@pytest.fixture
def subnets(b: Builder) -> str:
    return b.ready_network().db_subnet_group


def sql_db(b: Builder, subnets: str, role_arn: str | None, name: str = "erp") -> str:
    group = b.backup_option_group(f"{name}-backup", SQL[0], "15.00", role_arn)
    b.db(name, *SQL, subnets, option_group=group)
    return group


def by_check(run, target: str = "erp") -> dict[str, dict]:
    return {f["check_id"]: f for f in run.report["findings"] if f["target"] == target}


def test_a_well_set_up_instance_is_ready(preflight, b, subnets):
    b.sql_server("erp", subnets)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.target("erp")["verdict"] == "ready"
    found = by_check(run)
    assert found["rds.sqlserver-backup-restore"]["status"] == "pass"
    assert found["iam.sqlserver-role-trust"]["status"] == "pass"
    assert found["iam.sqlserver-role-s3"]["status"] == "pass"
    assert "SCPs" in found["iam.sqlserver-role-s3"]["message"]


def test_missing_option_fails_and_the_role_checks_are_skipped(preflight, b, subnets):
    b.db("erp", *SQL, subnets)  # the default option group

    run = preflight("audit", "--region", "eu-west-1")

    assert run.target("erp")["blocking"] == ["rds.sqlserver-backup-restore"]
    found = by_check(run)
    option = found["rds.sqlserver-backup-restore"]
    assert "default option group" in option["message"]
    assert (
        "aws rds create-option-group --option-group-name erp-native-backup" in option["remediation"]
    )
    assert (
        "aws rds modify-db-instance --db-instance-identifier erp "
        "--option-group-name erp-native-backup" in option["remediation"]
    )
    for role_check in ("iam.sqlserver-role-trust", "iam.sqlserver-role-s3"):
        assert found[role_check]["status"] == "skip"
        assert found[role_check]["evidence"] == {"skipped_because": "rds.sqlserver-backup-restore"}


def test_a_role_that_no_longer_exists(preflight, b, subnets):
    role = b.native_backup_role("gone-role")
    sql_db(b, subnets, role)
    iam = boto3.client("iam")
    iam.delete_role_policy(RoleName="gone-role", PolicyName="gone-role-0")
    iam.delete_role(RoleName="gone-role")

    run = preflight("audit", "--region", "eu-west-1")

    found = by_check(run)
    assert run.target("erp")["blocking"] == ["iam.sqlserver-role-trust"]
    assert found["iam.sqlserver-role-trust"]["message"].endswith("does not exist")
    assert found["iam.sqlserver-role-s3"]["status"] == "skip"
    assert found["iam.sqlserver-role-s3"]["evidence"] == {
        "skipped_because": "iam.sqlserver-role-trust"
    }
    assert run.report["errors"] == []  # NoSuchEntity is a fact, not a failed read


def test_a_boundary_allowing_only_list_removes_the_writes(preflight, b, subnets):
    role = b.role("bounded", document(RDS_TRUST), document(S3_ALL))
    iam = boto3.client("iam")
    boundary = iam.create_policy(
        PolicyName="list-only",
        PolicyDocument=json.dumps(
            document({"Effect": "Allow", "Action": "s3:List*", "Resource": "*"})
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=boundary)
    sql_db(b, subnets, role)

    run = preflight("audit", "--region", "eu-west-1")

    s3 = by_check(run)["iam.sqlserver-role-s3"]
    assert s3["status"] == "fail"
    assert (
        f"the permissions boundary permissions boundary {boundary} does not allow it"
        in s3["message"]
    )
    assert "s3:ListBucket" not in s3["message"].split(" on a bucket")[0]


@pytest.mark.parametrize(("default_grants", "expected"), [(True, "pass"), (False, "fail")])
def test_only_the_default_version_of_a_managed_policy_counts(
    preflight, b, subnets, default_grants, expected
):
    iam = boto3.client("iam")
    nothing = document({"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"})
    arn = iam.create_policy(PolicyName="versions", PolicyDocument=json.dumps(nothing))["Policy"]
    iam.create_policy_version(  # v2 grants S3; only when it is the default version does it count
        PolicyArn=arn["Arn"],
        PolicyDocument=json.dumps(document(S3_ALL)),
        SetAsDefault=default_grants,
    )
    role = b.role("managed", document(RDS_TRUST))
    iam.attach_role_policy(RoleName="managed", PolicyArn=arn["Arn"])
    sql_db(b, subnets, role)

    run = preflight("audit", "--region", "eu-west-1")

    assert by_check(run)["iam.sqlserver-role-s3"]["status"] == expected


def test_simulate_lets_aws_decide_and_reports_a_disagreement(b, subnets):
    # moto does not implement iam:SimulatePrincipalPolicy: this answer is recorded in botocore's
    # shape (validated against the service model below) and returned before any request is
    # sent; every other call goes to moto. It shows an SCP denying s3:PutObject, which local
    # evaluation cannot see.
    b.sql_server("erp", subnets)
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    iam = aws.client("iam", "eu-west-1")
    output = iam.meta.service_model.operation_model("SimulatePrincipalPolicy").output_shape

    def recorded(model, params, **_):
        if model.name != "SimulatePrincipalPolicy":
            return None
        actions = [
            v for k, v in sorted(params["body"].items()) if k.startswith("ActionNames.member.")
        ]
        resource = params["body"]["ResourceArns.member.1"]
        response = {
            "EvaluationResults": [
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": "explicitDeny" if action == "s3:PutObject" else "allowed",
                    "MatchedStatements": [],
                    "MissingContextValues": [],
                    "OrganizationsDecisionDetail": {
                        "AllowedByOrganizations": action != "s3:PutObject"
                    },
                }
                for action in actions
            ],
            "IsTruncated": False,
        }
        validate_parameters(response, output)
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), response

    iam.meta.events.register("before-call.iam.SimulatePrincipalPolicy", recorded)

    inventory = collect(
        aws, AccountRecord("123456789012", None), ["eu-west-1"], [], flags=frozenset({"--simulate"})
    )
    result = evaluate(inventory, load_checks(), Mode.PUBLIC)

    (s3,) = [f for f in result.findings if f.check_id == "iam.sqlserver-role-s3"]
    assert s3.status == "fail"
    assert s3.message.startswith("AWS's policy simulation refuses s3:PutObject (explicitDeny)")
    assert "local evaluation disagrees (local: pass)" in s3.message
    assert "s3:PutObject: allowed" in s3.evidence["local_decisions"]
    assert "s3:PutObject: explicitDeny" in s3.evidence["aws_decisions"]
    assert result.targets[0].verdict == "not_ready"


def _four_sql_servers(b: Builder, subnets: str) -> None:
    """Four SQL Server DB instances, each with its own option group: three set up right, one
    whose group lacks SQLSERVER_BACKUP_RESTORE; and an option group no target uses."""
    role = b.native_backup_role("native-backup")
    for name in ("erp", "crm", "hr"):
        group = b.backup_option_group(f"{name}-backup", SQL[0], "15.00", role)
        b.db(name, *SQL, subnets, option_group=group)
    b.rds.create_option_group(
        OptionGroupName="bare", EngineName=SQL[0], MajorEngineVersion="15.00",
        OptionGroupDescription="no native backup",
    )  # fmt: skip
    b.db("ops", *SQL, subnets, option_group="bare")
    b.backup_option_group("unused-backup", SQL[0], "15.00", role)


def _verdicts(run) -> dict[str, str]:
    return {t["db_instance_id"]: t["verdict"] for t in run.report["targets"]}


def test_many_option_groups_of_one_engine_are_listed_in_one_request(
    preflight, b, subnets, monkeypatch
):
    from auditor.collectors import option_groups

    _four_sql_servers(b, subnets)

    listed = preflight("audit", "--region", "eu-west-1", "--format", "json")
    monkeypatch.setattr(option_groups, "LIST_FROM", 99)  # each read by name, as before
    by_name = preflight("audit", "--region", "eu-west-1", "--format", "json")

    assert listed.report["api_calls"]["rds.DescribeOptionGroups"] == 1
    assert by_name.report["api_calls"]["rds.DescribeOptionGroups"] == 4
    assert _verdicts(listed) == {"crm": "ready", "erp": "ready", "hr": "ready", "ops": "not_ready"}
    assert listed.report["findings"] == by_name.report["findings"]
    assert listed.report["errors"] == by_name.report["errors"] == []
    assert by_check(listed, "ops")["rds.sqlserver-backup-restore"]["status"] == "fail"


@pytest.mark.filterwarnings("ignore:Exception\\(RDSClientError\\) with code AccessDenied")
def test_a_refused_listing_reads_each_option_group_by_name_and_is_no_gap(
    preflight, b, subnets, monkeypatch
):
    """A policy may allow rds:DescribeOptionGroups on some option groups' ARNs only: the
    engine's listing is refused, each group read by name is allowed. moto has no IAM here, so
    its backend refuses the listing as RDS would."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    _four_sql_servers(b, subnets)
    real = RDSBackend.describe_option_groups

    def refuse_listing(self, kwargs):
        if not kwargs.get("option_group_name"):
            raise RDSClientError("AccessDenied", "not authorized to list option groups")
        return real(self, kwargs)

    monkeypatch.setattr(RDSBackend, "describe_option_groups", refuse_listing)

    run = preflight("audit", "--region", "eu-west-1", "--format", "json", "-v")

    assert run.report["api_calls"]["rds.DescribeOptionGroups"] == 1 + 4
    assert run.report["errors"] == []  # every group was read: nothing is unknown
    assert _verdicts(run) == {"crm": "ready", "erp": "ready", "hr": "ready", "ops": "not_ready"}
    assert "listing the sqlserver-se option groups: rds:DescribeOptionGroups was denied" in run.err
    assert "each is read by name instead" in run.err


def test_two_option_groups_are_read_by_name(preflight, b, subnets):
    for name in ("erp", "crm"):
        b.sql_server(name, subnets)

    run = preflight("audit", "--region", "eu-west-1", "--format", "json")

    assert run.report["api_calls"]["rds.DescribeOptionGroups"] == 2  # a listing would read more
    assert _verdicts(run) == {"crm": "ready", "erp": "ready"}
