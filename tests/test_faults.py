"""Faults survived: throttling and 503s through a loopback proxy, a call that never succeeds,
SIGINT, and odd but valid data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from auditor.collectors.rds import parse_db_instance
from auditor.collectors.routing import parse_route_table
from auditor.collectors.security_groups import parse_security_group
from auditor.collectors.subnets import parse_nacl, parse_subnet
from tests.builders import Builder
from tests.fault_proxy import FaultProxy, always, every_nth

pytestmark = pytest.mark.server


def demo_network() -> None:
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.db("old", "postgres", "11.22", net.db_subnet_group)
    b.sql_server("erp", net.db_subnet_group)


def verdicts(report) -> dict:
    return {
        t["db_instance_id"]: {m: v["verdict"] for m, v in t["modes"].items()}
        for t in report["targets"]
    }


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries without waiting: no exponential backoff and no adaptive rate limiting after a
    throttle (the schedule is botocore's, not ours; what these tests prove is the outcome)."""
    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0.0
    )
    monkeypatch.setattr(
        "botocore.retries.adaptive.ClientRateLimiter.on_sending_request",
        lambda self, request, **kwargs: None,
    )


@pytest.mark.usefixtures("no_backoff")
def test_throttling_and_503s_are_retried_to_the_same_verdicts(endpoint, preflight, monkeypatch):
    demo_network()
    direct = preflight("audit", "--region", "eu-west-1", "--format", "json")

    with FaultProxy(endpoint, every_nth(5)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        faulty = preflight("audit", "--region", "eu-west-1", "--format", "json")

    assert proxy.faults >= 4
    assert faulty.report["errors"] == []
    assert verdicts(faulty.report) == verdicts(direct.report)
    assert faulty.code == direct.code == 1
    assert sum(faulty.report["api_retries"].values()) == proxy.faults
    assert faulty.report["api_calls"] == direct.report["api_calls"]


@pytest.mark.usefixtures("no_backoff")
def test_a_call_that_keeps_failing_is_unknown_not_a_crash(endpoint, preflight, monkeypatch):
    demo_network()

    with FaultProxy(endpoint, always("DescribeRouteTables")) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        run = preflight("audit", "--region", "eu-west-1", "--max-attempts", "2")

    assert run.code in (1, 3)
    assert "Traceback" not in run.err
    (error,) = run.report["errors"]
    assert (error["operation"], error["code"]) == ("DescribeRouteTables", "RequestLimitExceeded")
    assert run.target("orders")["modes"]["public"]["unknown"] == ["route.internet"]
    assert run.report["api_retries"]["ec2.DescribeRouteTables"] == 1  # --max-attempts 2


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_run_and_leaves_the_previous_reports_intact(
    endpoint, tmp_path, sent, code
):
    demo_network()
    exe = shutil.which("preflight")
    assert exe
    out = tmp_path / "reports"
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    first = subprocess.run(
        [exe, "audit", "--region", "eu-west-1", "--output-dir", str(out), "-q"],
        env=env,
        check=False,
        timeout=120,
    )
    assert first.returncode == 1
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    with FaultProxy(endpoint, delay_s=0.3) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
        slow = subprocess.Popen(
            [exe, "audit", "--region", "eu-west-1", "--output-dir", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while proxy.count < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        slow.send_signal(sent)
        _, err = slow.communicate(timeout=30)

    assert slow.returncode == code
    assert "interrupted" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no .tmp left either


def test_the_smallest_valid_shapes_are_malformed_where_a_rule_needs_a_field():
    # botocore's models make every member optional; the fields the rules read are required
    # here, so a missing one is a gap (tests/test_fail_closed.py drives them end to end).
    from auditor.collectors.fields import Malformed

    with pytest.raises(Malformed, match="DBInstanceArn is missing"):
        parse_db_instance({"DBInstanceIdentifier": "x"})
    with pytest.raises(Malformed, match="State is missing"):
        parse_route_table(
            {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [],
             "Routes": [{"DestinationPrefixListId": "pl-1", "Origin": "CreateRoute"}]}
        )  # fmt: skip
    with pytest.raises(Malformed, match="VpcId is missing"):
        parse_subnet({"SubnetId": "subnet-1"})
    with pytest.raises(Malformed, match="RuleNumber is missing"):
        parse_nacl({"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": [{}]})
    with pytest.raises(Malformed, match="VpcId is missing"):
        parse_security_group({"GroupId": "sg-1"})


def _assume_role_answer(who: bytes) -> bytes:
    return (
        b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
        b"<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE11</AccessKeyId>"
        b"<SecretAccessKey>c2VjcmV0</SecretAccessKey><SessionToken>dG9rZW4=</SessionToken>"
        b"<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
        + who
        + b"</AssumeRoleResult></AssumeRoleResponse>"
    )


# What AssumeRole answers must carry: the account and the assumed-role ARN come from its
# AssumedRoleUser (no sts:GetCallerIdentity follows it).
GARBLED = {
    "not XML": (b"<html>proxy says hi", "AssumeRole"),
    "no AssumedRoleUser": (_assume_role_answer(b""), "AssumedRoleUser missing"),
    "not an assumed role": (
        _assume_role_answer(
            b"<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>"
            b"<Arn>arn:aws:iam::111111111111:user/someone</Arn></AssumedRoleUser>"
        ),
        "not an assumed-role ARN",
    ),
}


@pytest.mark.parametrize("garbled", sorted(GARBLED))
def test_a_garbled_assume_role_answer_makes_that_account_unknown(
    endpoint, preflight, monkeypatch, garbled
):
    demo_network()
    answer, reason = GARBLED[garbled]
    assumed = []

    def second_assume_role(number: int, body: bytes) -> tuple[int, bytes] | None:
        if b"Action=AssumeRole" not in body:
            return None
        assumed.append(number)
        # --max-workers 1 reaches the accounts one after another, in the order given.
        return (200, answer) if len(assumed) == 2 else None

    with FaultProxy(endpoint, second_assume_role) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        run = preflight(
            "audit", "--region", "eu-west-1", "--format", "json", "--max-workers", "1",
            "--role-arn", "arn:aws:iam::123456789012:role/audit",
            "--role-arn", "arn:aws:iam::111111111111:role/audit",
        )  # fmt: skip

    assert "Traceback" not in run.err
    assert "c2VjcmV0" not in run.out + run.err + json.dumps(run.report)  # never the secret
    accounts = {a["account_id"]: a for a in run.report["accounts"]}
    assert accounts["123456789012"]["status"] == "audited"
    assert accounts["123456789012"]["caller_arn"].startswith(
        "arn:aws:sts::123456789012:assumed-role/audit/"
    )
    assert accounts["111111111111"]["status"] == "unknown"
    assert reason in accounts["111111111111"]["reason"]
    units = {u["account_id"]: u["status"] for u in run.report["units"]}
    assert units == {"123456789012": "audited", "111111111111": "unknown"}
    assert run.code in (1, 3)  # the first account's verdicts stand; the second is unknown
    assert run.report["api_calls"]["sts.GetCallerIdentity"] == 1  # the caller's own, once


def test_accounts_are_reached_concurrently(endpoint, preflight, monkeypatch):
    """Three --role-arn accounts: their AssumeRole requests overlap (each waits at a barrier
    for another to arrive; reached one after another, the barrier would break)."""
    demo_network()
    barrier = threading.Barrier(2, timeout=10)
    broken: list[int] = []

    def meet(number: int, body: bytes) -> tuple[int, bytes] | None:
        if b"Action=AssumeRole" in body:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                broken.append(number)
        return None

    with FaultProxy(endpoint, meet) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        run = preflight(
            "audit", "--region", "eu-west-1", "--format", "json",
            "--role-arn", "arn:aws:iam::123456789012:role/audit",
            "--role-arn", "arn:aws:iam::111111111111:role/audit",
        )  # fmt: skip

    assert broken == []
    assert [a["status"] for a in run.report["accounts"]] == ["audited", "audited"]


@pytest.mark.usefixtures("no_backoff")
def test_vv_logs_the_retries_and_vvv_the_wire(endpoint, preflight, monkeypatch):
    """-vv is for reading a run: preflight's debug lines and botocore's retries, one line
    each; botocore's wire log (every request's parameters, headers and signing) waits for
    -vvv."""
    demo_network()

    with FaultProxy(endpoint, every_nth(5)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        debug = preflight("audit", "--region", "eu-west-1", "--format", "json", "-vv")
        wire = preflight("audit", "--region", "eu-west-1", "--format", "json", "-vvv")

    assert debug.err.count("Retry needed, retrying request") >= 4
    assert "Not retrying request." not in debug.err
    assert "Making request for OperationModel" not in debug.err
    assert "INFO auditor.collect" in debug.err
    assert "Making request for OperationModel" in wire.err
    assert "Not retrying request." in wire.err
    assert len(wire.err.splitlines()) > 10 * len(debug.err.splitlines())
