"""The read-only guard refuses mutating operations before anything is sent."""

from __future__ import annotations

import re

import boto3
import pytest

from auditor.collectors import declared_calls
from auditor.guard import ReadOnlyViolation, is_read_only
from auditor.sessions import AwsSession

pytestmark = pytest.mark.usefixtures("aws")


def test_guard_stops_a_mutating_call_and_nothing_changes():
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    ec2 = aws.client("ec2", "eu-west-1")
    before = len(ec2.describe_vpcs()["Vpcs"])

    with pytest.raises(ReadOnlyViolation, match=r"refused ec2:CreateVpc"):
        ec2.create_vpc(CidrBlock="10.0.0.0/16")

    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    assert "ec2.CreateVpc" not in aws.stats.calls  # never sent, so never counted


def test_guard_covers_clients_made_directly_from_the_session():
    session = boto3.Session(region_name="eu-west-1")
    AwsSession(session)

    with pytest.raises(ReadOnlyViolation, match=r"refused rds:DeleteDBInstance"):
        session.client("rds").delete_db_instance(DBInstanceIdentifier="orders")


def test_guard_lets_reads_and_the_named_read_only_calls_through():
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))

    assert aws.client("sts", "eu-west-1").get_caller_identity()["Account"] == "123456789012"
    assert aws.client("rds", "eu-west-1").describe_db_instances()["DBInstances"] == []


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("ec2", "DescribeVpcAttribute", True),
        ("iam", "ListAttachedRolePolicies", True),
        ("iam", "GetRole", True),
        ("sts", "GetCallerIdentity", True),
        ("sts", "AssumeRole", True),
        ("iam", "SimulatePrincipalPolicy", True),
        ("ec2", "ModifyVpcAttribute", False),
        ("ec2", "CreateTags", False),
        ("rds", "StopDBInstance", False),
        ("iam", "SimulateCustomPolicy", False),
        # botocore's credential providers' exchanges (guard.CREDENTIAL_EXCHANGES)
        ("sts", "AssumeRoleWithWebIdentity", True),
        ("sso", "GetRoleCredentials", True),
        ("sso-oidc", "CreateToken", True),
        ("signin", "CreateOAuth2Token", True),
        ("sso-oidc", "RegisterClient", False),
        ("sts", "GetSessionToken", True),  # named like a read; refused as undeclared (below)
        ("s3", "PutObject", False),
        ("s3", "HeadBucket", True),
        ("s3", "HeadObject", False),
    ],
)
def test_read_only_rule(service, operation, allowed):
    assert is_read_only(service, operation) is allowed


# S3 authorises these operations with differently named actions (Service Authorization
# Reference, "Actions, resources, and condition keys for Amazon S3": the API operation column).
S3_ACTIONS = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
}


def test_every_declared_call_is_read_only_and_names_its_iam_action():
    for call in declared_calls():
        assert is_read_only(call.service, call.operation), call
        assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", call.iam_action), call
        expected = S3_ACTIONS.get((call.service, call.operation))
        if expected is not None:
            assert call.iam_action == expected, call
        else:
            assert call.iam_action.split(":")[1].lower() == call.operation.lower(), call


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("cognito-identity", "GetId"),
        ("ec2", "DescribeAddresses"),
        ("s3", "ListBuckets"),
        ("sts", "GetSessionToken"),
    ],
)
def test_an_undeclared_read_is_refused_whatever_its_name(service, operation):
    from auditor.guard import is_allowed

    assert is_read_only(service, operation)  # named like a read ...
    assert not is_allowed(service, operation)  # ... but no collector declares it


def test_an_undeclared_call_never_leaves_the_machine():
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))

    with pytest.raises(ReadOnlyViolation, match=r"declares and refused ec2:DescribeAddresses"):
        aws.client("ec2", "eu-west-1").describe_addresses()

    assert "ec2.DescribeAddresses" not in aws.stats.calls


