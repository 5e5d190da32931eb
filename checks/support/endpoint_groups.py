"""Whether an interface endpoint's security groups admit HTTPS from the workers (Veeam: the
endpoints' groups "must allow inbound HTTPS traffic from both the backup appliance and the
worker instances"). Used by endpoints.interface (ssm, ssmmessages, sqs) and endpoints.s3 (the S3
interface endpoint of the private network deployment)."""

from __future__ import annotations

from ipaddress import IPv4Network

from auditor.inventory import RegionInventory, VpcEndpoint
from auditor.model import Status
from auditor.network import grouped, sg_admits

Problem = tuple[Status, str, str | None]  # (status, sentence, fix)
RANK = {Status.PASS: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.FAIL: 3}


def worst(problems: list[Problem]) -> int:
    """The rank of the worst problem (0: none)."""
    return max((RANK[p[0]] for p in problems), default=0)


def admits_https(
    unit: RegionInventory, endpoint: VpcEndpoint, peer: list[IPv4Network] | None
) -> list[tuple[Status, str, str | None]]:
    """[] when the endpoint's security groups admit TCP 443 from ``peer`` by CIDR; else the
    problem: (status, sentence, fix). Once per (endpoint, peer) of the unit."""
    key = (endpoint.endpoint_id, None if peer is None else tuple(peer))
    return unit.derived("admits_https", key, lambda: _admits_https(unit, endpoint, peer))


def _admits_https(
    unit: RegionInventory, endpoint: VpcEndpoint, peer: list[IPv4Network] | None
) -> list[tuple[Status, str, str | None]]:
    groups = unit.security_groups
    if groups is None or peer is None:
        return [
            (
                Status.UNKNOWN,
                "its security groups or the workers' addresses were not read",
                None,
            )
        ]
    by_id = unit.derived(
        "groups_by_id", None, lambda: grouped(enumerate(groups), lambda p: p[1].group_id)
    )
    chosen = sorted(p for g in set(endpoint.security_group_ids) for p in by_id.get(g, []))
    rules = [r for _, group in chosen for r in group.ingress]  # in the order AWS listed them
    verdicts = {sg_admits(rules, 443, net, unit.prefix_lists) for net in peer}
    if verdicts == {"cidr"}:
        return []
    who = ", ".join(str(n) for n in peer)
    if "unread" in verdicts and "no" not in verdicts:
        unread = sorted(
            {
                pl
                for r in rules
                for pl in r.prefix_lists
                if pl not in unit.prefix_lists or unit.prefix_lists[pl] is None
            }
        )
        return [
            (
                Status.UNKNOWN,
                f"TCP 443 from {who} rests on prefix list {', '.join(unread)}, which was not read "
                "(ec2:GetManagedPrefixListEntries)",
                None,
            )
        ]
    if "no" not in verdicts:
        return [
            (
                Status.WARN,
                f"TCP 443 from {who} is admitted only by security-group references (the "
                "workers' group is not known to this audit)",
                None,
            )
        ]
    group = endpoint.security_group_ids[0] if endpoint.security_group_ids else "<its group>"
    return [
        (
            Status.FAIL,
            f"its security groups do not admit TCP 443 from the workers ({who})",
            f"aws ec2 authorize-security-group-ingress --group-id {group} --protocol tcp "
            f"--port 443 --cidr {peer[0]}",
        )
    ]
