"""A small, clearly labelled extension of moto for the demo and the tests — never used against
real AWS.

moto 5.2.5 does not implement the read-only calls behind the guardrail checks
(DescribeVpcBlockPublicAccessOptions/Exclusions, GetAllowedImagesSettings,
GetEbsDefaultKmsKeyId, RDS DescribeAccountAttributes) nor the `ec2`/`rds` quota codes, and
cannot list option groups (DescribeOptionGroups without a name). Against
plain moto they fail, which preflight rightly reports as unknown. This module teaches moto to
answer them as an untouched AWS account does, and lets a scenario set other answers with
`configure`. moto's response classes dispatch on the action name, and its ActionResult
serialises the answer from botocore's service model, so the wire format is AWS's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ANY = "*"


@dataclass(frozen=True)
class Answers:
    """What the account says, per region ("*": every region)."""

    block_public_access: str = "off"  # off | block-bidirectional | block-ingress
    bpa_exclusions: tuple[dict[str, str], ...] = ()
    allowed_images: str = "disabled"  # disabled | enabled | audit-mode
    image_criteria: tuple[dict[str, Any], ...] = ()
    ebs_default_kms_key: str = "alias/aws/ebs"
    manual_snapshots_max: int = 100
    manual_snapshots_used: int | None = None  # None: moto's own count of manual snapshots
    unsupported: tuple[
        str, ...
    ] = ()  # actions answering UnsupportedOperation (a region without them)
    quotas: dict[str, float] = field(
        default_factory=lambda: {"ec2/L-1216C47A": 5.0, "rds/L-272F1212": 100.0}
    )


_ANSWERS: dict[str, Answers] = {}
# AWS RAM subnet shares, which moto 5.2.5 does not apply to EC2: (participant account, region)
# -> {subnet id: owner account}.
_SHARES: dict[tuple[str, str], dict[str, str]] = {}
_installed = False


def configure(region: str = ANY, **changes: Any) -> None:
    """Set non-default answers for one region (or every region)."""
    _ANSWERS[region] = replace(_ANSWERS.get(region, _ANSWERS.get(ANY, Answers())), **changes)


def reset() -> None:
    _ANSWERS.clear()
    _SHARES.clear()


def share_subnets(owner: str, participant: str, region: str, subnet_ids: list[str]) -> None:
    """Share ``owner``'s subnets with ``participant`` as AWS RAM does for a shared VPC: the
    participant sees those subnets (OwnerId: the owner) and their VPC, and can launch into them
    (an RDS DB subnet group); the route tables, gateways, endpoints and network ACLs stay the
    owner's, invisible to the participant."""
    _SHARES.setdefault((participant, region), {}).update(dict.fromkeys(subnet_ids, owner))


def answers(region: str) -> Answers:
    return _ANSWERS.get(region) or _ANSWERS.get(ANY) or Answers()


