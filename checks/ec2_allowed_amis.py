"""ec2.allowed-amis: Allowed AMIs, when enabled, admits the Amazon-provided worker image
(FAILURE-MODES.md W7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.constants import UNSUPPORTED, UNSUPPORTED_TEXT
from auditor.model import Finding, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source


class AllowedAmis(Check):
    id: ClassVar[str] = "ec2.allowed-amis"
    title: ClassVar[str] = "Allowed AMIs admits the Amazon-provided worker image"
    path_hop: ClassVar[str] = "subnet"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_ALLOWED_AMIS,)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.allowed_images_state is None:
            yield ctx.unknown("Allowed AMIs", unit.first_error("GetAllowedImagesSettings"))
            return
        evidence: dict[str, str | list[str]] = {
            "state": g.allowed_images_state,
            "image_providers": [",".join(c) for c in g.allowed_images_providers or []],
        }
        if g.allowed_images_state != "enabled":
            state = (
                UNSUPPORTED_TEXT
                if g.allowed_images_state == UNSUPPORTED
                else g.allowed_images_state
            )
            yield ctx.finding(
                Status.PASS,
                f"Allowed AMIs is {state} in {unit.region}",
                evidence=evidence,
            )
        elif any("amazon" in c for c in g.allowed_images_providers or []):
            yield ctx.finding(
                Status.PASS,
                "Allowed AMIs is enabled and admits Amazon-provided images",
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.FAIL,
                f"Allowed AMIs is enabled in {unit.region} and no criterion admits Amazon-provided "
                "images: Veeam's workers (an Amazon Linux 2 image) cannot launch",
                remediation=(
                    "aws ec2 replace-image-criteria-in-allowed-images-settings --image-criteria "
                    "ImageProviders=amazon  # keep your other criteria in the list"
                ),
                evidence=evidence,
            )
