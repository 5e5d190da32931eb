"""iam.sqlserver-role-trust and iam.sqlserver-role-s3: the role named by SQLSERVER_BACKUP_RESTORE
lets RDS assume it, and its permissions allow the S3 actions native backup needs, on buckets
whose names nobody knows in advance (Veeam creates them per run) — decided like AWS decides
(auditor.policy), or by AWS itself with --simulate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from auditor.inventory import IamRole, ReadError
from auditor.model import Finding, Status
from auditor.policy import (
    Context,
    Policy,
    PolicyError,
    Principal,
    Request,
    Verdict,
    as_list,
    evaluate,
    evaluate_resource_policy,
    parse_document,
    statements,
)
from auditor.scope import SQLSERVER_FAMILY
from auditor.sqlserver import (
    BUCKET_ACTIONS,
    OBJECT_ACTIONS,
    PROBE_BUCKET,
    PROBE_KEY,
    backup_option,
    bucket_arn,
    partition_of_arn,
)
from checks import docs
from checks.base import Check, CheckContext

RDS = Principal("Service", "rds.amazonaws.com")
TRUST_ID = "iam.sqlserver-role-trust"
NOT_VISIBLE = (
    "local evaluation cannot see SCPs or the bucket policies Veeam sets on its temporary "
    "buckets (--simulate asks AWS)"
)


class _RoleCheck(Check):
    engines: ClassVar[frozenset[str] | None] = SQLSERVER_FAMILY
    requires: ClassVar[tuple[str, ...]] = ("rds.sqlserver-backup-restore",)
    reads: ClassVar[tuple[str, ...]] = ("rds.option_groups", "iam.roles")
    docs: ClassVar[tuple[str, ...]] = (docs.A_SQL_NATIVE, docs.A_POLICY_EVALUATION)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        found = self.role(ctx)
        if isinstance(found, Finding):
            yield found
        else:
            yield from self.judge_role(ctx, *found)

    def judge_role(self, ctx: CheckContext, arn: str, role: IamRole | None) -> Iterator[Finding]:
        raise NotImplementedError

    def role(self, ctx: CheckContext) -> tuple[str, IamRole | None] | Finding:
        """The role, or the finding that says why it cannot be judged."""
        arn = backup_option(ctx.region, ctx.db).role_arn
        if arn is None:
            return ctx.finding(
                Status.SKIP, "no IAM_ROLE_ARN", evidence={"skipped_because": self.requires[0]}
            )
        role = ctx.region.roles.get(arn)
        if role is None:
            return ctx.unknown(f"role {arn}", iam_error(ctx, arn), resource_id=arn)
        if role.unreadable:
            return ctx.finding(
                Status.UNKNOWN, f"could not check role {arn}: {role.unreadable}", resource_id=arn
            )
        return arn, role


class RoleTrust(_RoleCheck):
    id: ClassVar[str] = TRUST_ID
    title: ClassVar[str] = "The native-backup role exists and trusts rds.amazonaws.com"

    def judge_role(self, ctx: CheckContext, arn: str, role: IamRole | None) -> Iterator[Finding]:
        db = ctx.db
        name = arn.rsplit("/", 1)[-1]
        option = backup_option(ctx.region, db)
        account = db.arn.split(":")[4]
        partition = partition_of_arn(db.arn)
        og_arn = (
            option.group_arn
            or f"arn:{partition}:rds:{ctx.region.region}:{account}:og:{option.group}"
        )
        fix = trust_fix(name, account, db.arn, og_arn)
        if role is None or not role.exists:
            yield ctx.finding(
                Status.FAIL,
                f"role {arn}, named by option group {option.group}, does not exist",
                resource_id=arn,
                remediation=(
                    f"aws iam create-role --role-name {name} --assume-role-policy-document "
                    f"'{trust_json(account, db.arn, og_arn)}'"
                ),
            )
            return
        if role.trust_policy is None:
            yield ctx.unknown(f"the trust policy of {arn}", iam_error(ctx, arn), resource_id=arn)
            return
        verdicts = {}
        try:
            for source in (db.arn, og_arn):
                context = Context({"aws:SourceAccount": [account], "aws:SourceArn": [source]})
                request = Request("sts:AssumeRole", None, RDS, context)
                verdicts[source] = evaluate_resource_policy(
                    request, Policy("trust policy", role.trust_policy)
                )
        except PolicyError as exc:
            yield ctx.finding(
                Status.UNKNOWN,
                f"the trust policy of {arn} could not be read: {exc}",
                resource_id=arn,
            )
            return
        evidence: dict[str, str | list[str]] = {
            "role": arn,
            "decisions": [f"{src}: {v.decision}" for src, v in verdicts.items()],
        }
        refused = {
            src: v for src, v in verdicts.items() if v.decision in ("explicitDeny", "implicitDeny")
        }
        if refused:
            why = "; ".join(f"for {src}: {_why(v)}" for src, v in refused.items())
            yield ctx.finding(
                Status.FAIL,
                f"the trust policy of {arn} does not let rds.amazonaws.com assume it ({why}); AWS "
                "requires both the DB instance and the option group ARN when aws:SourceArn is used",
                resource_id=arn,
                remediation=fix,
                evidence=evidence,
            )
            return
        unsure = {src: v for src, v in verdicts.items() if v.decision == "unknown"}
        if unsure:
            notes = sorted({n for v in unsure.values() for n in v.unknowns})
            yield ctx.finding(
                Status.UNKNOWN,
                f"could not decide whether rds.amazonaws.com may assume {arn}: it depends on "
                + ", ".join(notes),
                resource_id=arn,
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.PASS,
            f"the trust policy of {arn} lets rds.amazonaws.com assume it for {db.db_instance_id} "
            f"and option group {option.group}",
            resource_id=arn,
            evidence=evidence,
        )


class RoleS3Permissions(_RoleCheck):
    id: ClassVar[str] = "iam.sqlserver-role-s3"
    title: ClassVar[str] = "The native-backup role may use S3 buckets not known in advance"

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
        identity = [Policy(f"{p.kind} policy {p.name}", p.document) for p in role.policies]
        boundary = (
            Policy(f"permissions boundary {role.boundary.name}", role.boundary.document)
            if role.boundary
            else None
        )
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


def iam_error(ctx: CheckContext, arn: str) -> ReadError | None:
    errors = [e for e in ctx.region.errors if e.service == "iam"]
    return next((e for e in errors if e.resource_id == arn), errors[0] if errors else None)


def _why(verdict: Verdict) -> str:
    if verdict.deciding:
        return f"denied by {', '.join(str(s) for s in verdict.deciding)}"
    return verdict.reason


def trust_json(account: str, db_arn: str, og_arn: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rds.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account,
                        "aws:SourceArn": [db_arn, og_arn],
                    }
                },
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def trust_fix(name: str, account: str, db_arn: str, og_arn: str) -> str:
    return (
        f"aws iam update-assume-role-policy --role-name {name} --policy-document "
        f"'{trust_json(account, db_arn, og_arn)}'"
    )


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
