"""Worker subnets (DESIGN.md "Worker subnets"): the candidates for a DB instance in a mode, the
best candidate the findings describe, and the plan cache.

Pure: reads a RegionInventory, never AWS. The subnet-level rules are not here: each belongs to
its check (`Check.subnet_rule`, in the modes of `Check.subnet_modes`), and the engine hands the
loaded checks to `WorkerPlans`, so a plugin can add one. One `WorkerPlans` per (account, region)
unit caches the plan of every (target, mode), shared by the checks that report it and by the
verdict fold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Protocol

from auditor.inventory import DBInstance, RegionInventory, Subnet, WorkerConfig
from auditor.model import Mode, Status
from auditor.network import available, network
from auditor.outcome import Outcome


class SubnetRule(Protocol):
    """What the planner needs of a check that must hold on the chosen worker subnet."""

    @property
    def id(self) -> str: ...

    @property
    def subnet_modes(self) -> frozenset[Mode]: ...

    def applies_to(self, db: DBInstance) -> bool: ...

    # False: the outcome depends on the unit and the subnet only, so it is computed once per
    # (rule, subnet) and shared by every target and mode (the built-in rules); True (the
    # default for a plugin): once per target.
    @property
    def subnet_rule_uses_db(self) -> bool: ...

    def subnet_rule(self, unit: RegionInventory, db: DBInstance, subnet: Subnet) -> Outcome: ...


@dataclass
class Plan:
    mode: Mode
    subnets_read: bool
    in_az: list[Subnet]  # every subnet of the DB's VPC in its AZ
    candidates: list[Subnet]
    ignored: list[str]  # --worker-subnet ids outside this DB's VPC and AZ
    results: dict[str, dict[str, Outcome]]  # subnet id -> check id -> outcome
    best: Subnet | None
    passing: list[str]

    def exclusions(self) -> list[str]:
        """Why each subnet of the AZ is not a candidate."""
        wanted_public = self.mode is Mode.PUBLIC
        chosen = {s.subnet_id for s in self.candidates}
        out = []
        for s in self.in_az:
            if s.subnet_id in chosen:
                continue
            if not available(s.state):
                out.append(f"{s.subnet_id}: state {s.state}")
            elif s.available_ips <= 0:
                out.append(f"{s.subnet_id}: no free IPv4 addresses")
            elif s.map_public_ip != wanted_public:
                out.append(
                    f"{s.subnet_id}: public IPv4 auto-assign {'off' if wanted_public else 'on'}"
                )
            else:
                out.append(f"{s.subnet_id}: not in the worker configuration (--worker-subnet)")
        return out


class WorkerPlans:
    def __init__(
        self,
        unit: RegionInventory,
        config: WorkerConfig | None = None,
        rules: Iterable[SubnetRule] = (),
    ):
        self.unit = unit
        self.config = config or WorkerConfig()
        self.rules: dict[Mode, list[SubnetRule]] = {
            mode: sorted((r for r in rules if mode in r.subnet_modes), key=lambda r: r.id)
            for mode in Mode
        }
        self._cache: dict[tuple[str, Mode], Plan] = {}  # by DB instance and mode
        self._shared: dict[tuple[object, ...], Plan] = {}  # by what a plan depends on
        self._in_az: dict[tuple[str | None, str | None], list[Subnet]] = {}
        for subnet in unit.subnets or []:
            self._in_az.setdefault((subnet.vpc_id, subnet.availability_zone), []).append(subnet)

    def plan(self, db: DBInstance, mode: Mode) -> Plan:
        plan = self._cache.get((db.db_instance_id, mode))  # asked by every check, every mode
        if plan is None:
            plan = self._cache[db.db_instance_id, mode] = self._shared_plan(db, mode)
        return plan

    def _shared_plan(self, db: DBInstance, mode: Mode) -> Plan:
        rules = [r for r in self.rules[mode] if r.applies_to(db)]
        # A plan depends on the DB instance only through its VPC and AZ, and through the rules
        # that apply to its engine, unless one of those rules looks at the DB instance itself:
        # DB instances side by side share one plan.
        if any(getattr(r, "subnet_rule_uses_db", True) for r in rules):
            return self._make(db, mode, rules)
        key = (db.vpc_id, db.availability_zone, mode, *(r.id for r in rules))
        plan = self._shared.get(key)
        if plan is None:
            plan = self._shared[key] = self._make(db, mode, rules)
        return plan

    def _make(self, db: DBInstance, mode: Mode, rules: list[SubnetRule]) -> Plan:
        subnets = self.unit.subnets
        in_az = self._in_az.get((db.vpc_id, db.availability_zone), [])
        pins = set(self.config.subnet_ids)
        ignored = sorted(pins - {s.subnet_id for s in in_az}) if pins else []
        candidates = [
            s
            for s in in_az
            if available(s.state)
            and s.available_ips > 0
            and s.map_public_ip == (mode is Mode.PUBLIC)
            and (not pins or s.subnet_id in pins)
        ]
        results = {s.subnet_id: {r.id: self._outcome(r, db, s) for r in rules} for s in candidates}

        def rank(s: Subnet) -> tuple[int, int, str]:
            statuses = [o.status for o in results[s.subnet_id].values()]
            return (statuses.count(Status.FAIL), statuses.count(Status.UNKNOWN), s.subnet_id)

        best = min(candidates, key=rank) if candidates else None
        passing = sorted(
            s.subnet_id
            for s in candidates
            if all(o.status in (Status.PASS, Status.WARN) for o in results[s.subnet_id].values())
        )
        return Plan(mode, subnets is not None, in_az, candidates, ignored, results, best, passing)

    def _outcome(self, rule: SubnetRule, db: DBInstance, subnet: Subnet) -> Outcome:
        if getattr(rule, "subnet_rule_uses_db", True):
            return rule.subnet_rule(self.unit, db, subnet)
        # Once per (rule, subnet) of the unit, as the checks' other derived answers.
        outcome: Outcome = self.unit.derived(
            f"subnet_rule {rule.id}",
            subnet.subnet_id,
            lambda: rule.subnet_rule(self.unit, db, subnet),
        )
        return outcome


def worker_peer(unit: RegionInventory, db: DBInstance, plan: Plan) -> list[IPv4Network] | None:
    """The addresses a worker would have: the best candidate's CIDR, else the VPC's CIDRs."""
    if plan.best is not None:
        return [network(plan.best.cidr)]
    vpc = unit.vpcs.get(db.vpc_id or "")
    if vpc is None or vpc.cidrs is None:
        return None
    return [network(c) for c in vpc.cidrs]


__all__ = ["Plan", "SubnetRule", "WorkerPlans", "worker_peer"]
