"""The processes a run forks, seen from outside it (Linux /proc)."""

from __future__ import annotations

import os
import sys

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
