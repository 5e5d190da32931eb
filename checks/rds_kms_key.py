"""rds.kms-key: an encrypted DB instance's KMS key is neither disabled nor pending deletion
(FAILURE-MODES.md D3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.kms_state import key_problem


class DbKmsKey(Check):
    id: ClassVar[str] = "rds.kms-key"
    title: ClassVar[str] = "An encrypted DB instance's KMS key is usable"
    path_hop: ClassVar[str] = "db"
    reads: ClassVar[tuple[str, ...]] = (parts.GUARDRAILS,)
    docs: ClassVar[tuple[Source, ...]] = (docs.A_RDS_ENCRYPTION,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        if not db.storage_encrypted:
            yield ctx.finding(
                Status.PASS, f"{db.db_instance_id} is not encrypted", resource_id=db.db_instance_id
            )
            return
        key = ctx.region.guardrails.kms_keys.get(db.kms_key_id or "")
        if db.kms_key_id is None or key is None:
            error = ctx.region.error_for("DescribeKey", db.kms_key_id)
            yield ctx.unknown(
                f"the KMS key of {db.db_instance_id}", error, resource_id=db.kms_key_id
            )
            return
        evidence: dict[str, str | list[str]] = {
            "kms_key": db.kms_key_id,
            "key_state": key.state or "-",
        }
        problem = key_problem(key, "its KMS key")
        if problem is None:
            yield ctx.finding(
                Status.PASS,
                f"the KMS key of {db.db_instance_id} is enabled",
                resource_id=db.kms_key_id,
                evidence=evidence,
            )
            return
        status, message, fix = problem
        yield ctx.finding(
            status,
            f"{db.db_instance_id} is encrypted and {message}: RDS cannot take the DB snapshot a "
            "Veeam backup starts with",
            resource_id=db.kms_key_id,
            remediation=fix,
            evidence=evidence,
        )
