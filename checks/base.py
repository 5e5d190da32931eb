"""What a check is: its metadata beside its logic (STYLE.md lessons 1 and 7).

A check never calls AWS. It reads the inventory through a `CheckContext` and yields findings
made by the context's helpers, so every finding carries the check's id, severity, the target
and the modes without repeating them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from auditor.inventory import (
    DBInstance,
    ReadError,
    RegionInventory,
    RepositoryAccount,
    Subnet,
    WorkerConfig,
)
from auditor.model import ALL_MODES, Evidence, Finding, Mode, Severity, Status
from auditor.outcome import Outcome, unknown
from auditor.veeam_config import VeeamConfig, VeeamPolicy
from auditor.workers import WorkerPlans
from checks.docs import Source


class Check:
    """Subclass, set the metadata, implement `run`. Validated when checks load."""

    id: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity] = Severity.BLOCKER
    modes: ClassVar[frozenset[Mode]] = frozenset(ALL_MODES)
    engines: ClassVar[frozenset[str] | None] = None  # None: every target engine
    # "target": `run` once per target. "region": `run_region` once per (account, region) unit
    # that has applicable targets; its findings have target null and count for every one of them.
    scopes: ClassVar[frozenset[str]] = frozenset({"target"})
    reads: ClassVar[tuple[str, ...]] = ()  # the inventory parts it reads (auditor.constants)
    requires: ClassVar[tuple[str, ...]] = ()  # prerequisite check ids
    requires_modes: ClassVar[frozenset[Mode] | None] = None  # where they apply (None: all modes)
    docs: ClassVar[tuple[Source, ...]] = ()  # the Veeam/AWS pages it enforces
    # The modes in which this check must hold on the chosen worker subnet: the planner judges
    # every candidate with `subnet_rule` and keeps those that pass all such rules of the mode.
    subnet_modes: ClassVar[frozenset[Mode]] = frozenset()
    # Whether `subnet_rule` looks at the DB instance; False lets the planner compute it once per
    # (subnet, rule) for every target and mode of the unit.
    subnet_rule_uses_db: ClassVar[bool] = True
    # Which hop of the drawn worker path this check judges (auditor.paths.HOP_ORDER).
    path_hop: ClassVar[str] = "other"

    @classmethod
    def metadata(cls) -> dict[str, Any]:
        """What a check is, for reports (`checks` section) and `preflight checks --format json`."""
        return {
            "id": cls.id,
            "title": cls.title,
            "severity": str(cls.severity),
            "modes": [str(m) for m in ALL_MODES if m in cls.modes],
            "engines": sorted(cls.engines) if cls.engines is not None else None,
            "scopes": sorted(cls.scopes),
            "reads": list(cls.reads),
            "requires": list(cls.requires),
            "subnet_modes": [str(m) for m in ALL_MODES if m in cls.subnet_modes],
            "docs": [d.to_dict() for d in cls.docs],
        }

    def applies_to(self, db: DBInstance) -> bool:
        return self.engines is None or db.engine in self.engines

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Findings for ``ctx.db`` in ``ctx.modes`` (target scope)."""
        raise NotImplementedError

    def run_region(self, ctx: CheckContext) -> Iterable[Finding]:
        """Findings for the unit ``ctx.region`` and its targets ``ctx.targets`` (region scope)."""
        raise NotImplementedError

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome:
        """What this check says of one worker subnet candidate (checks with `subnet_modes`)."""
        raise NotImplementedError


