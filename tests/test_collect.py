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


def test_units_unfinished_at_the_deadline_are_recorded_as_not_read(monkeypatch):
    import time

    import auditor.collect
    from auditor.collect import UnitJob, collect_jobs
    from auditor.engine import evaluate, load_checks
    from auditor.inventory import AccountRecord
    from auditor.model import Mode

    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    jobs = [UnitJob(aws, "123456789012", r) for r in ("eu-west-1", "us-east-1")]
    release = threading.Event()
    real = auditor.collect.collect_unit

    def held(*args, **kwargs):  # a unit that takes longer than the deadline allows
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(auditor.collect, "collect_unit", held)
    try:
        inventory = collect_jobs(
            jobs,
            [AccountRecord("123456789012", None)],
            aws.stats,
            [],
            deadline=time.monotonic() + 0.2,
        )
    finally:
        release.set()
    result = evaluate(inventory, load_checks(), Mode.PUBLIC)

    assert [(u.region, u.status) for u in result.units] == [
        ("eu-west-1", "unknown"),
        ("us-east-1", "unknown"),
    ]
    assert all("--deadline" in (u.reason or "") for u in result.units)
    assert result.exit_code() == 3


class ReadsVpcs(Collector):
    name: ClassVar[str] = "test.vpcs"
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_DB_INSTANCES, DESCRIBE_VPCS)

    def collect(self, ctx: UnitContext) -> None:
        ctx.call(DESCRIBE_DB_INSTANCES)
        ctx.call(DESCRIBE_VPCS)


def test_a_defect_in_the_answer_is_a_gap_named_for_the_request_in_flight(monkeypatch):
    # What no AWS answer explains (here moto itself failing mid-request) stops the collector;
    # the gap names the request that was sent, not the collector's first call, so the report
    # never points the user at a permission that was not the problem.
    from moto.ec2.responses import EC2Response

    from auditor.collect import _run

    def broken(self):
        raise RuntimeError("emulator defect")

    monkeypatch.setattr(EC2Response, "describe_vpcs", broken)
    _, ctx = unit_context()

    _run(ReadsVpcs(), ctx)

    (error,) = ctx.inventory.errors
    assert (error.code, error.operation, error.denied) == ("CollectorError", "DescribeVpcs", False)
    assert "RuntimeError: emulator defect" in error.message
