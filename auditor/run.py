"""The pipeline, once: sessions -> collect -> Inventory -> checks -> verdicts (no output here).

Accounts: the caller's own, or those reached with --role-arn / --accounts-file /
--org-role-name. An account whose role cannot be assumed is an `unknown` account and its units
`unknown`; the others go on. --from-snapshot replays a saved Inventory without any AWS call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import boto3

from auditor import heap
from auditor.accounts import (
    AccountPlan,
    assume,
    enabled_regions,
    organization_plans,
    parse_accounts_file,
)
from auditor.collect import DEFAULT_MAX_WORKERS, Progress, UnitJob, collect_jobs
from auditor.engine import evaluate, load_checks
from auditor.errors import PreflightError
from auditor.input_files import read_input
from auditor.inventory import AccountRecord, Inventory, ReadError, RegionInventory, WorkerConfig
from auditor.model import AuditResult, Mode
from auditor.serde import SnapshotFormatError
from auditor.sessions import (
    DEFAULT_MAX_ATTEMPTS,
    ApiStats,
    AwsSession,
    default_region,
    identify,
    partition_of,
    validate_regions,
)
from auditor.veeam_config import VeeamConfig
from checks.base import Check
from reports.files import write_atomic
from reports.redact import redact_text

log = logging.getLogger(__name__)


@dataclass
class AuditOptions:
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    db_instances: list[str] = field(default_factory=list)
    worker_network: Mode = Mode.PUBLIC
    worker_config: WorkerConfig = field(default_factory=WorkerConfig)
    simulate: bool = False  # confirm IAM decisions with iam:SimulatePrincipalPolicy
    max_workers: int = DEFAULT_MAX_WORKERS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # per request, retries included
    role_arns: list[str] = field(default_factory=list)
    external_id: str | None = None
    role_session_name: str = "preflight-audit"
    accounts_file: Path | None = None
    org_role_name: str | None = None
    shard: tuple[int, int] | None = None  # (i, n): this run's slice of the sorted units
    deadline_s: float | None = None
    save_snapshot: Path | None = None
    from_snapshot: Path | None = None
    veeam_config: VeeamConfig | None = None  # --veeam-config, validated before any call
    redact: bool = False  # --redact: the snapshot too
    endpoint_url: str | None = None  # --endpoint-url, as aws-cli's


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def run_audit(
    options: AuditOptions,
    session: Callable[[], boto3.Session],
    progress: Progress | None = None,
) -> AuditResult:
    """Audit the accounts; PreflightError (exit 2) on bad input or no usable credentials."""
    started = time.monotonic()
    generated = utc_now()
    heap.tune()
    checks = load_checks()  # a broken plugin fails here, before any request
    replaced = False
    if options.from_snapshot is not None:
        inventory = load_snapshot(options.from_snapshot)
        replay_veeam_config(inventory, options)
        given = options.worker_config
        # A replay is where to try a worker configuration before setting it in Veeam.
        if (given.subnet_ids or given.security_group_ids) and given != inventory.worker_config:
            inventory.worker_config, replaced = given, True
    else:
        inventory = gather(options, session(), started, progress)
        inventory.read_at = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    with heap.kept():
        result = judge(inventory, options, checks, started, generated)
    result.worker_config_replaced = replaced
    if options.from_snapshot is not None:
        result.read_at = inventory.read_at or "an unrecorded time (an older snapshot)"
    return result


def judge(
    inventory: Inventory,
    options: AuditOptions,
    checks: list[Check] | None = None,
    started: float | None = None,
    generated: datetime | None = None,
) -> AuditResult:
    """What was read, saved if asked (--save-snapshot), judged in the options' worker mode."""
    started = time.monotonic() if started is None else started
    generated = generated or utc_now()
    if options.save_snapshot is not None:
        try:
            text = inventory.to_json()
            if options.redact:  # --redact covers the evidence file too
                text = redact_text(text)
            write_atomic(options.save_snapshot, text, private=True)
        except OSError as exc:
            raise PreflightError(
                f"cannot write the snapshot {options.save_snapshot}: {exc.strerror or exc}"
            ) from None
    result = evaluate(
        inventory, load_checks() if checks is None else checks, options.worker_network
    )
    result.shard = options.shard
    result.generated_at = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    result.duration_s = time.monotonic() - started
    return result


def replay_veeam_config(inventory: Inventory, options: AuditOptions) -> None:
    """A snapshot replays with the Veeam config given when it was saved; another is refused."""
    given = options.veeam_config.to_dict() if options.veeam_config is not None else None
    if given is None or inventory.veeam_config is None:
        if given is not None:
            raise PreflightError(
                f"the snapshot {options.from_snapshot} was saved without --veeam-config: it "
                "holds none of the Veeam roles to judge; audit again with the file"
            )
        return
    saved = {k: v for k, v in inventory.veeam_config.items() if k != "source"}
    if {k: v for k, v in given.items() if k != "source"} != saved:
        raise PreflightError(
            f"the snapshot {options.from_snapshot} was saved with another Veeam config "
            f"({inventory.veeam_config.get('source')}): drop --veeam-config to replay with that "
            "one, or audit again"
        )


def load_snapshot(path: Path) -> Inventory:
    text = read_input(path, "the snapshot", "give a snapshot saved with --save-snapshot")
    try:
        return Inventory.from_json(text)
    except (SnapshotFormatError, RecursionError) as exc:
        raise PreflightError(f"the snapshot {path} cannot be used: {exc}") from None