@dataclass
class CheckContext:
    """One check run (for one target, or for a region) over the modes still to evaluate."""

    check: Check
    region: RegionInventory
    target: DBInstance | None
    modes: tuple[Mode, ...]
    workers: WorkerPlans
    targets: tuple[DBInstance, ...] = ()  # the unit's applicable targets (region-scope checks)
    veeam: VeeamConfig | None = None  # --veeam-config
    # --veeam-config's repositories as read, by the account that owns each bucket, key, role
    repositories: dict[str, RepositoryAccount] = field(default_factory=dict)
    # Peered VPCs by "<account>/<region>" (None: that account is not audited by this run)
    peer_networks: dict[str, RegionInventory | None] = field(default_factory=dict)

    @property
    def policy(self) -> VeeamPolicy | None:
        """The Veeam policy that selects the target (None: no file, or no policy selects it)."""
        if self.veeam is None or self.target is None:
            return None
        return self.veeam.policy_for(
            self.target.db_instance_id, self.region.account_id, self.region.region
        )

    @property
    def config(self) -> WorkerConfig:
        """Veeam's worker configuration, as given on the command line (may be empty)."""
        return self.workers.config

    @property
    def db(self) -> DBInstance:
        """The target of a target-scope check."""
        if self.target is None:
            raise TypeError(f"{self.check.id} is a region-scope check: it has no single target")
        return self.target

    def finding(
        self,
        status: Status,
        message: str,
        *,
        resource_id: str | None = None,
        remediation: str | None = None,
        evidence: Evidence | None = None,
        modes: Iterable[Mode] | None = None,
    ) -> Finding:
        if modes is None:
            chosen = self.modes
        else:
            wanted = set(modes)
            chosen = tuple(m for m in self.modes if m in wanted)
        return Finding(
            check_id=self.check.id,
            status=status,
            severity=self.check.severity,
            modes=chosen,
            account_id=self.region.account_id,
            region=self.region.region,
            target=self.target.db_instance_id if self.target is not None else None,
            resource_id=resource_id,
            message=message,
            remediation=remediation,
            evidence=dict(evidence or {}),
        )

    def report(
        self, outcome: Outcome, *, modes: Iterable[Mode] | None = None, **extra: str | list[str]
    ) -> Finding:
        """A finding from a rule's Outcome (auditor.outcome), with extra evidence."""
        return self.finding(
            outcome.status,
            outcome.message,
            resource_id=outcome.resource_id,
            remediation=outcome.remediation,
            evidence={**outcome.evidence, **extra},
            modes=modes,
        )

    def report_best(self, mode: Mode) -> Iterator[Finding]:
        """This check's subnet rule on the mode's best candidate (DESIGN.md "Worker subnets")."""
        plan = self.workers.plan(self.db, mode)
        if plan.best is None:
            yield self.finding(
                Status.UNKNOWN,
                f"could not check {self.check.id}: no worker subnet candidate to evaluate",
                modes=[mode],
            )
            return
        outcome = plan.results[plan.best.subnet_id][self.check.id]
        note = (
            f" (best of {len(plan.candidates)} candidates; passing all subnet checks: "
            f"{', '.join(plan.passing) or 'none'})"
            if len(plan.candidates) > 1
            else ""
        )
        finding = self.report(
            outcome,
            modes=[mode],
            candidates=[s.subnet_id for s in plan.candidates],
            worker_subnets=plan.passing,
        )
        yield replace(finding, message=finding.message + note)

    def per_mode(self, build: Callable[[Mode], Iterable[Finding]]) -> list[Finding]:
        """Findings built mode by mode, merged where two modes say exactly the same thing."""
        merged: dict[object, tuple[Finding, list[Mode]]] = {}
        for mode in self.modes:
            for f in build(mode):
                key = (f.status, f.message, f.resource_id, f.remediation, _frozen(f.evidence))
                merged.setdefault(key, (f, []))[1].extend(m for m in f.modes if m == mode)
        return [
            f if f.modes == tuple(modes) else replace(f, modes=tuple(modes))
            for f, modes in merged.values()
            if modes
        ]

    def located(self) -> Finding | None:
        """An `unknown` when RDS did not say where the DB instance is (VPC and AZ)."""
        db = self.db
        if db.vpc_id and db.availability_zone:
            return None
        return self.finding(
            Status.UNKNOWN,
            f"could not check {self.check.id}: DescribeDBInstances reported no "
            f"{'VPC' if not db.vpc_id else 'Availability Zone'} for this DB instance",
            resource_id=db.db_instance_id,
        )

    def unknown(
        self,
        what: str,
        error: ReadError | None,
        *,
        resource_id: str | None = None,
        modes: Iterable[Mode] | None = None,
    ) -> Finding:
        """`unknown` because an input could not be read (auditor.outcome.unknown says how)."""
        return self.report(unknown(what, error, resource_id), modes=modes)


def _frozen(evidence: Evidence) -> object:
    """Evidence as a hashable value, equal exactly when the evidence is (its values are strings
    or lists of strings; anything else a plugin put there is compared as sorted JSON)."""
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in evidence.items()))
    try:
        hash(items)
    except TypeError:
        return json.dumps(evidence, sort_keys=True, default=str)
    return items
