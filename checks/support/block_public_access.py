"""VPC Block Public Access as each internet path meets it (AWS EC2 API Reference,
VpcBlockPublicAccessOptions / VpcBlockPublicAccessExclusion):

- `block-ingress`: "Only traffic to and from NAT gateways and egress-only internet gateways is
  allowed" — a worker with a public IP behind the internet gateway is blocked; NAT is not.
- `block-bidirectional`: all internet gateway traffic is blocked, NAT gateway traffic too.
- An exclusion exempts its VPC or subnet only once its state is `create-complete` or
  `update-complete`; `delete-complete`, `disable-complete` and states in progress exempt nothing.
"""

from __future__ import annotations

from auditor.constants import UNSUPPORTED
from auditor.inventory import BpaExclusion, Guardrails
from auditor.model import Status

EXEMPTING_STATES = frozenset({"create-complete", "update-complete"})
OPEN_MODES = frozenset({"off", UNSUPPORTED})


def readable(g: Guardrails) -> bool:
    """The mode was read, and the exclusions too where the mode needs them."""
    return g.bpa_mode is not None and (g.bpa_mode in OPEN_MODES or g.bpa_exclusions is not None)


def covering(g: Guardrails, vpc_id: str | None, subnet_id: str | None) -> list[BpaExclusion]:
    """Completed exclusions of the VPC or the subnet."""
    wanted = [f"vpc/{vpc_id}"] if vpc_id else []
    if subnet_id:
        wanted.append(f"subnet/{subnet_id}")
    return [
        e
        for e in g.bpa_exclusions or []
        if e.state in EXEMPTING_STATES and any(e.resource_arn.endswith(w) for w in wanted)
    ]


def internet_gateway(
    g: Guardrails, vpc_id: str | None, subnet_id: str | None
) -> tuple[Status, str, list[BpaExclusion]]:
    """A public-IP worker in ``subnet_id`` using the internet gateway: (status, why, exclusions).
    Call only when `readable`."""
    if g.bpa_mode in OPEN_MODES:
        return Status.PASS, "off" if g.bpa_mode == "off" else "not available", []
    found = covering(g, vpc_id, subnet_id)
    if any(e.mode == "allow-bidirectional" for e in found):
        return Status.PASS, "an allow-bidirectional exclusion covers it", found
    if found:
        return (
            Status.WARN,
            "only an allow-egress exclusion covers it: which direction Veeam's workers need "
            "opened is not documented (they start every connection themselves)",
            found,
        )
    blocked = (
        "only NAT gateway and egress-only internet gateway traffic passes (block-ingress)"
        if g.bpa_mode == "block-ingress"
        else "no internet gateway traffic passes (block-bidirectional)"
    )
    return Status.FAIL, f"no completed exclusion covers it: {blocked}", []


def nat_gateway(g: Guardrails, vpc_id: str, nat_subnet_id: str) -> Status:
    """Whether a NAT gateway in ``nat_subnet_id`` carries traffic: PASS, FAIL, or UNKNOWN when
    Block Public Access was not read."""
    if not readable(g):
        return Status.UNKNOWN
    if g.bpa_mode != "block-bidirectional":
        return Status.PASS  # off, unsupported, or block-ingress (which lets NAT through)
    return Status.PASS if covering(g, vpc_id, nat_subnet_id) else Status.FAIL
