"""Network readiness on moto, one situation per test (DESIGN.md check table, worker subnets).

Each test builds the smallest VPC that shows its situation and asserts the verdict in the
modes it concerns and the finding a user reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest

from tests.builders import Builder

pytestmark = pytest.mark.usefixtures("aws")


@dataclass
class Vpc:
    b: Builder
    vpc_id: str
    igw: str | None
    db_subnets: list[str]


def vpc_with_db(b: Builder, *, igw: bool = True, prefix: str = "10.0") -> Vpc:
    """A VPC with DNS on, an internet gateway (optional) and private DB subnets in a and b."""
    vpc_id = b.vpc(f"{prefix}.0.0/16", "net")
    gateway = b.internet_gateway(vpc_id) if igw else None
    subnets = [b.subnet(vpc_id, f"{prefix}.20{i}.0/24", az) for i, az in enumerate("ab")]
    b.db_subnet_group("dbs", subnets)
    return Vpc(b, vpc_id, gateway, subnets)


def add_db(net: Vpc, name: str = "orders") -> None:
    net.b.db(name, "postgres", "16.3", "dbs", az="a")


def finding(run, check_id: str, mode: str = "public") -> dict:
    (found,) = [f for f in run.findings(check_id) if mode in f["modes"]]
    return found


def public(run, name: str = "orders") -> dict:
    return run.target(name)["modes"]["public"]


# --- route tables -----------------------------------------------------------------------------


def test_main_table_is_used_when_the_subnet_has_no_explicit_association(preflight):
    net = vpc_with_db(Builder("eu-west-1"))
    subnet = net.b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    main = net.b.main_table(net.vpc_id)
    net.b.route(main, "0.0.0.0/0", net.igw)
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1")

    assert public(run)["verdict"] == "ready"
    assert public(run)["worker_subnets"] == [subnet]
    route = finding(run, "route.internet")
    assert route["status"] == "pass"
    assert route["evidence"]["route_table"] == main
    assert route["evidence"]["route_table_association"] == "main"


def test_explicit_association_overrides_a_main_table_that_has_the_route(preflight):
    net = vpc_with_db(Builder("eu-west-1"))
    subnet = net.b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    net.b.route(net.b.main_table(net.vpc_id), "0.0.0.0/0", net.igw)
    explicit = net.b.route_table(net.vpc_id, [subnet])  # local route only
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1")

    assert public(run)["blocking"] == ["route.internet"]
    route = finding(run, "route.internet")
    assert route["evidence"]["route_table"] == explicit
    assert route["evidence"]["route_table_association"] == "explicit"
    assert f"{explicit} (explicitly associated with {subnet})" in route["message"]
    assert "every public IPv4 address -> no route (dropped)" in route["message"]
    assert route["remediation"] == (
        f"aws ec2 create-route --route-table-id {explicit} --destination-cidr-block 0.0.0.0/0 "
        f"--gateway-id {net.igw}"
    )


def test_a_detached_gateway_fails_although_moto_keeps_its_route_active(preflight):
    net = vpc_with_db(Builder("eu-west-1"))
    subnet = net.b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    net.b.route_table(net.vpc_id, [subnet], {"0.0.0.0/0": net.igw})
    net.b.ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc_id)
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1")

    assert public(run)["blocking"] == ["route.internet", "vpc.internet-gateway"]
    route = finding(run, "route.internet")
    assert f"{net.igw} (not attached to this VPC)" in route["message"]
    assert route["remediation"] == (
        f"aws ec2 attach-internet-gateway --internet-gateway-id {net.igw} --vpc-id {net.vpc_id}"
    )
    assert run.target("orders")["modes"]["private"]["blocking"] != []  # no endpoints either


def test_default_route_to_a_nat_gateway_is_not_public_but_is_a_path_to_public_s3(preflight):
    b = Builder("eu-west-1")
    net = vpc_with_db(b)
    nat_home = b.subnet(net.vpc_id, "10.0.1.0/24", "b", public=True)
    b.route_table(net.vpc_id, [nat_home], {"0.0.0.0/0": net.igw})
    nat = b.nat_gateway(nat_home)
    worker = b.subnet(net.vpc_id, "10.0.2.0/24", "a", public=True)
    private = b.subnet(net.vpc_id, "10.0.3.0/24", "a")
    b.route_table(net.vpc_id, [worker, private], {"0.0.0.0/0": nat})
    b.sql_server("erp", "dbs")

    run = preflight("audit", "--region", "eu-west-1")

    modes = run.target("erp")["modes"]
    assert modes["public"]["blocking"] == ["route.internet"]
    assert f"every public IPv4 address -> {nat}" in finding(run, "route.internet")["message"]
    s3 = finding(run, "s3.public-endpoint", "private")
    assert s3["status"] == "pass"
    assert f"NAT gateway {nat}" in s3["message"]
    assert "s3.public-endpoint" not in modes["vpc-endpoints"]["blocking"]


def public_subnet_diverting(prefix: str) -> tuple[Vpc, str, str]:
    """A VPC with a DB instance and one public subnet whose table sends the default route to
    the internet gateway and ``prefix`` over a peering: (network, peering, route table)."""
    b = Builder("eu-west-1")
    net = vpc_with_db(b)
    subnet = b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    peer = b.ec2.create_vpc_peering_connection(
        VpcId=net.vpc_id, PeerVpcId=b.vpc("10.5.0.0/16", "p")
    )
    pcx = peer["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    rtb = b.route_table(net.vpc_id, [subnet], {"0.0.0.0/0": net.igw, prefix: pcx})
    add_db(net)
    return net, pcx, rtb


def group_without_egress(b: Builder, vpc_id: str) -> str:
    """A security group whose default allow-all egress rule is revoked."""
    group = b.security_group(vpc_id, "workers")
    b.ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    return group


def test_a_more_specific_route_overrides_the_default_route(preflight):
    _, pcx, rtb = public_subnet_diverting("54.0.0.0/8")

    run = preflight("audit", "--region", "eu-west-1")

    route = finding(run, "route.internet")
    assert f"54.0.0.0/8 -> {pcx}" in route["message"]
    assert (
        f"delete-route --route-table-id {rtb} --destination-cidr-block 54.0.0.0/8"
        in route["remediation"]
    )


def test_an_ipv6_default_route_alone_gives_no_ipv4_internet(preflight):
    b = Builder("eu-west-1")
    net = vpc_with_db(b)
    subnet = b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    rtb = b.route_table(net.vpc_id, [subnet])
    b.ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=net.igw)
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1")

    assert public(run)["blocking"] == ["route.internet"]


# --- worker subnets ---------------------------------------------------------------------------


def test_a_subnet_with_no_free_addresses_is_no_candidate(preflight):
    b = Builder("eu-west-1")
    net = vpc_with_db(b)
    full = b.subnet(net.vpc_id, "10.0.1.0/28", "a", public=True)
    b.route_table(net.vpc_id, [full], {"0.0.0.0/0": net.igw})
    for _ in range(11):  # a /28 has 11 usable addresses in AWS
        b.ec2.create_network_interface(SubnetId=full)
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1")

    assert public(run)["blocking"] == ["subnet.public-ip"]
    assert f"{full}: no free IPv4 addresses" in finding(run, "subnet.public-ip")["message"]


def test_worker_configuration_pinning_a_broken_subnet_is_not_ready_while_another_would_do(
    preflight,
):
    b = Builder("eu-west-1")
    net = vpc_with_db(b)
    good = b.subnet(net.vpc_id, "10.0.1.0/24", "a", public=True)
    broken = b.subnet(net.vpc_id, "10.0.2.0/24", "a", public=True)
    b.route_table(net.vpc_id, [good], {"0.0.0.0/0": net.igw})
    b.route_table(net.vpc_id, [broken])
    add_db(net)

    free = preflight("audit", "--region", "eu-west-1")
    pinned = preflight("audit", "--region", "eu-west-1", "--worker-subnet", broken)

    assert public(free)["verdict"] == "ready"
    assert public(free)["worker_subnets"] == [good]
    assert "assumes Veeam picks" in free.report["worker_configuration"]["note"]
    assert public(pinned)["blocking"] == ["route.internet"]
    assert finding(pinned, "route.internet")["resource_id"] == broken
    assert pinned.report["worker_configuration"]["subnet_ids"] == [broken]


def test_a_pinned_subnet_in_another_az_is_ignored_and_said_so(preflight):
    net = vpc_with_db(Builder("eu-west-1"))
    other_az = net.b.subnet(net.vpc_id, "10.0.1.0/24", "b", public=True)
    add_db(net)

    run = preflight("audit", "--region", "eu-west-1", "--worker-subnet", other_az)

    check = finding(run, "subnet.public-ip")
    assert check["status"] == "fail"
    assert check["evidence"]["ignored_worker_subnets"] == [other_az]
    assert f"--worker-subnet {other_az} not in {net.vpc_id}/eu-west-1a" in check["message"]


# --- private modes: endpoints -----------------------------------------------------------------


@pytest.mark.parametrize("service", ["ssm"])  # the other two: tests/test_check_tables.py
def test_each_interface_endpoint_missing_in_turn(preflight, service):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.ec2.delete_vpc_endpoints(VpcEndpointIds=[net.endpoints[service]])
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    modes = run.target("orders")["modes"]
    assert modes["public"]["verdict"] == "ready"
    assert modes["private"]["blocking"] == ["endpoints.interface"]
    assert modes["vpc-endpoints"]["blocking"] == ["endpoints.interface"]
    failing = [f for f in run.findings("endpoints.interface") if f["status"] == "fail"]
    assert [f["evidence"]["service"] for f in failing] == [f"com.amazonaws.eu-west-1.{service}"]


def test_an_endpoint_group_that_does_not_admit_https_from_the_workers_fails(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.ec2.revoke_security_group_ingress(
        GroupId=net.endpoint_group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": net.cidr}],
            }
        ],
    )
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-network", "private")

    # The S3 interface endpoint shares the group: it must admit the workers too (Veeam).
    assert run.target("orders")["blocking"] == ["endpoints.interface", "endpoints.s3"]
    ssm = [
        f
        for f in run.findings("endpoints.interface")
        if f["evidence"]["service"].rsplit(".", 1)[1] == "ssm"
    ]
    assert "do not admit TCP 443 from the workers (10.0.10.0/24)" in ssm[0]["message"]
    assert (
        f"authorize-security-group-ingress --group-id {net.endpoint_group}" in ssm[0]["remediation"]
    )


def test_s3_gateway_endpoint_on_a_table_the_worker_subnet_does_not_use(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network(s3_gateway=False)
    # Created on the other table from the start: moto's ModifyVpcEndpoint changes the endpoint's
    # RouteTableIds but leaves the routes themselves where they were.
    gateway = b.s3_gateway_endpoint(net.vpc_id, [b.route_table(net.vpc_id)])
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-network", "vpc-endpoints")

    assert run.target("orders")["blocking"] == ["endpoints.s3"]
    s3 = finding(run, "endpoints.s3", "vpc-endpoints")
    assert f"has no route in {net.private_table}" in s3["message"]
    assert s3["remediation"] == (
        f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {gateway} "
        f"--add-route-table-ids {net.private_table}"
    )
    assert finding(run, "endpoints.s3", "private")["status"] == "pass"  # interface endpoint


@pytest.mark.parametrize("private_dns", [True, False])
def test_s3_interface_endpoint_with_and_without_private_dns(preflight, private_dns):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.ec2.delete_vpc_endpoints(VpcEndpointIds=[net.endpoints["s3"], net.endpoints["s3-gateway"]])
    s3 = b.interface_endpoint(
        net.vpc_id,
        "s3",
        list(net.private_subnets.values()),
        net.endpoint_group,
        private_dns=private_dns,
    )
    b.sql_server("erp", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-network", "private")

    assert finding(run, "endpoints.s3", "private")["resource_id"] == s3
    path = finding(run, "s3.public-endpoint", "private")
    if private_dns:
        assert path["status"] == "pass"
        assert run.target("erp")["verdict"] == "ready"
    else:
        assert path["status"] == "fail"
        assert "no path to the public s3.eu-west-1.amazonaws.com" in path["message"]
        assert run.target("erp")["blocking"] == ["s3.public-endpoint"]


# --- NACLs, security groups, instance types ---------------------------------------------------


def test_a_nacl_denying_443_warns_without_changing_the_verdict(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    acl = b.ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [net.vpc_id]}])[
        "NetworkAcls"
    ][0]
    b.ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAclId"], RuleNumber=50, Protocol="6", RuleAction="deny",
        Egress=True, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.code == 0
    nacl = finding(run, "subnet.nacl")
    assert nacl["status"] == "warn"
    assert nacl["severity"] == "warning"
    assert "denies outbound TCP 443" in nacl["message"]
    assert "(rule 50)" in nacl["message"]


def test_five_security_groups_on_the_db_instance_fail_at_the_default_quota(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    groups = [b.security_group(net.vpc_id, f"app-{i}") for i in range(5)]
    b.db("orders", "postgres", "16.3", net.db_subnet_group, security_groups=groups)
    b.db("lean", "postgres", "16.3", net.db_subnet_group, security_groups=groups[:4])

    run = preflight("audit", "--region", "eu-west-1")

    assert run.target("orders")["blocking"] == ["ec2.security-group-headroom"]
    assert run.target("lean")["verdict"] == "ready"
    (check,) = run.findings("ec2.security-group-headroom", "orders")
    assert (
        "already has 5 VPC security groups and the quota per network interface is 5"
        in check["message"]
    )


def test_worker_security_group_without_https_egress_fails(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    group = group_without_egress(b, net.vpc_id)
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-security-group", group)

    modes = run.target("orders")["modes"]
    assert all(m["blocking"] == ["ec2.worker-security-group"] for m in modes.values())
    check = finding(run, "ec2.worker-security-group")
    assert f"authorize-security-group-egress --group-id {group}" in check["remediation"]


def test_worker_security_group_check_applies_only_when_given(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1")

    assert run.findings("ec2.worker-security-group") == []


def test_requests_grow_with_vpcs_not_with_subnets(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    before = preflight("audit", "--region", "eu-west-1")
    for i in range(6):
        b.subnet(net.vpc_id, f"10.0.{100 + i}.0/24", "ab"[i % 2], public=True)

    after = preflight("audit", "--region", "eu-west-1")

    assert after.report["api_calls"] == before.report["api_calls"]


def test_a_raised_per_interface_quota_only_warns():
    # moto cannot raise a quota: GetServiceQuota answers are recorded responses in botocore's
    # shape (Stubber validates them against the service model); every other call goes to moto.
    from botocore.stub import Stubber

    from auditor.collect import collect
    from auditor.engine import evaluate, load_checks
    from auditor.inventory import AccountRecord
    from auditor.model import Mode
    from auditor.sessions import AwsSession

    b = Builder("eu-west-1")
    net = b.ready_network()
    groups = [b.security_group(net.vpc_id, f"app-{i}") for i in range(5)]
    b.db("orders", "postgres", "16.3", net.db_subnet_group, security_groups=groups)
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    quotas = Stubber(aws.client("service-quotas", "eu-west-1"))
    for code, name, value in (
        ("L-E79EC296", "VPC security groups per Region", 2500.0),
        ("L-2AFB9258", "Security groups per network interface", 10.0),
    ):
        quotas.add_response(
            "get_service_quota",
            {
                "Quota": {
                    "ServiceCode": "vpc",
                    "ServiceName": "Amazon Virtual Private Cloud (Amazon VPC)",
                    "QuotaArn": f"arn:aws:servicequotas:eu-west-1:123456789012:vpc/{code}",
                    "QuotaCode": code,
                    "QuotaName": name,
                    "Value": value,
                    "Unit": "None",
                    "Adjustable": True,
                    "GlobalQuota": False,
                }
            },
            {"ServiceCode": "vpc", "QuotaCode": code},
        )

    with quotas:
        inventory = collect(aws, AccountRecord("123456789012", None), ["eu-west-1"], [])
    result = evaluate(inventory, load_checks(), Mode.PUBLIC)

    quotas.assert_no_pending_responses()
    (target,) = result.targets
    assert target.verdict == "ready"
    (check,) = [
        f for f in result.findings if f.check_id == "ec2.security-group-headroom" and f.target
    ]
    assert check.status == "warn"
    assert "the interface quota is 10" in check.message


def test_an_endpoint_group_admitting_the_workers_by_prefix_list_is_judged_by_its_cidrs(preflight):
    b = Builder("eu-west-1")
    net = b.ready_network()
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    b.ec2.revoke_security_group_ingress(
        GroupId=net.endpoint_group, IpPermissions=[{**https, "IpRanges": [{"CidrIp": net.cidr}]}]
    )
    corp = b.ec2.create_managed_prefix_list(
        PrefixListName="corp", MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": net.cidr}]
    )["PrefixList"]["PrefixListId"]
    b.ec2.authorize_security_group_ingress(
        GroupId=net.endpoint_group,
        IpPermissions=[{**https, "PrefixListIds": [{"PrefixListId": corp}]}],
    )
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-network", "private")

    assert run.target("orders")["verdict"] == "ready", run.target("orders")
    assert all(f["status"] == "pass" for f in run.findings("endpoints.interface"))
    assert run.report["api_calls"]["ec2.GetManagedPrefixListEntries"] >= 1


def test_a_diverted_prefix_clear_of_the_regions_s3_ranges_only_warns(preflight):
    # moto serves AWS's managed prefix list com.amazonaws.eu-west-1.s3 (52.216.0.0/15, …).
    _, pcx, _ = public_subnet_diverting("8.8.8.0/24")

    run = preflight("audit", "--region", "eu-west-1")

    route = finding(run, "route.internet")
    assert route["status"] == "warn"
    assert f"8.8.8.0/24 -> {pcx}" in route["message"]
    assert run.target("orders")["modes"]["public"]["verdict"] == "ready"
    assert run.report["api_calls"]["ec2.DescribeManagedPrefixLists"] == 1


def test_worker_security_group_by_mode_on_moto(preflight):
    """Egress to the VPC and to the Region's S3 prefix list only: private and vpc-endpoints pass;
    public warns (the service endpoints' addresses cannot be read), it does not fail."""
    b = Builder("eu-west-1")
    net = b.ready_network()
    group = group_without_egress(b, net.vpc_id)
    s3_list = b.ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.eu-west-1.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    b.ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": net.cidr}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": s3_list}],
            },
        ],
    )
    b.db("orders", "postgres", "16.3", net.db_subnet_group)

    run = preflight("audit", "--region", "eu-west-1", "--worker-security-group", group)

    by_mode = {
        m: f["status"] for f in run.findings("ec2.worker-security-group") for m in f["modes"]
    }
    assert by_mode == {"public": "warn", "private": "pass", "vpc-endpoints": "pass"}
    (public,) = [f for f in run.findings("ec2.worker-security-group") if "public" in f["modes"]]
    assert (
        "to the Region's S3 addresses (com.amazonaws.eu-west-1.s3) but not to 0.0.0.0/0"
        in (public["message"])
    )
