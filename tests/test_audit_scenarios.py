"""End-to-end audits on moto (in process), through the CLI as a user runs it."""

from __future__ import annotations

import pytest

from tests.builders import Builder, healthy_vpc

pytestmark = pytest.mark.usefixtures("aws")


def test_healthy_vpc_with_postgres_16_is_ready_and_exits_0(preflight):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", healthy_vpc(b))

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 0, run.err
    target = run.target("orders")
    assert target["verdict"] == "ready"
    assert {m: v["verdict"] for m, v in target["modes"].items()} == {
        "public": "ready",
        "private": "ready",
        "vpc-endpoints": "ready",
    }
    counts = {"targets": 1, "ready": 1, "not_ready": 0, "unknown": 0, "skipped": 0}
    assert run.report["summary"] == {**counts, "by_account": {"123456789012": counts}}
    assert "READY" in run.out
    assert "orders" in run.out


def test_dns_resolution_off_blocks_every_mode_and_exits_1(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network("10.9", "no-dns", dns_support=False)
    vpc_id = net.vpc_id
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 1
    target = run.target("orders")
    assert target["verdict"] == "not_ready"
    assert target["blocking"] == ["vpc.dns-support"]
    assert all(m["blocking"] == ["vpc.dns-support"] for m in target["modes"].values())
    (finding,) = run.findings("vpc.dns-support", "orders")
    assert finding["status"] == "fail"
    assert finding["resource_id"] == vpc_id
    assert f"enableDnsSupport is off for {vpc_id}" in finding["message"]
    assert f"--vpc-id {vpc_id} --enable-dns-support" in finding["remediation"]


def test_dns_hostnames_off_blocks_only_the_private_modes(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network("10.8", "no-hostnames", dns_hostnames=False)
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    public = preflight("audit", "--region", "eu-west-1")
    private = preflight("audit", "--region", "eu-west-1", "--worker-network", "private")

    assert public.code == 0
    modes = public.target("orders")["modes"]
    assert modes["public"]["verdict"] == "ready"
    assert modes["private"]["blocking"] == ["vpc.dns-hostnames"]
    assert modes["vpc-endpoints"]["blocking"] == ["vpc.dns-hostnames"]
    assert private.code == 1
    assert private.target("orders")["verdict"] == "not_ready"
    assert private.report["worker_network"] == "private"


def test_stopped_instance_is_not_ready_with_a_start_command(preflight):
    b = Builder("eu-west-1")
    b.db("paused", "postgres", "16.3", healthy_vpc(b))
    b.rds.stop_db_instance(DBInstanceIdentifier="paused")

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 1
    (finding,) = run.findings("rds.engine-supported", "paused")
    assert finding["status"] == "fail"
    assert "'stopped'" in finding["message"]
    assert finding["remediation"] == "aws rds start-db-instance --db-instance-identifier paused"


def test_mysql_instance_is_skipped_not_a_target(preflight):
    b = Builder("eu-west-1")
    group = healthy_vpc(b)
    b.db("shop", "mysql", "8.0.35", group)
    b.db("orders", "postgres", "16.3", group)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 0
    assert [t["db_instance_id"] for t in run.report["targets"]] == ["orders"]
    assert run.report["skipped"] == [
        {
            "account_id": "123456789012",
            "region": "eu-west-1",
            "db_instance_id": "shop",
            "engine": "mysql",
            "reason": "Veeam Backup for AWS creates no image-level backups of MySQL DB instances "
            "(it still takes snapshots of them)",
        }
    ]
    assert not run.findings("rds.engine-supported", "shop")


def test_mysql_named_with_db_instance_is_a_target_that_fails(preflight):
    b = Builder("eu-west-1")
    b.db("shop", "mysql", "8.0.35", healthy_vpc(b))

    run = preflight("audit", "--region", "eu-west-1", "--db-instance", "shop")

    assert run.code == 1
    assert run.target("shop")["blocking"] == ["rds.engine-supported"]
    assert run.report["skipped"] == []


def test_db_instance_that_does_not_exist_exits_3(preflight):
    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", healthy_vpc(b))

    run = preflight("audit", "--region", "eu-west-1", "--db-instance", "nope")

    assert run.code == 3
    assert run.report["not_found"] == ["nope"]
    assert run.report["targets"] == []
    assert "--db-instance nope is in no audited region" in run.out


def test_no_db_instances_at_all_is_ready_exit_0(preflight):
    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 0
    assert run.report["summary"]["targets"] == 0
    assert run.report["units"] == [
        {"account_id": "123456789012", "region": "eu-west-1", "status": "audited", "reason": None}
    ]


def test_requests_do_not_grow_with_db_instances(preflight):
    b = Builder("eu-west-1")
    group = healthy_vpc(b)
    b.db("db-0", "postgres", "16.3", group)
    one = preflight("audit", "--region", "eu-west-1")
    for i in range(1, 6):
        b.db(f"db-{i}", "postgres", "16.3", group)

    six = preflight("audit", "--region", "eu-west-1")

    assert six.report["summary"]["targets"] == 6
    assert six.report["api_calls"] == one.report["api_calls"]
    assert six.report["api_calls"]["rds.DescribeDBInstances"] == 1
    assert six.report["api_calls"]["ec2.DescribeVpcAttribute"] == 2  # no bulk form: 2 per VPC
    assert six.report["api_calls"]["service-quotas.GetServiceQuota"] == 2  # one per quota code
    per_call = {
        k: n
        for k, n in six.report["api_calls"].items()
        if k not in ("ec2.DescribeVpcAttribute", "service-quotas.GetServiceQuota")
    }
    assert set(per_call.values()) == {1}


def test_two_runs_give_the_same_json_but_for_the_times(preflight):
    b = Builder("eu-west-1")
    group = healthy_vpc(b)
    b.db("orders", "postgres", "16.3", group)
    b.db("old", "postgres", "11.22", group)
    b.db("shop", "mysql", "8.0.35", group)
    us = Builder("us-east-1")
    us.db("west", "sqlserver-se", "15.00.4345.5.v1", healthy_vpc(us, "10.4", dns_support=False))

    first = preflight("audit", "--region", "eu-west-1", "--region", "us-east-1")
    second = preflight("audit", "--region", "us-east-1", "--region", "eu-west-1")

    for report in (first.report, second.report):
        del report["generated_at"], report["duration_s"]
    assert first.report == second.report
    assert first.report["regions"] == ["eu-west-1", "us-east-1"]
    assert [t["db_instance_id"] for t in first.report["targets"]] == ["old", "orders", "west"]


def test_a_vpc_that_no_longer_exists_is_a_fact_not_a_gap(preflight):
    b = Builder("eu-west-1")
    vpc_id = b.vpc("10.7.0.0/16", "gone")
    subnets = [b.subnet(vpc_id, "10.7.1.0/24", "a"), b.subnet(vpc_id, "10.7.2.0/24", "b")]
    b.db("orphan", "postgres", "16.3", b.db_subnet_group("dbs", subnets))
    for subnet in b.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "Subnets"
    ]:
        b.ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    b.ec2.delete_vpc(VpcId=vpc_id)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 1
    assert run.report["errors"] == []  # InvalidVpcID.NotFound is an answer, not a failed read
    (finding,) = run.findings("vpc.dns-support", "orphan")
    assert finding["status"] == "fail"
    assert finding["message"] == f"VPC {vpc_id} of this DB instance does not exist"
