"""Discovers the checks, runs them over an Inventory, and folds findings into verdicts.

Pure: no AWS here. The verdict rule is DESIGN.md's, literally:
per mode, over the applicable findings of blocker checks, `not_ready` if any is `fail`, else
`unknown` if any is `unknown`, else `ready`.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from auditor import forked, scope
from auditor.constants import INVENTORY_PARTS
from auditor.errors import PreflightError
from auditor.inventory import DBInstance, Inventory, RegionInventory, RepositoryAccount
from auditor.model import (
    ALL_MODES,
    AuditResult,
    Finding,
    Mode,
    ModeVerdict,
    Severity,
    SkippedInstance,
    Status,
    TargetResult,
    UnitInfo,
    Verdict,
)
from auditor.paths import HOP_ORDER, build_path
from auditor.veeam_config import VeeamConfig
from auditor.veeam_network import unit_worker_config
from auditor.workers import WorkerPlans
from checks import BUILTIN_CHECKS, module_for
from checks.base import Check, CheckContext
from checks.docs import Source

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "preflight.checks"
CHECK_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$")
PASSING = frozenset({Status.PASS, Status.WARN})
SCOPES = frozenset({"target", "region"})
_WORST = {Status.SKIP: 0, Status.PASS: 1, Status.WARN: 2, Status.UNKNOWN: 3, Status.FAIL: 4}


class CheckLoadError(PreflightError):
    """A check (built-in or plugin) has invalid metadata or does not load."""


def load_checks(
    entry_points: Iterable[Any] | None = None, builtins: Iterable[type[Check]] = BUILTIN_CHECKS
) -> list[Check]:
    """Built-ins plus the `preflight.checks` entry points, validated and in prerequisite order."""
    classes: list[type[Check]] = list(builtins)
    names: dict[type[Check], str] = {}
    eps = (
        entry_points
        if entry_points is not None
        else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    )
    for ep in eps:
        try:
            cls = ep.load()
        except Exception as exc:  # noqa: BLE001 - any plugin import error is reported the same way
            raise CheckLoadError(
                f"check plugin {ep.name!r} ({ep.value}) does not load: {exc}"
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, Check)):
            raise CheckLoadError(f"check plugin {ep.name!r} ({ep.value}) is not a Check subclass")
        names[cls] = ep.name
        if cls not in classes:
            classes.append(cls)
    seen: dict[str, type[Check]] = {}
    for cls in classes:
        validate_check(cls, names.get(cls))
        if cls.id in seen:
            raise CheckLoadError(
                f"check id {cls.id!r} is defined twice "
                f"({seen[cls.id].__module__} and {cls.__module__})"
            )
        seen[cls.id] = cls
    return [cls() for cls in _prerequisite_order(classes, seen)]


def validate_check(cls: type[Check], entry_name: str | None = None) -> None:
    where = f"{cls.__module__}.{cls.__qualname__}"
    cid = getattr(cls, "id", None)
    if not isinstance(cid, str) or not CHECK_ID.match(cid):
        raise CheckLoadError(f"{where}: id {cid!r} is not of the form 'area.name'")
    if entry_name is not None and entry_name != cid:
        raise CheckLoadError(
            f"{where}: entry point name {entry_name!r} differs from its id {cid!r}"
        )
    if not isinstance(getattr(cls, "title", None), str) or not cls.title.strip():
        raise CheckLoadError(f"{where}: check {cid} has no title")
    if not isinstance(cls.severity, Severity):
        raise CheckLoadError(
            f"{where}: severity {cls.severity!r} is not one of {[str(s) for s in Severity]}"
        )
    if not cls.modes or not all(isinstance(m, Mode) for m in cls.modes):
        raise CheckLoadError(
            f"{where}: modes {cls.modes!r} must be a non-empty set of {[str(m) for m in Mode]}"
        )
    if cls.engines is not None and (
        not cls.engines or not all(isinstance(e, str) and e for e in cls.engines)
    ):
        raise CheckLoadError(f"{where}: engines must be None or a non-empty set of engine names")
    if not cls.scopes or not set(cls.scopes) <= SCOPES:
        raise CheckLoadError(
            f"{where}: scopes {cls.scopes!r} must be a non-empty subset of {sorted(SCOPES)}"
        )
    if cls.requires_modes is not None and not set(cls.requires_modes) <= set(cls.modes):
        raise CheckLoadError(f"{where}: requires_modes must be among the check's modes")
    if cls.path_hop not in HOP_ORDER:
        raise CheckLoadError(f"{where}: path_hop {cls.path_hop!r} must be one of {HOP_ORDER}")
    if not all(
        isinstance(d, Source) and d.title and d.url.startswith("https://") for d in cls.docs
    ):
        raise CheckLoadError(
            f"{where}: docs must be checks.docs.Source(title, url) with an https:// address"
        )
    unknown_parts = sorted(set(cls.reads) - INVENTORY_PARTS)
    if unknown_parts:
        raise CheckLoadError(
            f"{where}: reads {unknown_parts} are not inventory parts "
            f"(known: {', '.join(sorted(INVENTORY_PARTS))})"
        )
    if not set(cls.subnet_modes) <= set(cls.modes):
        raise CheckLoadError(f"{where}: subnet_modes must be among the check's modes")
    if cls.subnet_modes and cls.subnet_rule is Check.subnet_rule:
        raise CheckLoadError(f"{where}: a check with subnet_modes must define subnet_rule")
    if cls in BUILTIN_CHECKS and cls.__module__ != module_for(cid):
        raise CheckLoadError(f"{where}: built-in check {cid} must live in {module_for(cid)}")


def _prerequisite_order(
    classes: list[type[Check]], by_id: dict[str, type[Check]]
) -> list[type[Check]]:
    ordered: list[type[Check]] = []
    state: dict[str, int] = {}

    def visit(cls: type[Check], chain: tuple[str, ...]) -> None:
        if state.get(cls.id) == 2:
            return
        if state.get(cls.id) == 1:
            raise CheckLoadError(f"prerequisite cycle: {' -> '.join((*chain, cls.id))}")
        state[cls.id] = 1
        for req in cls.requires:
            if req not in by_id:
                raise CheckLoadError(f"check {cls.id} requires unknown check {req!r}")
            if not set(cls.scopes) <= set(by_id[req].scopes):
                raise CheckLoadError(
                    f"check {cls.id} runs in scopes its prerequisite {req} does not run in"
                )
            visit(by_id[req], (*chain, cls.id))
        state[cls.id] = 2
        ordered.append(cls)

    for cls in sorted(classes, key=lambda c: c.id):
        visit(cls, ())
    return ordered


# From this many targets on (in at least two units), units are judged side by side in
# forked children (auditor.forked): below it a fork and the pickled findings cost more than
# they save.
PARALLEL_FROM = 1000


@dataclass(slots=True)
class _UnitOutcome:
    info: UnitInfo
    skipped: list[SkippedInstance]
    findings: list[Finding]
    targets: list[TargetResult]


def evaluate(inventory: Inventory, checks: list[Check], headline: Mode) -> AuditResult:
    """Run every check over every target of every readable unit; fold verdicts."""
    requested = inventory.requested_db_instances
    veeam = VeeamConfig.from_dict(inventory.veeam_config) if inventory.veeam_config else None
    units = inventory.regions
    selected = [  # each unit's targets and skipped DB instances (None: they were not read)
        scope.select(u.db_instances, requested) if u.db_instances is not None else None
        for u in units
    ]
    judge = partial(_evaluate_unit, inventory, checks, headline, veeam)
    outcomes = _each_unit(
        [len(s.targets) if s else 0 for s in selected],
        lambda i: judge(units[i], selected[i]),
    )
    findings = [f for o in outcomes for f in o.findings]
    reported = {f.check_id for f in findings}
    return AuditResult(
        worker_network=headline,
        accounts=list(inventory.accounts),
        regions=sorted({u.region for u in inventory.regions}),  # each once, however many accounts
        units=[o.info for o in outcomes],
        targets=[t for o in outcomes for t in o.targets],
        skipped=[s for o in outcomes for s in o.skipped],
        findings=findings,
        errors=[e for u in inventory.regions for e in u.errors]
        + [e for r in inventory.repositories.values() for e in r.errors]
        + [e for n in inventory.peer_networks.values() if n is not None for e in n.errors],
        not_found=sorted(set(requested) - {t.db_instance_id for o in outcomes for t in o.targets}),
        worker_config=inventory.worker_config,
        api_calls=dict(inventory.api_calls),
        api_retries=dict(inventory.api_retries),
        checks=[c.metadata() for c in checks if c.id in reported],
        veeam_config=inventory.veeam_config,
    )


def _each_unit(sizes: list[int], judge: Callable[[int], _UnitOutcome]) -> list[_UnitOutcome]:
    """``judge(i)`` of every unit i, in order; ``sizes``: each unit's targets. Units share
    nothing, so a large audit's units are split over the usable cores by their targets: the
    parent judges one share while forked children judge the others and send their outcomes
    back (the same objects, pickled)."""
    count = len(sizes)
    if sum(sizes) < PARALLEL_FROM:
        return [judge(i) for i in range(count)]
    shares = min(forked.cores(), sum(1 for n in sizes if n))
    if shares < 2:
        return [judge(i) for i in range(count)]
    log.debug("judging %d targets in %d units on %d cores", sum(sizes), count, shares)
    groups: list[list[int]] = [[] for _ in range(shares)]
    loads = [0] * shares
    for i in sorted(range(count), key=lambda i: -sizes[i]):  # largest first, to the least
        least = loads.index(min(loads))
        groups[least].append(i)
        loads[least] += sizes[i]
    outcomes: dict[int, _UnitOutcome] = {}
    children: list[tuple[list[int], forked.Child]] = []
    here = list(groups[0])
    try:
        works = [(g, partial(_judge_all, judge, g)) for g in groups[1:]]
        for group in forked.start_each("evaluation", works, children):
            here += group  # no process to spare: judged here
        for i in here:
            outcomes[i] = judge(i)
        for group, child in children:
            outcomes.update(zip(group, child.result(), strict=True))
    finally:
        for _, child in children:
            child.stop()
    return [outcomes[i] for i in range(count)]


def _judge_all(judge: Callable[[int], _UnitOutcome], group: list[int]) -> list[_UnitOutcome]:
    return [judge(i) for i in group]


def _evaluate_unit(
    inventory: Inventory,
    checks: list[Check],
    headline: Mode,
    veeam: VeeamConfig | None,
    unit: RegionInventory,
    selected: scope.Scope | None,
) -> _UnitOutcome:
    """One unit's targets judged (``selected``: scope.select of its DB instances, None when
    they were not read): its region-scope findings once, each target's own."""
    if selected is None:
        error = unit.error_for("DescribeDBInstances") or (unit.errors[0] if unit.errors else None)
        reason = error.explain() if error else "the DB instances were not read"
        return _UnitOutcome(UnitInfo(unit.account_id, unit.region, "unknown", reason), [], [], [])
    by_id = {c.id: c for c in checks}
    subnet_rules = [c for c in checks if c.subnet_modes]
    hop_of = {c.id: c.path_hop for c in checks}  # where each check sits on the drawn path
    skipped = [
        SkippedInstance(unit.account_id, unit.region, db.db_instance_id, db.engine, reason)
        for db, reason in selected.skipped
    ]
    config = unit_worker_config(unit, selected.targets, veeam, inventory.worker_config)
    plans = WorkerPlans(unit, config, subnet_rules)
    region_findings = run_region(unit, selected.targets, checks, plans)
    findings = list(region_findings)
    targets: list[TargetResult] = []
    for db in selected.targets:
        target_findings = run_target(
            unit, db, checks, plans, veeam, inventory.repositories, inventory.peer_networks
        )
        findings += target_findings
        applicable = [f for f in region_findings if by_id[f.check_id].applies_to(db)]
        result = fold(unit, db, target_findings + applicable, headline, plans, hop_of)
        chosen = (
            veeam.policy_for(db.db_instance_id, unit.account_id, unit.region) if veeam else None
        )
        result.policy = chosen.name if chosen else None
        targets.append(result)
    return _UnitOutcome(
        UnitInfo(unit.account_id, unit.region, "audited"), skipped, findings, targets
    )


