"""subnet.public-ip: a subnet of the DB instance's VPC and AZ where a public-mode worker can
start (available, free addresses, public IPv4 auto-assign on)."""

from __future__ import annotations

from typing import ClassVar

from auditor.model import Mode
from checks import docs
from checks.docs import Source
from checks.support.worker_subnet import WorkerSubnetCheck


class PublicIpSubnet(WorkerSubnetCheck):
    id: ClassVar[str] = "subnet.public-ip"
    title: ClassVar[str] = "A subnet with public IPv4 auto-assign in the DB instance's AZ"
    path_hop: ClassVar[str] = "subnet"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    plan_mode: ClassVar[Mode] = Mode.PUBLIC
    wants: ClassVar[str] = "is available, has free addresses and auto-assigns public IPv4"
    fix_flag: ClassVar[str] = "--map-public-ip-on-launch"
    docs: ClassVar[tuple[Source, ...]] = (docs.V_TARGET_SETTINGS_RDS, docs.V_OVERVIEW_RDS)
