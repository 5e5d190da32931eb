"""The JSON report's shape is a contract (DESIGN.md, schema_version 1): keys change only by
adding. These tests fail when a field disappears or is renamed."""

from __future__ import annotations

import re

import pytest

from auditor import __version__

TOP = {
    "schema_version",
    "tool",
    "generated_at",
    "replayed",
    "duration_s",
    "account_id",
    "caller_arn",
    "accounts",
    "regions",
    "units",
    "worker_network",
    "worker_configuration",
    "not_found",
    "summary",
    "targets",
    "skipped",
    "findings",
    "errors",
    "api_calls",
    "api_retries",
}
TARGET = {
    "account_id",
    "region",
    "db_instance_id",
    "engine",
    "engine_version",
    "status",
    "availability_zone",
    "vpc_id",
    "verdict",
    "blocking",
    "unknown",
    "modes",
}
MODE = {"verdict", "blocking", "unknown", "worker_subnets"}
FINDING = {
    "check_id", "status", "severity", "modes", "account_id", "region", "target", "resource_id",
    "message", "remediation", "evidence",
}  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    import json

    from auditor.cli import main

    out = tmp_path_factory.mktemp("contract")
    with pytest.raises(SystemExit):
        main(["demo", "--quiet", "--output-dir", str(out)])
    return json.loads((out / "latest.json").read_text())


def test_top_level_fields(report):
    assert set(report) >= TOP
    assert report["schema_version"] == 1
    assert report["tool"] == {"name": "preflight", "version": __version__}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["generated_at"])
    assert isinstance(report["duration_s"], float)
    assert report["account_id"] == "123456789012"
    assert set(report["summary"]) == {
        "targets",
        "ready",
        "not_ready",
        "unknown",
        "skipped",
        "by_account",
    }
    assert all(set(u) == {"account_id", "region", "status", "reason"} for u in report["units"])
    assert all(
        set(a) == {"account_id", "caller_arn", "status", "reason"} for a in report["accounts"]
    )


def test_targets_repeat_the_headline_mode(report):
    for target in report["targets"]:
        assert set(target) >= TARGET
        assert list(target["modes"]) == ["public", "private", "vpc-endpoints"]
        assert all(set(m) >= MODE for m in target["modes"].values())
        head = target["modes"][report["worker_network"]]
        assert (target["verdict"], target["blocking"], target["unknown"]) == (
            head["verdict"],
            head["blocking"],
            head["unknown"],
        )


def test_findings_are_sorted_and_evidence_is_flat_strings(report):
    findings = report["findings"]
    assert findings
    for f in findings:
        assert set(f) >= FINDING
        assert f["status"] in {"pass", "fail", "warn", "unknown", "skip"}
        assert all(isinstance(v, str | list) for v in f["evidence"].values())
    keys = [
        (f["account_id"], f["region"], f["target"] or "", f["check_id"], f["resource_id"] or "")
        for f in findings
    ]
    assert keys == sorted(keys)


def test_summary_counts_the_headline_verdicts(report):
    verdicts = [t["verdict"] for t in report["targets"]]
    counts = {
        "targets": len(verdicts),
        "ready": verdicts.count("ready"),
        "not_ready": verdicts.count("not_ready"),
        "unknown": verdicts.count("unknown"),
        "skipped": len(report["skipped"]),
    }
    assert report["summary"] == {**counts, "by_account": {"123456789012": counts}}
