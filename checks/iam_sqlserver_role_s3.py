"""iam.sqlserver-role-s3: the native-backup role's identity policies, boundary and denies allow
the seven S3 actions on buckets whose names are not known in advance (Veeam creates temporary
buckets per run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from auditor.inventory import IamRole
from auditor.model import Finding, Status
from auditor.policy import (
    Policy,
    PolicyError,
    Request,
    Verdict,
    evaluate,
)
from auditor.sqlserver import (
    BUCKET_ACTIONS,
    OBJECT_ACTIONS,
    PROBE_BUCKET,
    PROBE_KEY,
    bucket_arn,
    partition_of_arn,
)
from checks.base import CheckContext
from checks.support.iam_gaps import iam_error
from checks.support.role_policies import identity_of
from checks.support.s3_grants import bucket_patterns, fixed_buckets
from checks.support.sqlserver_role import TRUST_ID, RoleCheck

NOT_VISIBLE = (
    "local evaluation cannot see SCPs or the bucket policies Veeam sets on its temporary "
    "buckets (--simulate asks AWS)"
)


class RoleS3Permissions(RoleCheck):
    id: ClassVar[str] = "iam.sqlserver-role-s3"
    title: ClassVar[str] = "The native-backup role may use S3 buckets not known in advance"
    path_hop: ClassVar[str] = "db"

    def judge_role(self, ctx: CheckContext, arn: str, role: IamRole | None) -> Iterator[Finding]:
        if role is None or not role.exists:
            yield ctx.finding(
                Status.SKIP,
                f"role {arn} does not exist",
                resource_id=arn,
                evidence={"skipped_because": TRUST_ID},
            )
            return
        if role.policies is None or (role.boundary_arn and role.boundary is None):
            yield ctx.unknown(f"the policies of {arn}", iam_error(ctx, arn), resource_id=arn)
            return
        identity, boundary = identity_of(role)
        partition = partition_of_arn(arn)
        try:
            local = decide(identity, boundary, partition, PROBE_BUCKET)
            judged = self.judge(arn, local, identity, boundary, partition)
        except PolicyError as exc:
            yield ctx.finding(
                Status.UNKNOWN, f"a policy of {arn} could not be read: {exc}", resource_id=arn
            )
            return
        status, message, evidence = judged
        evidence["local_decisions"] = [f"{a}: {v.decision}" for a, v in local.items()]
        if role.simulation is not None:
            status, message = self.with_simulation(role.simulation, status, message)
            evidence["aws_decisions"] = [f"{a}: {d}" for a, d in sorted(role.simulation.items())]
        else:
            message += f"; {NOT_VISIBLE}"
        remediation = s3_fix(arn, partition) if status is Status.FAIL else None
        yield ctx.finding(
            status, message, resource_id=arn, remediation=remediation, evidence=evidence
        )

    def judge(
        self,
        arn: str,
        local: dict[str, Verdict],
        identity: list[Policy],
        boundary: Policy | None,
        partition: str,
    ) -> tuple[Status, str, dict[str, str | list[str]]]:
        evidence: dict[str, str | list[str]] = {"role": arn, "probe_bucket": PROBE_BUCKET}
        if all(v.allowed for v in local.values()):
            by = sorted({str(s) for v in local.values() for s in v.deciding})
            return (
                Status.PASS,
                f"{arn} may use the seven S3 actions on any bucket (allowed by {', '.join(by)})",
                evidence,
            )
        denied = {a: v for a, v in local.items() if v.decision == "explicitDeny"}
        if denied:
            by = sorted({str(s) for v in denied.values() for s in v.deciding})
            return (
                Status.FAIL,
                f"{', '.join(sorted(denied))} explicitly denied to {arn} by {', '.join(by)}",
                evidence,
            )
        unsure = {a: v for a, v in local.items() if v.decision == "unknown"}
        if unsure:
            notes = sorted({n for v in unsure.values() for n in v.unknowns})
            return (
                Status.UNKNOWN,
                f"could not decide {', '.join(sorted(unsure))} for {arn}: "
                f"it depends on {', '.join(notes)}",
                evidence,
            )
        missing = sorted(a for a, v in local.items() if not v.allowed)
        for pattern, bucket in bucket_patterns(identity, partition):
            if all(v.allowed for v in decide(identity, boundary, partition, bucket).values()):
                prefix = pattern.split(":::", 1)[1].split("/", 1)[0].rstrip("*")
                evidence["bucket_pattern"] = pattern
                return (
                    Status.WARN,
                    f"{arn} may use S3 only on buckets matching {pattern}: Veeam's temporary "
                    "bucket names are not documented, so whether they start with "
                    f"{prefix!r} is unconfirmed",
                    evidence,
                )
        reason = next((v.reason for v in local.values() if not v.allowed), "")
        fixed = fixed_buckets(identity, partition)
        if fixed:
            evidence["fixed_buckets"] = fixed
        grants = f"; its grants name only {', '.join(fixed)}" if fixed else ""
        considered = ", ".join(p.name for p in identity) or "no identity policy"
        return (
            Status.FAIL,
            f"{arn} may not use {', '.join(missing)} on a bucket whose name is not known in "
            f"advance ({reason} in {considered}{grants}; Veeam creates temporary buckets per run)",
            evidence,
        )

    def with_simulation(
        self, simulation: dict[str, str], status: Status, message: str
    ) -> tuple[Status, str]:
        refused = sorted(a for a, d in simulation.items() if d != "allowed")
        wanted = set(BUCKET_ACTIONS) | set(OBJECT_ACTIONS)
        if not refused and wanted <= set(simulation):
            aws_status, aws_text = (
                Status.PASS,
                "AWS's policy simulation allows all seven S3 actions",
            )
        else:
            shown = ", ".join(
                f"{a} ({simulation.get(a, 'not simulated')})"
                for a in refused or sorted(wanted - set(simulation))
            )
            aws_status, aws_text = Status.FAIL, f"AWS's policy simulation refuses {shown}"
        agree = (aws_status is Status.PASS) == (status in (Status.PASS, Status.WARN))
        local = "agrees" if agree else f"disagrees (local: {status})"
        return aws_status, f"{aws_text}; local evaluation {local}: {message}"


def decide(
    identity: list[Policy], boundary: Policy | None, partition: str, bucket: str
) -> dict[str, Verdict]:
    base = bucket_arn(partition, bucket)
    out = {a: evaluate(Request(a, base), identity, boundary) for a in BUCKET_ACTIONS}
    out.update(
        {a: evaluate(Request(a, f"{base}/{PROBE_KEY}"), identity, boundary) for a in OBJECT_ACTIONS}
    )
    return out


def s3_fix(arn: str, partition: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(BUCKET_ACTIONS),
                "Resource": f"arn:{partition}:s3:::*",
            },
            {
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": f"arn:{partition}:s3:::*/*",
            },
        ],
    }
    return (
        f"aws iam put-role-policy --role-name {arn.rsplit('/', 1)[-1]} --policy-name "
        f"veeam-native-backup-s3 --policy-document '{json.dumps(document, separators=(',', ':'))}'"
    )
