"""Work in forked children (auditor.forked): a large audit judges its units and writes its
report formats on every core, and says exactly what a serial run says, including how it fails.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from auditor import engine, forked
from auditor.engine import evaluate
from auditor.inventory import AccountRecord, Inventory, RegionInventory, WorkerConfig
from auditor.model import Mode
from reports import publish as publishing
from reports.files import write_reports
from tests import inventory_builder as ib

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked work runs on Linux only")


def test_a_child_answers_with_what_its_work_returns():
    assert forked.start("sum", lambda: {"total": sum(range(10))}).result() == {"total": 45}


def test_an_oserror_in_the_child_is_the_same_oserror_in_the_parent():
    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left") as raised:
        forked.start("report", full).result()

    assert (raised.value.errno, raised.value.strerror) == (errno.ENOSPC, "No space left on device")


def test_a_defect_in_the_child_names_the_error_and_the_child():
    def broken() -> None:
        raise ValueError("the template broke")

    with pytest.raises(forked.ChildFailed, match="the html report child failed: ValueError: the"):
        forked.start("html report", broken).result()


def test_a_killed_child_is_a_failure_not_an_empty_answer():
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(forked.ChildFailed, match="ended on signal 9"):
        forked.start("evaluation", killed).result()


def test_stop_kills_and_reaps_a_child_still_working():
    child = forked.start("evaluation", lambda: time.sleep(60))
    pid = child.pid

    child.stop()

    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, 0)
    child.stop()  # twice is harmless


def test_no_fork_while_another_thread_runs():
    done = threading.Event()
    worker = threading.Thread(target=done.wait)
    worker.start()
    try:
        assert forked.cores() == 1
    finally:
        done.set()
        worker.join()


@pytest.fixture
def two_cores(monkeypatch):
    """Forking as on a 2-core machine with no other thread, whatever runs the tests; returns
    the names of the children started."""
    started: list[str] = []
    real = forked.start

    def start(name, work):
        started.append(name)
        return real(name, work)

    monkeypatch.setattr(forked, "cores", lambda: 2)
    monkeypatch.setattr(forked, "start", start)
    return started


def _inventory() -> Inventory:
    """Three units: two where `db` and its siblings are judged, one whose DB instances were not
    read; the second unit's DB instance is stopped, so verdicts differ between them."""
    first = ib.baseline()
    assert first.db_instances is not None
    first.db_instances += [
        ib.db_instance(db_instance_id=f"db-{i}", arn=f"arn:aws:rds:::db:db-{i}") for i in range(3)
    ]
    second = ib.baseline("sqlserver-se")
    second.account_id = "444455556666"
    ib.db(second).status = "stopped"
    unread = RegionInventory(account_id=ib.ACCOUNT, region="us-east-1", db_instances=None)
    assert first.db_instances is not None
    return Inventory(
        accounts=[AccountRecord(ib.ACCOUNT, f"arn:aws:iam::{ib.ACCOUNT}:user/auditor")],
        regions=[first, second, unread],
        worker_config=WorkerConfig(),
    )


def test_units_judged_in_children_give_the_serial_result(two_cores, monkeypatch):
    serial = evaluate(_inventory(), ib.CHECKS, Mode.PRIVATE).to_dict()
    assert two_cores == []  # below the threshold: no child

    monkeypatch.setattr(engine, "PARALLEL_FROM", 0)
    parallel = evaluate(_inventory(), ib.CHECKS, Mode.PRIVATE).to_dict()

    assert two_cores == ["evaluation"]
    assert parallel == serial
    verdicts = {(t["account_id"], t["db_instance_id"]): t["verdict"] for t in parallel["targets"]}
    assert verdicts[(ib.ACCOUNT, "db-0")] == "ready"
    assert verdicts[("444455556666", "db")] == "not_ready"
    assert sorted((u["account_id"], u["region"], u["status"]) for u in parallel["units"]) == [
        (ib.ACCOUNT, "eu-west-1", "audited"),
        (ib.ACCOUNT, "us-east-1", "unknown"),
        ("444455556666", "eu-west-1", "audited"),
    ]


