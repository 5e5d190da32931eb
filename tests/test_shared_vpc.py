"""Shared VPCs (AWS RAM) on moto. moto 5.2.5 does not apply RAM shares to EC2, so
`moto_extension.share_subnets` does what AWS does: the participant sees the shared subnets
(OwnerId: the owner) and their VPC and can place a DB instance in them; the route tables,
gateways, endpoints and network ACLs stay the owner's, invisible to the participant."""

from __future__ import annotations

import boto3
import pytest

from auditor import moto_extension
from tests.builders import Builder
from tests.test_accounts import as_account

pytestmark = pytest.mark.usefixtures("aws")

PARTICIPANT = "123456789012"  # moto's default account
OWNER = "210987654321"  # the network account


def shared_network(monkeypatch: pytest.MonkeyPatch) -> str:
    """The owner's VPC, ready for workers in every mode, its private subnets shared with the
    participant; the participant's DB instance `orders` in them. Returns the VPC id."""
    with monkeypatch.context() as m:
        as_account(m, OWNER)
        net = Builder("eu-west-1").ready_network("10.9", "network-account")
    boto3.DEFAULT_SESSION = None
    subnets = [*net.private_subnets.values(), *net.public_subnets.values()]
    moto_extension.share_subnets(OWNER, PARTICIPANT, "eu-west-1", subnets)
    b = Builder("eu-west-1")
    group = b.db_subnet_group("shared-db", list(net.private_subnets.values()))
    b.db("orders", "postgres", "16.3", group)
    return net.vpc_id


def test_a_shared_vpc_is_unknown_without_its_owner_and_judged_with_it(preflight, monkeypatch):
    vpc_id = shared_network(monkeypatch)

    alone = preflight("audit", "--region", "eu-west-1")

    assert alone.report is not None, alone.err
    assert alone.target("orders")["verdict"] == "unknown"
    (igw,) = alone.findings("vpc.internet-gateway", "orders")
    assert igw["status"] == "unknown"
    assert f"{vpc_id} is shared with {PARTICIPANT} by account {OWNER} (AWS RAM)" in igw["message"]
    assert f"--role-arn arn:aws:iam::{OWNER}:role/<audit role>" in igw["message"]
    assert "fail" not in {f["status"] for f in alone.report["findings"]}, [
        f["message"] for f in alone.report["findings"] if f["status"] == "fail"
    ]

    both = preflight(
        "audit", "--region", "eu-west-1",
        "--role-arn", f"arn:aws:iam::{PARTICIPANT}:role/audit",
        "--role-arn", f"arn:aws:iam::{OWNER}:role/audit",
    )  # fmt: skip

    assert both.report is not None, both.err
    orders = both.target("orders")
    assert {m: v["verdict"] for m, v in orders["modes"].items()} == {
        "public": "ready",
        "private": "ready",
        "vpc-endpoints": "ready",
    }, orders
    (igw,) = both.findings("vpc.internet-gateway", "orders")
    assert igw["status"] == "pass"
    assert igw["resource_id"].startswith("igw-")  # the owner's gateway, read with its session
    assert both.report["errors"] == []


def test_the_owners_network_is_merged_and_an_unread_part_stays_unread() -> None:
    """Without moto: the participant sees the shared subnets and nothing else; the owner's view
    of the VPC, merged in, makes the target judgeable; a part the owner could not read stays
    not read (unknown with the owner's gap), never an empty list that would fail."""
    from auditor.collectors.shared_vpcs import merge_owner_network
    from auditor.inventory import ReadError
    from auditor.model import Mode, Status
    from tests.inventory_builder import VPC, baseline, judge

    def participant():
        unit = baseline()
        owner_view = baseline()
        owner_view.account_id = OWNER
        for s in unit.subnets or []:
            s.owner_id = OWNER
        for part in ("route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints"):
            setattr(unit, part, [])  # what a participant's own reads return
        unit.network_acls = []
        return unit, owner_view

    unit, _ = participant()
    assert judge(unit, "route.internet", Mode.PUBLIC).status is Status.UNKNOWN

    unit, owner_view = participant()
    merge_owner_network(unit, {VPC}, owner_view)
    assert unit.shared_vpcs == {VPC: OWNER}
    judged = judge(unit, "route.internet", Mode.PUBLIC)
    assert judged.status is Status.PASS, judged.message

    unit, owner_view = participant()
    owner_view.route_tables = None
    denied = ReadError(
        OWNER, "eu-west-1", "ec2", "DescribeRouteTables", "UnauthorizedOperation",
        "ec2:DescribeRouteTables", None, "denied", denied=True,
    )  # fmt: skip
    owner_view.errors.append(denied)
    merge_owner_network(unit, {VPC}, owner_view)
    judged = judge(unit, "route.internet", Mode.PUBLIC)
    assert judged.status is Status.UNKNOWN
    assert "grant ec2:DescribeRouteTables" in judged.message
