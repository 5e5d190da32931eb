"""`preflight iam evaluate`, as the admin editing a role calls it: one line per (action,
resource), exit 0 / 1 / 3, and bad input one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
ONE_BUCKET = str(EXAMPLES / "sql-backup-one-bucket.json")
TRUSTS_EC2 = str(EXAMPLES / "sql-backup-trusts-ec2.json")
SESSION = "arn:aws:sts::123456789012:assumed-role/sql-backup-one-bucket/rds"


def write(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_the_demos_one_bucket_role_allows_its_bucket_and_nothing_else(preflight):
    run = preflight(
        "iam", "evaluate", "--identity", ONE_BUCKET, "--principal", SESSION,
        "--action", "s3:PutObject",
        "--resource", "arn:aws:s3:::backups-2019/db.bak",
        "--resource", "arn:aws:s3:::veeam-tmp-7f3a/db.bak",
    )  # fmt: skip

    lines = run.out.splitlines()
    assert run.code == 1
    assert lines[0].startswith("ALLOWED  s3:PutObject  arn:aws:s3:::backups-2019/db.bak  by ")
    assert "sql-backup-one-bucket.json (statement 2)" in lines[0]
    assert lines[1] == (
        "DENIED   s3:PutObject  arn:aws:s3:::veeam-tmp-7f3a/db.bak  "
        "implicit deny: no statement allows it"
    )
    assert "SCPs" in lines[-1]


def test_a_trust_for_ec2_refuses_rds(preflight):
    run = preflight(
        "iam", "evaluate", "--resource-policy", TRUSTS_EC2, "--principal", "rds.amazonaws.com",
        "--action", "sts:AssumeRole",
        "--resource", "arn:aws:iam::123456789012:role/sql-backup-trusts-ec2",
    )  # fmt: skip

    assert run.code == 1
    assert run.out.startswith("DENIED   sts:AssumeRole")


def test_all_allowed_exits_0_and_json_names_the_statement(preflight):
    run = preflight(
        "iam", "evaluate", "--identity", ONE_BUCKET, "--action", "s3:GetObject",
        "--resource", "arn:aws:s3:::backups-2019/a", "--format", "json",
    )  # fmt: skip

    (decision,) = json.loads(run.out)["decisions"]
    assert run.code == 0
    assert decision["decision"] == "allowed"
    assert decision["deciding"] == ["sql-backup-one-bucket.json (statement 2)"]


def test_a_trust_naming_an_account_is_unknown_until_its_identity_policies_are_given(
    preflight, tmp_path
):
    trust = write(tmp_path, "trust.json", {"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "sts:AssumeRole"}]})  # fmt: skip
    caller = "arn:aws:iam::444455556666:role/VeeamImpersonation"
    role = "arn:aws:iam::123456789012:role/VeeamRdsBackup"
    args = ["iam", "evaluate", "--resource-policy", trust, "--principal", caller,
            "--action", "sts:AssumeRole", "--resource", role]  # fmt: skip

    unread = preflight(*args)
    allows = write(tmp_path, "caller.json", {"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]})  # fmt: skip
    read = preflight(*args, "--identity", allows)

    assert unread.code == 3
    assert "delegated to account 444455556666" in unread.out
    assert read.code == 0


def test_a_condition_on_an_unknown_key_is_unknown_and_a_given_one_decides(preflight, tmp_path):
    policy = write(tmp_path, "p.json", {"Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})  # fmt: skip
    args = ["iam", "evaluate", "--identity", policy, "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::b/k"]  # fmt: skip

    assert preflight(*args).code == 3
    assert preflight(*args, "--context", "aws:SourceIp=10.1.2.3").code == 0
    assert preflight(*args, "--context", "aws:SourceIp=192.0.2.1").code == 1
    assert preflight(*args, "--absent", "aws:SourceIp").code == 1


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ('{"Statement": [{"Effect": "Alow", "Action": "s3:*"}]}', "Statement[0].Effect"),
        ('{"Statement": [{"Effect": "Allow"}]}', "Statement[0]: a statement needs Action"),
        ('{"Statement": [', "is not JSON"),
        ("[1, 2]", "is not a policy"),
    ],
)
def test_an_unparseable_policy_is_one_line_naming_the_file_and_the_place(
    preflight, tmp_path, content, phrase
):
    path = write(tmp_path, "bad.json", content)

    run = preflight("iam", "evaluate", "--identity", path, "--action", "s3:GetObject",
                    "--resource", "*")  # fmt: skip

    assert run.code == 2
    assert run.err.count("\n") == 1
    assert path in run.err
    assert phrase in run.err


def test_a_context_value_of_the_wrong_type_is_refused(preflight):
    run = preflight("iam", "evaluate", "--identity", ONE_BUCKET, "--action", "s3:GetObject",
                    "--resource", "*", "--context", "aws:CurrentTime=yesterday")  # fmt: skip

    assert run.code == 2
    assert "aws:CurrentTime takes a date" in run.err
