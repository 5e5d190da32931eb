"""ec2.worker-security-group (with --worker-security-group): the group Veeam's worker
configuration gives the workers lets HTTPS out to what each mode needs: public, 0.0.0.0/0 (or
the Region's S3 addresses, a warning: the service endpoints' addresses cannot be read);
private, the VPC's addresses (its interface endpoints); vpc-endpoints, those and S3's prefix
list."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from ipaddress import IPv4Network
from typing import ClassVar

from auditor import constants as parts
from auditor.inventory import SecurityGroup
from auditor.model import Finding, Mode, Status
from auditor.network import EVERYWHERE, available, is_service, network, sg_admits
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class WorkerSecurityGroup(Check):
    id: ClassVar[str] = "ec2.worker-security-group"
    title: ClassVar[str] = "The worker configuration's security group lets HTTPS out"
    path_hop: ClassVar[str] = "subnet"
    reads: ClassVar[tuple[str, ...]] = (parts.SECURITY_GROUPS, parts.VPC_ATTRIBUTES)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_WORKER_NETWORK,
        docs.V_SG_WORKERS,
        docs.V_LIMITATIONS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        wanted = ctx.config.security_group_ids
        if not wanted or ctx.located() is not None:
            return  # applies only with --worker-security-group
        unit, db = ctx.region, ctx.db
        if unit.security_groups is None:
            error = unit.error_for("DescribeSecurityGroups")
            yield ctx.unknown("the worker security group", error)
            return
        groups = [g for g in unit.security_groups if g.group_id in wanted and g.vpc_id == db.vpc_id]
        if not groups:
            yield ctx.finding(
                Status.WARN,
                f"none of the --worker-security-group groups ({', '.join(wanted)}) is in "
                f"{db.vpc_id}: they are ignored for this DB instance",
                resource_id=db.vpc_id,
                evidence={"ignored_worker_security_groups": list(wanted)},
            )
            return
        for group in groups:
            yield from ctx.per_mode(partial(self.judge_modes, ctx, group=group))

    def judge_modes(self, ctx: CheckContext, mode: Mode, group: SecurityGroup) -> list[Finding]:
        return [self.judge(ctx, mode, group)]

    def judge(self, ctx: CheckContext, mode: Mode, group: SecurityGroup) -> Finding:
        unit, db = ctx.region, ctx.db
        gid = group.group_id
        if mode is Mode.PUBLIC and (narrow := self.public_ranges(ctx, mode, group)) is not None:
            return narrow
        if mode is Mode.PUBLIC:
            needs = {"the internet (0.0.0.0/0)": [EVERYWHERE]}
        else:
            vpc = unit.vpcs.get(db.vpc_id or "")
            if vpc is None or vpc.cidrs is None:
                return ctx.unknown(f"egress of {gid}", unit.error_for("DescribeVpcs"), modes=[mode])
            needs = {"the VPC's endpoints": [IPv4Network(c) for c in vpc.cidrs]}
            # private: the S3 interface endpoint is one of the VPC's addresses; only the gateway
            # endpoint of vpc-endpoints takes S3 traffic to S3's own (prefix-list) addresses.
            s3_lists = self.s3_prefix_lists(ctx)
            if mode is Mode.VPC_ENDPOINTS and not any(
                pl in r.prefix_lists for r in group.egress for pl in s3_lists
            ):
                needs["S3 (its prefix list or 0.0.0.0/0)"] = [EVERYWHERE]
        missing, by_reference, unread = [], [], []
        for what, nets in needs.items():
            verdicts = {sg_admits(group.egress, 443, n, unit.prefix_lists) for n in nets}
            if "no" in verdicts:
                missing.append(what)
            elif "unread" in verdicts:
                unread.append(what)
            elif "reference" in verdicts:
                by_reference.append(what)
        evidence: dict[str, str | list[str]] = {"security_group": gid}
        if missing:
            cidr = "0.0.0.0/0" if mode is Mode.PUBLIC else str(needs[missing[0]][0])
            return ctx.finding(
                Status.FAIL,
                f"worker security group {gid} does not allow outbound TCP 443 to "
                + ", ".join(missing),
                resource_id=gid,
                remediation=(
                    f"aws ec2 authorize-security-group-egress --group-id {gid} --protocol tcp "
                    f"--port 443 --cidr {cidr}"
                ),
                evidence=evidence,
                modes=[mode],
            )
        if unread:
            lists = sorted(
                {
                    pl
                    for r in group.egress
                    for pl in r.prefix_lists
                    if unit.prefix_lists.get(pl) is None
                }
            )
            return ctx.unknown(
                f"outbound TCP 443 of {gid} to {', '.join(unread)} "
                f"(prefix list {', '.join(lists)})",
                next((unit.error_for("GetManagedPrefixListEntries", pl) for pl in lists), None),
                resource_id=gid,
                modes=[mode],
            )
        if by_reference:
            return ctx.finding(
                Status.WARN,
                f"worker security group {gid} allows outbound TCP 443 to "
                + ", ".join(by_reference)
                + " only through security-group references, which this audit cannot resolve",
                resource_id=gid,
                evidence=evidence,
                modes=[mode],
            )
        return ctx.finding(
            Status.PASS,
            f"worker security group {gid} allows outbound TCP 443 to " + ", ".join(needs),
            resource_id=gid,
            evidence=evidence,
            modes=[mode],
        )

    @staticmethod
    def public_ranges(ctx: CheckContext, mode: Mode, group: SecurityGroup) -> Finding | None:
        """Public mode without 443 to 0.0.0.0/0: a group admitting the Region's S3 addresses
        (AWS's prefix list com.amazonaws.<region>.s3) may be enough, but the workers also reach
        the Region's ssm, ssmmessages and sqs endpoints, whose addresses (AWS's ip-ranges.json)
        no API of the account gives: a warning naming them. None: judge as usual."""
        unit, gid = ctx.region, group.group_id
        egress = group.egress
        if sg_admits(egress, 443, EVERYWHERE, unit.prefix_lists) == "cidr":
            return None
        if not any(r.protocol in ("-1", "tcp") for r in egress):
            return None  # nothing out at all: the usual failure
        if unit.s3_ranges is None:
            return ctx.unknown(
                f"whether {gid}'s outbound rules cover the Region's S3 addresses",
                unit.error_for("DescribeManagedPrefixLists")
                or unit.error_for("GetManagedPrefixListEntries"),
                resource_id=gid,
                modes=[mode],
            )
        nets = [network(c) for c in unit.s3_ranges]
        verdicts = {sg_admits(egress, 443, n, unit.prefix_lists) for n in nets}
        if not nets or verdicts != {"cidr"}:
            return None
        return ctx.finding(
            Status.WARN,
            f"worker security group {gid} allows outbound TCP 443 to the Region's S3 addresses "
            f"(com.amazonaws.{unit.region}.s3) but not to 0.0.0.0/0: the workers also reach the "
            f"public ssm, ssmmessages and sqs endpoints of {unit.region}, whose addresses "
            "(AWS's ip-ranges.json) this audit cannot read; make sure the group admits them",
            resource_id=gid,
            evidence={"security_group": gid},
            modes=[mode],
        )

    def s3_prefix_lists(self, ctx: CheckContext) -> set[str]:
        """Prefix lists of the S3 gateway endpoints' routes in the DB's VPC."""
        unit, vpc_id = ctx.region, ctx.db.vpc_id
        endpoints = {
            e.endpoint_id
            for e in unit.vpc_endpoints or []
            if e.vpc_id == vpc_id and is_service(e, unit.region, "s3") and available(e.state)
        }
        return {
            r.prefix_list_id
            for t in unit.route_tables or []
            for r in t.routes
            if r.prefix_list_id and r.target in endpoints
        }
