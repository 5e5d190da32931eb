"""iam.sqlserver-role-trust: the native-backup role exists and its trust policy lets
rds.amazonaws.com assume it for the DB instance and the option group (aws:SourceArn and
aws:SourceAccount conditions evaluated)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from auditor.inventory import IamRole
from auditor.model import Finding, Status
from auditor.policy import (
    Context,
    Policy,
    PolicyError,
    Principal,
    Request,
    Verdict,
    evaluate_resource_policy,
)
from auditor.sqlserver import (
    backup_option,
    partition_of_arn,
)
from checks.base import CheckContext
from checks.support.iam_gaps import iam_error
from checks.support.sqlserver_role import TRUST_ID, RoleCheck

RDS = Principal("Service", "rds.amazonaws.com")


class RoleTrust(RoleCheck):
    id: ClassVar[str] = TRUST_ID
    title: ClassVar[str] = "The native-backup role exists and trusts rds.amazonaws.com"
    path_hop: ClassVar[str] = "db"

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
