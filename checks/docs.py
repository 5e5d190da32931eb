"""The documentation pages checks enforce (REQUIREMENTS.md's sources), shown in every report
beside the findings of the check that cites them (STYLE.md lesson 7)."""

from __future__ import annotations

from dataclasses import dataclass

VEEAM = "https://helpcenter.veeam.com/docs/vbaws/guide/{}.html"


@dataclass(frozen=True)
class Source:
    """One page a check rests on: its title as the page names itself, and its address."""

    title: str
    url: str

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


def _veeam(title: str, page: str) -> Source:
    return Source(f"Veeam Backup for AWS: {title}", VEEAM.format(page))


def _aws(title: str, url: str) -> Source:
    return Source(f"AWS: {title}", url)


V_LIMITATIONS = _veeam("Considerations and Limitations", "limitations")
V_OVERVIEW_RDS = _veeam("RDS Backup (supported engines)", "overview_rds")
V_TARGET_SETTINGS_RDS = _veeam(
    "RDS backup policy, Targets step", "add_policy_target_settings_backups_rds"
)
V_WORKER_NETWORK = _veeam("Worker network settings", "worker_configuration_network_prod")
V_CREATE_ENDPOINTS_PROD = _veeam(
    "Creating interface endpoints for production workers", "create_interface_endpoints_prod"
)
V_WORKERS_LOCATION = _veeam("Worker instances location", "workers_location")
V_CONFIGURE_ENDPOINTS = _veeam("Configuring VPC endpoints (Appendix C)", "configure_endpoints")
V_PRIVATE_NETWORKS = _veeam("Configuring private networks", "configuring_private_networks")
V_ENABLE_PRIVATE = _veeam(
    "Enabling private network deployment", "enable_private_network_deployment"
)
V_WORKERS_PRIVATE = _veeam("Worker instances in private networks", "worker_instances_in_private")
V_REPO_S3_ENDPOINT = _veeam("Repository S3 endpoint settings", "repositories_add_s3endpoint")
V_BACKUP_HIW_RDS = _veeam("How RDS backup works", "backup_hiw_rds")
V_SYSTEM_REQUIREMENTS = _veeam(
    "System requirements: AWS services", "system_requirements_aws_services"
)
V_BACKUP_ROLE = _veeam("RDS Backup IAM role permissions", "role_permissions_backup_rds")
V_WORKER_ROLE = _veeam("Production worker IAM role permissions", "role_permissions_prod_acc")
V_APPLIANCE_ROLES = _veeam("IAM roles for the backup appliance (Impersonation role)", "byb_roles")
V_REPOSITORY_LIMITATIONS = _veeam(
    "Adding backup repositories: limitations and considerations", "repository_add_limitations"
)
V_REPOSITORY_ENCRYPTION = _veeam("Repository encryption settings", "repositories_add_encryption")
V_REPOSITORY_ROLE = _veeam("Repository IAM role permissions", "role_permissions_repo")
V_ARCHIVING_RDS = _veeam("Archiving RDS backups", "backup_archiving_rds")
V_SG_WORKERS = _veeam("Security groups for worker instances", "seciruty_groups_workers")

A_SNAPSHOT = _aws(
    "Creating a DB snapshot",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateSnapshot.html",
)
A_DB_STATUS = _aws(
    "Viewing Amazon RDS DB instance status",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html",
)
A_VPC_DNS = _aws(
    "DNS attributes for your VPC", "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html"
)
A_ROUTE_TABLES = _aws(
    "Route tables", "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html"
)
A_IGW = _aws(
    "Internet gateways",
    "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html",
)
A_GATEWAY_ENDPOINTS = _aws(
    "Gateway endpoints",
    "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html",
)
A_NACL = _aws(
    "Network ACLs", "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html"
)
A_VPC_QUOTAS = _aws(
    "Amazon VPC quotas",
    "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
)
A_RDS_QUOTAS = _aws(
    "Quotas for Amazon RDS",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html",
)
A_PRIVATE_DNS = _aws(
    "Access an AWS service using an interface VPC endpoint (private DNS)",
    "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html",
)
A_SQL_OPTION = _aws(
    "Support for native backup and restore in SQL Server",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
    "Appendix.SQLServer.Options.BackupRestore.html",
)
A_SQL_NATIVE = _aws(
    "Setting up for native backup and restore (SQL Server)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
    "SQLServer.Procedural.Importing.Native.Enabling.html",
)
A_POLICY_EVALUATION = _aws(
    "IAM policy evaluation logic",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
)
A_BPA = _aws(
    "VpcBlockPublicAccessOptions (EC2 API Reference)",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcBlockPublicAccessOptions.html",
)
A_BPA_GUIDE = _aws(
    "Block public access to VPCs and subnets",
    "https://docs.aws.amazon.com/vpc/latest/userguide/security-vpc-bpa.html",
)
A_ALLOWED_AMIS = _aws(
    "EnableAllowedImagesSettings (EC2 API Reference)",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableAllowedImagesSettings.html",
)
A_EBS_DEFAULT_KEY = _aws(
    "ModifyEbsDefaultKmsKeyId (EC2 API Reference)",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html",
)
A_RDS_ENCRYPTION = _aws(
    "Encrypting Amazon RDS resources",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",
)
A_ACCOUNT_QUOTA = _aws(
    "AccountQuota (RDS API Reference)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AccountQuota.html",
)
A_EC2_ERRORS = _aws(
    "Error codes for the Amazon EC2 API",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html",
)
A_KMS_KEY_POLICY = _aws(
    "Key policies in AWS KMS",
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
)
A_S3_OBJECT_LOCK = _aws(
    "Locking objects with Object Lock",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
)
A_AWS_PREFIX_LISTS = _aws(
    "AWS-managed prefix lists",
    "https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html",
)
