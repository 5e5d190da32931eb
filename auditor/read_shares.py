"""An organisation's units read in several processes, one share of the accounts per core.

Reading an account costs the auditor tens of milliseconds of CPU (making its clients, and
botocore's work on each request: signing, sending, parsing XML), all of it under one
interpreter's GIL: a thousand accounts keep one core busy for over a minute while the others
idle. Accounts share nothing while their units are read (each account's IAM roles are read
once, in the process that reads that account), so from READ_SHARES_FROM accounts on the
accounts are split over the usable cores: forked children read the other shares
(auditor.forked) while this process reads the first, and their units come back pickled.
What is read across accounts (a shared VPC's owner, Veeam's repositories, peered VPCs) is read
afterwards, here, from every unit.

The run's --max-workers stays the bound on requests in flight: it is split between the
processes. A child opens its own connections (sessions.share_http_sessions), counts its own
requests (merged here), and reports each unit read (the one progress line stays right). A child
that fails leaves its units not read, with the reason, never an empty answer; the other shares
go on. SIGINT and SIGTERM stop every child (forked.Child.stop). Elsewhere than on Linux, below
the threshold, or with another thread alive, the units are read here as before.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from auditor import forked
from auditor.inventory import ReadError, RegionInventory

if TYPE_CHECKING:
    from auditor.collect import Progress, UnitJob
    from auditor.sessions import ApiStats

log = logging.getLogger(__name__)

READ_SHARES_FROM = 20  # accounts: below it a fork costs more than a second core saves
LATE_GRACE_S = 5.0  # after --deadline, how long a child may take to send what it read

# read(jobs, bound, done_one, idle): the units' own reads (collect.read_units, bound to a run)
Reader = Callable[
    [list["UnitJob"], int, Callable[[], None], Callable[[], None] | None], list[RegionInventory]
]


def read(
    jobs: list[UnitJob],
    max_workers: int,
    stats: ApiStats,
    reader: Reader,
    progress: Progress | None,
    deadline: float | None,
) -> list[RegionInventory]:
    """Every job's unit, read here or, for a large organisation, in shares on every core."""
    from auditor.collect import late_unit  # collect reads through this module

    total, done_here, said = len(jobs), 0, -1
    children: list[tuple[int, forked.Child]] = []  # (its share's index in groups, the child)

    def report() -> None:
        nonlocal said
        done = done_here + sum(c.ticks() for _, c in children)
        if progress is not None and done != said:
            said = done
            progress(done, total)

    def done_one() -> None:
        nonlocal done_here
        done_here += 1
        report()

    groups = shares(jobs, max_workers)
    if len(groups) == 1:
        return reader(jobs, max_workers, done_one, None)
    bounds = [max_workers // len(groups)] * len(groups)
    bounds[0] += max_workers % len(groups)
    here = list(groups[0])
    log.info(
        "reading %d account(s) in %d processes, at most %s requests in flight in each",
        accounts(jobs), len(groups), "/".join(str(b) for b in bounds),
    )  # fmt: skip
    try:
        works = [
            (i, partial(_read_share, reader, groups[i], bounds[i], stats))
            for i in range(1, len(groups))
        ]
        for i in forked.start_each("reading", works, children):  # no process to spare:
            here += groups[i]  # read here, with the requests in flight it would have had
            bounds[0] += bounds[i]
        for i, _ in children:  # a client made here before (--all-regions asks each account's
            _release(groups[i])  # EC2 which regions it has) is the child's to remake
        units = reader(here, bounds[0], done_one, report if children else None)
        _wait(children, report, deadline)
        for i, child in children:
            group = groups[i]
            if not child.ended:  # still reading LATE_GRACE_S past --deadline
                child.stop()
                units += [late_unit(j.account_id, j.region) for j in group]
                continue
            try:
                read_there, calls, retries = child.result()
            except (forked.ChildFailed, OSError) as exc:
                log.warning("%d unit(s) not read: %s", len(group), exc)
                if isinstance(exc, forked.ChildFailed):
                    why = str(exc)
                else:
                    why = f"the reading child failed: {exc.strerror or exc}"
                units += [_failed(j, why) for j in group]
                continue
            units += read_there
            stats.add(calls, retries)
        report()
    finally:
        for _, child in children:
            child.stop()
    return units


def shares(jobs: list[UnitJob], max_workers: int) -> list[list[UnitJob]]:
    """The jobs split by account over the usable cores (each account's units in one share,
    the shares about even in units), or all of them in one share."""
    by_account: dict[str, list[UnitJob]] = {}
    for job in jobs:
        by_account.setdefault(job.account_id, []).append(job)
    if len(by_account) < READ_SHARES_FROM:
        return [jobs]
    count = min(forked.cores(), len(by_account), max_workers)
    if count < 2:
        return [jobs]
    groups: list[list[UnitJob]] = [[] for _ in range(count)]
    for units in sorted(by_account.values(), key=len, reverse=True):  # largest to the least
        min(groups, key=len).extend(units)
    return groups


def accounts(jobs: list[UnitJob]) -> int:
    return len({j.account_id for j in jobs})


def _read_share(
    reader: Reader, jobs: list[UnitJob], bound: int, stats: ApiStats
) -> tuple[list[RegionInventory], dict[str, int], dict[str, int]]:
    """In a child: its share's units and the requests it sent for them. Clients made before
    the fork are dropped, so that every request goes over the child's own connections."""
    _release(jobs)
    stats.clear()
    units = reader(jobs, bound, forked.tick, None)
    calls, retries = stats.snapshot()
    return units, calls, retries


def _release(jobs: list[UnitJob]) -> None:
    for aws in {id(j.aws): j.aws for j in jobs}.values():
        aws.release_clients()


def _wait(
    children: list[tuple[int, forked.Child]],
    report: Callable[[], None],
    deadline: float | None,
) -> None:
    """Until every child has answered, or LATE_GRACE_S past the deadline; progress meanwhile."""
    while running := [c for _, c in children if not c.ended]:
        timeout = 1.0
        if deadline is not None:
            timeout = min(timeout, deadline + LATE_GRACE_S - time.monotonic())
            if timeout <= 0:
                return
        select.select(running, [], [], timeout)
        report()  # reads what is there: ticks, or an answer to the end


def _failed(job: UnitJob, message: str) -> RegionInventory:
    """A unit its reader could not send back: not read, with why."""
    unit = RegionInventory(job.account_id, job.region)
    unit.errors.append(
        ReadError(job.account_id, job.region, "preflight", "Read", "ReaderFailed", None, None,
                  message)
    )  # fmt: skip
    return unit
