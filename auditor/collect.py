"""The only AWS reader: runs the registered collectors per (account, region) unit, concurrently.

Nothing is raised past this module: a failed read is a `ReadError` in the unit's inventory, and
the part it would have filled stays "not read".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial

from auditor import read_shares, scope
from auditor.collectors import UNIT_COLLECTORS
from auditor.collectors.base import Absent, CallFailed, Collector, SharedReads, UnitContext
from auditor.collectors.peering import PeerNetworksCollector, peer_needs
from auditor.collectors.repositories import RepositoriesCollector, repository_needs
from auditor.collectors.shared_vpcs import merge_owner_network, read_owner_network, shared_targets
from auditor.inventory import (
    AccountRecord,
    DBInstance,
    Inventory,
    ReadError,
    RegionInventory,
    RepositoryAccount,
    WorkerConfig,
    peer_key,
)
from auditor.secrets import quoted
from auditor.sessions import ApiStats, AwsSession
from auditor.veeam_config import VeeamConfig

log = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = 16
IDLE_S = 0.25  # how often a reader waiting on its units lets the caller look elsewhere


@dataclass(frozen=True)
class UnitJob:
    """One (account, region) to read, with the session of that account."""

    aws: AwsSession
    account_id: str
    region: str


Progress = Callable[[int, int], None]  # (units done, units in all)


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
    jobs = [UnitJob(aws, account.account_id, r) for r in regions]
    return collect_jobs(jobs, [account], aws.stats, requested, max_workers, worker_config, flags)


def collect_jobs(
    jobs: list[UnitJob],
    accounts: list[AccountRecord],
    stats: ApiStats,
    requested: list[str],
    max_workers: int = DEFAULT_MAX_WORKERS,
    worker_config: WorkerConfig | None = None,
    flags: frozenset[str] = frozenset(),
    unread: list[RegionInventory] | None = None,
    deadline: float | None = None,
    progress: Progress | None = None,
    veeam: VeeamConfig | None = None,
) -> Inventory:
    """Read every unit concurrently (requests bounded by ``max_workers``). Units not finished
    by ``deadline`` (a time.monotonic() value) are recorded as not read."""
    shared = SharedReads()  # IAM roles: once per (account, role), whatever the region
    read = partial(
        read_units,
        requested=requested,
        flags=flags,
        max_workers=max_workers,
        veeam=veeam,
        shared=shared,
        deadline=deadline,
    )
    units = list(unread or [])
    units += read_shares.read(jobs, max_workers, stats, read, progress, deadline)
    limiter = threading.Semaphore(max_workers)  # the run-scope reads below, all here
    read_shared_vpcs(jobs, units, requested, limiter, max_workers, deadline)
    repositories = (
        read_repositories(jobs, units, veeam, requested, limiter, max_workers, deadline)
        if veeam is not None
        else {}
    )
    peers = read_peer_networks(
        jobs, units, veeam, repositories, requested, limiter, max_workers, deadline
    )
    calls, retries = stats.snapshot()
    return Inventory(
        accounts=sorted(accounts, key=lambda a: a.account_id),
        regions=sorted(units, key=lambda u: (u.account_id, u.region)),
        requested_db_instances=sorted(requested),
        api_calls=calls,
        api_retries=retries,
        worker_config=worker_config or WorkerConfig(),
        veeam_config=veeam.to_dict() if veeam is not None else None,
        repositories=repositories,
        peer_networks=peers,
    )


def read_units(
    jobs: list[UnitJob],
    bound: int,
    done_one: Callable[[], None],
    idle: Callable[[], None] | None,
    *,
    requested: list[str],
    flags: frozenset[str],
    max_workers: int,
    veeam: VeeamConfig | None,
    shared: SharedReads,
    deadline: float | None,
) -> list[RegionInventory]:
    """Each unit's own reads, concurrently, with at most ``bound`` requests in flight;
    ``done_one()`` after each unit read, ``idle()`` at least every IDLE_S meanwhile when given.
    Units not finished by ``deadline`` (a time.monotonic() value) are recorded as not read."""
    limiter = threading.Semaphore(bound)
    units: list[RegionInventory] = []
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(jobs), bound)))
    futures = {
        pool.submit(
            collect_unit,
            j.aws,
            j.account_id,
            j.region,
            requested,
            limiter,
            flags,
            max_workers,
            veeam,
            shared,
        ): j
        for j in jobs
    }
    pending = set(futures)
    left = Counter(id(j.aws) for j in jobs)  # units still to read, per account session
    try:
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            if idle is not None:
                timeout = IDLE_S if timeout is None else min(timeout, IDLE_S)
            done, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            if not done:
                if deadline is not None and time.monotonic() >= deadline:
                    break  # the deadline passed
                if idle is not None:
                    idle()
                continue
            units += [f.result() for f in done]
            for f in done:  # memory grows with the accounts in flight, not with all of them
                aws = futures[f].aws
                left[id(aws)] -= 1
                if not left[id(aws)]:
                    aws.release_clients()
                done_one()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
    for future in pending:
        job = futures[future]
        units.append(late_unit(job.account_id, job.region))
    return units


def late_unit(account_id: str, region: str) -> RegionInventory:
    """A unit --deadline left unread."""
    late = RegionInventory(account_id, region)
    late.errors.append(
        deadline_gap(account_id, region, "the unit was not read completely before --deadline")
    )
    return late


def deadline_gap(account_id: str, region: str, message: str) -> ReadError:
    """What --deadline left unread, as a gap."""
    return ReadError(
        account_id,
        region,
        "preflight",
        "Deadline",
        "DeadlineExceeded",
        None,
        None,
        message,
    )


def by_account(jobs: list[UnitJob]) -> dict[str, UnitJob]:
    """Each audited account's first unit job: the session run-scope reads use there."""
    first: dict[str, UnitJob] = {}
    for job in jobs:
        first.setdefault(job.account_id, job)
    return first


