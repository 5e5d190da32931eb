"""The only AWS reader: runs the registered collectors per (account, region) unit, concurrently.

Nothing is raised past this module: a failed read is a `ReadError` in the unit's inventory, and
the part it would have filled stays "not read".
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from auditor import scope
from auditor.collectors import COLLECTORS
from auditor.collectors.base import Absent, Collector, UnitContext
from auditor.inventory import AccountRecord, DBInstance, Inventory, RegionInventory, WorkerConfig
from auditor.sessions import AwsSession

log = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = 16


def collect(
    aws: AwsSession,
    account: AccountRecord,
    regions: list[str],
    requested: list[str],
    max_workers: int = DEFAULT_MAX_WORKERS,
    worker_config: WorkerConfig | None = None,
    flags: frozenset[str] = frozenset(),
) -> Inventory:
    """Read every region of one account into an Inventory."""
    limiter = threading.Semaphore(max_workers)
    with ThreadPoolExecutor(max_workers=max(1, min(len(regions), max_workers))) as pool:
        units = list(
            pool.map(
                lambda r: collect_unit(aws, account.account_id, r, requested, limiter, flags),
                regions,
            )
        )
    calls, retries = aws.stats.snapshot()
    return Inventory(
        accounts=[account],
        regions=units,
        requested_db_instances=sorted(requested),
        api_calls=calls,
        api_retries=retries,
        worker_config=worker_config or WorkerConfig(),
    )


def collect_unit(
    aws: AwsSession,
    account_id: str,
    region: str,
    requested: list[str],
    limiter: threading.Semaphore,
    flags: frozenset[str] = frozenset(),
) -> RegionInventory:
    inventory = RegionInventory(account_id=account_id, region=region)

    def targets() -> list[DBInstance]:
        return scope.select(inventory.db_instances or [], requested).targets

    base = UnitContext(aws, inventory, targets, limiter, flags=flags)
    for stage in sorted({c.stage for c in COLLECTORS}):
        if stage > 0 and not inventory.readable:
            break  # nothing to read about targets nobody could list
        collectors = [cls() for cls in COLLECTORS if cls.stage == stage]
        log.info(
            "%s %s: stage %d: %s", account_id, region, stage, ", ".join(c.name for c in collectors)
        )
        base.fan_out(lambda c: _run(c, base), collectors)
    log.info(
        "%s %s: %s DB instance(s), %d read error(s)",
        account_id,
        region,
        "?" if inventory.db_instances is None else len(inventory.db_instances),
        len(inventory.errors),
    )
    return inventory


def _run(collector: Collector, base: UnitContext) -> None:
    ctx = base.for_collector(collector.calls)
    try:
        collector.collect(ctx)
    except Absent as exc:
        ctx.record_gap(
            collector.calls[0], exc.code, f"unexpected not-found answer: {exc}", exc.resource_id
        )
    except Exception as exc:  # one collector's defect must not end the other reads
        log.warning("collector %s failed in %s: %s", collector.name, ctx.region, exc)
        log.debug("collector failure", exc_info=True)
        ctx.record_gap(collector.calls[0], "CollectorError", f"{type(exc).__name__}: {exc}", None)
