"""s3.repository (with --veeam-config): the repository bucket of the target's Veeam policy
exists and is readable in the account that owns it; no default SSE-KMS; Object Lock as the
repository's immutability needs (Versioning, no default retention) or off; a warning when it is
public or an enabled lifecycle rule covers Veeam's folder; in vpc-endpoints the bucket is in the
DB instance's Region (a gateway endpoint works only within its Region); in private, a bucket in
another Region needs an S3 interface endpoint there, in a VPC peered with the worker VPC
(checks/support/s3_interface.py; REQUIREMENTS.md §5 "Repositories")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Mode, Status
from auditor.outcome import Outcome, unknown
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.repositories import Located, bucket_gap, bucket_rules, locate, reported
from checks.support.s3_interface import s3_interface_path


class S3Repository(Check):
    id: ClassVar[str] = "s3.repository"
    title: ClassVar[str] = "Veeam's repository bucket: usable as Veeam requires, reachable"
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.REPOSITORIES, parts.PEERINGS, parts.PEER_NETWORKS)
    docs: ClassVar[tuple[Source, ...]] = (
        docs.V_REPOSITORY_LIMITATIONS,
        docs.V_LIMITATIONS,
        docs.V_REPO_S3_ENDPOINT,
        docs.V_WORKERS_PRIVATE,
        docs.A_GATEWAY_ENDPOINTS,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        found = locate(ctx, "repository")
        if found is None:
            return
        if isinstance(found, Outcome):
            yield ctx.report(found)
            return
        common = bucket_rules(found)
        subject = f"repository bucket {found.repo.bucket} (account {found.owner}): "
        yield from ctx.per_mode(
            lambda mode: reported(ctx, common + self.reachable(ctx, found, mode), mode, subject)
        )

    @staticmethod
    def reachable(ctx: CheckContext, found: Located, mode: Mode) -> list[Outcome]:
        """Where the workers reach the bucket from, by mode (public: over the internet)."""
        bucket = found.record.buckets.get(found.repo.bucket)
        if mode is Mode.PUBLIC or bucket is None or not bucket.exists:
            return []
        name, db_region = bucket.name, ctx.region.region
        if bucket.region is None:
            error = bucket_gap(found.record, name, "GetBucketLocation")
            return [unknown(f"the Region of {name}", error, name)]
        if bucket.region == db_region:  # the Region's S3 endpoint: endpoints.s3 judges it
            return []
        if mode is Mode.VPC_ENDPOINTS:
            return [
                Outcome(
                    Status.FAIL,
                    f"repository bucket {name} is in {bucket.region}, not in {db_region}: the "
                    "workers reach S3 through a gateway endpoint, which serves only buckets in "
                    "its own Region",
                    name,
                    f"use a repository bucket in {db_region} for this policy's targets there "
                    f"(aws s3api create-bucket --bucket <name> --create-bucket-configuration "
                    f"LocationConstraint={db_region})",
                    {"bucket_region": bucket.region},
                )
            ]
        path = s3_interface_path(ctx, bucket.region)  # another Region: over VPC peering
        return [
            Outcome(
                path.status,
                f"in {bucket.region}, reached from {db_region}: {path.message}"
                if path.status is Status.PASS
                else f"repository bucket {name} is in {bucket.region}, not in {db_region}: "
                + path.message,
                path.resource_id,
                path.remediation,
                {"bucket_region": bucket.region, **path.evidence},
                path.error,
            )
        ]
