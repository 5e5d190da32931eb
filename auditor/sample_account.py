"""Small, readable steps that lay out AWS resources in moto, for the demo and the tests.

Setup code: it calls mutating APIs through plain boto3 clients, never through a preflight
session (whose read-only guard would refuse them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

INTERFACE_SERVICES = ("ssm", "ssmmessages", "sqs")


@dataclass
class Layout:
    """What `Builder.ready_network` made: a VPC ready for Veeam's workers in every mode."""

    vpc_id: str
    cidr: str
    igw_id: str
    public_subnets: dict[str, str]  # AZ letter -> subnet id (public IPv4 auto-assign on)
    private_subnets: dict[str, str]  # AZ letter -> subnet id (auto-assign off)
    public_table: str
    private_table: str
    main_table: str
    endpoint_group: str
    endpoints: dict[str, str] = field(default_factory=dict)  # "ssm", …, "s3", "s3-gateway" -> id
    db_subnet_group: str = ""


@dataclass
class Builder:
    region: str

    def __post_init__(self) -> None:
        self.ec2: Any = boto3.client("ec2", region_name=self.region)
        self.rds: Any = boto3.client("rds", region_name=self.region)

    def az(self, letter: str) -> str:
        return f"{self.region}{letter}"

    # --- VPC building blocks ---------------------------------------------------------------

    def vpc(
        self, cidr: str, name: str, *, dns_support: bool = True, dns_hostnames: bool = True
    ) -> str:
        vpc_id: str = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        self.ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": name}])
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": dns_support})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": dns_hostnames})
        return vpc_id

    def subnet(self, vpc_id: str, cidr: str, az: str = "a", *, public: bool = False) -> str:
        subnet_id: str = self.ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=self.az(az)
        )["Subnet"]["SubnetId"]
        if public:
            self.ec2.modify_subnet_attribute(
                SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True}
            )
        return subnet_id

    def internet_gateway(self, vpc_id: str | None) -> str:
        igw: str = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        if vpc_id:
            self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        return igw

    def main_table(self, vpc_id: str) -> str:
        tables = self.ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
        return str(tables[0]["RouteTableId"])

    def route_table(
        self,
        vpc_id: str,
        subnets: tuple[str, ...] | list[str] = (),
        routes: dict[str, str] | None = None,
    ) -> str:
        rtb: str = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for subnet in subnets:
            self.ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
        for cidr, target in (routes or {}).items():
            self.route(rtb, cidr, target)
        return rtb

    def route(self, rtb: str, cidr: str, target: str) -> None:
        kind = {
            "igw": "GatewayId",
            "nat": "NatGatewayId",
            "pcx": "VpcPeeringConnectionId",
            "eni": "NetworkInterfaceId",
        }
        self.ec2.create_route(
            RouteTableId=rtb, DestinationCidrBlock=cidr, **{kind[target.split("-")[0]]: target}
        )

    def nat_gateway(self, subnet_id: str) -> str:
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation)
        return str(nat["NatGateway"]["NatGatewayId"])

    def security_group(self, vpc_id: str, name: str, *, https_from: str | None = None) -> str:
        group: str = self.ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description=name)[
            "GroupId"
        ]
        if https_from:
            self.ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": https_from}],
                    }
                ],
            )
        return group

    def interface_endpoint(
        self, vpc_id: str, service: str, subnets: list[str], group: str, *, private_dns: bool = True
    ) -> str:
        endpoint = self.ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{self.region}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=subnets,
            SecurityGroupIds=[group],
            PrivateDnsEnabled=private_dns,
        )
        return str(endpoint["VpcEndpoint"]["VpcEndpointId"])

    def s3_gateway_endpoint(self, vpc_id: str, route_tables: list[str]) -> str:
        endpoint = self.ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{self.region}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=route_tables,
        )
        return str(endpoint["VpcEndpoint"]["VpcEndpointId"])

    # --- a whole network -------------------------------------------------------------------

    def ready_network(
        self,
        prefix: str = "10.0",
        name: str = "prod",
        *,
        azs: str = "ab",
        dns_support: bool = True,
        dns_hostnames: bool = True,
        s3_gateway: bool = True,
    ) -> Layout:
        """A VPC where Veeam's workers can run in every mode: an attached internet gateway;
        public subnets (auto-assign on) routed to it; private subnets (auto-assign off) with the
        ssm, ssmmessages, sqs and S3 interface endpoints and an S3 gateway endpoint route."""
        cidr = f"{prefix}.0.0/16"
        vpc_id = self.vpc(cidr, name, dns_support=dns_support, dns_hostnames=dns_hostnames)
        igw = self.internet_gateway(vpc_id)
        public = {
            az: self.subnet(vpc_id, f"{prefix}.{i}.0/24", az, public=True)
            for i, az in enumerate(azs)
        }
        private = {
            az: self.subnet(vpc_id, f"{prefix}.{10 + i}.0/24", az) for i, az in enumerate(azs)
        }
        public_table = self.route_table(vpc_id, list(public.values()), {"0.0.0.0/0": igw})
        private_table = self.route_table(vpc_id, list(private.values()))
        group = self.security_group(vpc_id, f"{name}-endpoints", https_from=cidr)
        layout = Layout(
            vpc_id,
            cidr,
            igw,
            public,
            private,
            public_table,
            private_table,
            self.main_table(vpc_id),
            group,
        )
        for service in (*INTERFACE_SERVICES, "s3"):
            layout.endpoints[service] = self.interface_endpoint(
                vpc_id, service, list(private.values()), group
            )
        if s3_gateway:
            layout.endpoints["s3-gateway"] = self.s3_gateway_endpoint(vpc_id, [private_table])
        layout.db_subnet_group = self.db_subnet_group(f"{name}-db", list(private.values()))
        return layout

    # --- SQL Server native backup ------------------------------------------------------------

    def role(self, name: str, trust: dict[str, Any], *policies: dict[str, Any]) -> str:
        """An IAM role with a trust policy and inline policies (statement lists as documents)."""
        iam = boto3.client("iam", region_name=self.region)
        arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
        for i, document in enumerate(policies):
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(document)
            )
        return arn

    def native_backup_role(
        self, name: str, *, service: str = "rds.amazonaws.com", buckets: str = "*"
    ) -> str:
        """A role for SQLSERVER_BACKUP_RESTORE: trusted by ``service``, S3 on ``buckets``."""
        return self.role(
            name,
            document(
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ),
            document(
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": f"arn:aws:s3:::{buckets}",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:GetObjectAttributes",
                        "s3:ListMultipartUploadParts",
                        "s3:AbortMultipartUpload",
                    ],
                    "Resource": f"arn:aws:s3:::{buckets}/*",
                },
            ),
        )

    def backup_option_group(self, name: str, engine: str, major: str, role_arn: str | None) -> str:
        """An option group with SQLSERVER_BACKUP_RESTORE (and IAM_ROLE_ARN when given)."""
        self.rds.create_option_group(
            OptionGroupName=name,
            EngineName=engine,
            MajorEngineVersion=major,
            OptionGroupDescription="native backup",
        )
        settings = [{"Name": "IAM_ROLE_ARN", "Value": role_arn}] if role_arn else []
        self.rds.modify_option_group(
            OptionGroupName=name,
            OptionsToInclude=[
                {"OptionName": "SQLSERVER_BACKUP_RESTORE", "OptionSettings": settings}
            ],
            ApplyImmediately=True,
        )
        return name

    def sql_server(
        self,
        name: str,
        subnet_group: str,
        *,
        az: str = "a",
        engine: str = "sqlserver-se",
        version: str = "15.00.4345.5.v1",
    ) -> str:
        """A SQL Server DB instance whose native backup is set up right (own role and group)."""
        role = self.native_backup_role(f"{name}-native-backup")
        group = self.backup_option_group(f"{name}-native-backup", engine, version[:5], role)
        return self.db(name, engine, version, subnet_group, az=az, option_group=group)

    # --- RDS -----------------------------------------------------------------------------------

    def db_subnet_group(self, name: str, subnets: list[str]) -> str:
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets
        )
        return name

    def db(
        self,
        name: str,
        engine: str,
        version: str,
        subnet_group: str,
        *,
        az: str = "a",
        storage_gib: int = 50,
        security_groups: list[str] | None = None,
        option_group: str | None = None,
        kms_key: str | None = None,
    ) -> str:
        extra: dict[str, Any] = {"VpcSecurityGroupIds": security_groups} if security_groups else {}
        if kms_key:
            extra.update(StorageEncrypted=True, KmsKeyId=kms_key)
        if option_group:
            extra["OptionGroupName"] = option_group
        self.rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.m5.large",
            Engine=engine,
            EngineVersion=version,
            AllocatedStorage=storage_gib,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
            DBSubnetGroupName=subnet_group,
            AvailabilityZone=self.az(az),
            **extra,
        )
        return name


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}
