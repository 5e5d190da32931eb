"""Shared VPCs (AWS RAM): a participant sees the owner's shared subnets and their VPC, but the
VPC's route tables, internet and NAT gateways, endpoints, network ACLs and the owner's security
groups are the owner's, read only with the owner's session. When the run audits the owner
account too, they are read there once per (owner, region) after every unit, and merged into the
participant's unit for that VPC (`RegionInventory.shared_vpcs` records it); otherwise the
network checks stay `unknown`, naming the owner (checks/support/shared_vpc.py).

The owner's network is read by the unit collectors themselves, over a scratch unit whose
targets are the participant's DB instances in those VPCs: the same calls, parsed the same way.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from auditor import scope
from auditor.collectors.base import Collector, SharedReads, UnitContext
from auditor.collectors.endpoints import EndpointsCollector
from auditor.collectors.routing import PrefixListsCollector, RoutingCollector
from auditor.collectors.security_groups import SecurityGroupsCollector
from auditor.collectors.subnets import SubnetsCollector
from auditor.collectors.vpc import VpcAttributesCollector
from auditor.inventory import DBInstance, RegionInventory
from auditor.sessions import AwsSession

# What the owner holds of a shared VPC, by stage (prefix-list entries need the tables first).
OWNER_COLLECTORS: tuple[tuple[type[Collector], ...], ...] = (
    (VpcAttributesCollector, SubnetsCollector, RoutingCollector, EndpointsCollector),
    (SecurityGroupsCollector,),
    (PrefixListsCollector,),
)
# The owner's parts merged into the participant's unit (each a list of id-keyed records).
OWNER_PARTS = (
    "route_tables",
    "internet_gateways",
    "nat_gateways",
    "vpc_endpoints",
    "network_acls",
    "security_groups",
)


def shared_targets(
    units: list[RegionInventory], requested: list[str]
) -> dict[tuple[str, str], list[tuple[RegionInventory, DBInstance]]]:
    """By (owner account, region): the participants' targets whose VPC the owner shares."""
    out: dict[tuple[str, str], list[tuple[RegionInventory, DBInstance]]] = {}
    for unit in units:
        if unit.db_instances is None:
            continue
        owners = unit.vpc_owners()
        for db in scope.select(unit.db_instances, requested).targets:
            owner = owners.get(db.vpc_id or "")
            if owner is not None:
                out.setdefault((owner, unit.region), []).append((unit, db))
    return out


def read_owner_network(
    aws: AwsSession,
    owner: str,
    region: str,
    targets: list[DBInstance],
    limiter: threading.Semaphore,
    max_fan_out: int,
    run: Callable[[Collector, UnitContext], None],
) -> RegionInventory:
    """The shared VPCs of ``targets`` as their owner reads them (``run`` runs one collector)."""
    network = RegionInventory(owner, region, db_instances=list(targets))
    base = UnitContext(
        aws, network, lambda: targets, limiter, max_fan_out=max_fan_out, shared=SharedReads()
    )
    for stage in OWNER_COLLECTORS:
        base.fan_out(lambda cls: run(cls(), base), stage)
    return network


def merge_owner_network(unit: RegionInventory, vpc_ids: set[str], owner: RegionInventory) -> None:
    """The owner's view of ``vpc_ids`` into the participant's unit. A part the owner could not
    read leaves the unit's part not read either (the gap is the owner's, recorded in the unit):
    never a list that silently lacks the owner's records."""
    for vpc_id in sorted(vpc_ids):
        if vpc_id in owner.vpcs:
            unit.vpcs[vpc_id] = owner.vpcs[vpc_id]
        unit.shared_vpcs[vpc_id] = owner.account_id
    for part in OWNER_PARTS:
        theirs: list[Any] | None = getattr(owner, part)
        mine: list[Any] | None = getattr(unit, part)
        if theirs is None:
            setattr(unit, part, None)
            continue
        if mine is None:
            continue
        known = {_key(x) for x in mine}
        added = [x for x in theirs if _key(x) not in known and _in(x, vpc_ids)]
        setattr(unit, part, sorted([*mine, *added], key=_key))
    for pl_id, cidrs in owner.prefix_lists.items():
        if unit.prefix_lists.get(pl_id) is None:
            unit.prefix_lists[pl_id] = cidrs
    unit.errors.extend(owner.errors)


def _key(record: Any) -> str:
    return str(getattr(record, dataclasses.fields(record)[0].name))


def _in(record: Any, vpc_ids: set[str]) -> bool:
    attachments = getattr(record, "attachments", None)
    if isinstance(attachments, dict):  # an internet gateway: attached to a shared VPC
        return bool(vpc_ids & set(attachments))
    return getattr(record, "vpc_id", None) in vpc_ids


__all__ = ["merge_owner_network", "read_owner_network", "shared_targets"]
