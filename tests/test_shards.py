"""Beyond one machine: --shard i/n runs a deterministic slice; merge joins the slices."""

from __future__ import annotations

import pytest

from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")

REGIONS = ["--region", "eu-west-1", "--region", "us-east-1", "--region", "eu-central-1"]


def build() -> None:
    for i, region in enumerate(("eu-west-1", "us-east-1", "eu-central-1")):
        b = Builder(region)
        net = b.ready_network(f"10.{i}")
        b.db(f"db-{region}", "postgres", "16.3", net.db_subnet_group)
        b.db(f"old-{region}", "postgres", "11.22", net.db_subnet_group)


def comparable(report: dict) -> dict:
    keep = ("units", "targets", "skipped", "findings", "errors", "summary", "regions", "accounts")
    return {k: report[k] for k in keep}


def test_shards_cover_every_unit_once_and_merge_to_the_whole(preflight, tmp_path):
    build()
    whole = preflight("audit", *REGIONS, "--output-dir", str(tmp_path / "whole"))
    shards = []
    for i in range(2):
        run = preflight(
            "audit", *REGIONS, "--shard", f"{i}/2", "--output-dir", str(tmp_path / f"s{i}")
        )
        shards.append(run)

    units = [[u["region"] for u in s.report["units"]] for s in shards]
    assert sorted(units[0] + units[1]) == ["eu-central-1", "eu-west-1", "us-east-1"]
    assert not set(units[0]) & set(units[1])

    merged = preflight(
        "merge",
        str(tmp_path / "s0" / "latest.json"),
        str(tmp_path / "s1" / "latest.json"),
        "--output-dir",
        str(tmp_path / "merged"),
    )

    assert merged.code == whole.code == 1
    assert comparable(merged.report) == comparable(whole.report)


def test_merging_overlapping_units_is_a_clear_error(preflight, tmp_path):
    build()
    run = preflight("audit", "--region", "eu-west-1", "--output-dir", str(tmp_path / "a"))
    assert run.code == 1
    report = str(tmp_path / "a" / "latest.json")

    merged = preflight("merge", report, report, "--output-dir", str(tmp_path / "m"))

    assert merged.code == 2
    assert "is in report 1 and report 2" in merged.err
    assert len(merged.err.strip().splitlines()) == 1


def test_a_bad_shard_is_a_usage_error(preflight):
    run = preflight("audit", "--region", "eu-west-1", "--shard", "2/2")

    assert run.code == 2
    assert "0 <= i < n" in run.err


def test_a_missing_shard_is_refused_unless_partial_and_then_incomplete(preflight, tmp_path):

    from auditor.model import report_exit_code
    from reports.merge import MergeError, merge

    shard = {
        "schema_version": 1,
        "worker_network": "public",
        "accounts": [],
        "units": [],
        "targets": [],
        "skipped": [],
        "findings": [],
        "errors": [],
        "api_calls": {},
        "api_retries": {},
        "regions": [],
        "generated_at": "2026-12-01T00:00:00Z",
        "duration_s": 1.0,
        "account_id": None,
        "caller_arn": None,
        "not_found": [],
        "shard": {"index": 0, "count": 2},
    }

    with pytest.raises(MergeError, match="shard\\(s\\) 1/2 missing"):
        merge([shard])
    partial = merge([shard], allow_partial=True)

    assert partial["missing_shards"] == ["1/2"]
    assert report_exit_code(partial) == 3


def test_a_report_with_an_unknown_verdict_word_is_refused(preflight, tmp_path):
    import json

    bad = tmp_path / "r.json"
    bad.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "worker_network": "public",
                "summary": {},
                "findings": [],
                "targets": [{"verdict": "fine", "modes": {}}],
            }
        )
    )

    run = preflight("render", str(bad))

    assert run.code == 2
    assert "verdict is none of ready, not_ready, unknown" in run.err
