"""Account switches and quotas of a region that defeat an otherwise ready network (FAILURE-MODES
C1, R1, W3, W6, W7, D3): VPC Block Public Access, the manual snapshot quota, standard vCPUs,
EBS encryption by default, Allowed AMIs, and the KMS keys of encrypted DB instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from auditor.collectors.base import MAX_PAGES, Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import Malformed, need, need_list, optional
from auditor.constants import GUARDRAILS, UNSUPPORTED
from auditor.inventory import BpaExclusion, KmsKey

BPA_OPTIONS = ApiCall(
    "ec2", "DescribeVpcBlockPublicAccessOptions", "ec2:DescribeVpcBlockPublicAccessOptions"
)
BPA_EXCLUSIONS = ApiCall(
    "ec2", "DescribeVpcBlockPublicAccessExclusions", "ec2:DescribeVpcBlockPublicAccessExclusions"
)
ACCOUNT_ATTRIBUTES = ApiCall("rds", "DescribeAccountAttributes", "rds:DescribeAccountAttributes")
SNAPSHOTS = ApiCall("rds", "DescribeDBSnapshots", "rds:DescribeDBSnapshots")
QUOTA = ApiCall("service-quotas", "GetServiceQuota", "servicequotas:GetServiceQuota")
EBS_DEFAULT = ApiCall("ec2", "GetEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault")
EBS_KEY = ApiCall("ec2", "GetEbsDefaultKmsKeyId", "ec2:GetEbsDefaultKmsKeyId")
ALLOWED_IMAGES = ApiCall("ec2", "GetAllowedImagesSettings", "ec2:GetAllowedImagesSettings")
INSTANCES = ApiCall("ec2", "DescribeInstances", "ec2:DescribeInstances")
INSTANCE_TYPES = ApiCall("ec2", "DescribeInstanceTypes", "ec2:DescribeInstanceTypes")
DESCRIBE_KEY = ApiCall("kms", "DescribeKey", "kms:DescribeKey")

SNAPSHOT_QUOTA = ("rds", "L-272F1212")
VCPU_QUOTA = ("ec2", "L-1216C47A")
STANDARD_FAMILIES = tuple("acdhimrtz")  # On-Demand Standard: A, C, D, H, I, M, R, T, Z


class GuardrailsCollector(Collector):
    name: ClassVar[str] = GUARDRAILS
    calls: ClassVar[tuple[ApiCall, ...]] = (
        BPA_OPTIONS,
        BPA_EXCLUSIONS,
        ACCOUNT_ATTRIBUTES,
        SNAPSHOTS,
        QUOTA,
        EBS_DEFAULT,
        EBS_KEY,
        ALLOWED_IMAGES,
        INSTANCES,
        INSTANCE_TYPES,
        DESCRIBE_KEY,
    )

    def collect(self, ctx: UnitContext) -> None:
        if not ctx.targets():
            return
        ctx.fan_out(
            lambda step: self.step(step, ctx),
            [
                self.block_public_access,
                self.snapshot_quota,
                self.ebs,
                self.allowed_images,
                self.vcpus,
            ],
        )
        keys = sorted(
            {db.kms_key_id for db in ctx.targets() if db.storage_encrypted and db.kms_key_id}
        )
        ctx.inventory.guardrails.kms_keys.update(ctx.fan_out(lambda k: (k, self.key(ctx, k)), keys))

    def step(self, step: Callable[[UnitContext], None], ctx: UnitContext) -> None:
        """One independent read; an unexpected not-found stays that step's gap alone."""
        try:
            step(ctx)
        except Absent as exc:
            ctx.record_gap(
                exc.call, exc.code, f"unexpected not-found answer: {exc}", exc.resource_id
            )

    def block_public_access(self, ctx: UnitContext) -> None:
        g = ctx.inventory.guardrails
        try:
            options = ctx.call(BPA_OPTIONS)
        except Absent:  # UnsupportedOperation: a region without the feature cannot block
            g.bpa_mode, g.bpa_exclusions = UNSUPPORTED, []
            return
        if options is not None:
            with ctx.parsing(BPA_OPTIONS):  # a missing mode is not "off"
                block = need(options, "VpcBlockPublicAccessOptions", dict)
                g.bpa_mode = need(block, "InternetGatewayBlockMode", str)
        exclusions = self.bpa_exclusion_pages(ctx)
        if exclusions is not None:
            with ctx.parsing(BPA_EXCLUSIONS):
                g.bpa_exclusions = [
                    BpaExclusion(
                        need(e, "ExclusionId", str),
                        need(e, "InternetGatewayExclusionMode", str),
                        need(e, "ResourceArn", str),
                        need(e, "State", str),
                    )
                    for e in exclusions
                ]

    def bpa_exclusion_pages(self, ctx: UnitContext) -> list[dict[str, Any]] | None:
        """Every page (botocore has no paginator for this call); a repeated token or more than
        MAX_PAGES pages is a gap, never a loop."""
        exclusions: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            try:
                page = ctx.call(BPA_EXCLUSIONS, **({"NextToken": token} if token else {}))
            except Absent:
                return exclusions
            if page is None:
                return None
            with ctx.parsing(BPA_EXCLUSIONS):
                exclusions += need_list(page, "VpcBlockPublicAccessExclusions")
                token = optional(page, "NextToken", str)
                if not token:
                    return exclusions
                if token in seen:
                    ctx.record_gap(
                        BPA_EXCLUSIONS, "RepeatedToken", "the same NextToken twice", None
                    )
                    return None
                seen.add(token)
                continue
            return None  # malformed page: recorded
        ctx.record_gap(BPA_EXCLUSIONS, "PageLimit", f"more than {MAX_PAGES} pages: stopped", None)
        return None

    def snapshot_quota(self, ctx: UnitContext) -> None:
        """RDS's own count and quota; else Service Quotas and a count of manual snapshots."""
        g = ctx.inventory.guardrails
        answer = ctx.call(ACCOUNT_ATTRIBUTES)
        quota = next(
            (
                q
                for q in (answer or {}).get("AccountQuotas", [])
                if q.get("AccountQuotaName") == "ManualSnapshots"
            ),
            None,
        )
        if quota is not None:
            g.manual_snapshots_used, g.manual_snapshots_max = (
                int(quota["Used"]),
                float(quota["Max"]),
            )
            return
        limit = self.quota(ctx, *SNAPSHOT_QUOTA)
        snapshots = ctx.paginate(SNAPSHOTS, "DBSnapshots", SnapshotType="manual")
        if limit is not None and snapshots is not None:
            g.manual_snapshots_used, g.manual_snapshots_max = len(snapshots), limit
            with ctx.lock:  # the fallback answered: the first read's failure decides nothing
                ctx.inventory.errors[:] = [
                    e for e in ctx.inventory.errors if e.operation != ACCOUNT_ATTRIBUTES.operation
                ]

    def quota(self, ctx: UnitContext, service: str, code: str) -> float | None:
        try:
            answer = ctx.call(
                QUOTA, resource_id=f"{service}/{code}", ServiceCode=service, QuotaCode=code
            )
        except Absent:
            return None
        return None if answer is None else float(answer["Quota"]["Value"])

    def ebs(self, ctx: UnitContext) -> None:
        g = ctx.inventory.guardrails
        answer = ctx.call(EBS_DEFAULT)
        if answer is None:
            return
        with ctx.parsing(EBS_DEFAULT):  # a missing answer is not "off"
            g.ebs_encryption_by_default = need(answer, "EbsEncryptionByDefault", bool)
        if g.ebs_encryption_by_default:
            key = ctx.call(EBS_KEY)
            if key is not None:
                with ctx.parsing(EBS_KEY):  # never assume alias/aws/ebs
                    g.ebs_default_key = need(key, "KmsKeyId", str)
                if g.ebs_default_key:
                    g.kms_keys[g.ebs_default_key] = self.key(ctx, g.ebs_default_key)

    def allowed_images(self, ctx: UnitContext) -> None:
        g = ctx.inventory.guardrails
        try:
            answer = ctx.call(ALLOWED_IMAGES)
        except Absent:  # UnsupportedOperation: no Allowed AMIs setting in this region
            g.allowed_images_state, g.allowed_images_providers = UNSUPPORTED, []
            return
        if answer is not None:
            with ctx.parsing(ALLOWED_IMAGES):  # a missing state is not "disabled"
                state = need(answer, "State", str)
                g.allowed_images_providers = [
                    list(c.get("ImageProviders", [])) for c in answer.get("ImageCriteria", [])
                ]
                g.allowed_images_state = state

    def vcpus(self, ctx: UnitContext) -> None:
        g = ctx.inventory.guardrails
        g.standard_vcpu_quota = self.quota(ctx, *VCPU_QUOTA)
        reservations = ctx.paginate(
            INSTANCES,
            "Reservations",
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}],
        )
        if reservations is None:
            return
        counts: dict[str, int] | None = None
        with ctx.parsing(INSTANCES):  # all of them, or none: a partial count would be too low
            counts = self.standard_counts(reservations)
        if counts is None:
            return  # malformed: recorded
        if not counts:
            g.standard_vcpus_running = 0
            return
        types = ctx.paginate(INSTANCE_TYPES, "InstanceTypes", InstanceTypes=sorted(counts))
        if types is not None:
            with ctx.parsing(INSTANCE_TYPES):  # a type without its vCPUs is not "0 vCPUs"
                vcpus = {
                    need(t, "InstanceType", str): need(
                        need(t, "VCpuInfo", dict), "DefaultVCpus", int
                    )
                    for t in types
                }
                if set(counts) - set(vcpus):
                    raise Malformed(f"no vCPU count for {sorted(set(counts) - set(vcpus))[0]}")
                g.standard_vcpus_running = sum(n * vcpus[kind] for kind, n in counts.items())

    @staticmethod
    def standard_counts(reservations: list[dict[str, Any]]) -> dict[str, int]:
        """Running and pending instances of the On-Demand Standard families, by type."""
        counts: dict[str, int] = {}
        for r in reservations:
            for i in need_list(r, "Instances"):
                kind = need(i, "InstanceType", str)
                if kind[:1].lower() in STANDARD_FAMILIES:
                    counts[kind] = counts.get(kind, 0) + 1
        return counts

    def key(self, ctx: UnitContext, key_id: str) -> KmsKey | None:
        try:
            answer = ctx.call(DESCRIBE_KEY, resource_id=key_id, KeyId=key_id)
        except Absent:
            return KmsKey(key_id, exists=False)
        if answer is None:
            return None
        meta: dict[str, Any] = answer["KeyMetadata"]
        return KmsKey(key_id, True, meta.get("KeyState"), meta.get("KeyManager"))
