"""The result model: findings, verdicts, and the JSON contract (DESIGN.md, schema_version 1)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

from auditor import __version__
from auditor.inventory import AccountRecord, ReadError, WorkerConfig

SCHEMA_VERSION = 1
T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle instances of the dataclass ``cls`` as its constructor and its field values in
    order: the findings, verdicts and paths a child judged (auditor.forked) come back to the
    parent a fifth faster, and smaller, than by pickle's generic slot-by-slot state."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"
    SKIP = "skip"


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


class Mode(StrEnum):
    """Veeam's three worker-network setups (REQUIREMENTS.md §0: P, PN, C)."""

    PUBLIC = "public"
    PRIVATE = "private"
    VPC_ENDPOINTS = "vpc-endpoints"


ALL_MODES: tuple[Mode, ...] = (Mode.PUBLIC, Mode.PRIVATE, Mode.VPC_ENDPOINTS)


class Verdict(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


Evidence = dict[str, str | list[str]]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    status: Status
    severity: Severity
    modes: tuple[Mode, ...]
    account_id: str
    region: str
    target: str | None
    resource_id: str | None
    message: str
    remediation: str | None = None
    evidence: Evidence = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "status": str(self.status),
            "severity": str(self.severity),
            "modes": [str(m) for m in ALL_MODES if m in self.modes],
            "account_id": self.account_id,
            "region": self.region,
            "target": self.target,
            "resource_id": self.resource_id,
            "message": self.message,
            "remediation": self.remediation,
            "evidence": {
                k: (sorted(v) if isinstance(v, list) else v)
                for k, v in sorted(self.evidence.items())
            },
        }


@pickled_by_fields
@dataclass(slots=True)
class ModeVerdict:
    verdict: Verdict
    blocking: list[str]
    unknown: list[str]
    worker_subnets: list[str] = field(default_factory=list)
    path: list[Any] = field(default_factory=list)  # auditor.paths.Hop, DB instance first

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "blocking": self.blocking,
            "unknown": self.unknown,
            "worker_subnets": self.worker_subnets,
            "path": [hop.to_dict() for hop in self.path],
        }


@pickled_by_fields
@dataclass
class TargetResult:
    account_id: str
    region: str
    db_instance_id: str
    engine: str
    engine_version: str
    status: str
    availability_zone: str | None
    vpc_id: str | None
    modes: dict[Mode, ModeVerdict]
    headline: Mode
    policy: str | None = None  # the Veeam policy that selects it (--veeam-config)

    @property
    def verdict(self) -> Verdict:
        return self.modes[self.headline].verdict

    def to_dict(self) -> dict[str, Any]:
        head = self.modes[self.headline]
        return {
            "account_id": self.account_id,
            "region": self.region,
            "db_instance_id": self.db_instance_id,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "status": self.status,
            "availability_zone": self.availability_zone,
            "vpc_id": self.vpc_id,
            "policy": self.policy,
            "verdict": str(head.verdict),
            "blocking": head.blocking,
            "unknown": head.unknown,
            "modes": {str(m): self.modes[m].to_dict() for m in ALL_MODES if m in self.modes},
        }


@dataclass
class SkippedInstance:
    account_id: str
    region: str
    db_instance_id: str
    engine: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "db_instance_id": self.db_instance_id,
            "engine": self.engine,
            "reason": self.reason,
        }


@dataclass
class UnitInfo:
    account_id: str
    region: str
    status: str  # "audited" | "unknown"
    reason: str | None = None


@dataclass
class AuditResult:
    worker_network: Mode
    accounts: list[AccountRecord]
    regions: list[str]
    units: list[UnitInfo]
    targets: list[TargetResult]
    skipped: list[SkippedInstance]
    findings: list[Finding]
    errors: list[ReadError]
    not_found: list[str]
    worker_config: WorkerConfig
    api_calls: dict[str, int]
    api_retries: dict[str, int]
    generated_at: str = ""
    duration_s: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)  # metadata of reporting checks
    veeam_config: dict[str, Any] | None = None  # --veeam-config, normalised
    shard: tuple[int, int] | None = None  # --shard i/n
    # --from-snapshot with --worker-subnet/--worker-security-group: judged with this worker
    # configuration instead of the one the snapshot was read with.
    worker_config_replaced: bool = False
    read_at: str | None = None  # a replay (--from-snapshot): when its snapshot was read

    def exit_code(self) -> int:
        return report_exit_code(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        single = self.accounts[0] if len(self.accounts) == 1 else None
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "preflight", "version": __version__},
            "generated_at": self.generated_at,
            "replayed": None
            if self.read_at is None
            else {"read_at": self.read_at, "replayed_at": self.generated_at},
            "duration_s": round(self.duration_s, 1),
            "account_id": single.account_id if single else None,
            "caller_arn": single.caller_arn if single else None,
            "accounts": [
                {
                    "account_id": a.account_id,
                    "caller_arn": a.caller_arn,
                    "status": a.status,
                    "reason": a.reason,
                }
                for a in sorted(self.accounts, key=lambda a: a.account_id)
            ],
            "regions": sorted(self.regions),
            "units": [
                {
                    "account_id": u.account_id,
                    "region": u.region,
                    "status": u.status,
                    "reason": u.reason,
                }
                for u in sorted(self.units, key=lambda u: (u.account_id, u.region))
            ],
            "worker_network": str(self.worker_network),
            "worker_configuration": {
                "subnet_ids": sorted(self.worker_config.subnet_ids),
                "security_group_ids": sorted(self.worker_config.security_group_ids),
                "note": (
                    "replayed from a snapshot with this worker configuration, not the one it was "
                    "read with; "
                    if self.worker_config_replaced
                    else ""
                )
                + (
                    "worker candidates restricted to the given subnets in each DB instance's VPC "
                    "and Availability Zone; others are ignored for that DB instance"
                    if self.worker_config.subnet_ids
                    else "no worker configuration given: the audit assumes Veeam picks any "
                    "suitable subnet in the DB instance's VPC and Availability Zone"
                ),
            },
            "summary": summary(
                [t.to_dict() for t in self.targets],
                [s.to_dict() for s in self.skipped],
                sorted(a.account_id for a in self.accounts),
            ),
            "targets": sorted((t.to_dict() for t in self.targets), key=instance_order),
            "skipped": sorted((s.to_dict() for s in self.skipped), key=instance_order),
            "not_found": sorted(self.not_found),
            "findings": sorted((f.to_dict() for f in self.findings), key=finding_order),
            "veeam_config": self.veeam_config,
            "shard": {"index": self.shard[0], "count": self.shard[1]} if self.shard else None,
            "checks": report_checks(self.checks),
            "errors": sorted(
                (
                    {
                        "account_id": e.account_id,
                        "region": e.region,
                        "service": e.service,
                        "operation": e.operation,
                        "code": e.code,
                        "iam_action": e.iam_action,
                        "resource_id": e.resource_id,
                        "message": e.message,
                    }
                    for e in self.errors
                ),
                key=error_order,
            ),
            "api_calls": dict(sorted(self.api_calls.items())),
            "api_retries": dict(sorted(self.api_retries.items())),
        }


