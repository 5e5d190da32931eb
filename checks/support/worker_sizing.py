"""The worker instance Veeam launches for a DB instance (Veeam: "Worker instances location"):
c5.large under 80 GB of allocated storage, else c5.xlarge."""

from __future__ import annotations

LARGE_STORAGE_GIB = 80
WORKER_VCPUS = {"c5.large": 2, "c5.xlarge": 4}


def worker_type(allocated_gib: int) -> str:
    return "c5.large" if allocated_gib < LARGE_STORAGE_GIB else "c5.xlarge"
