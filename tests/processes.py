"""The processes a run forks, seen from outside it (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

PYTHON = os.path.realpath(sys.executable)


def forked_children(pid: int) -> list[int]:
    """The children ``pid`` forked once it runs Python: a launcher in front of the console
    script (pyenv's shim is a bash script that runs helpers of its own before it becomes the
    interpreter) has children too, which are not the run's."""
    try:
        if os.path.realpath(f"/proc/{pid}/exe") != PYTHON:
            return []
        with open(f"/proc/{pid}/task/{pid}/children") as listed:
            return [int(c) for c in listed.read().split()]
    except OSError:
        return []


def signal_once_forked(run: subprocess.Popen[str], sent: int) -> tuple[list[int], str]:
    """Send ``sent`` to the run as soon as it has forked a child (to the run alone, as `kill
    PID` does); the children it had then, and what it wrote to stderr until it ended."""
    deadline = time.monotonic() + 60
    while not (children := forked_children(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert children, "the run never forked a child"
    run.send_signal(sent)
    _, err = run.communicate(timeout=60)
    return children, err
