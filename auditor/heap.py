"""The audit's heap: what it reads, finds and reports is kept until the process ends, and it
makes few reference cycles. CPython's cyclic collector, at its defaults, walked those objects
again on each of its passes as they grew: a quarter of a large replay's CPU time (issue 18)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young-generation pass every 10,000 new container objects, not 700: while AWS is read (the
# one phase where botocore's clients and sessions come and go, with their cycles), a pass finds
# proportionally as much garbage and the older generations are visited 14 times less often.
YOUNG_THRESHOLD = 10_000


def tune() -> None:
    """The collector's thresholds for a run that builds large, long-lived data."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


@contextmanager
def kept() -> Iterator[None]:
    """While the findings and then the reports are built from the inventory: everything alive
    on entry lives to the end (gc.freeze takes it out of the collector's sight), and the
    collector does not run, since what is built is kept and holds no cycles to reclaim (a
    5,000-DB replay peaks at the same memory either way; with it running, a 20,000-DB replay
    took a quarter longer). On exit what was built is frozen too, and the collector is as it
    was."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what was built is kept too: the first pass after this would walk it all
        if enabled:
            gc.enable()
