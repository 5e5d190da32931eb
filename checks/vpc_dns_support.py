"""vpc.dns-support: DNS resolution is on in the DB instance's VPC (Veeam's workers need it in
every mode)."""

from __future__ import annotations

from typing import ClassVar

from checks import docs
from checks.docs import Source
from checks.support.vpc_attribute import VpcAttributeCheck


class DnsSupport(VpcAttributeCheck):
    id: ClassVar[str] = "vpc.dns-support"
    title: ClassVar[str] = "DNS resolution on the DB instance's VPC"
    path_hop: ClassVar[str] = "vpc"
    attribute: ClassVar[str] = "enableDnsSupport"
    field: ClassVar[str] = "dns_support"
    option: ClassVar[str] = "enable-dns-support"
    why: ClassVar[str] = "Veeam's workers need DNS resolution in the VPC in every worker mode"
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_TARGET_SETTINGS_RDS,
        docs.V_WORKER_NETWORK,
        docs.A_VPC_DNS,
    )
