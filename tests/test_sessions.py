"""Sessions share what carries no credentials (connection pools) and nothing that does.

On moto's server (127.0.0.1), where requests really cross a socket: moto's in-process mock
answers before any connection pool is used, so it could not show that pools are shared.
"""

from __future__ import annotations

import boto3

from auditor.sessions import AwsSession
from tests.fault_proxy import FaultProxy


def _session_in(account: str | None) -> AwsSession:
    if account is None:
        return AwsSession(boto3.Session(region_name="eu-west-1"))
    creds = boto3.client("sts", region_name="eu-west-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/audit", RoleSessionName="test"
    )["Credentials"]
    return AwsSession(
        boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="eu-west-1",
        )
    )


def test_accounts_share_connection_pools_and_each_request_is_still_its_own_accounts(endpoint):
    ours, theirs = _session_in(None), _session_in("111111111111")
    a, b = ours.client("sts", "eu-west-1"), theirs.client("sts", "eu-west-1")

    assert a._endpoint.http_session is b._endpoint.http_session  # one pool, not one per client
    for _ in range(2):  # interleaved through the one pool
        assert a.get_caller_identity()["Account"] == "123456789012"
        assert b.get_caller_identity()["Account"] == "111111111111"
    assert ours.stats.calls["sts.GetCallerIdentity"] == 2
    assert theirs.stats.calls["sts.GetCallerIdentity"] == 2


def test_the_next_account_reuses_the_open_connection_instead_of_opening_its_own(
    endpoint, monkeypatch
):
    """Against AWS each new connection is a TLS handshake: one per account and service was
    four thousand for a thousand accounts. moto's server closes every connection, so a
    keep-alive proxy (as AWS's endpoints are) stands in front of it and counts them."""
    sessions = [_session_in(a) for a in (None, "111111111111", "222222222222")]
    with FaultProxy(endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for aws in sessions:
            aws.client("ec2", "eu-west-1").describe_vpcs()
            aws.client("rds", "eu-west-1").describe_db_instances()
        assert proxy.count == 6
        assert proxy.connections == 1


def test_other_endpoints_and_other_settings_get_their_own_pools(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = boto3.Session(region_name="eu-west-1")
    narrow, wide = AwsSession(session, max_pool=4), AwsSession(session, max_pool=32)

    ec2 = narrow.client("ec2", "eu-west-1")
    assert (
        ec2._endpoint.http_session
        is AwsSession(session, max_pool=4).client("ec2", "eu-west-1")._endpoint.http_session
    )
    assert (
        ec2._endpoint.http_session is not narrow.client("ec2", "us-east-1")._endpoint.http_session
    )
    assert (
        ec2._endpoint.http_session is not narrow.client("rds", "eu-west-1")._endpoint.http_session
    )
    assert ec2._endpoint.http_session is not wide.client("ec2", "eu-west-1")._endpoint.http_session