def install() -> None:
    """Teach moto the calls (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses import EC2Response

    def supported(region: str, action: str) -> None:
        if action in answers(region).unsupported:
            raise EC2ClientError(
                "UnsupportedOperation",
                "The functionality you requested is not available in this region.",
            )

    from moto.rds.responses import RDSResponse
    from moto.servicequotas.models import ServiceQuotasBackend

    def bpa_options(self: Any) -> Any:
        supported(self.region, "DescribeVpcBlockPublicAccessOptions")
        a = answers(self.region)
        return ActionResult(
            {
                "VpcBlockPublicAccessOptions": {
                    "AwsAccountId": self.current_account,
                    "AwsRegion": self.region,
                    "State": "default-state"
                    if a.block_public_access == "off"
                    else "update-complete",
                    "InternetGatewayBlockMode": a.block_public_access,
                    "ExclusionsAllowed": "allowed",
                }
            }
        )

    def bpa_exclusions(self: Any) -> Any:
        supported(self.region, "DescribeVpcBlockPublicAccessExclusions")
        return ActionResult(
            {"VpcBlockPublicAccessExclusions": list(answers(self.region).bpa_exclusions)}
        )

    def allowed_images(self: Any) -> Any:
        supported(self.region, "GetAllowedImagesSettings")
        a = answers(self.region)
        return ActionResult(
            {
                "State": a.allowed_images,
                "ImageCriteria": list(a.image_criteria),
                "ManagedBy": "account",
            }
        )

    def ebs_default_key(self: Any) -> Any:
        return ActionResult({"KmsKeyId": answers(self.region).ebs_default_kms_key})

    def account_attributes(self: Any) -> Any:
        a = answers(self.region)
        used = a.manual_snapshots_used
        if used is None:
            snapshots = self.backend.describe_db_snapshots(None, None, None)
            used = sum(1 for s in snapshots if getattr(s, "snapshot_type", "manual") == "manual")
        return ActionResult(
            {
                "AccountQuotas": [
                    {
                        "AccountQuotaName": "ManualSnapshots",
                        "Used": used,
                        "Max": a.manual_snapshots_max,
                    }
                ]
            }
        )

    for cls, name, handler in (
        (EC2Response, "describe_vpc_block_public_access_options", bpa_options),
        (EC2Response, "describe_vpc_block_public_access_exclusions", bpa_exclusions),
        (EC2Response, "get_allowed_images_settings", allowed_images),
        (EC2Response, "get_ebs_default_kms_key_id", ebs_default_key),
        (RDSResponse, "describe_account_attributes", account_attributes),
    ):
        setattr(cls, name, handler)

    original = ServiceQuotasBackend.get_service_quota

    def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        value = answers(self.region_name).quotas.get(f"{service_code}/{quota_code}")
        if value is None:
            return original(self, service_code, quota_code)
        return {
            "ServiceCode": service_code,
            "QuotaCode": quota_code,
            "QuotaArn": f"arn:aws:servicequotas:{self.region_name}::{service_code}/{quota_code}",
            "Value": value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }

    setattr(ServiceQuotasBackend, "get_service_quota", get_service_quota)  # noqa: B010
    _install_shares()
    _install_method_names()
    _index_access_keys()
    _install_option_group_listing()
    _installed = True


def _install_option_group_listing() -> None:
    """DescribeOptionGroups without OptionGroupName lists the region's option groups (of one
    engine with EngineName), and a filter that matches none answers an empty list, as RDS
    does; moto 5.2.5 raises KeyError without a name (a 500) and OptionGroupNotFound for an
    empty match. A name that does not exist is still OptionGroupNotFound."""
    from moto.rds.exceptions import OptionGroupNotFoundFaultError
    from moto.rds.models import RDSBackend

    original = RDSBackend.describe_option_groups

    def describe_option_groups(self: Any, option_group_kwargs: dict[str, Any]) -> Any:
        if option_group_kwargs.get("option_group_name"):
            return original(self, option_group_kwargs)
        try:
            return original(self, {**option_group_kwargs, "option_group_name": None})
        except OptionGroupNotFoundFaultError:  # none matched the filter
            return []

    setattr(RDSBackend, "describe_option_groups", describe_option_groups)  # noqa: B010


def _index_access_keys() -> None:
    """moto finds the account a request's access key belongs to by scanning every account's
    IAM backend, in every partition, on every request: a moto server holding a thousand
    accounts spent most of its time there (benchmarks/accounts.py), which no real endpoint does.
    The account found is remembered per key and checked again, with moto's own test, before it
    is used; a key not remembered, or no longer in that account, is looked up moto's way."""
    import moto.iam.models as iam
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.utilities.utils import PARTITION_NAMES

    scan = iam.get_account_id_from
    found: dict[str, str] = {}

    def get_account_id_from(access_key: str) -> str:
        account = found.get(access_key)
        if account is not None and account in iam.iam_backends:
            backends = iam.iam_backends[account]
            if any(access_key in backends[p].access_keys for p in PARTITION_NAMES):
                return account
        account = scan(access_key)
        if account != DEFAULT_ACCOUNT_ID:
            found[access_key] = account
        return account

    iam.get_account_id_from = get_account_id_from


