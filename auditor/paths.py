"""The worker network path a verdict rests on, hop by hop, for pictures and text (issue: "See
the path"). Pure: built from the same worker-subnet plan and the same findings that fold into the
verdict, never recomputed, so a picture cannot disagree with its verdict: a hop fails exactly when
a blocking check on it fails.

DB instance (AZ) -> worker subnet -> VPC -> effective route table -> what the route reaches
(internet gateway, interface or gateway endpoints) -> the destination; Veeam's roles and
repositories, and any check without a place on the path, as hops after it. Each check says
which hop it judges (`Check.path_hop`), so a plugin places itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.inventory import DBInstance
from auditor.model import Finding, Mode, Severity, Status, pickled_by_fields

HOP_ORDER = ("db", "subnet", "vpc", "route", "gateway", "destination", "veeam", "other")
HOP_TITLES = {
    "db": "DB instance",
    "subnet": "worker subnet",
    "vpc": "VPC",
    "route": "route table",
    "gateway": "next hop",
    "destination": "destination",
    "veeam": "Veeam's side",
    "other": "other checks",
}
NEXT_HOP = {
    Mode.PUBLIC: "internet gateway",
    Mode.PRIVATE: "endpoints ssm/ssmmessages/sqs/s3",
    Mode.VPC_ENDPOINTS: "S3 gateway + ssm/ssmmessages/sqs endpoints",
}
DESTINATION = {
    Mode.PUBLIC: "internet: AWS endpoints of {region}",
    Mode.PRIVATE: "AWS services of {region} (PrivateLink)",
    Mode.VPC_ENDPOINTS: "AWS services of {region} (endpoints)",
}
NETWORK = ("db", "subnet", "vpc", "route", "gateway")
_RANK = {"fail": 0, "unknown": 1, "warn": 2, "pass": 3, "skip": 4, "not checked": 5, "unreached": 6}


@pickled_by_fields
@dataclass(slots=True)
class Hop:
    kind: str  # one of HOP_ORDER
    label: str  # what it is: ids, as the account names them
    status: str  # fail | unknown | warn | pass | skip | not checked | unreached
    checks: list[str] = field(default_factory=list)  # the blocking checks failing or unknown here
    reason: str | None = None  # the first of those checks' messages
    detail: str | None = None  # where the route really goes, when not where it should

    @property
    def title(self) -> str:
        return HOP_TITLES[self.kind] + (f": {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "hop": self.kind,
            "title": self.title,
            "label": self.label,
            "status": self.status,
            "checks": self.checks,
            "reason": self.reason,
        }


def build_path(
    db: DBInstance,
    mode: Mode,
    best_subnet: str | None,
    findings: list[Finding],
    hop_of: dict[str, str],
    region: str,
) -> list[Hop]:
    """The hops of ``db`` in ``mode`` from its findings there and the plan's best subnet;
    ``hop_of`` says where each check sits (its `Check.path_hop`); ``region`` is the DB
    instance's (the AZ's name does not always end in one letter: a Local Zone's does not)."""
    here = [f for f in findings if mode in f.modes]
    by_hop: dict[str, list[Finding]] = {}
    for f in here:
        by_hop.setdefault(hop_of.get(f.check_id, "other"), []).append(f)
    labels = {
        "db": f"{db.db_instance_id} ({db.availability_zone or 'AZ not reported'})",
        "subnet": _subnet_label(best_subnet, mode),
        "vpc": db.vpc_id or "VPC not reported",
        "route": _evidence(here, "route_table", "effective route table") + _association(here),
        "gateway": _gateway_label(here, mode),
        "destination": DESTINATION[mode].format(region=region),
        "veeam": _veeam_label(by_hop.get("veeam", [])),
        "other": "plugin checks",
    }
    hops: list[Hop] = []
    for kind in HOP_ORDER:
        found = by_hop.get(kind, [])
        if kind in ("veeam", "other") and not found:
            continue  # no --veeam-config, no plugin: not part of this path
        if kind == "route" and not found and mode is not Mode.PUBLIC:
            labels[kind] = "local routes (the endpoints are in the VPC)"
        hop = _hop(kind, labels[kind], found)
        if kind == "route":
            elsewhere = [
                str(v) for f in found for v in f.evidence.get("public_prefixes_elsewhere", [])
            ]
            if elsewhere:
                hop.detail = elsewhere[0].replace("every public IPv4 address", "0.0.0.0/0")
        if kind == "destination" and any(
            h.status in ("fail", "unknown") for h in hops if h.kind in NETWORK
        ):
            hop.status = "unreached"  # a hop before it blocks or could not be checked
        hops.append(hop)
    return hops


def _hop(kind: str, label: str, found: list[Finding]) -> Hop:
    blocking = [
        f
        for f in found
        if f.severity is Severity.BLOCKER and f.status in (Status.FAIL, Status.UNKNOWN)
    ]
    if blocking:
        worst = min(blocking, key=lambda f: _RANK[f.status.value])
        status = worst.status.value
        first = next(f for f in blocking if f.status is worst.status)
        checks = sorted({f.check_id for f in blocking})
        return Hop(kind, label, status, checks, first.message)
    statuses = {f.status.value for f in found}
    status = (
        min(statuses, key=_RANK.__getitem__)
        if statuses
        else ("pass" if kind == "destination" else "not checked")
    )
    if status in ("fail", "unknown"):
        status = "warn"  # a warning-severity check: never blocks
    reason = next((f.message for f in found if f.status is Status.WARN), None)
    return Hop(kind, label, status, [], reason)


def _subnet_label(subnet: str | None, mode: Mode) -> str:
    if subnet is None:
        return "no candidate subnet"
    return f"{subnet} (public IPv4 {'on' if mode is Mode.PUBLIC else 'off'})"


def _evidence(findings: list[Finding], key: str, default: str) -> str:
    for f in findings:
        value = f.evidence.get(key)
        if isinstance(value, str) and value:
            return value
    return default


def _association(findings: list[Finding]) -> str:
    how = _evidence(findings, "route_table_association", "")
    return f" ({how})" if how else ""


_GATEWAY_KEYS = ("internet_gateway", "s3_gateway_endpoints", "interface_endpoints")


def _gateway_label(findings: list[Finding], mode: Mode) -> str:
    ids: set[str] = set()
    for f in findings:
        evidence = f.evidence
        if not evidence:
            continue
        for key in _GATEWAY_KEYS:
            value = evidence.get(key)
            if isinstance(value, str):
                ids.add(value)
            elif value:
                ids.update(value)
    shown = ", ".join(sorted(ids))
    return NEXT_HOP[mode] + (f": {shown}" if shown else "")


def _veeam_label(findings: list[Finding]) -> str:
    policies = sorted({str(f.evidence["policy"]) for f in findings if "policy" in f.evidence})
    return "roles and repositories" + (f" of policy {', '.join(policies)}" if policies else "")
