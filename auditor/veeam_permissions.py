"""The IAM actions Veeam Backup for AWS documents for its roles — data only, so that a new Veeam
release is one diff. Source: Veeam Backup for AWS v10 (build 10.0.0.232) User Guide, "RDS Backup
IAM Role Permissions" (role_permissions_backup_rds) and "Production Worker IAM Role Permissions"
(role_permissions_prod_acc); REQUIREMENTS.md §2.1 and §2.2. Veeam grants them on `Resource: *`.
"""

VEEAM_VERSION = "Veeam Backup for AWS v10 (10.0.0.232)"
BACKUP_ROLE_PAGE = "https://helpcenter.veeam.com/docs/vbaws/guide/role_permissions_backup_rds.html"
WORKER_ROLE_PAGE = "https://helpcenter.veeam.com/docs/vbaws/guide/role_permissions_prod_acc.html"

BACKUP_BASE = (
    "ec2:DescribeRegions", "ec2:DescribeAvailabilityZones", "ec2:DescribeVpcs",
    "events:DescribeRule", "events:PutRule", "events:PutTargets", "events:DeleteRule",
    "events:RemoveTargets", "events:ListTargetsByRule",
    "iam:GetContextKeysForPrincipalPolicy", "iam:SimulatePrincipalPolicy", "iam:ListAccountAliases",
    "kms:DescribeKey", "kms:CreateGrant", "kms:GetKeyPolicy", "kms:ListKeys", "kms:ListAliases",
    "rds:AddTagsToResource", "rds:ListTagsForResource", "rds:DescribeDBSnapshots",
    "rds:CreateDBSnapshot", "rds:DescribeDBInstances", "rds:DeleteDBSnapshot",
    "rds:ModifyDBSnapshotAttribute", "rds:RemoveTagsFromResource", "rds:CopyDBSnapshot",
    "rds:DescribeDBClusters", "rds:CreateDBClusterSnapshot", "rds:DescribeDBClusterSnapshots",
    "rds:DeleteDBClusterSnapshot", "rds:CopyDBClusterSnapshot",
    "rds:ModifyDBClusterSnapshotAttribute", "rds:DescribeDBSubnetGroups",
    "sns:ListSubscriptionsByTopic", "sns:DeleteTopic", "sns:CreateTopic", "sns:ListTopics",
    "sns:Unsubscribe", "sns:SetTopicAttributes", "sns:Subscribe",
    "sqs:DeleteQueue", "sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:DeleteMessage",
    "sqs:ListQueues", "sqs:ReceiveMessage",
)  # fmt: skip

# Image-level backups deploy workers in the production account (roles set in the policy only).
BACKUP_IMAGE_LEVEL = (
    "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:TerminateInstances", "ec2:StartInstances", "ec2:RunInstances", "ec2:CreateKeyPair",
    "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DeleteKeyPair", "ec2:DeleteSecurityGroup",
    "ec2:DescribeAccountAttributes", "ec2:DescribeImages", "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute", "ec2:DescribeInternetGateways", "ec2:DescribeKeyPairs",
    "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
    "ec2:DescribeVpcEndpoints", "ec2:ModifyInstanceAttribute", "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "iam:GetInstanceProfile", "iam:GetRole", "iam:ListInstanceProfilesForRole", "iam:PassRole",
    "rds:DescribeOptionGroups", "rds:ModifyDBInstance",
    "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteObject", "s3:GetObject",
    "s3:ListAllMyBuckets", "s3:ListBucket", "s3:PutBucketPolicy",
    "servicequotas:ListServiceQuotas",  # Veeam writes it in lower case; actions are case-blind
    "ssm:GetCommandInvocation", "ssm:GetParameter", "ssm:SendCommand",
    "sqs:SendMessage",
)  # fmt: skip

BACKUP_ROLE = BACKUP_BASE + BACKUP_IMAGE_LEVEL

WORKER_ROLE = (
    "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
    "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
    "iam:GetContextKeysForPrincipalPolicy", "iam:GetRole", "iam:ListInstanceProfilesForRole",
    "iam:SimulatePrincipalPolicy",
    "sqs:DeleteMessage", "sqs:ListQueues", "sqs:ReceiveMessage", "sqs:SendMessage",
    "ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters",
    "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
)  # fmt: skip

# The repository role (role_permissions_repo; REQUIREMENTS.md §2.4), by the resource each action
# is asked on: anything, the bucket, the objects under the repository's folder.
REPOSITORY_ANY = (
    "ec2:DescribeRegions", "ec2:DescribeVpcEndpoints", "iam:GetContextKeysForPrincipalPolicy",
    "iam:SimulatePrincipalPolicy", "iam:GetRole", "iam:PassRole", "iam:ListAccountAliases",
    "kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt",
    "s3:ListAllMyBuckets", "s3:CreateJob", "s3:DescribeJob",
)  # fmt: skip
REPOSITORY_BUCKET = (
    "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation", "s3:GetBucketVersioning",
    "s3:GetBucketObjectLockConfiguration",
)  # fmt: skip
REPOSITORY_OBJECTS = (
    "s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:RestoreObject",
    "s3:GetObjectRetention", "s3:PutObjectRetention", "s3:GetObjectVersion",
    "s3:DeleteObjectVersion",
)  # fmt: skip
BATCH_OPERATIONS_SERVICE = "batchoperations.s3.amazonaws.com"

EC2_SERVICE = "ec2.amazonaws.com"