def test_a_handler_without_kwargs_is_still_refused_and_the_kwargs_answer_is_inspects():
    """sessions.share_handler_checks answers botocore's "takes **kwargs?" from the code flag;
    it must say what inspect.getfullargspec says, and botocore must still refuse a handler
    that does not take them."""
    import functools
    import inspect

    import botocore.hooks
    import botocore.session

    from auditor.sessions import share_handler_checks

    share_handler_checks()

    def plain(a): ...

    def kw(a, **kwargs): ...

    class Handlers:
        def method(self, **kw): ...

        def bare(self): ...

        def __call__(self, **kw): ...

    h = Handlers()
    callables = [plain, kw, h.method, h.bare, h, functools.partial(kw, 1)]
    for func in callables:
        assert bool(botocore.hooks.accepts_kwargs(func)) == bool(
            inspect.getfullargspec(func).varkw
        ), func
    with pytest.raises(ValueError, match="must accept keyword arguments"):
        botocore.session.get_session().register("before-call", plain)


def test_timestamps_are_the_instants_botocore_parses_without_its_parser(monkeypatch):
    """sessions.parse_timestamp: AWS's ISO 8601 UTC answers become the instants botocore's own
    parser gives (it took 70 µs each through dateutil); anything else is still botocore's."""
    from datetime import UTC, datetime

    import botocore.parsers
    import botocore.utils

    from auditor.sessions import parse_timestamp

    for text in ("2026-11-25T12:00:00.000Z", "2026-11-25T12:00:00Z", "2026-11-25T12:00:00.5Z"):
        assert parse_timestamp(text) == botocore.utils.parse_timestamp(text)
    rfc822 = "Wed, 25 Nov 2026 12:00:00 GMT"
    assert parse_timestamp(rfc822) == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_timestamp(1795608000) == botocore.utils.parse_timestamp(1795608000)

    ec2 = boto3.client("ec2", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.s3")

    def refused(value):
        raise AssertionError(f"botocore's parser was asked for {value!r}")

    monkeypatch.setattr(botocore.utils, "parse_timestamp", refused)
    monkeypatch.setattr(botocore.parsers, "DEFAULT_TIMESTAMP_PARSER", refused)
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    (endpoint,) = aws.client("ec2", "eu-west-1").describe_vpc_endpoints()["VpcEndpoints"]

    assert endpoint["CreationTimestamp"].tzinfo is not None  # an instant, as botocore's


def test_a_declaration_made_later_is_honoured_and_nothing_else_is():
    """guard.declared() is one frozen set, not copied per request: a later declare() must
    still be seen, and an operation nobody declared still refused."""
    from auditor import guard

    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    ec2 = aws.client("ec2", "eu-west-1")
    with pytest.raises(ReadOnlyViolation, match=r"refused ec2:DescribeKeyPairs"):
        ec2.describe_key_pairs()
    before = guard.declared()
    try:
        guard.declare([("ec2", "DescribeKeyPairs")])
        assert ec2.describe_key_pairs()["KeyPairs"] == []
        with pytest.raises(ReadOnlyViolation, match=r"refused ec2:DescribeAddresses"):
            ec2.describe_addresses()
    finally:
        guard._DECLARED = before
    with pytest.raises(ReadOnlyViolation, match=r"refused ec2:DescribeKeyPairs"):
        ec2.describe_key_pairs()


def test_the_user_agent_sent_is_botocores_own_byte_for_byte(monkeypatch):
    """sessions.share_user_agent_parts keeps botocore's cleaned User-Agent parts instead of
    cleaning them again twice a request: the header sent must be what botocore alone sends."""
    import botocore.useragent

    def user_agent_sent() -> str:
        aws = AwsSession(boto3.Session(region_name="eu-west-1"))
        client = aws.client("ec2", "eu-west-1")
        seen: list[str] = []
        client.meta.events.register(
            "before-send", lambda request, **_: seen.append(request.headers["User-Agent"])
        )
        client.describe_vpcs()
        return seen[0].decode() if isinstance(seen[0], bytes) else seen[0]

    kept = user_agent_sent()
    cached = botocore.useragent.sanitize_user_agent_string_component
    assert cached.cache_info().hits > 0  # the parts were kept, not cleaned again
    monkeypatch.setattr(
        botocore.useragent, "sanitize_user_agent_string_component", cached.__wrapped__
    )
    assert kept == user_agent_sent()
    assert "preflight/" in kept
    assert "Botocore" in kept
