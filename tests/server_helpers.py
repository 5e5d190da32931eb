"""Helpers for tests against moto's HTTP server on 127.0.0.1 (IAM enforcement is process-wide)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest


def post(url: str, body: bytes = b"") -> None:
    # text/plain: moto reads the raw body (a form content type would leave it empty)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request) as resp:
        resp.read()


@contextmanager
def iam_enforced(endpoint: str) -> Iterator[None]:
    """From here on moto checks every request against IAM (process-wide), until the block ends."""
    post(f"{endpoint}/moto-api/reset-auth", b"0")
    try:
        yield
    finally:
        post(f"{endpoint}/moto-api/reset-auth", b"inf")


def use_user_with_policy(
    monkeypatch: pytest.MonkeyPatch, actions: list[str], name: str = "auditor"
) -> None:
    """Create an IAM user allowed exactly ``actions`` and make its keys the current credentials."""
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName=name)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=name, PolicyName="audit", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