def read_repositories(
    jobs: list[UnitJob],
    units: list[RegionInventory],
    veeam: VeeamConfig,
    requested: list[str],
    limiter: threading.Semaphore,
    max_workers: int,
    deadline: float | None,
) -> dict[str, RepositoryAccount]:
    """The repositories of the policies that select a target, once per run, each in the account
    that owns it with that account's session; an account this run has no session for is
    recorded as not audited (its checks say which account to add)."""
    sessions = by_account(jobs)  # an account's first region is where S3 is first asked
    needs = repository_needs(veeam, units, requested)
    collector = RepositoriesCollector()
    out: dict[str, RepositoryAccount] = {}
    for account_id, need in sorted(needs.items()):
        job = sessions.get(account_id)
        if job is None:
            out[account_id] = RepositoryAccount(account_id, audited=False)
        elif deadline is not None and time.monotonic() >= deadline:
            gap = deadline_gap(
                account_id, job.region, "the repositories were not read before --deadline"
            )
            out[account_id] = RepositoryAccount(account_id, errors=[gap])
        else:
            log.info("%s: reading the Veeam repositories", account_id)
            out[account_id] = collector.collect_account(
                job.aws, account_id, job.region, need, limiter, max_workers
            )
    return out


def read_shared_vpcs(
    jobs: list[UnitJob],
    units: list[RegionInventory],
    requested: list[str],
    limiter: threading.Semaphore,
    max_workers: int,
    deadline: float | None,
) -> None:
    """Each shared VPC (AWS RAM) whose owner this run audits: the owner's network, read once
    per (owner, region) with the owner's session, merged into every participant's unit."""
    sessions = by_account(jobs)
    for (owner, region), pairs in sorted(shared_targets(units, requested).items()):
        job = sessions.get(owner)
        if job is None:
            continue  # not audited: the checks say which account to add
        participants = {id(u): u for u, _ in pairs}
        if deadline is not None and time.monotonic() >= deadline:
            gap = deadline_gap(owner, region, "the shared VPCs were not read before --deadline")
            for unit in participants.values():
                unit.errors.append(gap)
            continue
        targets = [db for _, db in pairs]
        log.info("%s %s: reading the VPCs it shares", owner, region)
        network = read_owner_network(job.aws, owner, region, targets, limiter, max_workers, _run)
        for unit in participants.values():
            vpcs = {db.vpc_id or "" for u, db in pairs if u is unit}
            merge_owner_network(unit, vpcs, network)


