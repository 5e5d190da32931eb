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
