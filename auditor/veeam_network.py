"""Veeam's Organization option: the worker network it is given by tag (`worker_network_tag`)
becomes the worker configuration of each (account, region), as --worker-subnet and
--worker-security-group would (DESIGN.md, "Veeam's side of the policy"). Pure: no AWS here."""

from __future__ import annotations

from auditor.inventory import DBInstance, RegionInventory, WorkerConfig
from auditor.veeam_config import VeeamConfig


def tag_of(
    veeam: VeeamConfig | None, db: DBInstance, unit: RegionInventory
) -> tuple[str, str] | None:
    """The worker-network tag of the Organization-option policy that selects ``db``, if any."""
    policy = veeam.policy_for(db.db_instance_id, unit.account_id, unit.region) if veeam else None
    if policy is None or policy.option != "organization" or not policy.worker_network_tag:
        return None
    return policy.worker_network_tag["key"], policy.worker_network_tag["value"]


def unit_worker_config(
    unit: RegionInventory,
    targets: list[DBInstance],
    veeam: VeeamConfig | None,
    given: WorkerConfig,
) -> WorkerConfig:
    """The command line's worker configuration when it names one; else, when an
    Organization-option policy selects a target here, the subnets and security groups carrying
    its tag (what Veeam uses in this account and region); else none (Veeam picks)."""
    if given.subnet_ids or given.security_group_ids:
        return given
    wanted = {tag for db in targets if (tag := tag_of(veeam, db, unit)) is not None}
    if not wanted:
        return given
    subnets = sorted(
        s.subnet_id for s in unit.subnets or [] if any(s.tags.get(k) == v for k, v in wanted)
    )
    groups = sorted(
        g.group_id for g in unit.security_groups or [] if any(g.tags.get(k) == v for k, v in wanted)
    )
    return WorkerConfig(subnet_ids=subnets, security_group_ids=groups)
