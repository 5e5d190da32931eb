"""ec2.ebs-default-encryption: with EBS encryption by default on, its key is usable, or every
worker launch fails (FAILURE-MODES.md W6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.kms_state import key_problem


class EbsDefaultEncryption(Check):
    id: ClassVar[str] = "ec2.ebs-default-encryption"
    title: ClassVar[str] = "EBS encryption by default uses a key the worker launch can use"
    path_hop: ClassVar[str] = "subnet"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_EBS_DEFAULT_KEY,)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.ebs_encryption_by_default is None:
            yield ctx.unknown(
                "EBS encryption by default", unit.first_error("GetEbsEncryptionByDefault")
            )
            return
        if not g.ebs_encryption_by_default:
            yield ctx.finding(Status.PASS, f"EBS encryption by default is off in {unit.region}")
            return
        key_id = g.ebs_default_key
        key = g.kms_keys.get(key_id) if key_id else None
        if key_id is None or key is None:
            error = unit.first_error("GetEbsDefaultKmsKeyId", "DescribeKey")
            yield ctx.unknown("the default EBS encryption key", error)
            return
        evidence: dict[str, str | list[str]] = {"kms_key": key_id, "key_state": key.state or "-"}
        problem = key_problem(key, "the default EBS encryption key")
        if problem is not None:
            status, message, fix = problem
            yield ctx.finding(
                status,
                f"{message}: with encryption by default on, every worker launch fails "
                "(Client.InternalError: Client error on launch)",
                resource_id=key_id,
                remediation=fix,
                evidence=evidence,
            )
        elif key_id.startswith("alias/aws/") or key.manager == "AWS":
            yield ctx.finding(
                Status.PASS,
                f"EBS encryption by default uses the AWS managed key {key_id}",
                resource_id=key_id,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.WARN,
                f"EBS encryption by default uses customer managed key {key_id}: whether its key "
                "policy lets Veeam's backup role launch workers with it cannot be confirmed here",
                resource_id=key_id,
                evidence=evidence,
            )