def test_a_failing_evaluation_child_fails_the_run(two_cores, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_FROM", 0)
    inventory = _inventory()  # the parent judges eu-west-1 (4 DB instances), a child the rest
    real = engine._evaluate_unit

    def broken(inventory, checks, headline, veeam, unit):
        if unit.account_id == "444455556666" and os.getpid() != parent:
            raise RuntimeError("a plugin broke")
        return real(inventory, checks, headline, veeam, unit)

    parent = os.getpid()
    monkeypatch.setattr(engine, "_evaluate_unit", broken)

    with pytest.raises(forked.ChildFailed, match="RuntimeError: a plugin broke"):
        evaluate(inventory, ib.CHECKS, Mode.PUBLIC)


STEM = "preflight-1-20261203T100000Z"


def test_formats_written_by_children_are_the_formats_written_here(tmp_path, two_cores):
    outputs = {"json": ['{"run": 1}', "\n"], "html": iter(["<p>", "1</p>\n"]), "md": ["# 1\n"]}

    paths = write_reports(outputs, tmp_path, STEM, parallel=True)

    assert two_cores == ["html report", "md report"]
    assert [p.name for p in paths] == [f"{STEM}.json", f"{STEM}.html", f"{STEM}.md"]
    for name, text in (("json", '{"run": 1}\n'), ("html", "<p>1</p>\n"), ("md", "# 1\n")):
        assert (tmp_path / f"latest.{name}").read_text() == text
        assert (tmp_path / f"{STEM}.{name}").read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"latest.{e}" for e in ("json", "html", "md")] + [p.name for p in paths]
    )


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (RuntimeError("the template broke"), forked.ChildFailed),
        (OSError(errno.ENOSPC, "No space left on device"), OSError),
    ],
)
def test_a_format_failing_in_its_child_leaves_every_previous_report(
    tmp_path, two_cores, failure, raised
):
    write_reports({"json": ['{"run": 1}\n'], "html": ["<p>1</p>\n"]}, tmp_path, STEM)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}

    def html() -> Iterator[str]:
        yield "<p>2 "
        raise failure

    with pytest.raises(raised):
        write_reports(
            {"json": ['{"run": 2}\n'], "html": html()},
            tmp_path,
            "preflight-1-20261203T110000Z",
            parallel=True,
        )

    assert two_cores == ["html report"]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before  # no temporary left


def test_interrupted_while_a_child_writes_stops_it_and_keeps_the_previous_reports(
    tmp_path, two_cores, monkeypatch
):
    write_reports({"json": ['{"run": 1}\n'], "html": ["<p>1</p>\n"]}, tmp_path, STEM)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    children: list[forked.Child] = []
    real = forked.start

    def start(name, work):
        children.append(real(name, work))
        return children[-1]

    monkeypatch.setattr(forked, "start", start)

    def slow_html() -> Iterator[str]:
        yield "<p>"
        time.sleep(60)
        yield "2</p>"

    def interrupted_json() -> Iterator[str]:
        yield "{"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_reports(
            {"json": interrupted_json(), "html": slow_html()},
            tmp_path,
            "preflight-1-20261203T110000Z",
            parallel=True,
        )

    assert [c.pid for c in children] == [0]  # killed and reaped, not left writing
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before


def test_a_large_report_is_published_by_children_byte_for_byte(tmp_path, two_cores, monkeypatch):
    report = ib.audit(ib.baseline("sqlserver-se"), Mode.VPC_ENDPOINTS).to_dict()
    when = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    serial = publishing.publish(report, ("json", "html", "md"), tmp_path / "serial", when)
    assert two_cores == []

    monkeypatch.setattr(publishing, "PARALLEL_FROM", 0)
    parallel = publishing.publish(report, ("json", "html", "md"), tmp_path / "parallel", when)

    assert two_cores == ["html report", "md report"]
    for one, other in zip(serial.paths, parallel.paths, strict=True):
        assert one.name == other.name
        assert one.read_bytes() == other.read_bytes()
