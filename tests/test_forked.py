"""Work in forked children (auditor.forked): a large audit judges its units on every core and
says exactly what a serial run says, including how it fails.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from auditor import engine, forked
from auditor.engine import evaluate
from auditor.inventory import AccountRecord, Inventory, RegionInventory, WorkerConfig
from auditor.model import Mode
from tests import inventory_builder as ib
from tests.processes import signal_once_forked

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked work runs on Linux only")


def test_a_child_answers_with_what_its_work_returns():
    assert forked.Child("sum", lambda: {"total": sum(range(10))}).start().result() == {"total": 45}


def test_a_child_reports_its_progress_before_its_answer():
    def work() -> list[str]:
        for _ in range(3):
            forked.tick()
        time.sleep(0.5)  # the parent reads the ticks while the work goes on
        forked.tick()
        return ["+", "done"]  # an answer that holds the tick byte is still the answer

    child = forked.Child("reading", work).start()
    deadline = time.monotonic() + 10
    while child.ticks() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert child.ticks() == 3
    assert not child.ended
    assert child.result() == ["+", "done"]
    assert child.ticks() == 4


def test_tick_outside_a_child_does_nothing():
    forked.tick()  # no pipe to write to: the parent counts its own progress


def test_an_oserror_in_the_child_is_the_same_oserror_in_the_parent():
    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left") as raised:
        forked.Child("report", full).start().result()

    assert (raised.value.errno, raised.value.strerror) == (errno.ENOSPC, "No space left on device")


def test_a_defect_in_the_child_is_one_line_naming_the_error_and_the_traceback_is_logged(caplog):
    def broken() -> None:
        raise ValueError("the template broke\non two lines")

    with (
        caplog.at_level("DEBUG", logger="auditor.forked"),
        pytest.raises(forked.ChildFailed) as raised,
    ):
        forked.Child("evaluation", broken).start().result()

    assert str(raised.value) == (
        "the evaluation child failed: ValueError: the template broke on two lines"
    )
    assert "Traceback (most recent call last)" in caplog.text  # for -vv, not the error line
    assert "in broken" in caplog.text


def test_a_killed_child_is_a_failure_not_an_empty_answer():
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(forked.ChildFailed, match="ended on signal 9"):
        forked.Child("evaluation", killed).start().result()


def test_stop_kills_and_reaps_a_child_still_working():
    child = forked.Child("evaluation", lambda: time.sleep(60)).start()
    pid = child.pid

    child.stop()

    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, 0)
    child.stop()  # twice is harmless


def test_a_signal_handled_between_the_fork_and_the_pid_still_finds_the_child(monkeypatch):
    """A signal another thread took (one finishing its exit, say) has Python run the handler at
    any line of the main thread: here, right after the fork returns, before the pid is kept.
    The interrupt must still come, and find a child that stop() can end."""
    real_fork = os.fork

    def fork_then_interrupted() -> int:
        pid = real_fork()
        if pid:  # the parent: Python runs the SIGINT handler at this line
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        return pid

    monkeypatch.setattr(os, "fork", fork_then_interrupted)
    child = forked.Child("evaluation", lambda: time.sleep(60))

    with pytest.raises(KeyboardInterrupt):
        child.start()

    pid = child.pid
    assert pid, "the child was made but its pid was lost: nothing could stop it"
    child.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


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
    real = forked.Child.start

    def start(self):
        started.append(self.name)
        return real(self)

    monkeypatch.setattr(forked, "cores", lambda: 2)
    monkeypatch.setattr(forked.Child, "start", start)
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

    def broken(inventory, checks, headline, veeam, unit, selected):
        if unit.account_id == "444455556666" and os.getpid() != parent:
            raise RuntimeError("a plugin broke")
        return real(inventory, checks, headline, veeam, unit, selected)

    parent = os.getpid()
    monkeypatch.setattr(engine, "_evaluate_unit", broken)

    with pytest.raises(forked.ChildFailed, match="RuntimeError: a plugin broke"):
        evaluate(inventory, ib.CHECKS, Mode.PUBLIC)


def test_the_threshold_counts_targets_not_every_db_instance_read(two_cores, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_FROM", 3)  # five DB instances in two judged units
    narrowed = _inventory()
    narrowed.requested_db_instances = ["db"]  # --db-instance db: one target in each

    judged = evaluate(narrowed, ib.CHECKS, Mode.PUBLIC)

    assert two_cores == []
    assert sorted(t.db_instance_id for t in judged.targets) == ["db", "db"]
    evaluate(_inventory(), ib.CHECKS, Mode.PUBLIC)
    assert two_cores == ["evaluation"]


@pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2, reason="needs two usable cores"
)
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_a_child_judges_ends_both_and_keeps_the_previous_reports(
    tmp_path, sent, code
):
    """The signal goes to the parent alone (as `kill PID` does): it stops its child, which
    must not outlive the run, and no report of the interrupted run appears."""
    accounts = ("111122223333", "444455556666")
    units = []
    for account in accounts:
        unit = ib.baseline()
        unit.account_id = account
        unit.db_instances = [
            ib.db_instance(
                db_instance_id=f"db-{i}", arn=f"arn:aws:rds:eu-west-1:{account}:db:db-{i}"
            )
            for i in range(800)
        ]
        units.append(unit)
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(
        Inventory(
            accounts=[AccountRecord(a, f"arn:aws:iam::{a}:role/audit") for a in accounts],
            regions=units,
        ).to_json()
    )
    exe = shutil.which("preflight")
    assert exe
    out = tmp_path / "reports"
    command = [exe, "audit", "--from-snapshot", str(snapshot), "--output-dir", str(out), "-q"]
    first = subprocess.run(command, check=False, timeout=120, capture_output=True, text=True)
    assert first.returncode in (0, 1), first.stderr  # ready or not: a report was written
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    judging, err = signal_once_forked(run, sent)

    assert run.returncode == code
    assert "interrupted; earlier reports are intact" in err
    assert "Traceback" not in err
    assert not os.path.exists(f"/proc/{judging[0]}"), "the child outlived the run"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_when_no_child_can_be_forked_the_units_are_judged_here(two_cores, monkeypatch):
    serial = evaluate(_inventory(), ib.CHECKS, Mode.PRIVATE).to_dict()
    monkeypatch.setattr(engine, "PARALLEL_FROM", 0)

    def no_fork() -> int:
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    open_before = len(os.listdir("/proc/self/fd"))
    judged = evaluate(_inventory(), ib.CHECKS, Mode.PRIVATE).to_dict()

    assert two_cores == ["evaluation"]  # tried, and fell back
    assert judged == serial
    assert len(os.listdir("/proc/self/fd")) == open_before  # the pipe is not left open


def test_what_a_child_sends_back_is_what_it_judged():
    """Findings, verdicts and paths cross the pipe as their constructors and field values
    (model.pickled_by_fields): every field, and the same values."""
    import pickle

    judged = ib.audit(ib.baseline("sqlserver-se"), Mode.VPC_ENDPOINTS)

    again = pickle.loads(pickle.dumps((judged.targets, judged.findings)))

    assert again == (judged.targets, judged.findings)
    assert again[0][0].modes[Mode.PUBLIC].path == judged.targets[0].modes[Mode.PUBLIC].path
