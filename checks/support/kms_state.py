"""Whether a KMS key a launch or a snapshot depends on is usable: exists and Enabled."""

from __future__ import annotations

from auditor.inventory import KmsKey
from auditor.model import Status


def key_problem(key: KmsKey, what: str) -> tuple[Status, str, str | None] | None:
    if not key.exists:
        return Status.FAIL, f"{what} {key.key_id} does not exist", None
    if key.state == "Enabled":
        return None
    fix = f"aws kms enable-key --key-id {key.key_id}"
    if key.state == "PendingDeletion":
        fix = f"aws kms cancel-key-deletion --key-id {key.key_id}\n{fix}"
    return Status.FAIL, f"{what} {key.key_id} is {key.state}", fix
