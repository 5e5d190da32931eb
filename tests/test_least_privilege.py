"""Least privilege proven on moto's server with IAM enforced: each action of the printed policy
taken away in turn is named, makes the run incomplete, and never turns a check into a pass or a
fail it was not."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from auditor import veeam_permissions as veeam
from auditor.collectors import actions_for_parts, declared_calls
from auditor.engine import load_checks
from tests.builders import Builder
from tests.server_helpers import iam_enforced, post, use_user_with_policy

pytestmark = pytest.mark.server

# moto answers sts:GetCallerIdentity for any valid key: it cannot be taken away here. Its server
# cannot answer s3control at all (botocore puts the account id in front of the endpoint's host
# name, 123456789012.127.0.0.1): the account's Public Access Block stays unread in every run here,
# which the repository check names in a warning (public access only warns).
NOT_DENIABLE = {"sts:GetCallerIdentity", "s3:GetAccountPublicAccessBlock"}
UNREADABLE_HERE = {("s3control", "GetPublicAccessBlock")}
# moto's S3 authorises some operations under other action names than AWS does (moto/s3/
# responses.py ACTION_MAP): HeadBucket as s3:HeadBucket (AWS: s3:ListBucket). The user gets
# moto's name beside AWS's, and loses both when the AWS action is taken away.
MOTO_ALIASES = {"s3:ListBucket": "s3:HeadBucket"}
# ... and authorises GetBucketEncryption, GetObjectLockConfiguration and the bucket's
# GetPublicAccessBlock as s3:ListBucket, so taking their own actions away denies nothing here:
# they cannot be proven on moto (the table tests prove what their gaps leave).
NOT_DENIABLE |= {
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPublicAccessBlock",
}
APPLIANCE = "arn:aws:iam::999988887777:role/VeeamImpersonation"
# The snapshot quota falls back to Service Quotas and a snapshot count when this is denied.
WITH_FALLBACK = {"rds:DescribeAccountAttributes"}
POLICY = sorted({c.iam_action for c in declared_calls() if c.flag is None})


def veeam_side() -> str:
    """Veeam's roles, a KMS-encrypted repository and its role for "orders" (the config text)."""
    iam = boto3.client("iam", region_name="us-east-1")

    def role(name: str, principals: list[dict[str, str]], actions: tuple[str, ...]) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
            ],
        }
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        allow = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
        iam.put_role_policy(
            RoleName=name,
            PolicyName="veeam",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
        )
        return str(arn["Role"]["Arn"])

    backup = role("VeeamRdsBackup", [{"AWS": APPLIANCE}], veeam.BACKUP_ROLE)
    worker = role(
        "VeeamProdWorker", [{"Service": "ec2.amazonaws.com"}, {"AWS": APPLIANCE}], veeam.WORKER_ROLE
    )
    iam.create_instance_profile(InstanceProfileName="VeeamProdWorker")
    iam.add_role_to_instance_profile(
        InstanceProfileName="VeeamProdWorker", RoleName="VeeamProdWorker"
    )
    repository = role(
        "VeeamRepository",
        [{"AWS": APPLIANCE}, {"Service": veeam.BATCH_OPERATIONS_SERVICE}],
        veeam.REPOSITORY_ANY + veeam.REPOSITORY_BUCKET + veeam.REPOSITORY_OBJECTS,
    )
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="lp-repository", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
    return f"""appliance_principal = "{APPLIANCE}"

[[policies]]
name = "nightly"
db_instances = ["orders"]
option = "account"
backup_role = "{backup}"
worker_role = "{worker}"

[policies.repository]
bucket = "lp-repository"
role = "{repository}"
encryption = "kms"
kms_key = "{key}"
"""


# The audited account, built once per test process and reused: every audit of it is read-only
# and each run gets a user of its own. Another server test in this process resets the server;
# the account is then built again (`built` looks for it first).
_ACCOUNT: dict[str, str] = {}


def built(endpoint: str) -> str:
    """The account on the server (built if a reset wiped it); the --veeam-config text. The
    VPC's marker tag, not the DB instances' names, says it is still this module's account:
    other tests build "orders", "old" and "erp" too, without Veeam's side."""
    if "config" in _ACCOUNT:
        marker = [{"Name": "tag:preflight-test", "Values": [_ACCOUNT["marker"]]}]
        if boto3.client("ec2", region_name="eu-west-1").describe_vpcs(Filters=marker)["Vpcs"]:
            return _ACCOUNT["config"]
    post(f"{endpoint}/moto-api/reset")
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.db("old", "postgres", "11.22", net.db_subnet_group)
    b.sql_server("erp", net.db_subnet_group)
    _ACCOUNT["marker"] = f"least-privilege-{uuid.uuid4().hex}"
    tag = [{"Key": "preflight-test", "Value": _ACCOUNT["marker"]}]
    b.ec2.create_tags(Resources=[net.vpc_id], Tags=tag)
    _ACCOUNT["config"] = veeam_side()
    return _ACCOUNT["config"]


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server, not reset for each test here (`built` keeps the account)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def audit_with(endpoint, preflight, monkeypatch, actions, tmp_path):
    config = tmp_path / f"veeam-{len(actions)}.toml"
    config.write_text(built(endpoint))
    user = f"auditor-{uuid.uuid4().hex[:12]}"
    use_user_with_policy(
        monkeypatch, actions + [MOTO_ALIASES[a] for a in actions if a in MOTO_ALIASES], user
    )
    with iam_enforced(endpoint):
        run = preflight(
            "audit", "--region", "eu-west-1", "--format", "json", "--veeam-config", str(config),
            "--max-attempts", "1",  # the unreachable s3control (above) fails at once
        )  # fmt: skip
    if run.report is not None:  # what moto's server cannot answer, in every run (see above)
        run.report["errors"] = [
            e for e in run.report["errors"] if (e["service"], e["operation"]) not in UNREADABLE_HERE
        ]
    return run


