"""subnet.worker-candidate: a subnet of the DB instance's VPC and AZ where a worker of Veeam's
private setups can start (available, free addresses, public IPv4 auto-assign off)."""

from __future__ import annotations

from typing import ClassVar

from auditor.model import Mode
from checks import docs
from checks.docs import Source
from checks.support.worker_subnet import WorkerSubnetCheck


class WorkerCandidateSubnet(WorkerSubnetCheck):
    id: ClassVar[str] = "subnet.worker-candidate"
    title: ClassVar[str] = "A subnet without public IPv4 auto-assign in the DB instance's AZ"
    path_hop: ClassVar[str] = "subnet"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    plan_mode: ClassVar[Mode] = Mode.PRIVATE  # both private modes have the same candidates
    wants: ClassVar[str] = "is available, has free addresses and does not auto-assign public IPv4"
    fix_flag: ClassVar[str] = "--no-map-public-ip-on-launch"
    docs: ClassVar[tuple[Source, ...]] = (docs.V_CREATE_ENDPOINTS_PROD, docs.V_CONFIGURE_ENDPOINTS)
