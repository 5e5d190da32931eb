"""vpc.dns-hostnames: DNS hostnames are on in the DB instance's VPC: private DNS of the
interface endpoints (the two private modes) needs both DNS resolution and DNS hostnames."""

from __future__ import annotations

from typing import ClassVar

from auditor.model import Mode
from checks import docs
from checks.docs import Source
from checks.support.vpc_attribute import VpcAttributeCheck


class DnsHostnames(VpcAttributeCheck):
    id: ClassVar[str] = "vpc.dns-hostnames"
    title: ClassVar[str] = "DNS hostnames on the DB instance's VPC (private DNS of endpoints)"
    path_hop: ClassVar[str] = "vpc"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PRIVATE, Mode.VPC_ENDPOINTS})
    attribute: ClassVar[str] = "enableDnsHostnames"
    field: ClassVar[str] = "dns_hostnames"
    option: ClassVar[str] = "enable-dns-hostnames"
    why: ClassVar[str] = (
        "private DNS names of the ssm, ssmmessages and sqs interface endpoints resolve only "
        "when both DNS resolution and DNS hostnames are on"
    )
    docs: ClassVar[tuple[Source, ...]] = (docs.V_CREATE_ENDPOINTS_PROD, docs.A_VPC_DNS)