def _install_method_names() -> None:
    """moto lists a response class's methods with `inspect.getmembers` on every request, only
    to ask whether the action's method is among them (a twentieth of the test suite's time).
    The same question, asked of the one name: is it a function on the class now."""
    import inspect

    import moto.core.responses as responses

    class Methods:
        def __init__(self, clazz: Any) -> None:
            self.clazz = clazz

        def __contains__(self, name: object) -> bool:
            return isinstance(name, str) and inspect.isfunction(getattr(self.clazz, name, None))

    setattr(responses, "method_names_from_class", Methods)  # noqa: B010


def _install_shares() -> None:
    """Subnet and VPC lookups that see what RAM shares with the calling account."""
    from moto.ec2.exceptions import InvalidSubnetIdError, InvalidVPCIdError
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.vpcs import VPCBackend

    get_subnet, describe_subnets = SubnetBackend.get_subnet, SubnetBackend.describe_subnets
    get_vpc, describe_vpcs = VPCBackend.get_vpc, VPCBackend.describe_vpcs

    def shares(backend: Any) -> dict[str, str]:
        return _SHARES.get((backend.account_id, backend.region_name), {})

    def shared_subnets(backend: Any, filters: Any = None) -> list[Any]:
        by_owner: dict[str, list[str]] = {}
        for subnet_id, owner in shares(backend).items():
            by_owner.setdefault(owner, []).append(subnet_id)
        return [
            s
            for owner, ids in sorted(by_owner.items())
            for s in describe_subnets(ec2_backends[owner][backend.region_name], ids, filters)
        ]

    def shared_vpcs(backend: Any) -> dict[str, Any]:
        return {s.vpc_id: s.ec2_backend.get_vpc(s.vpc_id) for s in shared_subnets(backend)}

    def get_shared_subnet(self: Any, subnet_id: str) -> Any:
        try:
            return get_subnet(self, subnet_id)
        except InvalidSubnetIdError:
            owner = shares(self).get(subnet_id)
            if owner is None:
                raise
            return get_subnet(ec2_backends[owner][self.region_name], subnet_id)

    def describe_shared_subnets(
        self: Any, subnet_ids: list[str] | None = None, filters: Any = None
    ) -> list[Any]:
        if not shares(self):
            return describe_subnets(self, subnet_ids, filters)
        found = describe_subnets(self, None, filters) + shared_subnets(self, filters)
        if subnet_ids:
            found = [s for s in found if s.id in subnet_ids]
            missing = set(subnet_ids) - {s.id for s in found}
            if missing:
                raise InvalidSubnetIdError(sorted(missing)[0])
        return found

    def get_shared_vpc(self: Any, vpc_id: str) -> Any:
        try:
            return get_vpc(self, vpc_id)
        except InvalidVPCIdError:
            vpc = shared_vpcs(self).get(vpc_id)
            if vpc is None:
                raise
            return vpc

    def describe_shared_vpcs(
        self: Any, vpc_ids: list[str] | None = None, filters: Any = None
    ) -> list[Any]:
        if not shares(self):
            return describe_vpcs(self, vpc_ids, filters)
        from moto.ec2.utils import generic_filter

        extra = list(shared_vpcs(self).values())
        found = describe_vpcs(self, None, filters) + (
            generic_filter(filters, extra) if filters else extra
        )
        if vpc_ids:
            found = [v for v in found if v.id in vpc_ids]
            if len(found) < len(set(vpc_ids)):
                raise InvalidVPCIdError(sorted(set(vpc_ids) - {v.id for v in found}))
        return found

    SubnetBackend.get_subnet = get_shared_subnet  # type: ignore[method-assign]
    SubnetBackend.describe_subnets = describe_shared_subnets  # type: ignore[method-assign]
    VPCBackend.get_vpc = get_shared_vpc  # type: ignore[method-assign]
    VPCBackend.describe_vpcs = describe_shared_vpcs  # type: ignore[method-assign]
