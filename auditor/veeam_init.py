"""`preflight veeam-config --init`: read-only discovery of a starting `--veeam-config` file.

Discovery suggests, never decides (DESIGN.md): it lists the roles whose trust names an AWS
principal outside the account and whose policies hold Veeam's backup (§2.1), worker (§2.2) or
repository (§2.4) actions, the buckets those roles' policies name, and the account's DB instances
by region, and writes them as a commented TOML file for the user to confirm. Every read goes
through the guarded contexts of the audit; a read that fails is a comment in the file, not a
guess.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

from auditor.collectors import LIST_ROLES
from auditor.collectors.base import UnitContext
from auditor.collectors.iam_roles import ROLE_READS, IamRolesCollector
from auditor.collectors.rds import DBInstancesCollector
from auditor.inventory import IamRole, RegionInventory
from auditor.policy import PolicyError, parse_document, statements
from auditor.sessions import AwsSession
from auditor.veeam_permissions import (
    BACKUP_ROLE,
    REPOSITORY_ANY,
    REPOSITORY_BUCKET,
    REPOSITORY_OBJECTS,
    VEEAM_VERSION,
    WORKER_ROLE,
)
from checks.support.veeam_roles import grants  # the checks' own evaluation, not a copy

INIT_FLAG = "veeam-config --init"
KINDS = {
    "backup": BACKUP_ROLE,
    "worker": WORKER_ROLE,
    "repository": REPOSITORY_ANY + REPOSITORY_BUCKET + REPOSITORY_OBJECTS,
}
BUCKET_ARN = re.compile(r"^arn:[^:]+:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/.*)?$")


@dataclass
class Candidate:
    arn: str
    outside: list[str]  # the outside principals its trust names
    held: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (held, of)
    buckets: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    account_id: str
    candidates: list[Candidate]
    db_instances: dict[str, list[str]]  # region -> ids
    gaps: list[str]  # what could not be read, one line each


def outside_principals(trust: object, account: str) -> list[str]:
    """The AWS principals a trust policy allows that are not of ``account``."""
    try:
        document = parse_document(trust)
    except PolicyError:
        return []
    found: list[str] = []
    for stmt in statements(document):
        if stmt.get("Effect") != "Allow" or not isinstance(stmt.get("Principal"), dict):
            continue
        values = stmt["Principal"].get("AWS", [])
        for value in [values] if isinstance(values, str) else values:
            other = value if value.isdigit() else (value.split(":")[4] if ":" in value else "")
            if other and other != account:
                found.append(value)
    return sorted(set(found))


def held_actions(role: IamRole) -> dict[str, tuple[int, int]]:
    """For each Veeam role kind, how many of its actions the role's policies allow on `*`."""
    out: dict[str, tuple[int, int]] = {}
    for kind, actions in KINDS.items():
        judged = grants(role, tuple(actions))
        if isinstance(judged, str):
            continue
        refused = len(judged.missing) + len(judged.denied) + len(judged.unsure)
        out[kind] = (len(actions) - refused, len(actions))
    return out


def named_buckets(role: IamRole) -> list[str]:
    names: set[str] = set()
    for p in role.policies or []:
        try:
            document = parse_document(p.document)
        except PolicyError:
            continue
        for stmt in statements(document):
            resources = stmt.get("Resource", [])
            for r in [resources] if isinstance(resources, str) else resources:
                match = BUCKET_ARN.match(str(r))
                if match and "*" not in match.group(1):
                    names.add(match.group(1))
    return sorted(names)


def discover(aws: AwsSession, account_id: str, home: str, regions: list[str]) -> Discovery:
    limiter = threading.Semaphore(8)
    flags = frozenset({INIT_FLAG})
    gaps: list[str] = []
    unit = RegionInventory(account_id, home)
    base = UnitContext(aws, unit, list, limiter, flags=flags)
    iam = base.for_collector((LIST_ROLES, *ROLE_READS))
    listed = iam.paginate(LIST_ROLES, "Roles") or []
    candidates: list[Candidate] = []
    reader = IamRolesCollector()
    for raw in listed:
        arn, trust = raw.get("Arn"), raw.get("AssumeRolePolicyDocument")
        if not isinstance(arn, str):
            continue
        outside = outside_principals(trust, account_id)
        if not outside:
            continue
        role = reader.read_role(iam, arn, simulate=False)
        if role.policies is None:
            candidates.append(Candidate(arn, outside))
            continue
        held = held_actions(role)
        if any(n for n, _ in held.values()):
            candidates.append(Candidate(arn, outside, held, named_buckets(role)))
    db_instances: dict[str, list[str]] = {}
    for region in regions:
        scoped = RegionInventory(account_id, region)
        ctx = UnitContext(aws, scoped, list, limiter, flags=flags)
        DBInstancesCollector().collect(ctx.for_collector(DBInstancesCollector.calls))
        db_instances[region] = sorted(d.db_instance_id for d in scoped.db_instances or [])
        gaps += [e.explain() for e in scoped.errors]
    gaps = [e.explain() for e in unit.errors] + gaps
    return Discovery(account_id, candidates, db_instances, gaps)


