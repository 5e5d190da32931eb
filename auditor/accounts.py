"""Which accounts to audit, and a session in each: the caller's own, --role-arn, an accounts
file, or every active account of an organisation (--org-role-name)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import boto3

from auditor.collectors import SESSION_CALLS
from auditor.collectors.base import AWS_FAILURES, error_code, read_error
from auditor.collectors.fields import Malformed, need, need_list
from auditor.errors import PreflightError
from auditor.input_files import read_input
from auditor.inventory import ReadError
from auditor.sessions import AwsSession

ASSUME_ROLE, LIST_ACCOUNTS, DESCRIBE_REGIONS = SESSION_CALLS[1:]
ENABLED = frozenset({"opt-in-not-required", "opted-in"})
ACCOUNT = re.compile(r"^\d{12}$")
# AssumedRoleUser.Arn of an AssumeRole answer: who the new session is, and in which account (the
# same ARN sts:GetCallerIdentity would answer with it, so that request is not made again).
ASSUMED_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/[^/]+/.+$")


@dataclass(frozen=True)
class AccountPlan:
    """One account to audit: the caller's own (role_arn None) or one reached by a role."""

    role_arn: str | None = None
    external_id: str | None = None

    @property
    def account_id(self) -> str | None:
        return self.role_arn.split(":")[4] if self.role_arn else None


def parse_accounts_file(path: Path, partition: str) -> list[AccountPlan]:
    """CSV with a header `account_id,role_name[,external_id]`; `#` starts a comment line."""
    text = read_input(path, "the accounts file", "give a CSV with account_id,role_name")
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    if not lines or not {"account_id", "role_name"} <= set(
        rows[0].keys() if rows else lines[0].split(",")
    ):
        raise PreflightError(
            f"the accounts file {path} needs a header line `account_id,role_name[,external_id]`"
        )
    plans = []
    for number, row in enumerate(rows, start=2):
        account, role = (row.get("account_id") or "").strip(), (row.get("role_name") or "").strip()
        if not ACCOUNT.match(account) or not role:
            raise PreflightError(
                f"{path}, data row {number - 1}: an account_id of 12 digits and a role_name "
                "are needed"
            )
        external = (row.get("external_id") or "").strip() or None
        plans.append(AccountPlan(f"arn:{partition}:iam::{account}:role/{role}", external))
    return plans


def organization_plans(
    base: AwsSession, region: str, role_name: str, partition: str
) -> list[AccountPlan]:
    """The organisation's ACTIVE accounts, each reached through ``role_name``."""
    client = base.client("organizations", region)
    try:
        accounts = [
            a for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]
        ]
    except AWS_FAILURES as exc:
        raise PreflightError(
            f"cannot list the organisation's accounts ({error_code(exc)}): run from the management "
            "account or a delegated administrator with organizations:ListAccounts"
        ) from None
    return [
        AccountPlan(f"arn:{partition}:iam::{a['Id']}:role/{role_name}")
        for a in sorted(accounts, key=lambda a: a["Id"])
        if a.get("Status", "ACTIVE") == "ACTIVE"
    ]


def assume(
    base: AwsSession, plan: AccountPlan, region: str, session_name: str
) -> tuple[boto3.Session, str, str] | ReadError:
    """(a session in the plan's account, its account id, the assumed-role ARN), or the failed
    AssumeRole as a gap. The answer's AssumedRoleUser says who the session is, as
    sts:GetCallerIdentity would."""
    assert plan.role_arn is not None
    params = {"RoleArn": plan.role_arn, "RoleSessionName": session_name}
    if plan.external_id:
        params["ExternalId"] = plan.external_id
    try:
        answer = base.client("sts", region).assume_role(**params)
    except AWS_FAILURES as exc:
        return read_error(ASSUME_ROLE, exc, plan.account_id or "", region, plan.role_arn)
    try:
        creds = need(answer, "Credentials", dict)
        key, secret, token = (
            need(creds, name, str) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        )
        arn = need(need(answer, "AssumedRoleUser", dict), "Arn", str)
    except Malformed as exc:  # never quote the answer: it may hold part of the credentials
        return read_error(
            ASSUME_ROLE, Malformed(f"malformed response ({str(exc).split(' ')[0]} missing)"),
            plan.account_id or "", region, plan.role_arn,
        )  # fmt: skip
    if (who := ASSUMED_ROLE_ARN.match(arn)) is None:
        return read_error(
            ASSUME_ROLE, Malformed("malformed response (AssumedRoleUser.Arn is not an "
                                   f"assumed-role ARN: {arn!r})"),
            plan.account_id or "", region, plan.role_arn,
        )  # fmt: skip
    session = boto3.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=region,
    )
    return session, who.group(1), arn


def enabled_regions(aws: AwsSession, region: str) -> list[str] | ReadError:
    """The regions enabled for the account (OptInStatus opt-in-not-required or opted-in)."""
    try:
        answer = aws.client("ec2", region).describe_regions(AllRegions=True)
    except AWS_FAILURES as exc:
        return read_error(DESCRIBE_REGIONS, exc, "", region, None)
    try:
        return sorted(
            need(r, "RegionName", str)
            for r in need_list(answer, "Regions")
            if r.get("OptInStatus", "opt-in-not-required") in ENABLED
        )
    except Malformed as exc:
        return read_error(
            DESCRIBE_REGIONS, Malformed(f"malformed response: {exc}"), "", region, None
        )
