"""An organisation's units read in several processes (auditor.read_shares): the same units, the
same requests counted, one progress line, the run's request bound kept, and a child that fails
or runs late leaves its units not read, with the reason."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import boto3
import pytest

from auditor import forked, read_shares
from auditor.collect import UnitJob
from auditor.inventory import RegionInventory
from auditor.sessions import ApiStats, AwsSession
from tests.fault_proxy import FaultProxy
from tests.processes import signal_once_forked
from tests.test_accounts import build_in

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked work runs on Linux only")


class _Aws:
    """What read_shares asks of an account's session; who dropped its clients."""

    def __init__(self) -> None:
        self.released: list[int] = []

    def release_clients(self) -> None:
        self.released.append(os.getpid())


def _jobs(accounts: int, regions: int = 1) -> list[UnitJob]:
    return [
        UnitJob(_Aws(), f"{100000000000 + a}", region)  # type: ignore[arg-type]
        for a in range(accounts)
        for region in ["eu-west-1", "us-east-1", "ap-south-1"][:regions]
    ]


@pytest.fixture
def cores(monkeypatch):
    """Forking as on a machine with this many cores and no other thread; returns the names of
    the children started."""
    started: list[str] = []
    real = forked.Child.start

    def start(self):
        started.append(self.name)
        return real(self)

    def use(count: int) -> list[str]:
        monkeypatch.setattr(forked, "cores", lambda: count)
        return started

    monkeypatch.setattr(forked.Child, "start", start)
    return use


def _reader(stats: ApiStats, broken_in_child: set[str] | None = None) -> Callable:
    """A reader that reads nothing from AWS: each unit says which process read it and under
    which bound, and counts one request."""
    parent = os.getpid()

    def read(jobs, bound, done_one, idle):
        units = []
        for job in jobs:
            if broken_in_child and job.account_id in broken_in_child and os.getpid() != parent:
                raise RuntimeError("a collector broke")
            stats.record("ec2.DescribeVpcs", 1)
            unit = RegionInventory(job.account_id, job.region, db_instances=[])
            unit.quotas = {"pid": float(os.getpid()), "bound": float(bound)}
            units.append(unit)
            done_one()
        return units

    return read


@pytest.mark.parametrize(
    ("accounts", "regions", "max_workers", "usable", "sizes"),
    [
        (19, 1, 16, 2, [19]),  # below READ_SHARES_FROM accounts: one process
        (20, 1, 16, 1, [20]),  # one usable core (or another thread alive)
        (20, 1, 1, 2, [20]),  # --max-workers 1: one request at a time, one process
        (20, 1, 16, 2, [10, 10]),
        (21, 3, 16, 2, [33, 30]),  # an account's regions stay together
        (20, 1, 16, 8, [3, 3, 3, 3, 2, 2, 2, 2]),
        (20, 1, 3, 8, [7, 7, 6]),  # no more processes than requests in flight
    ],
)
def test_accounts_are_split_by_account_over_the_cores(
    cores, accounts, regions, max_workers, usable, sizes
):
    cores(usable)
    jobs = _jobs(accounts, regions)

    groups = read_shares.shares(jobs, max_workers)

    assert sorted((len(g) for g in groups), reverse=True) == sizes
    assert sorted(j.region + j.account_id for g in groups for j in g) == sorted(
        j.region + j.account_id for j in jobs
    )
    for group in groups:
        for job in group:  # all of an account's units in the share that holds one of them
            assert all(j in group for j in jobs if j.account_id == job.account_id)


def test_units_read_in_children_are_every_unit_with_every_request_counted(cores):
    started = cores(2)
    stats, jobs, said = ApiStats(), _jobs(30, 2), []
    read = _reader(stats)

    units = read_shares.read(jobs, 16, stats, read, lambda d, t: said.append((d, t)), None)

    assert started == ["reading"]
    assert sorted((u.account_id, u.region) for u in units) == sorted(
        (j.account_id, j.region) for j in jobs
    )
    readers = {u.quotas["pid"] for u in units}
    assert len(readers) == 2
    assert os.getpid() in readers  # the parent reads a share too
    assert {u.quotas["bound"] for u in units} == {8.0}  # 16 requests in flight in all, not 32
    assert stats.calls["ec2.DescribeVpcs"] == 60  # the child's requests added to the parent's
    assert said[-1] == (60, 60)
    assert [d for d, _ in said] == sorted(d for d, _ in said)  # one line that only grows
    there = {u.account_id for u in units if u.quotas["pid"] != os.getpid()}
    for job in jobs:  # the parent drops the clients of the accounts a child reads, only those
        assert job.aws.released == ([os.getpid()] if job.account_id in there else [])


def test_a_child_that_fails_leaves_its_units_not_read_with_the_reason(cores):
    cores(2)
    stats, jobs = ApiStats(), _jobs(20)
    groups = read_shares.shares(jobs, 16)
    theirs = {j.account_id for j in groups[1]}
    read = _reader(stats, broken_in_child=theirs)

    units = {u.account_id: u for u in read_shares.read(jobs, 16, stats, read, None, None)}

    assert len(units) == 20
    for account, unit in units.items():
        if account in theirs:
            assert unit.db_instances is None  # not read: unknown, never a pass
            [error] = unit.errors
            assert error.code == "ReaderFailed"
            assert error.explain() == (
                "preflight:Read failed (ReaderFailed): the reading child failed: RuntimeError: "
                "a collector broke"
            )
        else:
            assert unit.db_instances == []
            assert unit.errors == []
    assert stats.calls["ec2.DescribeVpcs"] == 10  # the parent's share only


