"""The pipeline, once: sessions -> collect -> Inventory -> checks -> verdicts (no output here)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3

from auditor.collect import DEFAULT_MAX_WORKERS, collect
from auditor.engine import evaluate, load_checks
from auditor.errors import PreflightError
from auditor.inventory import AccountRecord, WorkerConfig
from auditor.model import AuditResult, Mode
from auditor.sessions import (
    AwsSession,
    default_region,
    identify,
    partition_of,
    validate_regions,
)

log = logging.getLogger(__name__)


@dataclass
class AuditOptions:
    regions: list[str] = field(default_factory=list)
    db_instances: list[str] = field(default_factory=list)
    worker_network: Mode = Mode.PUBLIC
    worker_config: WorkerConfig = field(default_factory=WorkerConfig)
    simulate: bool = False  # confirm IAM decisions with iam:SimulatePrincipalPolicy
    max_workers: int = DEFAULT_MAX_WORKERS


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def run_audit(options: AuditOptions, session: boto3.Session) -> AuditResult:
    """Audit one account; PreflightError (exit 2) when nothing at all could be audited."""
    started = time.monotonic()
    generated = utc_now()
    regions = validate_regions(options.regions or [default_region(session)])
    checks = load_checks()  # a broken plugin fails here, before any request
    aws = AwsSession(session, max_pool=options.max_workers)
    account_id, caller_arn = identify(aws, identity_region(session, regions))
    log.info("auditing account %s as %s in %s", account_id, caller_arn, ", ".join(regions))
    inventory = collect(
        aws,
        AccountRecord(account_id=account_id, caller_arn=caller_arn),
        regions,
        sorted(set(options.db_instances)),
        max_workers=options.max_workers,
        worker_config=options.worker_config,
        flags=frozenset({"--simulate"} if options.simulate else set()),
    )
    result = evaluate(inventory, checks, options.worker_network)
    result.generated_at = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    result.duration_s = time.monotonic() - started
    return result


def identity_region(session: boto3.Session, regions: list[str]) -> str:
    """Where to ask STS who we are: the configured region when it is one of the audited
    regions' partition (almost always enabled), else the first audited region."""
    configured = session.region_name
    if configured and partition_of(configured) == partition_of(regions[0]):
        return str(configured)
    return regions[0]


def nothing_audited(result: AuditResult) -> PreflightError | None:
    """The exit-2 case: no (account, region) unit could be read."""
    if result.units and all(u.status != "audited" for u in result.units):
        reasons = "; ".join(f"{u.region}: {u.reason}" for u in result.units)
        return PreflightError(f"nothing could be audited ({reasons})")
    return None
