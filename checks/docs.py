"""The documentation pages checks enforce (REQUIREMENTS.md's sources), shown as plain text."""

VEEAM = "https://helpcenter.veeam.com/docs/vbaws/guide/{}.html"

V_LIMITATIONS = VEEAM.format("limitations")
V_OVERVIEW_RDS = VEEAM.format("overview_rds")
V_TARGET_SETTINGS_RDS = VEEAM.format("add_policy_target_settings_backups_rds")
V_WORKER_NETWORK = VEEAM.format("worker_configuration_network_prod")
V_CREATE_ENDPOINTS_PROD = VEEAM.format("create_interface_endpoints_prod")

A_SNAPSHOT = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateSnapshot.html"
A_DB_STATUS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html"
A_VPC_DNS = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html"
V_WORKERS_LOCATION = VEEAM.format("workers_location")
V_CONFIGURE_ENDPOINTS = VEEAM.format("configure_endpoints")
V_PRIVATE_NETWORKS = VEEAM.format("configuring_private_networks")
V_ENABLE_PRIVATE = VEEAM.format("enable_private_network_deployment")
V_WORKERS_PRIVATE = VEEAM.format("worker_instances_in_private")
V_REPO_S3_ENDPOINT = VEEAM.format("repositories_add_s3endpoint")
V_BACKUP_HIW_RDS = VEEAM.format("backup_hiw_rds")
V_SG_WORKERS = VEEAM.format("seciruty_groups_workers")

A_ROUTE_TABLES = "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html"
A_IGW = "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html"
A_GATEWAY_ENDPOINTS = "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html"
A_NACL = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html"
A_VPC_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
A_RDS_QUOTAS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html"
A_PRIVATE_DNS = (
    "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html"
)
A_SQL_OPTION = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
    "Appendix.SQLServer.Options.BackupRestore.html"
)
A_SQL_NATIVE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
    "SQLServer.Procedural.Importing.Native.Enabling.html"
)
A_POLICY_EVALUATION = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
)
A_BPA = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcBlockPublicAccessOptions.html"
)
A_ALLOWED_AMIS = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableAllowedImagesSettings.html"
)
A_EBS_DEFAULT_KEY = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html"
)
A_RDS_ENCRYPTION = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html"
A_ACCOUNT_QUOTA = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AccountQuota.html"
A_EC2_ERRORS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html"
