"""`preflight demo`: the built-in sample account, audited by the same pipeline, no AWS needed."""

from __future__ import annotations


def test_demo_shows_ready_not_ready_and_skipped_targets(preflight):
    run = preflight("demo")

    assert run.code == 1  # the sample holds not-ready targets
    verdicts = {t["db_instance_id"]: t["verdict"] for t in run.report["targets"]}
    assert verdicts == {
        "orders-pg": "ready",
        "billing-sql": "ready",
        "reports-pg": "ready",
        "legacy-pg11": "not_ready",
        "archive-pg": "not_ready",
        "paused-pg": "not_ready",
    }
    reports = run.target("reports-pg")["modes"]
    assert reports["private"]["blocking"] == ["vpc.dns-hostnames"]
    assert run.target("archive-pg")["blocking"] == ["vpc.dns-support"]
    assert [s["db_instance_id"] for s in run.report["skipped"]] == ["crm-mysql"]
    assert run.report["regions"] == ["eu-west-1", "us-east-1"]
    assert "Traceback" not in run.err


def test_demo_headline_follows_worker_network(preflight):
    run = preflight("demo", "--worker-network", "vpc-endpoints")

    assert run.report["worker_network"] == "vpc-endpoints"
    assert run.target("reports-pg")["verdict"] == "not_ready"
