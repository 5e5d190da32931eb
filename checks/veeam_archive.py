"""veeam.archive (with --veeam-config): a policy that archives keeps Veeam's archive rules —
both repositories encrypted or both not (the schemes may differ), no SQL Server target, the
repository in S3 Standard and the archive in Glacier Flexible Retrieval or Deep Archive, and an
archive bucket that passes the repository bucket rules; a warning when the archive retention is
under 90 days (Glacier) or 180 days (Deep Archive) (REQUIREMENTS.md §5 "Archive rule")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from auditor.outcome import Outcome
from auditor.scope import SQLSERVER_FAMILY
from auditor.veeam_config import VeeamPolicy
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.repositories import bucket_rules, locate, reported

ARCHIVE_CLASSES = {"GLACIER": 90, "DEEP_ARCHIVE": 180}  # class -> the minimum retention advised
ARCHIVE_NAMES = {"GLACIER": "Glacier Flexible Retrieval", "DEEP_ARCHIVE": "Glacier Deep Archive"}


class VeeamArchive(Check):
    id: ClassVar[str] = "veeam.archive"
    title: ClassVar[str] = "Veeam's archive rules for a policy that archives"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.REPOSITORIES,)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_TARGET_SETTINGS_RDS,
        docs.V_ARCHIVING_RDS,
        docs.V_LIMITATIONS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        policy = ctx.policy
        if policy is None or policy.archive is None:
            return
        rules = self.rules(ctx, policy)
        found = locate(ctx, "archive")
        bucket = [found] if isinstance(found, Outcome) else bucket_rules(found) if found else []
        passed = [o for o in rules if o.status is Status.PASS]
        # All well: one pass, the archive rules first, then the archive bucket's.
        subject = f"{passed[0].message}; archive bucket {policy.archive.bucket}: " if passed else ""
        outcomes = [o for o in rules if o.status is not Status.PASS] + bucket
        yield from ctx.per_mode(lambda mode: reported(ctx, outcomes, mode, subject))

    @staticmethod
    def rules(ctx: CheckContext, policy: VeeamPolicy) -> list[Outcome]:
        """What the config alone decides (Veeam settings AWS cannot show)."""
        assert policy.archive is not None
        archive, repo = policy.archive, policy.repository
        db, out = ctx.db, []
        name = policy.name
        if db.engine in SQLSERVER_FAMILY:
            out.append(
                Outcome(
                    Status.FAIL,
                    f"{db.db_instance_id} is SQL Server and Veeam policy {name!r} archives: "
                    "Veeam cannot archive SQL Server backups",
                    db.db_instance_id,
                    f"move {db.db_instance_id} to a policy without an archive (db_instances of "
                    f"another policy), or remove the archive from {name!r}",
                )
            )
        if repo is not None and (repo.encryption == "none") != (archive.encryption == "none"):
            on, off = (
                ("repository", "archive")
                if archive.encryption == "none"
                else (
                    "archive",
                    "repository",
                )
            )
            out.append(
                Outcome(
                    Status.FAIL,
                    f"Veeam policy {name!r}: the {on} is encrypted and the {off} is not; Veeam "
                    "needs both encrypted or both not (the schemes may differ)",
                    archive.bucket,
                    f"turn encryption on (password or KMS) for the {off} in Veeam",
                )
            )
        if repo is not None and repo.storage_class not in (None, "STANDARD"):
            out.append(
                Outcome(
                    Status.FAIL,
                    f"the repository of {name!r} stores {repo.storage_class}: Veeam's backup "
                    "repository must be S3 Standard",
                    repo.bucket,
                    "use a repository of the S3 Standard storage class",
                )
            )
        cls = archive.storage_class
        if cls not in ARCHIVE_CLASSES:
            out.append(
                Outcome(
                    Status.FAIL,
                    f"the archive of {name!r} stores {cls or 'an unstated class'}: Veeam "
                    "archives to Glacier Flexible Retrieval (GLACIER) or Deep Archive "
                    "(DEEP_ARCHIVE)",
                    archive.bucket,
                    'set storage_class = "GLACIER" or "DEEP_ARCHIVE" (as the archive '
                    "repository in Veeam is)",
                )
            )
        elif archive.retention_days is not None and archive.retention_days < ARCHIVE_CLASSES[cls]:
            out.append(
                Outcome(
                    Status.WARN,
                    f"the archive of {name!r} keeps backups {archive.retention_days} days in "
                    f"{ARCHIVE_NAMES[cls]}: Veeam advises at least {ARCHIVE_CLASSES[cls]} "
                    "(earlier deletion is charged as if stored that long)",
                    archive.bucket,
                    f"keep archived backups at least {ARCHIVE_CLASSES[cls]} days",
                )
            )
        if not out:
            out.append(
                Outcome(
                    Status.PASS,
                    f"Veeam policy {name!r} archives to {archive.bucket} "
                    f"({ARCHIVE_NAMES.get(cls or '', cls)}), encryption matching",
                    archive.bucket,
                )
            )
        return out
