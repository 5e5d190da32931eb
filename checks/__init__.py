"""Built-in checks. Third-party checks register through the entry-point group preflight.checks."""

from __future__ import annotations

from checks.base import Check
from checks.guardrails import (
    AllowedAmis,
    BlockPublicAccess,
    DbKmsKey,
    EbsDefaultEncryption,
    SnapshotQuota,
    WorkerCapacity,
)
from checks.iam_role import RoleS3Permissions, RoleTrust
from checks.instance_type import WorkerInstanceType
from checks.internet_gateway import InternetGatewayAttached
from checks.internet_routes import InternetRoute
from checks.nacl import SubnetNacl
from checks.private_endpoints import InterfaceEndpoints
from checks.rds_engine import EngineSupported
from checks.s3_access import S3Endpoint, S3PublicEndpoint
from checks.security_groups import SecurityGroupHeadroom, WorkerSecurityGroup
from checks.sqlserver_option import BackupRestoreOption
from checks.vpc_dns import DnsHostnames, DnsSupport
from checks.worker_subnets import PublicIpSubnet, WorkerCandidateSubnet

BUILTIN_CHECKS: tuple[type[Check], ...] = (
    EngineSupported,
    DnsSupport,
    DnsHostnames,
    InternetGatewayAttached,
    PublicIpSubnet,
    WorkerCandidateSubnet,
    InternetRoute,
    InterfaceEndpoints,
    S3Endpoint,
    S3PublicEndpoint,
    SubnetNacl,
    SecurityGroupHeadroom,
    WorkerSecurityGroup,
    WorkerInstanceType,
    BackupRestoreOption,
    RoleTrust,
    RoleS3Permissions,
    BlockPublicAccess,
    SnapshotQuota,
    WorkerCapacity,
    EbsDefaultEncryption,
    AllowedAmis,
    DbKmsKey,
)

__all__ = ["BUILTIN_CHECKS", "Check"]