def gather(
    options: AuditOptions, session: boto3.Session, started: float, progress: Progress | None
) -> Inventory:
    explicit = validate_regions(options.regions) if options.regions else None
    if explicit is None and not options.all_regions:
        explicit = validate_regions([default_region(session)])
    stats = ApiStats()
    base = AwsSession(
        session, stats, options.max_workers, options.max_attempts, options.endpoint_url
    )
    home = identity_region(session, explicit)
    caller_account, caller_arn = identify(base, home)
    partition = caller_arn.split(":")[1]
    accounts: list[AccountRecord] = []
    jobs: list[UnitJob] = []
    unread: list[RegionInventory] = []
    plans = list(account_plans(options, base, home, partition))

    def reach_one(
        plan: AccountPlan,
    ) -> tuple[tuple[AwsSession, AccountRecord] | ReadError, list[str] | ReadError | None]:
        reached = reach(base, plan, home, options, stats, caller_account, caller_arn)
        if isinstance(reached, ReadError):
            return reached, None
        return reached, explicit if explicit is not None else enabled_regions(reached[0], home)

    # Accounts are reached concurrently (AssumeRole, the regions), under the
    # run's request bound; their order in the report stays the plans' order.
    width = max(1, min(len(plans), options.max_workers))
    if width == 1:
        outcomes = [reach_one(p) for p in plans]
    else:
        with ThreadPoolExecutor(max_workers=width) as pool:
            outcomes = list(pool.map(reach_one, plans))
    for plan, (reached, regions) in zip(plans, outcomes, strict=True):
        if isinstance(reached, ReadError):
            account_id = plan.account_id or caller_account
            accounts.append(AccountRecord(account_id, None, "unknown", reached.explain()))
            for region in explicit or [home]:
                unread.append(
                    RegionInventory(account_id, region, errors=[replace(reached, region=region)])
                )
            continue
        aws, record = reached
        accounts.append(record)
        if isinstance(regions, ReadError):
            error = replace(regions, account_id=record.account_id)
            unread.append(RegionInventory(record.account_id, home, errors=[error]))
            continue
        assert regions is not None  # asked for every account reached
        log.info(
            "auditing %s as %s in %s", record.account_id, record.caller_arn, ", ".join(regions)
        )
        jobs += [UnitJob(aws, record.account_id, r) for r in regions]
    if options.shard is not None:
        jobs, unread = take_shard(jobs, unread, *options.shard)
    deadline = started + options.deadline_s if options.deadline_s else None
    return collect_jobs(
        jobs,
        accounts,
        stats,
        sorted(set(options.db_instances)),
        max_workers=options.max_workers,
        worker_config=options.worker_config,
        flags=frozenset({"--simulate"} if options.simulate else set()),
        unread=unread,
        deadline=deadline,
        progress=progress,
        veeam=options.veeam_config,
    )


def take_shard(
    jobs: list[UnitJob], unread: list[RegionInventory], index: int, total: int
) -> tuple[list[UnitJob], list[RegionInventory]]:
    """Units sorted by account then region; this shard keeps every n-th, starting at i."""
    keys = sorted(
        [(j.account_id, j.region) for j in jobs] + [(u.account_id, u.region) for u in unread]
    )
    mine = {key for position, key in enumerate(keys) if position % total == index}
    return (
        [j for j in jobs if (j.account_id, j.region) in mine],
        [u for u in unread if (u.account_id, u.region) in mine],
    )


def account_plans(
    options: AuditOptions, base: AwsSession, home: str, partition: str
) -> list[AccountPlan]:
    if options.role_arns:
        return [AccountPlan(arn, options.external_id) for arn in dict.fromkeys(options.role_arns)]
    if options.accounts_file is not None:
        return parse_accounts_file(options.accounts_file, partition)
    if options.org_role_name:
        return organization_plans(base, home, options.org_role_name, partition)
    return [AccountPlan()]


def reach(
    base: AwsSession,
    plan: AccountPlan,
    home: str,
    options: AuditOptions,
    stats: ApiStats,
    caller_account: str,
    caller_arn: str,
) -> tuple[AwsSession, AccountRecord] | ReadError:
    """A session in the plan's account (the caller's own needs none)."""
    if plan.role_arn is None:
        return base, AccountRecord(caller_account, caller_arn)
    assumed = assume(base, plan, home, options.role_session_name)
    if isinstance(assumed, ReadError):
        return assumed
    session, account_id, arn = assumed
    aws = AwsSession(
        session, stats, options.max_workers, options.max_attempts, options.endpoint_url
    )
    return aws, AccountRecord(account_id, arn)


def identity_region(session: boto3.Session, regions: list[str] | None) -> str:
    """Where to ask STS who we are: the configured region when it is in the audited regions'
    partition (almost always enabled), else the first audited region."""
    configured = session.region_name
    if not regions:
        if not configured:
            raise PreflightError(
                "no region to start from: pass --region or set AWS_REGION (--all-regions "
                "still needs one to ask which regions are enabled)"
            )
        return str(validate_regions([str(configured)])[0])
    if configured and partition_of(configured) == partition_of(regions[0]):
        return str(configured)
    return regions[0]


def nothing_audited(result: AuditResult) -> PreflightError | None:
    """The exit-2 case: no (account, region) unit could be read."""
    if result.units and all(u.status != "audited" for u in result.units):
        reasons = "; ".join(f"{u.account_id} {u.region}: {u.reason}" for u in result.units[:5])
        return PreflightError(f"nothing could be audited ({reasons})")
    return None
