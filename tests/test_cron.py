"""Running from cron: a config file under flags and the environment, --keep, JSON logs."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def config(tmp_path, monkeypatch):
    home = tmp_path / "xdg"
    (home / "preflight").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    path = home / "preflight" / "config.toml"
    path.write_text('[demo]\nworker-network = "private"\nkeep = 2\n')
    return path


def test_config_file_under_environment_under_flags(preflight, config, monkeypatch):
    from_file = preflight("demo", "-q")
    monkeypatch.setenv("PREFLIGHT_DEMO_WORKER_NETWORK", "vpc-endpoints")
    from_env = preflight("demo", "-q")
    from_flag = preflight("demo", "-q", "--worker-network", "public")

    assert from_file.report["worker_network"] == "private"
    assert from_env.report["worker_network"] == "vpc-endpoints"
    assert from_flag.report["worker_network"] == "public"


def test_a_bad_config_file_is_one_line(preflight, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[audit]\nregion = [unterminated\n")

    run = preflight("--config", str(bad), "demo")

    assert run.code == 2
    assert "cannot be read" in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_keep_leaves_the_newest_reports_of_each_format(preflight, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    for stamp in ("20261101T000000Z", "20261102T000000Z", "20261103T000000Z"):
        for ext in ("json", "html", "md"):
            (out / f"preflight-123456789012-{stamp}.{ext}").write_text("old")

    run = preflight("demo", "-q", "--keep", "2", "--output-dir", str(out))

    stamped = sorted(p.name for p in out.glob("preflight-*.json"))
    assert len(stamped) == 2
    assert stamped[0] == "preflight-123456789012-20261103T000000Z.json"
    assert len(list(out.glob("preflight-*.html"))) == len(list(out.glob("preflight-*.md"))) == 2
    assert (out / "latest.json").exists()
    assert run.code == 1


def test_json_logs_are_one_object_per_line(preflight):
    run = preflight("demo", "-q", "-v", "--log-format", "json")

    lines = [line for line in run.err.splitlines() if line.strip()]
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)


def test_keep_prunes_only_this_accounts_reports(preflight, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    others = [
        "preflight-notes-20261101T000000Z.md",
        "preflight-444455556666-20261101T000000Z.json",
        "preflight-multi-20261101T000000Z.json",
    ]
    for name in others:
        (out / name).write_text("keep me")
    for stamp in ("20261101T000000Z", "20261102T000000Z"):
        (out / f"preflight-123456789012-{stamp}.json").write_text("old")

    preflight("demo", "-q", "--keep", "1", "--format", "json", "--output-dir", str(out))

    assert all((out / name).exists() for name in others)
    assert len(list(out.glob("preflight-123456789012-*.json"))) == 1
