"""collect: declared calls only, failures become gaps, nothing is raised past it."""

from __future__ import annotations

import threading
from typing import ClassVar

import boto3
import pytest

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.rds import DESCRIBE_DB_INSTANCES
from auditor.inventory import RegionInventory
from auditor.sessions import AwsSession

pytestmark = pytest.mark.usefixtures("aws")

DESCRIBE_VPCS = ApiCall("ec2", "DescribeVpcs", "ec2:DescribeVpcs")


class SendsUndeclared(Collector):
    name: ClassVar[str] = "test.undeclared"
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_DB_INSTANCES,)

    def collect(self, ctx: UnitContext) -> None:
        ctx.call(DESCRIBE_VPCS)


def unit_context() -> tuple[AwsSession, UnitContext]:
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    inv = RegionInventory("123456789012", "eu-west-1")
    return aws, UnitContext(aws, inv, lambda: [], threading.Semaphore(4))


def test_a_call_the_collector_did_not_declare_is_refused_unsent():
    from auditor.collect import _run

    aws, ctx = unit_context()

    _run(SendsUndeclared(), ctx)

    (error,) = ctx.inventory.errors
    assert error.code == "CollectorError"
    assert "ec2.DescribeVpcs is not declared" in error.message
    assert "ec2.DescribeVpcs" not in aws.stats.calls


def test_a_botocore_error_becomes_a_recorded_gap_not_an_exception():
    _, ctx = unit_context()
    ctx = ctx.for_collector([DESCRIBE_DB_INSTANCES])

    result = ctx.call(DESCRIBE_DB_INSTANCES, resource_id="x", MaxRecords="many")

    assert result is None
    (error,) = ctx.inventory.errors
    assert (error.code, error.operation, error.iam_action, error.resource_id) == (
        "ParamValidationError",
        "DescribeDBInstances",
        "rds:DescribeDBInstances",
        "x",
    )
    assert error.denied is False


def test_not_found_is_a_fact_raised_as_absent_not_a_gap():
    _, ctx = unit_context()
    ctx = ctx.for_collector([DESCRIBE_DB_INSTANCES])

    with pytest.raises(Absent) as absent:
        ctx.call(DESCRIBE_DB_INSTANCES, resource_id="nope", DBInstanceIdentifier="nope")

    assert absent.value.code == "DBInstanceNotFound"
    assert ctx.inventory.errors == []
