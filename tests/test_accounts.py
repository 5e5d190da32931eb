"""Accounts, roles, regions and snapshots on moto (in process).

moto lets any role be assumed and gives the assumed session the role's account, so resources
made with those credentials live in that account.
"""

from __future__ import annotations

import json

import boto3
import pytest

from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")

OTHER = "111111111111"


def as_account(monkeypatch, account: str) -> None:
    """Make the default boto3 session act in ``account`` (for building resources there)."""
    creds = boto3.client("sts", region_name="eu-west-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    boto3.DEFAULT_SESSION = None


def build_in(monkeypatch, account: str, db: str) -> None:
    with monkeypatch.context() as m:
        as_account(m, account)
        b = Builder("eu-west-1")
        b.db(db, "postgres", "16.3", b.ready_network().db_subnet_group)
    boto3.DEFAULT_SESSION = None


def test_an_audit_through_role_arn_lands_in_the_roles_account(preflight, monkeypatch):
    build_in(monkeypatch, OTHER, "theirs")
    Builder("eu-west-1").db(
        "ours", "postgres", "16.3", Builder("eu-west-1").ready_network("10.9").db_subnet_group
    )

    run = preflight(
        "audit", "--region", "eu-west-1", "--role-arn", f"arn:aws:iam::{OTHER}:role/audit"
    )

    assert run.code == 0, run.err
    assert run.report["account_id"] == OTHER
    assert run.report["caller_arn"].startswith(f"arn:aws:sts::{OTHER}:assumed-role/audit/")
    assert [t["db_instance_id"] for t in run.report["targets"]] == ["theirs"]
    assert run.report["api_calls"]["sts.AssumeRole"] == 1


def test_an_organisation_is_audited_account_by_account_into_one_report(preflight, monkeypatch):
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="member@example.com", AccountName="member")
    member_id = member["CreateAccountStatus"]["AccountId"]
    build_in(monkeypatch, member_id, "member-db")

    run = preflight("audit", "--region", "eu-west-1", "--org-role-name", "PreflightAudit")

    accounts = [a["account_id"] for a in run.report["accounts"]]
    assert member_id in accounts
    assert "123456789012" in accounts  # the management account is an active account too
    assert run.report["account_id"] is None  # several accounts: no single one
    assert {u["account_id"] for u in run.report["units"]} == set(accounts)
    assert run.report["regions"] == ["eu-west-1"]  # the audited regions, each once
    assert run.report["summary"]["by_account"][member_id]["ready"] == 1
    assert [t["account_id"] for t in run.report["targets"]] == [member_id]
    assert "preflight-multi-" in run.out


def test_accounts_file_is_validated_with_one_clear_line(preflight, tmp_path):
    bad = tmp_path / "accounts.csv"
    bad.write_text("account,role\n1,x\n")

    run = preflight("audit", "--region", "eu-west-1", "--accounts-file", str(bad))

    assert run.code == 2
    assert "needs a header line `account_id,role_name[,external_id]`" in run.err


def test_all_regions_keeps_only_enabled_regions(preflight):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)

    run = preflight("audit", "--all-regions")

    regions = run.report["regions"]
    assert "eu-west-1" in regions
    assert "us-east-1" in regions
    described = boto3.client("ec2", region_name="eu-west-1").describe_regions(AllRegions=True)[
        "Regions"
    ]
    not_opted_in = {r["RegionName"] for r in described if r["OptInStatus"] == "not-opted-in"}
    assert not_opted_in  # moto marks some regions opt-in
    assert not_opted_in.isdisjoint(regions)
    assert run.report["api_calls"]["ec2.DescribeRegions"] == 1
    assert run.target("orders")["verdict"] == "ready"


def test_a_snapshot_replays_to_the_same_report_without_aws(preflight, tmp_path, monkeypatch):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.db("old", "postgres", "11.22", net.db_subnet_group)
    snapshot = tmp_path / "evidence.json"
    live = preflight("audit", "--region", "eu-west-1", "--save-snapshot", str(snapshot))
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name)  # no credentials, no region: nothing could reach AWS

    replay = preflight("audit", "--from-snapshot", str(snapshot))

    assert replay.code == live.code == 1
    assert live.report["replayed"] is None
    assert replay.report["replayed"]["read_at"] == live.report["generated_at"]
    for report in (live.report, replay.report):
        del report["generated_at"], report["duration_s"], report["replayed"]
    assert replay.report == live.report  # the same report but for when it was made
    assert json.loads(snapshot.read_text())["snapshot_version"] == 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "cannot be used: not JSON"),
        (
            lambda text: text.replace('"snapshot_version": 1', '"snapshot_version": 7'),
            "snapshot_version 7",
        ),
    ],
)
def test_a_broken_snapshot_is_one_line_and_exit_2(preflight, tmp_path, damage, message):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    snapshot = tmp_path / "s.json"
    preflight("audit", "--region", "eu-west-1", "--save-snapshot", str(snapshot))
    snapshot.write_text(damage(snapshot.read_text()))

    run = preflight("audit", "--from-snapshot", str(snapshot))

    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1
    assert message in run.err
    assert "Traceback" not in run.err


def test_from_snapshot_refuses_options_that_choose_what_to_read(preflight, tmp_path):
    run = preflight("audit", "--from-snapshot", str(tmp_path / "s.json"), "--region", "eu-west-1")

    assert run.code == 2
    assert "--from-snapshot replays what a saved run read" in run.err


def test_the_terminal_header_counts_an_organisations_accounts_and_names_a_few():
    from auditor.summary import summary_lines
    from tests import inventory_builder as ib

    report = ib.audit(ib.baseline()).to_dict()

    def header(count: int) -> str:
        accounts = [
            {"account_id": f"1111222233{i:02d}", "caller_arn": None, "status": "audited"}
            for i in range(count)
        ]
        return summary_lines({**report, "accounts": accounts}, [], 200)[1]

    assert "| account 111122223300, 111122223301, 111122223302 |" in header(3)
    assert "| 25 accounts | eu-west-1 |" in header(25)
    assert "111122223300" not in header(25)