def test_a_child_still_reading_past_the_deadline_is_stopped_and_its_units_are_late(
    cores, monkeypatch
):
    cores(2)
    monkeypatch.setattr(read_shares, "LATE_GRACE_S", 0.2)
    stats, jobs = ApiStats(), _jobs(20)
    parent = os.getpid()
    read = _reader(stats)

    def slow_there(jobs, bound, done_one, idle):
        if os.getpid() != parent:
            time.sleep(60)  # a read that hangs in the child, whatever the deadline
        return read(jobs, bound, done_one, idle)

    started = time.monotonic()
    units = read_shares.read(jobs, 16, stats, slow_there, None, time.monotonic() + 0.5)

    assert time.monotonic() - started < 10
    late = [u for u in units if u.errors]
    assert len(late) == 10
    assert len(units) == 20
    assert {e.code for u in late for e in u.errors} == {"DeadlineExceeded"}
    assert late[0].errors[0].message == "the unit was not read completely before --deadline"


def test_no_child_when_the_fork_fails_the_units_are_read_here(cores, monkeypatch):
    started = cores(2)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    stats, jobs = ApiStats(), _jobs(20)
    read = _reader(stats)

    units = read_shares.read(jobs, 16, stats, read, None, None)

    assert started == ["reading"]
    assert len(units) == 20
    assert {u.quotas["pid"] for u in units} == {float(os.getpid())}
    assert {u.quotas["bound"] for u in units} == {16.0}  # and the child's requests in flight


@pytest.mark.usefixtures("aws")
def test_an_organisation_read_in_two_processes_gives_the_one_process_report(
    preflight, cores, monkeypatch, tmp_path
):
    accounts = [f"{200000000000 + i}" for i in range(4)]
    for account in accounts:
        build_in(monkeypatch, account, f"pg-{account}")
    roles = [a for account in accounts for a in ("--role-arn", f"arn:aws:iam::{account}:role/a")]
    args = ("audit", "--region", "eu-west-1", "--format", "json", *roles)
    started = cores(2)

    serial = preflight(*args, "--save-snapshot", str(tmp_path / "serial.json"))
    assert started == []  # four accounts: below the threshold
    monkeypatch.setattr(read_shares, "READ_SHARES_FROM", 2)
    split = preflight(*args, "--save-snapshot", str(tmp_path / "split.json"), "-v")

    assert started == ["reading"]
    said = "reading 4 account(s) in 2 processes, at most 8/8 requests in flight in each"
    assert said in split.err  # -v says that the run reads in two processes
    assert split.code == serial.code == 0, split.err
    for key in ("targets", "units", "accounts", "api_calls", "api_retries", "errors", "summary"):
        assert split.report[key] == serial.report[key], key
    assert [t["db_instance_id"] for t in split.report["targets"]] == [f"pg-{a}" for a in accounts]
    assert split.report["api_calls"]["sts.AssumeRole"] == 4
    serial_saved, split_saved = (
        json.loads((tmp_path / f"{name}.json").read_text()) for name in ("serial", "split")
    )
    assert serial_saved.pop("read_at") != ""
    split_saved.pop("read_at")
    assert split_saved == serial_saved  # the evidence file holds the same reads


@pytest.mark.server
def test_a_child_sends_its_requests_over_connections_of_its_own(endpoint, monkeypatch):
    """One socket written by two processes would interleave their requests: a forked reader
    opens its own connection; the parent's stays open and in use."""
    with FaultProxy(endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        aws = AwsSession(boto3.Session(region_name="eu-west-1"))
        aws.client("ec2", "eu-west-1").describe_vpcs()
        assert proxy.connections == 1

        def in_child() -> int:
            aws.release_clients()
            return len(aws.client("ec2", "eu-west-1").describe_vpcs()["Vpcs"])

        assert forked.Child("reading", in_child).start().result() >= 1
        assert proxy.connections == 2
        aws.client("ec2", "eu-west-1").describe_vpcs()
        assert proxy.connections == 2  # the parent's own connection, kept alive
        assert proxy.count == 3


@pytest.mark.server
@pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2, reason="needs two usable cores"
)
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_children_read_ends_them_all_and_writes_no_report(
    endpoint, tmp_path, sent, code
):
    """The signal goes to the parent alone (as `kill PID` does): no reading child may outlive
    the run. 20 accounts (READ_SHARES_FROM) behind a proxy that makes each request slow."""
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,role_name\n" + "".join(f"{300000000000 + i},audit\n" for i in range(20))
    )
    exe = shutil.which("preflight")
    assert exe
    out = tmp_path / "reports"
    with FaultProxy(endpoint, delay_s=0.2) as proxy:
        env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
        command = [exe, "audit", "--region", "eu-west-1", "--accounts-file", str(accounts),
                   "--output-dir", str(out), "-q"]  # fmt: skip
        run = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        reading, err = signal_once_forked(run, sent)

    assert run.returncode == code
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not any(os.path.exists(f"/proc/{pid}") for pid in reading), "a child outlived the run"
    assert not out.exists() or not any(out.iterdir())