REPORT_CHECK_FIELDS = ("id", "title", "severity", "modes", "docs")


def report_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's `checks` section: each reporting check once, by id, with its sources."""
    by_id = {c["id"]: {k: c[k] for k in REPORT_CHECK_FIELDS} for c in checks}
    return [by_id[i] for i in sorted(by_id)]


def report_headline(report: dict[str, Any]) -> str:
    """The one verdict a report leads with, from the report alone: `not_ready` when a target is
    not ready in the headline mode; else `unknown` when the audit is incomplete (a target
    unknown, a read failed, a unit or account not audited, a --db-instance not found); else
    `ready`. The exit code (report_exit_code) and every rendering's headline come from here."""
    if any(t["verdict"] == "not_ready" for t in report["targets"]):
        return "not_ready"
    if not report["units"]:
        return "unknown"  # nothing was audited (no enabled region, no active account): no all clear
    incomplete = (
        any(t["verdict"] == "unknown" for t in report["targets"])
        or bool(report["errors"])
        or any(u["status"] != "audited" for u in report["units"])
        or any(a["status"] != "audited" for a in report["accounts"])
        or bool(report.get("not_found"))
        or bool(report.get("missing_shards"))
    )
    return "unknown" if incomplete else "ready"


def shown_headline(report: dict[str, Any]) -> str:
    """The headline a rendering shows: report_headline, except "none" when the audit found no
    DB instance to judge (a neutral headline, never a green one; the exit code stays 0)."""
    headline = report_headline(report)
    return "none" if headline == "ready" and not report["targets"] else headline


FEW_ACCOUNTS = 3  # up to this many, a header names the accounts; more are counted


def accounts_label(report: dict[str, Any]) -> str:
    """The report's accounts for a header: a few by id ("account 123456789012"), more by their
    count ("25 accounts": the reports then list them account by account)."""
    ids = [a["account_id"] for a in report["accounts"]]
    if len(ids) <= FEW_ACCOUNTS:
        return f"account {', '.join(ids) or '-'}"
    return f"{len(ids)} accounts"


def searched(report: dict[str, Any]) -> str:
    """Where the run looked, for the neutral headline: "eu-west-1 (account 123456789012)"."""
    where = ", ".join(report["regions"]) or "no region"
    return f"{where} ({accounts_label(report)})"


EXIT_CODES = {"not_ready": 1, "unknown": 3, "ready": 0}


def report_exit_code(report: dict[str, Any]) -> int:
    """DESIGN.md's exit codes for `audit` (and `merge`): 1 a target not ready > 3 the audit is
    incomplete > 0 every target ready."""
    return EXIT_CODES[report_headline(report)]


def counts(
    targets: list[dict[str, Any]], skipped: list[dict[str, Any]], account: str | None = None
) -> dict[str, int]:
    """Headline-mode counts of report targets, for one account or all of them."""
    verdicts = [t["verdict"] for t in targets if account in (None, t["account_id"])]
    return {
        "targets": len(verdicts),
        "ready": verdicts.count("ready"),
        "not_ready": verdicts.count("not_ready"),
        "unknown": verdicts.count("unknown"),
        "skipped": sum(1 for s in skipped if account in (None, s["account_id"])),
    }


def summary(
    targets: list[dict[str, Any]], skipped: list[dict[str, Any]], accounts: list[str]
) -> dict[str, Any]:
    """The report's `summary`: all accounts, and `by_account`."""
    return {
        **counts(targets, skipped),
        "by_account": {a: counts(targets, skipped, a) for a in accounts},
    }


# The report's list orders (DESIGN.md "The JSON report contract"), shared by audit and merge.
def instance_order(d: dict[str, Any]) -> tuple[str, str, str]:
    return (d["account_id"], d["region"], d["db_instance_id"])


def finding_order(f: dict[str, Any]) -> tuple[str, ...]:
    """Account, region, target (null first), check, resource; then status and message so
    that ties sort the same way every run."""
    return (
        f["account_id"],
        f["region"],
        "0" if f["target"] is None else "1",
        f["target"] or "",
        f["check_id"],
        f["resource_id"] or "",
        f["status"],
        f["message"],
    )


def error_order(e: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (e["account_id"], e["region"], e["service"], e["operation"], e["resource_id"] or "")
