"""Shared VPCs (AWS RAM): a participant account sees the owner's subnets, but the route tables,
internet and NAT gateways, endpoints and network ACLs of the VPC are the owner's and are not
read with the participant's session. Network checks then say `unknown`, naming the owner account
to add (--role-arn) — never `fail` for what the participant cannot see. When the run audits the
owner too, the owner's view of the VPC was read and merged into the unit
(auditor/collectors/shared_vpcs.py; `RegionInventory.shared_vpcs`) and the checks judge it."""

from __future__ import annotations

from auditor.inventory import RegionInventory
from auditor.model import Status
from auditor.outcome import Outcome


def owner(unit: RegionInventory, vpc_id: str | None) -> str | None:
    """The account that owns ``vpc_id`` when it is not the unit's own account."""
    return unit.vpc_owners().get(vpc_id or "")


def unknown_shared(unit: RegionInventory, vpc_id: str | None, what: str) -> Outcome | None:
    """`unknown` for ``what`` of a VPC another account owns, or None for an own VPC."""
    account = owner(unit, vpc_id)
    if account is None or (vpc_id or "") in unit.shared_vpcs:
        return None
    return Outcome(
        Status.UNKNOWN,
        f"could not check {what}: {vpc_id} is shared with {unit.account_id} by account {account} "
        f"(AWS RAM), which owns its route tables, gateways, endpoints and network ACLs; audit "
        f"account {account} in the same run (--role-arn arn:aws:iam::{account}:role/<audit role>)",
        vpc_id,
        evidence={"vpc_owner": account},
    )
