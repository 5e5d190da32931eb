"""`preflight demo`: the built-in sample account, audited by the same pipeline, no AWS needed."""

from __future__ import annotations


def test_demo_shows_ready_not_ready_and_skipped_targets(preflight, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # the summary fits the terminal: make it a wide one
    run = preflight("demo")

    assert run.code == 1  # the sample holds not-ready targets
    modes = {
        t["db_instance_id"]: tuple(
            t["modes"][m]["verdict"] for m in ("public", "private", "vpc-endpoints")
        )
        for t in run.report["targets"]
    }
    ready, not_ready, unknown = "ready", "not_ready", "unknown"
    assert modes == {
        "orders-pg": (ready, ready, ready),
        "billing-sql": (ready, ready, ready),
        "audit-sql": (not_ready, not_ready, not_ready),
        "ledger-sql": (not_ready, not_ready, not_ready),
        "payroll-sql": (not_ready, not_ready, not_ready),
        "sales-sql": (not_ready, not_ready, not_ready),
        "legacy-pg11": (not_ready, not_ready, not_ready),
        "reports-pg": (ready, not_ready, not_ready),
        "batch-pg": (not_ready, ready, ready),
        "archive-pg": (not_ready, not_ready, not_ready),
        "hr-pg": (not_ready, not_ready, not_ready),
        "erp-sql": (ready, not_ready, not_ready),
        "crowded-pg": (not_ready, not_ready, not_ready),
        "paused-pg": (not_ready, not_ready, not_ready),
        "vault-pg": (not_ready, not_ready, not_ready),
        "network-pg": (unknown, unknown, unknown),
    }
    blocking = {t["db_instance_id"]: t["modes"] for t in run.report["targets"]}
    assert blocking["reports-pg"]["private"]["blocking"] == ["vpc.dns-hostnames"]
    assert blocking["batch-pg"]["public"]["blocking"] == [
        "route.internet",
        "vpc.block-public-access",
        "vpc.internet-gateway",
    ]
    # One fix for the detached gateway: both findings say re-attach it (creating a new one
    # while the routes point at the old one would not help).
    (igw,) = run.findings("vpc.internet-gateway", "batch-pg")
    route = next(f for f in run.findings("route.internet", "batch-pg") if "public" in f["modes"])
    assert igw["remediation"] == route["remediation"]
    assert igw["remediation"].startswith("aws ec2 attach-internet-gateway --internet-gateway-id")
    # Veeam policy pg-archive: the repository is encrypted, the archive is not.
    assert blocking["hr-pg"]["public"]["blocking"] == ["route.internet", "veeam.archive"]
    assert blocking["hr-pg"]["private"]["blocking"] == ["veeam.archive"]
    # Veeam policy sql-archive archives a SQL Server target.
    assert blocking["audit-sql"]["public"]["blocking"] == ["veeam.archive"]
    assert blocking["erp-sql"]["private"]["blocking"] == ["endpoints.s3", "s3.public-endpoint"]
    assert blocking["crowded-pg"]["public"]["blocking"] == [
        "ec2.security-group-headroom",
        "s3.repository",  # Veeam policy kms-bucket: the bucket's default encryption is SSE-KMS
    ]
    assert blocking["paused-pg"]["public"]["blocking"] == ["rds.engine-supported"]
    assert blocking["archive-pg"]["public"]["blocking"] == ["vpc.dns-support"]
    assert blocking["vault-pg"]["public"]["blocking"] == ["rds.kms-key"]
    # A VPC shared over AWS RAM by an account the demo does not audit: unknown, never a fail.
    assert blocking["network-pg"]["public"]["blocking"] == []
    assert "vpc.internet-gateway" in blocking["network-pg"]["public"]["unknown"]
    (igw,) = run.findings("vpc.internet-gateway", "network-pg")
    assert "by account 210987654321 (AWS RAM)" in igw["message"]
    assert blocking["ledger-sql"]["public"]["blocking"] == ["rds.sqlserver-backup-restore"]
    assert blocking["legacy-pg11"]["public"]["blocking"] == [
        "iam.backup-role-permissions",  # Veeam policy rds-lean: no ec2:RunInstances
        "rds.engine-supported",
    ]
    policies = {t["db_instance_id"]: t["policy"] for t in run.report["targets"]}
    assert policies["orders-pg"] == policies["billing-sql"] == "rds-nightly"
    assert policies["hr-pg"] == "pg-archive"
    assert policies["reports-pg"] is None
    # Veeam policy rds-nightly: its KMS-encrypted repository is set up as Veeam documents.
    for check in ("s3.repository", "kms.repository-key", "iam.repository-role"):
        assert [f["status"] for f in run.findings(check, "orders-pg")] == ["pass"], check
    assert run.report["veeam_config"]["source"] == "veeam-demo.toml"
    assert blocking["payroll-sql"]["public"]["blocking"] == [
        "iam.sqlserver-role-trust",
        "iam.worker-role",  # Veeam policy sql-weekly: the worker role is in no instance profile
    ]
    assert blocking["sales-sql"]["public"]["blocking"] == ["iam.sqlserver-role-s3"]
    audit = [f for f in run.findings("iam.sqlserver-role-s3", "audit-sql")]
    assert [f["status"] for f in audit] == ["warn"]
    assert [s["db_instance_id"] for s in run.report["skipped"]] == ["crm-mysql"]
    assert run.report["regions"] == ["eu-west-1", "us-east-1"]
    assert run.report["errors"] == []
    assert "fix first: rds.sqlserver-backup-restore: no SQLSERVER_BACKUP_RESTORE option" in run.out
    assert "Traceback" not in run.err


def test_demo_headline_follows_worker_network(preflight):
    run = preflight("demo", "--worker-network", "vpc-endpoints")

    assert run.report["worker_network"] == "vpc-endpoints"
    assert run.target("reports-pg")["verdict"] == "not_ready"
    assert run.target("batch-pg")["verdict"] == "ready"


def test_every_path_marks_exactly_the_blocking_checks_of_its_verdict(preflight):
    run = preflight("demo")

    for t in run.report["targets"]:
        for mode, mv in t["modes"].items():
            hops = mv["path"]
            assert [h["hop"] for h in hops][:6] == [
                "db", "subnet", "vpc", "route", "gateway", "destination"
            ]  # fmt: skip
            on_fail = {c for h in hops if h["status"] == "fail" for c in h["checks"]}
            marked = {c for h in hops if h["status"] in ("fail", "unknown") for c in h["checks"]}
            where = (t["db_instance_id"], mode)
            assert set(mv["blocking"]) <= on_fail, where
            assert marked == set(mv["blocking"]) | set(mv["unknown"]), where
            assert (mv["verdict"] == "ready") == (not marked), where
            reached = hops[5]["status"]
            assert (reached == "unreached") == any(
                h["status"] in ("fail", "unknown") for h in hops[:5]
            ), where
    batch = run.target("batch-pg")["modes"]["public"]["path"]
    assert batch[3]["title"].startswith("route table: 0.0.0.0/0 -> igw-")
    assert "(not attached to this VPC)" in batch[3]["title"]


def test_the_terminal_summary_fits_the_terminal_width(preflight, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    run = preflight("demo")

    lines = run.out.splitlines()
    assert max(len(line) for line in lines if not line.startswith("report: ")) <= 80
    assert sum(line.startswith("report: ") for line in lines) == 3  # paths stay whole
    assert any(line.startswith("             fix first: route.internet: ") for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == (  # the headline first
        "NOT READY: 4 of 16 DB instance(s) ready in the public worker mode; 11 not ready"
    )
    assert lines[1:3] == [  # the header breaks between its fields, not inside one
        "preflight 0.1.0 | account 123456789012 | eu-west-1, us-east-1",
        "  worker network: public",
    ]
