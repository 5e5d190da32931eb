"""Which S3 buckets a role's Allow statements name: every resource, the wildcard patterns (each
with a bucket name it admits) and the fixed names."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.policy import (
    Policy,
    as_list,
    parse_document,
    statements,
)
from auditor.sqlserver import (
    PROBE_BUCKET,
)


def allowed_s3_resources(identity: list[Policy], partition: str) -> list[tuple[str, str]]:
    """(resource, its bucket part) for every S3 ARN an Allow statement names, sorted."""
    found = set()
    for policy in identity:
        for stmt in statements(parse_document(policy.document)):
            if stmt.get("Effect") != "Allow":
                continue
            for resource in as_list(stmt.get("Resource")):
                if isinstance(resource, str) and resource.startswith(f"arn:{partition}:s3:::"):
                    found.add((resource, resource.split(":::", 1)[1].split("/", 1)[0]))
    return sorted(found)


def _wild(bucket: str) -> bool:
    return "*" in bucket or "?" in bucket


def bucket_patterns(identity: list[Policy], partition: str) -> Iterator[tuple[str, str]]:
    """Wildcard bucket patterns of Allow statements (not `*` itself), each with a bucket name
    it admits."""
    for resource, bucket in allowed_s3_resources(identity, partition):
        if _wild(bucket) and bucket != "*":
            yield resource, bucket.replace("?", "x").replace("*", PROBE_BUCKET, 1).replace("*", "")


def fixed_buckets(identity: list[Policy], partition: str) -> list[str]:
    """S3 resources without wildcards in the bucket name that Allow statements name."""
    return [
        r for r, bucket in allowed_s3_resources(identity, partition) if bucket and not _wild(bucket)
    ]
