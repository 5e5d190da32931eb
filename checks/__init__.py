"""Built-in checks, one per module named for its id (`route.internet`: `checks/route_internet.py`);
helpers that more than one check uses live in `checks/support/`. Third-party checks register through
the entry-point group `preflight.checks`; built-ins are loaded from this list (none of them is an
entry point), so an installed and an uninstalled checkout load the same checks.
"""

from __future__ import annotations

from checks.base import Check
from checks.ec2_allowed_amis import AllowedAmis
from checks.ec2_ebs_default_encryption import EbsDefaultEncryption
from checks.ec2_security_group_headroom import SecurityGroupHeadroom
from checks.ec2_worker_capacity import WorkerCapacity
from checks.ec2_worker_instance_type import WorkerInstanceType
from checks.ec2_worker_security_group import WorkerSecurityGroup
from checks.endpoints_interface import InterfaceEndpoints
from checks.endpoints_s3 import S3Endpoint
from checks.iam_backup_role_permissions import BackupRolePermissions
from checks.iam_backup_role_trust import BackupRoleTrust
from checks.iam_organization_roles import OrganizationRoles
from checks.iam_repository_role import RepositoryRole
from checks.iam_sqlserver_role_s3 import RoleS3Permissions
from checks.iam_sqlserver_role_trust import RoleTrust
from checks.iam_worker_role import WorkerRole
from checks.kms_repository_key import RepositoryKey
from checks.rds_engine_supported import EngineSupported
from checks.rds_kms_key import DbKmsKey
from checks.rds_postgres_ca_download import PostgresCaDownload
from checks.rds_snapshot_quota import SnapshotQuota
from checks.rds_sqlserver_backup_restore import BackupRestoreOption
from checks.route_internet import InternetRoute
from checks.s3_public_endpoint import S3PublicEndpoint
from checks.s3_repository import S3Repository
from checks.subnet_db_port_nacl import DbPortNacl
from checks.subnet_nacl import SubnetNacl
from checks.subnet_public_ip import PublicIpSubnet
from checks.subnet_worker_candidate import WorkerCandidateSubnet
from checks.veeam_archive import VeeamArchive
from checks.vpc_block_public_access import BlockPublicAccess
from checks.vpc_dns_hostnames import DnsHostnames
from checks.vpc_dns_support import DnsSupport
from checks.vpc_internet_gateway import InternetGatewayAttached

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
    PostgresCaDownload,
    SubnetNacl,
    DbPortNacl,
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
    BackupRoleTrust,
    BackupRolePermissions,
    WorkerRole,
    OrganizationRoles,
    S3Repository,
    RepositoryKey,
    RepositoryRole,
    VeeamArchive,
)


def module_for(check_id: str) -> str:
    """The module a built-in check lives in: its id with '.' and '-' as '_'."""
    return "checks." + check_id.replace(".", "_").replace("-", "_")


__all__ = ["BUILTIN_CHECKS", "Check", "module_for"]
