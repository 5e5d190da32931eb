"""Command-line behaviour a user relies on beyond the audit itself."""

from __future__ import annotations

import pytest

from auditor import __version__
from tests.builders import Builder, healthy_vpc


def test_version(preflight):
    run = preflight("--version")

    assert run.code == 0
    assert run.out.strip() == f"preflight, version {__version__}"


@pytest.mark.usefixtures("aws")
def test_options_come_from_preflight_environment_variables(preflight, monkeypatch):
    b = Builder("eu-west-1")
    net = b.ready_network("10.8", "no-hostnames", dns_hostnames=False)
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    monkeypatch.setenv("PREFLIGHT_AUDIT_WORKER_NETWORK", "private")
    monkeypatch.setenv("PREFLIGHT_AUDIT_REGION", "eu-west-1")

    run = preflight("audit")

    assert run.report["worker_network"] == "private"
    assert run.report["regions"] == ["eu-west-1"]
    assert run.code == 1


@pytest.mark.usefixtures("aws")
def test_quiet_prints_nothing_but_still_writes_the_report(preflight):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", healthy_vpc(b))

    run = preflight("audit", "--region", "eu-west-1", "--quiet")

    assert run.code == 0
    assert run.out == ""
    assert run.report["summary"]["ready"] == 1


def test_checks_json_lists_each_checks_sources_and_iam_actions(preflight):
    import json

    run = preflight("checks", "--format", "json")

    listed = json.loads(run.out)
    assert run.code == 0
    assert listed["every_check_needs"] == ["sts:GetCallerIdentity"]
    route = next(c for c in listed["checks"] if c["id"] == "route.internet")
    assert "ec2:DescribeRouteTables" in route["iam_actions"]
    assert "rds:DescribeDBInstances" in route["iam_actions"]
    assert "iam:GetRole" not in route["iam_actions"]
    assert {
        "title": "AWS: Route tables",
        "url": "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html",
    } in route["docs"]
    trust = next(c for c in listed["checks"] if c["id"] == "iam.sqlserver-role-s3")
    assert trust["iam_actions_with_flag"] == {"--simulate": ["iam:SimulatePrincipalPolicy"]}
    assert all(c["docs"] for c in listed["checks"])
