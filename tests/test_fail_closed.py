"""Fail closed: an answer that lacks a field a rule depends on is a gap — `unknown` with the
operation and "malformed response" — never a default that passes.

moto answers in full; each case takes one field out of moto's parsed answer after botocore
parsed it (an `after-call` hook), so what the collector sees is still an answer botocore's
service model allows (every member is optional there: the test validates that too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.validate import ParamValidator

from auditor.sessions import AwsSession
from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")

Mutate = Callable[[dict[str, Any]], None]


def drop_in_each(list_key: str, field: str, inner: str | None = None) -> Mutate:
    def mutate(parsed: dict[str, Any]) -> None:
        for item in parsed.get(list_key, []):
            targets = item.get(inner, []) if inner else [item]
            for target in targets:
                target.pop(field, None)

    return mutate


def drop(*path: str) -> Mutate:
    def mutate(parsed: dict[str, Any]) -> None:
        node = parsed
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)

    return mutate


CASES = [
    # (operation, how the answer changes, target verdict in each mode, what a user reads)
    pytest.param(
        "DescribeSubnets",
        drop_in_each("Subnets", "MapPublicIpOnLaunch"),
        {"public": "unknown", "private": "unknown", "vpc-endpoints": "unknown"},
        id="subnet-without-MapPublicIpOnLaunch",
    ),
    pytest.param(
        "DescribeRouteTables",
        drop_in_each("RouteTables", "State", inner="Routes"),
        # PostgreSQL in `private` needs no route decision (S3 through the interface endpoint)
        {"public": "unknown", "private": "ready", "vpc-endpoints": "unknown"},
        id="route-without-State",
    ),
    pytest.param(
        "DescribeNatGateways",
        drop("NatGateways"),
        {
            "public": "ready",
            "private": "ready",
            "vpc-endpoints": "ready",
        },  # postgres: no NAT needed
        id="page-without-its-result-key",
    ),
    pytest.param(
        "DescribeSecurityGroups",
        drop_in_each("SecurityGroups", "IpProtocol", inner="IpPermissions"),
        {"public": "ready", "private": "unknown", "vpc-endpoints": "unknown"},
        id="rule-without-IpProtocol",
    ),
    pytest.param(
        "DescribeVpcBlockPublicAccessOptions",
        drop("VpcBlockPublicAccessOptions", "InternetGatewayBlockMode"),
        {"public": "unknown", "private": "ready", "vpc-endpoints": "ready"},
        id="block-public-access-without-its-mode",
    ),
    pytest.param(
        "GetEbsEncryptionByDefault",
        drop("EbsEncryptionByDefault"),
        {"public": "unknown", "private": "unknown", "vpc-endpoints": "unknown"},
        id="ebs-encryption-without-the-flag",
    ),
    pytest.param(
        "GetAllowedImagesSettings",
        drop("State"),
        {"public": "unknown", "private": "unknown", "vpc-endpoints": "unknown"},
        id="allowed-amis-without-state",
    ),
]


@pytest.mark.parametrize(("operation", "mutate", "verdicts"), CASES)
def test_a_missing_field_is_a_gap_never_a_pass(preflight, monkeypatch, operation, mutate, verdicts):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    hook_everywhere(monkeypatch, operation, mutate)

    run = preflight("audit", "--region", "eu-west-1", "--format", "json")

    modes = {m: v["verdict"] for m, v in run.target("orders")["modes"].items()}
    assert modes == verdicts
    (error,) = [e for e in run.report["errors"] if e["operation"] == operation]
    assert error["code"] == "MalformedResponse"
    assert error["message"].startswith("malformed response: ")
    assert run.code == 3


def test_db_instances_without_a_field_make_the_unit_unknown(preflight, monkeypatch):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    hook_everywhere(
        monkeypatch, "DescribeDBInstances", drop_in_each("DBInstances", "StorageEncrypted")
    )

    run = preflight("audit", "--region", "eu-west-1", "--format", "json")

    assert run.code == 2  # nothing could be audited
    assert "StorageEncrypted is missing" in run.err


def hook_everywhere(monkeypatch, operation: str, mutate: Mutate) -> None:
    """Every client the audit makes changes ``operation``'s parsed answer with ``mutate``,
    after checking the changed answer is still one the service model allows."""
    made = AwsSession.client

    def client(self: AwsSession, service: str, region: str) -> Any:
        c = made(self, service, region)
        if not getattr(c, "_fail_closed_hook", False):

            def after_call(parsed: dict[str, Any], model: Any, **_: Any) -> None:
                mutate(parsed)
                shape = model.output_shape  # the operation's model, as botocore passes it
                report = ParamValidator().validate(
                    {k: v for k, v in parsed.items() if k != "ResponseMetadata"}, shape
                )
                assert not report.has_errors(), report.generate_report()

            c.meta.events.register(
                f"after-call.{c.meta.service_model.service_name}.{operation}", after_call
            )
            c._fail_closed_hook = True
        return c

    monkeypatch.setattr(AwsSession, "client", client)


def test_one_instance_without_its_type_makes_the_vcpu_count_unknown_not_lower(
    preflight, monkeypatch
):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    b.ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="m5.xlarge")

    def drop_second(parsed: dict[str, Any]) -> None:
        instances = [i for r in parsed.get("Reservations", []) for i in r.get("Instances", [])]
        instances[-1].pop("InstanceType", None)  # the first one still counts, the second not

    hook_everywhere(monkeypatch, "DescribeInstances", drop_second)

    run = preflight("audit", "--region", "eu-west-1", "--format", "json")

    (capacity,) = run.findings("ec2.worker-capacity")
    assert capacity["status"] == "unknown"
    assert [e["code"] for e in run.report["errors"] if e["operation"] == "DescribeInstances"] == [
        "MalformedResponse"
    ]
