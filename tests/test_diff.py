"""Diff for scheduled audits: what got fixed, what broke, and the exit codes cron acts on."""

from __future__ import annotations

import json

import pytest

from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")


def save(tmp_path, name, report):
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return str(path)


def test_a_fixed_vpc_is_resolved_and_a_newly_broken_one_is_a_regression(preflight, tmp_path):
    b = Builder("eu-west-1")
    broken = b.ready_network("10.0", "was-broken", dns_support=False)
    fine = b.ready_network("10.1", "was-fine")
    b.db("fixed-db", "postgres", "16.3", broken.db_subnet_group)
    b.db("broken-db", "postgres", "16.3", fine.db_subnet_group)
    old = preflight("audit", "--region", "eu-west-1")
    b.ec2.modify_vpc_attribute(VpcId=broken.vpc_id, EnableDnsSupport={"Value": True})
    b.ec2.modify_vpc_attribute(VpcId=fine.vpc_id, EnableDnsSupport={"Value": False})
    baseline = save(tmp_path, "old.json", old.report)

    new = preflight("audit", "--region", "eu-west-1", "--baseline", baseline)

    changes = {c["db_instance_id"]: c for c in new.report["changes"]["targets"]}
    assert changes["fixed-db"]["resolved_blockers"] == ["vpc.dns-support"]
    assert changes["fixed-db"]["regression"] is False
    assert changes["broken-db"]["new_blockers"] == ["vpc.dns-support"]
    assert changes["broken-db"]["verdict"] == {"before": "ready", "after": "not_ready"}
    assert changes["broken-db"]["regression"] is True
    assert new.report["changes"]["regressions"] == 1
    assert "REGRESSION" in new.out

    diff = preflight("diff", baseline, save(tmp_path, "new.json", new.report))
    assert diff.code == 1
    assert "broken-db: ready -> not_ready; new blockers vpc.dns-support" in diff.out
    same = preflight("diff", baseline, baseline)
    assert same.code == 0


def test_fail_on_regression_turns_a_regression_into_exit_1(preflight, tmp_path):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    ready = preflight("audit", "--region", "eu-west-1")
    baseline = save(tmp_path, "old.json", ready.report)
    b.db("newcomer", "postgres", "11.22", net.db_subnet_group)  # appears: listed, not counted

    run = preflight(
        "audit", "--region", "eu-west-1", "--baseline", baseline, "--fail-on-regression"
    )

    assert run.report["changes"]["added"][0]["db_instance_id"] == "newcomer"
    assert run.report["changes"]["regressions"] == 0
    assert run.code == 1  # newcomer is not ready: exit 1 anyway


def test_a_baseline_of_another_worker_mode_is_a_clear_error(preflight, tmp_path, monkeypatch):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    private = preflight("audit", "--region", "eu-west-1", "--worker-network", "private")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)  # a request now would say "no credentials"

    saved = save(tmp_path, "p.json", private.report)
    run = preflight("audit", "--region", "eu-west-1", "--baseline", saved)
    other = preflight(
        "audit", "--worker-network", "private", "--baseline", saved,
        "--role-arn", "arn:aws:iam::444455556666:role/audit",
    )  # fmt: skip

    assert run.code == 2
    assert "judged the 'private' worker mode, this run 'public': rerun with --worker-network" in (
        run.err
    )
    assert len(run.err.strip().splitlines()) == 1
    assert other.code == 2
    assert "is of account 123456789012, this run reads 444455556666" in other.err


def test_an_unreadable_baseline_fails_before_any_request(preflight, tmp_path):
    (tmp_path / "broken.json").write_text("{not json")

    run = preflight("audit", "--region", "eu-west-1", "--baseline", str(tmp_path / "broken.json"))

    assert run.code == 2
    assert "is not JSON" in run.err
    assert run.report is None


def test_the_first_night_has_no_baseline_yet_and_is_no_error(preflight, tmp_path):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)

    run = preflight(
        "audit",
        "--region",
        "eu-west-1",
        "--baseline",
        str(tmp_path / "latest.json"),
        "--fail-on-regression",
    )

    assert run.code == 0
    assert "no earlier report" in run.err
    assert "changes" not in run.report
