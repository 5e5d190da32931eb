"""iam.organization-roles (with --veeam-config, option "organization"): the backup role name and
the worker role name exist in every audited account that holds a selected target, and the worker
network given by tag (`worker_network_tag`) exists there: a tagged subnet in the DB instance's VPC
and Availability Zone and a tagged security group in that VPC. The tagged subnets and groups are
that (account, region)'s worker configuration (auditor/veeam_network.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor import constants as parts
from auditor.model import Finding, Status
from auditor.veeam_network import tag_of
from checks import docs
from checks.base import Check, CheckContext
from checks.docs import Source
from checks.support.iam_gaps import iam_error
from checks.support.veeam_roles import target_partition


class OrganizationRoles(Check):
    id: ClassVar[str] = "iam.organization-roles"
    title: ClassVar[str] = (
        "Organization option: Veeam's roles and tagged worker network per account"
    )
    path_hop: ClassVar[str] = "veeam"
    reads: ClassVar[tuple[str, ...]] = (parts.VEEAM_ROLES, parts.SUBNETS, parts.SECURITY_GROUPS)
    docs: ClassVar[tuple[Source, ...]] = (docs.V_TARGET_SETTINGS_RDS, docs.V_WORKER_NETWORK)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        policy = ctx.policy
        if policy is None or policy.option != "organization":
            return
        account, partition = ctx.region.account_id, target_partition(ctx)
        arns = dict.fromkeys(
            (policy.backup_role_arn(account, partition), policy.worker_role_arn(account, partition))
        )
        missing: list[str] = []
        for arn in arns:
            role = ctx.region.roles.get(arn)
            if role is None or (role.exists and role.unreadable):
                yield ctx.unknown(f"role {arn}", iam_error(ctx, arn), resource_id=arn)
                return
            if not role.exists:
                missing.append(arn.rsplit("/", 1)[-1])
        if missing:
            yield ctx.finding(
                Status.FAIL,
                f"Veeam policy {policy.name!r} uses the Organization option, but account {account} "
                f"has no role named {' or '.join(missing)}: Veeam needs the same role names in "
                "every account it backs up",
                resource_id=account,
                remediation=f"create {', '.join(missing)} in account {account} as in the other "
                "accounts (a StackSet deploying Veeam's roles does this for every account)",
                evidence={"policy": policy.name, "missing_roles": missing},
            )
            return
        tag = tag_of(ctx.veeam, ctx.db, ctx.region)
        if tag is None:
            yield ctx.finding(
                Status.PASS,
                f"roles {' and '.join(a.rsplit('/', 1)[-1] for a in arns)} exist in account "
                f"{account}",
                resource_id=account,
            )
            return
        yield self.tagged_network(ctx, tag, list(arns))

    @staticmethod
    def tagged_network(ctx: CheckContext, tag: tuple[str, str], arns: list[str]) -> Finding:
        db, unit = ctx.db, ctx.region
        key, value = tag
        shown = f"{key}={value}"
        if (missing := ctx.located()) is not None:
            return missing
        if unit.subnets is None:
            return ctx.unknown(f"the subnets tagged {shown}", unit.error_for("DescribeSubnets"))
        if unit.security_groups is None:
            error = unit.error_for("DescribeSecurityGroups")
            return ctx.unknown(f"the security groups tagged {shown}", error)
        subnets = [
            s.subnet_id
            for s in unit.subnets
            if s.vpc_id == db.vpc_id
            and s.availability_zone == db.availability_zone
            and s.tags.get(key) == value
        ]
        groups = [
            g.group_id
            for g in unit.security_groups
            if g.vpc_id == db.vpc_id and g.tags.get(key) == value
        ]
        problems = []
        if not subnets:
            problems.append(f"no subnet tagged {shown} in {db.vpc_id} ({db.availability_zone})")
        if not groups:
            problems.append(f"no security group tagged {shown} in {db.vpc_id}")
        if problems:
            return ctx.finding(
                Status.FAIL,
                "Veeam's Organization option finds the worker network by tag: "
                + "; ".join(problems),
                resource_id=db.vpc_id,
                remediation=(
                    f"aws ec2 create-tags --resources <a subnet in {db.availability_zone}> "
                    f"<a security group of {db.vpc_id}> --tags Key={key},Value={value}"
                ),
                evidence={"tag": shown},
            )
        return ctx.finding(
            Status.PASS,
            f"roles {' and '.join(a.rsplit('/', 1)[-1] for a in arns)} exist in account "
            f"{unit.account_id}; worker network tagged {shown}: {', '.join(subnets)}, "
            f"{', '.join(groups)}",
            resource_id=db.vpc_id,
            evidence={"tag": shown, "worker_subnets": subnets, "worker_security_groups": groups},
        )