def outcome(report):
    verdicts = {t["db_instance_id"]: t["verdict"] for t in report["targets"]}
    fails = {(f["check_id"], f["target"]) for f in report["findings"] if f["status"] == "fail"}
    return verdicts, fails


_FULL: dict[str, object] = {}


def full_run(endpoint, preflight, monkeypatch, tmp_path):
    """The audit under the whole printed policy, once per test process."""
    if "report" not in _FULL:
        with monkeypatch.context() as m:
            full = audit_with(endpoint, preflight, m, POLICY, tmp_path)
        _FULL["report"] = full.report
    return _FULL["report"]


def test_the_printed_policy_reads_everything(endpoint, preflight, monkeypatch, tmp_path):
    report = full_run(endpoint, preflight, monkeypatch, tmp_path)

    assert report["errors"] == []
    assert outcome(report)[0] == {"orders": "ready", "old": "not_ready", "erp": "ready"}


def dependents() -> dict[str, frozenset[str]]:
    """Each IAM action -> the checks that depend on it (what `preflight checks --format json`
    prints: the actions of the collectors that fill what a check reads)."""
    found: dict[str, set[str]] = {}
    for check in load_checks():
        for action in actions_for_parts(check.reads)[0]:
            found.setdefault(action, set()).add(check.id)
    return {a: frozenset(ids) for a, ids in found.items()}


DEPENDENTS = dependents()
# Alone: nothing is audited without the DB instances, and a fallback read answers otherwise.
ALONE = {"rds:DescribeDBInstances"} | WITH_FALLBACK


def apart(a: str, b: str) -> bool:
    """May these two be taken away in one audit: no check depends on both."""
    none: frozenset[str] = frozenset()
    return (
        a not in ALONE and b not in ALONE and not DEPENDENTS.get(a, none) & DEPENDENTS.get(b, none)
    )


def taken_away() -> list[tuple[str, ...]]:
    """The actions to take away, two per audit where no check depends on both: each check then
    sees at most one of them missing, so neither can hide what the other does to it, and every
    finding must name an action its own check depends on (asserted below). The action that
    can share an audit with the fewest others is placed first."""
    left = [a for a in POLICY if a not in NOT_DENIABLE]
    clashes = {a: sum(not apart(a, b) for b in left if b != a) for a in left}
    left.sort(key=lambda a: -clashes[a])
    groups: list[tuple[str, ...]] = []
    while left:
        first = left.pop(0)
        mate = next((b for b in reversed(left) if apart(first, b)), None)
        if mate is not None:
            left.remove(mate)
        groups.append((first,) if mate is None else (first, mate))
    return groups


def test_each_action_is_taken_away_in_exactly_one_audit():
    audits = taken_away()
    taken = [a for group in audits for a in group]

    assert sorted(taken) == sorted(a for a in POLICY if a not in NOT_DENIABLE)
    assert len(taken) == len(set(taken))
    assert len(audits) * 3 < len(taken) * 2  # the point: far fewer audits than actions
    for group in audits:
        assert len(group) == 1 or apart(*group)


@pytest.mark.parametrize("actions", taken_away(), ids="+".join)
def test_each_action_taken_away_is_named_and_changes_nothing_else(
    endpoint, preflight, monkeypatch, actions, tmp_path
):
    full = full_run(endpoint, preflight, monkeypatch, tmp_path)
    base_verdicts, base_fails = outcome(full)
    by_key = {c.key: c.iam_action for c in declared_calls()}
    used = {by_key[k] for k in full["api_calls"]}

    with monkeypatch.context() as m:
        run = audit_with(endpoint, preflight, m, [a for a in POLICY if a not in actions], tmp_path)

    if actions == ("rds:DescribeDBInstances",):
        assert run.code == 2, run.err  # nothing at all can be audited without it
        assert "rds:DescribeDBInstances" in run.err
        return
    verdicts, fails = outcome(run.report)
    named = {a for a in actions if a in used and a not in WITH_FALLBACK}
    if not named:  # conditional, or answered otherwise
        assert run.report["errors"] == []
        assert verdicts == base_verdicts
        return
    assert {e["iam_action"] for e in run.report["errors"]} == named
    assert run.code == (1 if "not_ready" in verdicts.values() else 3)
    assert fails <= base_fails, fails - base_fails  # nothing newly fails
    assert all(base_verdicts[t] == "ready" for t, v in verdicts.items() if v == "ready")
    for f in run.report["findings"]:  # unknown; a warning where the rule only warns
        missing = f["evidence"].get("missing_permission")
        if missing is None:
            continue
        assert missing in named, (f["check_id"], missing)
        assert f["check_id"] in DEPENDENTS[missing], (f["check_id"], missing)
        assert f["status"] in ("unknown", "warn"), f["check_id"]
