"""subnet.nacl (warning): the worker subnet's network ACL lets HTTPS out and the replies back in.

NACLs are stateless (REQUIREMENTS.md §4): outbound TCP 443 and inbound ephemeral ports both need
rules. Veeam does not mention NACLs, so this warns and never decides a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Severity, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.worker_acls import denials, subnet_acl, worker_acls

EPHEMERAL = (1024, 65535)


class SubnetNacl(Check):
    id: ClassVar[str] = "subnet.nacl"
    title: ClassVar[str] = "The worker subnet's network ACL allows HTTPS and its replies"
    path_hop: ClassVar[str] = "subnet"
    severity: ClassVar[Severity] = Severity.WARNING
    reads: ClassVar[tuple[str, ...]] = (parts.SUBNETS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_NACL, docs.V_WORKER_NETWORK)

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
        acl = subnet_acl(unit, best)
        if acl is None:
            return
        space: tuple[str, ...] | None
        if mode is Mode.PUBLIC:
            space, where = None, "the internet"  # None: the public space
        else:
            vpc = unit.vpcs.get(db.vpc_id or "")
            space = tuple(vpc.cidrs if vpc and vpc.cidrs else [best.cidr])
            where = "the VPC's endpoints"
        out = denials(unit, acl, True, (443, 443), space)
        back = denials(unit, acl, False, EPHEMERAL, space)
        evidence: dict[str, str | list[str]] = {"subnet": best.subnet_id, "network_acl": acl.acl_id}
        if not out and not back:
            yield ctx.finding(
                Status.PASS,
                f"{acl.acl_id} on {best.subnet_id} allows TCP 443 to {where} and the replies back",
                resource_id=acl.acl_id,
                evidence=evidence,
                modes=[mode],
            )
            return
        problems = []
        if out:
            problems.append(f"outbound TCP 443 to {_describe(out)}")
        if back:
            problems.append(f"inbound TCP 1024-65535 (replies) from {_describe(back)}")
        yield ctx.finding(
            Status.WARN,
            f"{acl.acl_id} on worker subnet {best.subnet_id} denies " + " and ".join(problems),
            resource_id=acl.acl_id,
            remediation=(
                f"aws ec2 create-network-acl-entry --network-acl-id {acl.acl_id} --egress "
                "--rule-number <below the deny> --protocol tcp --port-range From=443,To=443 "
                "--cidr-block 0.0.0.0/0 --rule-action allow\n"
                f"aws ec2 create-network-acl-entry --network-acl-id {acl.acl_id} --ingress "
                "--rule-number <below the deny> --protocol tcp --port-range From=1024,To=65535 "
                "--cidr-block 0.0.0.0/0 --rule-action allow"
            ),
            evidence=evidence,
            modes=[mode],
        )


def _describe(denied: tuple[tuple[IPv4Network, int | None], ...], limit: int = 3) -> str:
    by_rule: dict[int | None, list[IPv4Network]] = {}
    for net, rule in denied:
        by_rule.setdefault(rule, []).append(net)
    parts = []
    for rule, nets in by_rule.items():
        shown = ", ".join(str(n) for n in nets[:limit]) + (" …" if len(nets) > limit else "")
        parts.append(f"{shown} (rule {rule if rule is not None else '* (default deny)'})")
    return "; ".join(parts)