def run_region(
    unit: RegionInventory, targets: list[DBInstance], checks: list[Check], plans: WorkerPlans
) -> list[Finding]:
    """Region-scope checks, once per unit that has targets they apply to."""
    return _run_checks(
        [c for c in checks if "region" in c.scopes],
        lambda check: [db for db in targets if check.applies_to(db)],
        lambda check, modes, dbs: CheckContext(check, unit, None, modes, plans, tuple(dbs)),
        lambda check, ctx: check.run_region(ctx),
    )


def run_target(
    unit: RegionInventory,
    db: DBInstance,
    checks: list[Check],
    plans: WorkerPlans,
    veeam: VeeamConfig | None = None,
    repositories: dict[str, RepositoryAccount] | None = None,
    peer_networks: dict[str, RegionInventory | None] | None = None,
) -> list[Finding]:
    """Every applicable target-scope check for one target, prerequisites first."""
    return _run_checks(
        [c for c in checks if "target" in c.scopes],
        lambda check: [db] if check.applies_to(db) else [],
        lambda check, modes, _: CheckContext(
            check,
            unit,
            db,
            modes,
            plans,
            veeam=veeam,
            repositories=repositories or {},
            peer_networks=peer_networks or {},
        ),
        lambda check, ctx: check.run(ctx),
    )


