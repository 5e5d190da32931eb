"""The registered collectors, one module per concern. `collect` runs them by stage."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.collectors.base import ApiCall, Collector
from auditor.collectors.endpoints import EndpointsCollector
from auditor.collectors.guardrails import GuardrailsCollector
from auditor.collectors.iam_roles import IamRolesCollector
from auditor.collectors.instance_types import InstanceTypesCollector
from auditor.collectors.option_groups import OptionGroupsCollector
from auditor.collectors.peering import PeeringCollector, PeerNetworksCollector
from auditor.collectors.rds import DBInstancesCollector
from auditor.collectors.repositories import RepositoriesCollector
from auditor.collectors.routing import PrefixListsCollector, RoutingCollector
from auditor.collectors.security_groups import SecurityGroupsCollector
from auditor.collectors.subnets import SubnetsCollector
from auditor.collectors.veeam_roles import VeeamRolesCollector
from auditor.collectors.vpc import VpcAttributesCollector
from auditor.constants import DB_INSTANCES

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
    VeeamRolesCollector,
    PeeringCollector,
    RepositoriesCollector,
    PeerNetworksCollector,
)
UNIT_COLLECTORS = tuple(c for c in COLLECTORS if c.scope == "unit")

# Calls made outside collectors, by the session itself.
GET_CALLER_IDENTITY = ApiCall("sts", "GetCallerIdentity", "sts:GetCallerIdentity")
SESSION_CALLS: tuple[ApiCall, ...] = (
    GET_CALLER_IDENTITY,
    ApiCall("sts", "AssumeRole", "sts:AssumeRole", flag="--role-arn"),
    ApiCall("organizations", "ListAccounts", "organizations:ListAccounts", flag="--org-role-name"),
    ApiCall("ec2", "DescribeRegions", "ec2:DescribeRegions", flag="--all-regions"),
)
# `preflight veeam-config --init` only: the account's roles, to suggest Veeam's.
LIST_ROLES = ApiCall("iam", "ListRoles", "iam:ListRoles", flag="veeam-config --init")
DISCOVERY_CALLS: tuple[ApiCall, ...] = (LIST_ROLES,)


def declared_calls() -> list[ApiCall]:
    """Every call preflight can send, each with the IAM action it needs."""
    calls = (
        {c for collector in COLLECTORS for c in collector.calls}
        | set(SESSION_CALLS)
        | set(DISCOVERY_CALLS)
    )
    return sorted(calls, key=lambda c: c.key)


def actions_for_parts(parts: Iterable[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The IAM actions whose denial leaves these inventory parts unread: (always sent, by the
    flag that enables the optional ones). Every audit also needs the DB instances listed."""
    wanted = {*parts, DB_INSTANCES}
    calls = [call for c in COLLECTORS if c.name in wanted for call in c.calls]
    always = sorted({c.iam_action for c in calls if c.flag is None})
    optional: dict[str, set[str]] = {}
    for c in calls:
        if c.flag is not None:
            optional.setdefault(c.flag, set()).add(c.iam_action)
    return always, {flag: sorted(actions) for flag, actions in sorted(optional.items())}
