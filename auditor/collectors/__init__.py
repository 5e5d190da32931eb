"""The registered collectors, one module per concern. `collect` runs them by stage."""

from __future__ import annotations

from auditor.collectors.base import ApiCall, Collector
from auditor.collectors.endpoints import EndpointsCollector
from auditor.collectors.guardrails import GuardrailsCollector
from auditor.collectors.iam_roles import IamRolesCollector
from auditor.collectors.instance_types import InstanceTypesCollector
from auditor.collectors.option_groups import OptionGroupsCollector
from auditor.collectors.rds import DBInstancesCollector
from auditor.collectors.routing import PrefixListsCollector, RoutingCollector
from auditor.collectors.security_groups import SecurityGroupsCollector
from auditor.collectors.subnets import SubnetsCollector
from auditor.collectors.vpc import VpcAttributesCollector

COLLECTORS: tuple[type[Collector], ...] = (
    DBInstancesCollector,
    VpcAttributesCollector,
    SubnetsCollector,
    RoutingCollector,
    EndpointsCollector,
    SecurityGroupsCollector,
    InstanceTypesCollector,
    OptionGroupsCollector,
    PrefixListsCollector,
    IamRolesCollector,
    GuardrailsCollector,
)

# Calls made outside collectors, by the session itself.
GET_CALLER_IDENTITY = ApiCall("sts", "GetCallerIdentity", "sts:GetCallerIdentity")
SESSION_CALLS: tuple[ApiCall, ...] = (
    GET_CALLER_IDENTITY,
    ApiCall("sts", "AssumeRole", "sts:AssumeRole", flag="--role-arn"),
    ApiCall("organizations", "ListAccounts", "organizations:ListAccounts", flag="--org-role-name"),
    ApiCall("ec2", "DescribeRegions", "ec2:DescribeRegions", flag="--all-regions"),
)


def declared_calls() -> list[ApiCall]:
    """Every call preflight can send, each with the IAM action it needs."""
    calls = {c for collector in COLLECTORS for c in collector.calls} | set(SESSION_CALLS)
    return sorted(calls, key=lambda c: c.key)