def _run_checks(
    checks: list[Check],
    applicable: Callable[[Check], list[DBInstance]],
    context: Callable[[Check, tuple[Mode, ...], list[DBInstance]], CheckContext],
    runner: Callable[[Check, CheckContext], Iterable[Finding]],
) -> list[Finding]:
    """Run checks in prerequisite order; `skip` in the modes where a prerequisite did not pass."""
    statuses: dict[tuple[str, Mode], Status] = {}
    out: list[Finding] = []
    for check in checks:
        dbs = applicable(check)
        if not dbs:
            continue
        modes, gated = _modes_of(check)
        blocked: dict[Mode, tuple[str, Status]] = {}
        for req in check.requires:
            for mode in gated:
                status = statuses.get((req, mode))
                if status is not None and status not in PASSING and mode not in blocked:
                    blocked[mode] = (req, status)
        produced: list[Finding] = []
        if blocked:
            for (req, status), skip_modes in _group(blocked).items():
                ctx = context(check, skip_modes, dbs)
                produced.append(
                    ctx.finding(
                        Status.SKIP,
                        f"not evaluated: prerequisite {req} is {status}",
                        evidence={"skipped_because": req},
                    )
                )
            run_modes = tuple(m for m in modes if m not in blocked)
        else:
            run_modes = modes
        if run_modes:
            produced += _run_check(check, context(check, run_modes, dbs), runner)
        for finding in produced:
            rank = _WORST[finding.status]
            for mode in finding.modes:
                key = (check.id, mode)
                previous = statuses.get(key)
                if previous is None or _WORST[previous] < rank:
                    statuses[key] = finding.status
        out += produced
    return out


