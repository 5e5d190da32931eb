"""Least privilege proven on moto's server with IAM enforced: each action of the printed policy
taken away in turn is named, makes the run incomplete, and never turns a check into a pass or a
fail it was not."""

from __future__ import annotations

import pytest

from auditor.collectors import declared_calls
from tests.builders import Builder
from tests.server_helpers import iam_enforced, post, use_user_with_policy

pytestmark = pytest.mark.server

# moto answers sts:GetCallerIdentity for any valid key: it cannot be taken away here.
NOT_DENIABLE = {"sts:GetCallerIdentity"}
# The snapshot quota falls back to Service Quotas and a snapshot count when this is denied.
WITH_FALLBACK = {"rds:DescribeAccountAttributes"}
POLICY = sorted({c.iam_action for c in declared_calls() if c.flag is None})


def audit_with(endpoint, preflight, monkeypatch, actions):
    post(f"{endpoint}/moto-api/reset")
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.db("old", "postgres", "11.22", net.db_subnet_group)
    b.sql_server("erp", net.db_subnet_group)
    use_user_with_policy(monkeypatch, actions)
    with iam_enforced(endpoint):
        return preflight("audit", "--region", "eu-west-1", "--format", "json")


def outcome(report):
    verdicts = {t["db_instance_id"]: t["verdict"] for t in report["targets"]}
    fails = {(f["check_id"], f["target"]) for f in report["findings"] if f["status"] == "fail"}
    return verdicts, fails


_FULL: dict[str, object] = {}


def full_run(endpoint, preflight, monkeypatch):
    """The audit under the whole printed policy, once per test process."""
    if "report" not in _FULL:
        with monkeypatch.context() as m:
            full = audit_with(endpoint, preflight, m, POLICY)
        _FULL["report"] = full.report
    return _FULL["report"]


def test_the_printed_policy_reads_everything(endpoint, preflight, monkeypatch):
    report = full_run(endpoint, preflight, monkeypatch)

    assert report["errors"] == []
    assert outcome(report)[0] == {"orders": "ready", "old": "not_ready", "erp": "ready"}


@pytest.mark.parametrize("action", [a for a in POLICY if a not in NOT_DENIABLE])
def test_each_action_taken_away_is_named_and_changes_nothing_else(
    endpoint, preflight, monkeypatch, action
):
    full = full_run(endpoint, preflight, monkeypatch)
    base_verdicts, base_fails = outcome(full)
    by_key = {c.key: c.iam_action for c in declared_calls()}
    used = {by_key[k] for k in full["api_calls"]}

    with monkeypatch.context() as m:
        run = audit_with(endpoint, preflight, m, [a for a in POLICY if a != action])

    if action == "rds:DescribeDBInstances":
        assert run.code == 2, run.err  # nothing at all can be audited without it
        assert "rds:DescribeDBInstances" in run.err
        return
    verdicts, fails = outcome(run.report)
    if action not in used or action in WITH_FALLBACK:  # conditional, or answered otherwise
        assert run.report["errors"] == []
        assert verdicts == base_verdicts
        return
    assert {e["iam_action"] for e in run.report["errors"]} == {action}
    assert run.code == (1 if "not_ready" in verdicts.values() else 3)
    assert fails <= base_fails, fails - base_fails  # nothing newly fails
    assert all(base_verdicts[t] == "ready" for t, v in verdicts.items() if v == "ready")
    for f in run.report["findings"]:
        if f["evidence"].get("missing_permission") == action:
            assert f["status"] == "unknown", f["check_id"]