def _best(candidates: list[Candidate], kind: str) -> Candidate | None:
    scored = [c for c in candidates if c.held.get(kind, (0, 1))[0] > 0]
    return max(scored, key=lambda c: (c.held[kind][0], c.arn), default=None)


def _complete(candidate: Candidate, kind: str) -> bool:
    held, of = candidate.held.get(kind, (0, 1))
    return held == of


def _holds(candidate: Candidate | None, kind: str) -> str:
    """A comment when the suggested role lacks some of the kind's actions."""
    if candidate is None or _complete(candidate, kind):
        return ""
    held, of = candidate.held[kind]
    return f"  # holds {held} of {of} {kind} actions: the audit lists what is missing"


def render(found: Discovery) -> str:
    """The commented starting file; it parses as a --veeam-config file once confirmed."""
    backup, worker = _best(found.candidates, "backup"), _best(found.candidates, "worker")
    repository = _best(found.candidates, "repository")
    appliance = (backup or worker or repository or Candidate("", [found.account_id])).outside[0]
    lines = [
        "# A starting --veeam-config, written by `preflight veeam-config --init` from what AWS",
        f"# shows in account {found.account_id}. Discovery suggests, it never decides: confirm",
        "# every value against the Veeam console (Configuration > Workers, the backup policy's",
        "# Targets step, Repositories), then run: preflight audit --veeam-config FILE",
        f"# Action lists: {VEEAM_VERSION}.",
        "",
    ]
    if found.gaps:
        lines += ["# Not read (the discovery is incomplete):"]
        lines += [f"#   {g}" for g in found.gaps] + [""]
    lines += ["# Roles whose trust names a principal outside this account:"]
    for c in found.candidates:
        held = ", ".join(f"{k} {n}/{of}" for k, (n, of) in sorted(c.held.items())) or "not read"
        lines.append(f"#   {c.arn}: trusted by {', '.join(c.outside)}; Veeam actions: {held}")
    if not found.candidates:
        lines.append("#   none found: give the roles Veeam uses by hand")
    lines += [
        "",
        "# The appliance's IAM role (Impersonation role) or its account id:",
        f"appliance_principal = {json.dumps(appliance)}",
        "",
    ]
    for region, ids in sorted(found.db_instances.items()):
        lines.append(f"# DB instances in {region}: {', '.join(ids) or 'none'}")
    every = sorted({i for ids in found.db_instances.values() for i in ids})
    backup_arn = backup.arn if backup else f"arn:aws:iam::{found.account_id}:role/<backup role>"
    lines += ["", "[[policies]]", 'name = "rds-backup"                  # the policy\'s name']
    if every:
        lines.append(f"db_instances = {json.dumps(every)}  # keep what this policy backs up")
    else:
        lines.append('# db_instances = ["…"]  # none found; omitted = every DB instance')
    lines += [
        'option = "account"                   # or "organization" (then roles are names)',
        f"backup_role = {json.dumps(backup_arn)}" + _holds(backup, "backup"),
    ]
    if worker is not None and _complete(worker, "worker"):
        lines.append(f"worker_role = {json.dumps(worker.arn)}")
    elif worker is not None:
        lines.append(f"# worker_role = {json.dumps(worker.arn)}" + _holds(worker, "worker"))
    else:
        lines.append('# worker_role = "arn:…"  # none found: omitted = the backup role')
    buckets = sorted({b for c in found.candidates for b in c.buckets})
    lines += ["", "# [policies.repository]"]
    lines.append(
        f'# bucket = "{buckets[0] if buckets else "<bucket>"}"'
        + (f"  # buckets named in these roles' policies: {', '.join(buckets)}" if buckets else "")
    )
    if repository is not None:
        lines.append(f'# role = "{repository.arn}"')
    lines += ['# encryption = "none"                 # "none" | "password" | "kms"', ""]
    return "\n".join(lines)