def _modes_of(check: Check) -> tuple[tuple[Mode, ...], tuple[Mode, ...]]:
    """The check's modes in report order, and those of them its prerequisites gate."""
    try:
        return _ordered_modes(check.modes, check.requires_modes)
    except TypeError:  # a plugin's modes in an unhashable set: worked out each time
        return _ordered_modes.__wrapped__(check.modes, check.requires_modes)


@functools.lru_cache(maxsize=256)
def _ordered_modes(
    modes: frozenset[Mode], requires_modes: frozenset[Mode] | None
) -> tuple[tuple[Mode, ...], tuple[Mode, ...]]:
    """Once per kind of check, not once per (target, check)."""
    ordered = tuple(m for m in ALL_MODES if m in modes)
    gated = requires_modes if requires_modes is not None else modes
    return ordered, tuple(m for m in ordered if m in gated)


def _group(blocked: dict[Mode, tuple[str, Status]]) -> dict[tuple[str, Status], tuple[Mode, ...]]:
    groups: dict[tuple[str, Status], tuple[Mode, ...]] = {}
    for mode, cause in blocked.items():
        groups[cause] = (*groups.get(cause, ()), mode)
    return groups


def _run_check(
    check: Check, ctx: CheckContext, runner: Callable[[Check, CheckContext], Iterable[Finding]]
) -> list[Finding]:
    try:
        produced = [f for f in runner(check, ctx) if f.modes]
    except Exception as exc:  # a defective check is unknown, never a pass
        where = ctx.target.db_instance_id if ctx.target else ctx.region.region
        log.warning("check %s failed on %s: %s", check.id, where, exc)
        log.debug("check failure", exc_info=True)
        return [
            ctx.finding(Status.UNKNOWN, f"the check itself failed ({type(exc).__name__}: {exc})")
        ]
    # A finding speaks only for the modes the check was asked about.
    asked = set(ctx.modes)
    clipped = [
        f
        if asked.issuperset(f.modes)
        else replace(f, modes=tuple(m for m in f.modes if m in asked))
        for f in produced
    ]
    return [f for f in clipped if f.modes]


def fold(
    unit: RegionInventory,
    db: DBInstance,
    findings: list[Finding],
    headline: Mode,
    plans: WorkerPlans,
    hop_of: dict[str, str] | None = None,
) -> TargetResult:
    modes: dict[Mode, ModeVerdict] = {}
    for mode in ALL_MODES:
        relevant = [f for f in findings if mode in f.modes and f.severity is Severity.BLOCKER]
        blocking = sorted({f.check_id for f in relevant if f.status is Status.FAIL})
        unknown = sorted({f.check_id for f in relevant if f.status is Status.UNKNOWN})
        if blocking:
            verdict = Verdict.NOT_READY
        elif unknown:
            verdict = Verdict.UNKNOWN
        else:
            verdict = Verdict.READY
        plan = plans.plan(db, mode)
        best = plan.best.subnet_id if plan.best else None
        path = build_path(db, mode, best, findings, hop_of or {}, unit.region)
        modes[mode] = ModeVerdict(verdict, blocking, unknown, plan.passing, path)
    return TargetResult(
        account_id=unit.account_id,
        region=unit.region,
        db_instance_id=db.db_instance_id,
        engine=db.engine,
        engine_version=db.engine_version,
        status=db.status,
        availability_zone=db.availability_zone,
        vpc_id=db.vpc_id,
        modes=modes,
        headline=headline,
    )
