"""The audit's heap: what it reads, finds and reports is kept until the process ends, and it
makes few reference cycles. CPython's cyclic collector, at its defaults, walked those objects
again on each of its passes as they grew: a quarter of a large replay's CPU time (issue 18)."""

from __future__ import annotations

import gc

# A young-generation pass every 10,000 new container objects, not 700: a pass then finds
# proportionally as much garbage, and the older generations are visited 14 times less often.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Everything alive now lives until the end: out of the collector's sight from here on
    (gc.freeze). Called once the inventory is read and again once the findings are made."""
    gc.freeze()


def tune() -> None:
    """The collector's thresholds for a run that builds large, long-lived data."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)
