"""subnet.db-port-nacl (warning): the network ACLs between the worker subnet and the DB
instance's subnets let the DB port through, both ways (NACLs are stateless). Veeam opens
security groups for the DB port (it adds one to the DB instance), never network ACLs; a NACL
that drops the port makes the worker's database connection time out. It warns, never decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Severity, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.worker_acls import denials, subnet_acl, worker_acls

EPHEMERAL = (1024, 65535)


class DbPortNacl(Check):
    id: ClassVar[str] = "subnet.db-port-nacl"
    title: ClassVar[str] = "Network ACLs let the DB port through between workers and the DB"
    path_hop: ClassVar[str] = "subnet"
    severity: ClassVar[Severity] = Severity.WARNING
    reads: ClassVar[tuple[str, ...]] = (parts.DB_INSTANCES, parts.SUBNETS)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_NACL, docs.V_BACKUP_HIW_RDS)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        if ctx.located() is None:
            yield from ctx.per_mode(lambda mode: self.judge(ctx, mode))

    def judge(self, ctx: CheckContext, mode: Mode) -> Iterator[Finding]:
        unit, db = ctx.region, ctx.db
        best = worker_acls(ctx, mode)
        if best is None:
            return
        if isinstance(best, Finding):
            yield best
            return
        if db.port is None:
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not check {self.id}: DescribeDBInstances gave no port for "
                f"{db.db_instance_id}",
                resource_id=db.db_instance_id,
                modes=[mode],
            )
            return
        port = (db.port, db.port)
        worker = (best.cidr,)
        db_subnets = unit.subnets_of(db.subnet_ids)
        problems: list[str] = []
        worker_acl = subnet_acl(unit, best)
        for s in db_subnets:
            db_net = (s.cidr,)
            db_acl = subnet_acl(unit, s)
            if worker_acl is not None and denials(unit, worker_acl, True, port, db_net):
                problems.append(f"{worker_acl.acl_id} denies TCP {db.port} out to {s.cidr}")
            if worker_acl is not None and denials(unit, worker_acl, False, EPHEMERAL, db_net):
                problems.append(f"{worker_acl.acl_id} denies the replies from {s.cidr}")
            if db_acl is not None and denials(unit, db_acl, False, port, worker):
                problems.append(f"{db_acl.acl_id} denies TCP {db.port} in from {best.cidr}")
            if db_acl is not None and denials(unit, db_acl, True, EPHEMERAL, worker):
                problems.append(f"{db_acl.acl_id} denies the replies to {best.cidr}")
        evidence: dict[str, str | list[str]] = {
            "worker_subnet": best.subnet_id,
            "db_subnets": [s.subnet_id for s in db_subnets],
            "port": str(db.port),
        }
        if not problems:
            yield ctx.finding(
                Status.PASS,
                f"the network ACLs let TCP {db.port} through between {best.subnet_id} and the "
                f"DB instance's subnets, both ways",
                resource_id=best.subnet_id,
                evidence=evidence,
                modes=[mode],
            )
            return
        yield ctx.finding(
            Status.WARN,
            f"between worker subnet {best.subnet_id} and {db.db_instance_id}: "
            + "; ".join(sorted(set(problems)))
            + " (Veeam opens security groups for the DB port, not network ACLs)",
            resource_id=best.subnet_id,
            evidence=evidence,
            modes=[mode],
        )
