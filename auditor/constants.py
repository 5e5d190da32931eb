"""Data shared by collectors and checks, and nothing else: no imports, no behaviour.

Checks never import collectors (tests/test_boundaries.py); what both sides must agree on lives
here: the names of the inventory parts (a collector fills one, a check declares which it reads),
quota codes, and the sentinel values collectors write for facts.
"""

# The inventory parts, by the name of the collector that fills each (Check.reads names them).
DB_INSTANCES = "rds.db_instances"
VPC_ATTRIBUTES = "ec2.vpc_attributes"
SUBNETS = "ec2.subnets"
ROUTING = "ec2.routing"
VPC_ENDPOINTS = "ec2.vpc_endpoints"
SECURITY_GROUPS = "ec2.security_groups"
INSTANCE_TYPE_OFFERINGS = "ec2.instance_type_offerings"
OPTION_GROUPS = "rds.option_groups"
PREFIX_LISTS = "ec2.prefix_lists"
IAM_ROLES = "iam.roles"
GUARDRAILS = "account.guardrails"
VEEAM_ROLES = "iam.veeam_roles"  # with --veeam-config
REPOSITORIES = "s3.repositories"  # with --veeam-config: buckets, keys, repository roles
PEERINGS = "ec2.vpc_peerings"  # the target VPCs' peering connections
PEER_NETWORKS = "ec2.peer_networks"  # peered VPCs' S3 interface endpoints, routes, groups

INVENTORY_PARTS: frozenset[str] = frozenset(
    {
        DB_INSTANCES,
        VPC_ATTRIBUTES,
        SUBNETS,
        ROUTING,
        VPC_ENDPOINTS,
        SECURITY_GROUPS,
        INSTANCE_TYPE_OFFERINGS,
        OPTION_GROUPS,
        PREFIX_LISTS,
        IAM_ROLES,
        GUARDRAILS,
        VEEAM_ROLES,
        REPOSITORIES,
        PEERINGS,
        PEER_NETWORKS,
    }
)

# A region answered UnsupportedOperation: the feature is absent there (a fact, not a gap).
UNSUPPORTED = "unsupported"
UNSUPPORTED_TEXT = "not available (UnsupportedOperation)"  # how reports say it

# VPC quotas on security groups, as keys of RegionInventory.quotas ("<service>/<quota code>").
SG_PER_INTERFACE = "vpc/L-2AFB9258"
SG_PER_REGION = "vpc/L-E79EC296"
# With fewer groups on every target, the per-interface quota does not matter (and is not read).
DB_SECURITY_GROUPS_BEFORE_QUOTA = 5

# The instance types Veeam launches workers as (REQUIREMENTS.md §4).
WORKER_TYPES = ("c5.large", "c5.xlarge")