def read_peer_networks(
    jobs: list[UnitJob],
    units: list[RegionInventory],
    veeam: VeeamConfig | None,
    repositories: dict[str, RepositoryAccount],
    requested: list[str],
    limiter: threading.Semaphore,
    max_workers: int,
    deadline: float | None,
) -> dict[str, RegionInventory | None]:
    """The peered VPCs that may hold a worker VPC's S3 interface endpoint, once per run, by
    (account, region), with the session of the account that owns them; ``None`` for an account
    this run has no session for (its checks say which account to add)."""
    sessions = by_account(jobs)
    grouped: dict[tuple[str, str], list[str]] = {}
    for peer in peer_needs(units, requested, veeam, repositories):
        grouped.setdefault((peer.owner_id, peer.region), []).append(peer.vpc_id)
    collector = PeerNetworksCollector()
    out: dict[str, RegionInventory | None] = {}
    for (account_id, region), vpc_ids in sorted(grouped.items()):
        key = peer_key(account_id, region)
        job = sessions.get(account_id)
        if job is None:
            out[key] = None
        elif deadline is not None and time.monotonic() >= deadline:
            late = RegionInventory(account_id, region)
            late.errors.append(
                deadline_gap(account_id, region, "the peered VPCs were not read before --deadline")
            )
            out[key] = late
        else:
            log.info("%s %s: reading the peered VPCs %s", account_id, region, ", ".join(vpc_ids))
            out[key] = collector.collect_region(
                job.aws, account_id, region, vpc_ids, limiter, max_workers
            )
    return out


def collect_unit(
    aws: AwsSession,
    account_id: str,
    region: str,
    requested: list[str],
    limiter: threading.Semaphore,
    flags: frozenset[str] = frozenset(),
    max_workers: int = DEFAULT_MAX_WORKERS,
    veeam: VeeamConfig | None = None,
    shared: SharedReads | None = None,
) -> RegionInventory:
    inventory = RegionInventory(account_id=account_id, region=region)

    def targets() -> list[DBInstance]:
        return scope.select(inventory.db_instances or [], requested).targets

    # Fan-out pools as wide as the run's request limit: the limiter, not the pool, bounds requests.
    base = UnitContext(
        aws,
        inventory,
        targets,
        limiter,
        max_fan_out=max_workers,
        flags=flags,
        veeam=veeam,
        shared=shared,
    )
    for stage in sorted({c.stage for c in UNIT_COLLECTORS}):
        if stage > 0 and not inventory.readable:
            break  # nothing to read about targets nobody could list
        collectors = [cls() for cls in UNIT_COLLECTORS if cls.stage == stage]
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
        ctx.record_gap(exc.call, exc.code, f"unexpected not-found answer: {exc}", exc.resource_id)
    except Exception as exc:  # one collector's defect must not end the other reads
        log.warning("collector %s failed in %s: %s", collector.name, ctx.region, exc)
        log.debug("collector failure", exc_info=True)
        if isinstance(exc, CallFailed):  # named by the request in flight
            ctx.record_gap(exc.call, "CollectorError", quoted(str(exc)), exc.resource_id)
        else:
            ctx.record_gap(
                collector.calls[0], "CollectorError", quoted(f"{type(exc).__name__}: {exc}"), None
            )
