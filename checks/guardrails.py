"""Account guardrails and capacity that defeat an otherwise ready network (FAILURE-MODES.md:
C1 VPC Block Public Access, R1 manual snapshot quota, W2/W3 worker capacity, W6 EBS default
encryption key, W7 Allowed AMIs, D3 the DB instance's own KMS key)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from auditor.collectors.guardrails import UNSUPPORTED
from auditor.inventory import KmsKey
from auditor.model import Finding, Mode, Severity, Status
from checks import docs
from checks.base import Check, CheckContext
from checks.instance_type import worker_type

WORKER_VCPUS = {"c5.large": 2, "c5.xlarge": 4}
NOT_AVAILABLE = "not available (UnsupportedOperation)"


class BlockPublicAccess(Check):
    id: ClassVar[str] = "vpc.block-public-access"
    title: ClassVar[str] = "VPC Block Public Access lets the workers use the internet gateway"
    modes: ClassVar[frozenset[Mode]] = frozenset({Mode.PUBLIC})
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails",)
    docs: ClassVar[tuple[str, ...]] = (docs.A_BPA,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        g, db = ctx.region.guardrails, ctx.db
        if g.bpa_mode is None or (g.bpa_mode != "off" and g.bpa_exclusions is None):
            error = ctx.region.first_error(
                "DescribeVpcBlockPublicAccessOptions",
                "DescribeVpcBlockPublicAccessExclusions",
            )
            yield ctx.unknown("VPC Block Public Access", error)
            return
        evidence: dict[str, str | list[str]] = {"internet_gateway_block_mode": g.bpa_mode}
        if g.bpa_mode in ("off", UNSUPPORTED):
            state = "off" if g.bpa_mode == "off" else NOT_AVAILABLE
            yield ctx.finding(
                Status.PASS,
                f"VPC Block Public Access is {state} in {ctx.region.region}",
                evidence=evidence,
            )
            return
        plan = ctx.workers.plan(db, Mode.PUBLIC)
        covered = [f"vpc/{db.vpc_id}", *(f"subnet/{s.subnet_id}" for s in plan.candidates)]
        exclusions = [
            e
            for e in g.bpa_exclusions or []
            if e.state.endswith("-complete") and any(e.resource_arn.endswith(c) for c in covered)
        ]
        evidence["exclusions"] = [
            f"{e.exclusion_id} ({e.mode}) {e.resource_arn}" for e in exclusions
        ]
        if any(e.mode == "allow-bidirectional" for e in exclusions):
            yield ctx.finding(
                Status.PASS,
                f"VPC Block Public Access is {g.bpa_mode}, but an allow-bidirectional exclusion "
                "covers "
                f"{db.vpc_id} or its worker subnet",
                resource_id=db.vpc_id,
                evidence=evidence,
            )
            return
        fix = (
            f"aws ec2 create-vpc-block-public-access-exclusion --vpc-id {db.vpc_id} "
            "--internet-gateway-exclusion-mode allow-bidirectional"
        )
        if exclusions or g.bpa_mode == "block-ingress":
            what = (
                "only an allow-egress exclusion covers it"
                if exclusions
                else "the region blocks inbound internet traffic (block-ingress)"
            )
            yield ctx.finding(
                Status.WARN,
                f"VPC Block Public Access is {g.bpa_mode} and {what}: which direction Veeam's "
                "workers need opened is not documented (they start every connection themselves)",
                resource_id=db.vpc_id,
                remediation=fix,
                evidence=evidence,
            )
            return
        yield ctx.finding(
            Status.FAIL,
            f"VPC Block Public Access is block-bidirectional in {ctx.region.region} and no "
            f"exclusion covers {db.vpc_id} or a worker subnet: the internet gateway route carries "
            "nothing, so public-mode workers cannot reach AWS services",
            resource_id=db.vpc_id,
            remediation=fix,
            evidence=evidence,
        )


class SnapshotQuota(Check):
    id: ClassVar[str] = "rds.snapshot-quota"
    title: ClassVar[str] = "Room for one more manual DB snapshot per DB instance"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails",)
    docs: ClassVar[tuple[str, ...]] = (docs.A_ACCOUNT_QUOTA, docs.A_RDS_QUOTAS)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.manual_snapshots_used is None or g.manual_snapshots_max is None:
            error = unit.first_error(
                "DescribeAccountAttributes", "GetServiceQuota", "DescribeDBSnapshots"
            )
            yield ctx.unknown(
                f"the manual DB snapshot quota in {unit.region}", error, resource_id="L-272F1212"
            )
            return
        used, limit, n = g.manual_snapshots_used, g.manual_snapshots_max, len(ctx.targets)
        evidence: dict[str, str | list[str]] = {
            "manual_snapshots_used": str(used),
            "manual_snapshots_quota": f"{limit:g}",
            "targets": str(n),
        }
        text = (
            f"{used} of {limit:g} manual DB snapshots used in {unit.region}; each of the {n} "
            "DB instance(s) needs one more per backup"
        )
        fix = (
            "aws service-quotas request-service-quota-increase --service-code rds "
            f"--quota-code L-272F1212 --desired-value {int(limit) + 2 * n + 50}"
        )
        if used + n > limit:
            yield ctx.finding(
                Status.FAIL,
                f"{text}: they do not fit (SnapshotQuotaExceeded)",
                resource_id="L-272F1212",
                remediation=fix,
                evidence=evidence,
            )
        elif limit - used < 2 * n:
            yield ctx.finding(
                Status.WARN,
                f"{text}: fewer than two sessions' worth are left",
                resource_id="L-272F1212",
                remediation=fix,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.PASS, f"{text}: there is room", resource_id="L-272F1212", evidence=evidence
            )


class WorkerCapacity(Check):
    id: ClassVar[str] = "ec2.worker-capacity"
    title: ClassVar[str] = "vCPU quota and free addresses for one worker per DB instance"
    severity: ClassVar[Severity] = Severity.WARNING
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails", "ec2.subnets")
    docs: ClassVar[tuple[str, ...]] = (docs.V_WORKERS_LOCATION, docs.A_EC2_ERRORS)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        problems: list[str] = []
        notes: list[str] = []
        if g.standard_vcpu_quota is None or g.standard_vcpus_running is None:
            error = unit.first_error(
                "GetServiceQuota", "DescribeInstances", "DescribeInstanceTypes"
            )
            yield ctx.unknown(
                f"the On-Demand standard vCPU quota in {unit.region}",
                error,
                resource_id="L-1216C47A",
            )
        else:
            need = sum(WORKER_VCPUS[worker_type(db.allocated_storage_gib)] for db in ctx.targets)
            total = g.standard_vcpus_running + need
            line = (
                f"{g.standard_vcpus_running} standard vCPUs running + {need} for the workers "
                f"against a quota of {g.standard_vcpu_quota:g}"
            )
            (problems if total > g.standard_vcpu_quota else notes).append(line)
        per_az: dict[str, int] = {}
        for db in ctx.targets:
            per_az[db.availability_zone or ""] = per_az.get(db.availability_zone or "", 0) + 1
        for az, n in sorted(per_az.items()):
            free = sum(
                s.available_ips
                for s in unit.subnets or []
                if s.availability_zone == az
                and s.state == "available"
                and any(s.vpc_id == d.vpc_id for d in ctx.targets)
            )
            if free < n:
                problems.append(
                    f"{az}: {free} free addresses in the target VPCs' subnets for {n} workers"
                )
        if problems:
            yield ctx.finding(
                Status.WARN,
                "workers may not launch if Veeam backs these DB instances up at once "
                "(VcpuLimitExceeded / InsufficientFreeAddressesInSubnet): " + "; ".join(problems),
                resource_id=unit.region,
                evidence={"problems": problems},
            )
        elif notes:
            yield ctx.finding(Status.PASS, "; ".join(notes), resource_id=unit.region)


def _key_problem(key: KmsKey, what: str) -> tuple[Status, str, str | None] | None:
    if not key.exists:
        return Status.FAIL, f"{what} {key.key_id} does not exist", None
    if key.state == "Enabled":
        return None
    fix = f"aws kms enable-key --key-id {key.key_id}"
    if key.state == "PendingDeletion":
        fix = f"aws kms cancel-key-deletion --key-id {key.key_id}\n{fix}"
    return Status.FAIL, f"{what} {key.key_id} is {key.state}", fix


class EbsDefaultEncryption(Check):
    id: ClassVar[str] = "ec2.ebs-default-encryption"
    title: ClassVar[str] = "EBS encryption by default uses a key the worker launch can use"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails",)
    docs: ClassVar[tuple[str, ...]] = (docs.A_EBS_DEFAULT_KEY,)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.ebs_encryption_by_default is None:
            yield ctx.unknown(
                "EBS encryption by default", unit.first_error("GetEbsEncryptionByDefault")
            )
            return
        if not g.ebs_encryption_by_default:
            yield ctx.finding(Status.PASS, f"EBS encryption by default is off in {unit.region}")
            return
        key_id = g.ebs_default_key
        key = g.kms_keys.get(key_id) if key_id else None
        if key_id is None or key is None:
            error = unit.first_error("GetEbsDefaultKmsKeyId", "DescribeKey")
            yield ctx.unknown("the default EBS encryption key", error)
            return
        evidence: dict[str, str | list[str]] = {"kms_key": key_id, "key_state": key.state or "-"}
        problem = _key_problem(key, "the default EBS encryption key")
        if problem is not None:
            status, message, fix = problem
            yield ctx.finding(
                status,
                f"{message}: with encryption by default on, every worker launch fails "
                "(Client.InternalError: Client error on launch)",
                resource_id=key_id,
                remediation=fix,
                evidence=evidence,
            )
        elif key_id.startswith("alias/aws/") or key.manager == "AWS":
            yield ctx.finding(
                Status.PASS,
                f"EBS encryption by default uses the AWS managed key {key_id}",
                resource_id=key_id,
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.WARN,
                f"EBS encryption by default uses customer managed key {key_id}: whether its key "
                "policy lets Veeam's backup role launch workers with it cannot be confirmed here",
                resource_id=key_id,
                evidence=evidence,
            )


class AllowedAmis(Check):
    id: ClassVar[str] = "ec2.allowed-amis"
    title: ClassVar[str] = "Allowed AMIs admits the Amazon-provided worker image"
    scopes: ClassVar[frozenset[str]] = frozenset({"region"})
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails",)
    docs: ClassVar[tuple[str, ...]] = (docs.A_ALLOWED_AMIS,)

    def run_region(self, ctx: CheckContext) -> Iterator[Finding]:
        g, unit = ctx.region.guardrails, ctx.region
        if g.allowed_images_state is None:
            yield ctx.unknown("Allowed AMIs", unit.first_error("GetAllowedImagesSettings"))
            return
        evidence: dict[str, str | list[str]] = {
            "state": g.allowed_images_state,
            "image_providers": [",".join(c) for c in g.allowed_images_providers or []],
        }
        if g.allowed_images_state != "enabled":
            state = (
                NOT_AVAILABLE if g.allowed_images_state == UNSUPPORTED else g.allowed_images_state
            )
            yield ctx.finding(
                Status.PASS,
                f"Allowed AMIs is {state} in {unit.region}",
                evidence=evidence,
            )
        elif any("amazon" in c for c in g.allowed_images_providers or []):
            yield ctx.finding(
                Status.PASS,
                "Allowed AMIs is enabled and admits Amazon-provided images",
                evidence=evidence,
            )
        else:
            yield ctx.finding(
                Status.FAIL,
                f"Allowed AMIs is enabled in {unit.region} and no criterion admits Amazon-provided "
                "images: Veeam's workers (an Amazon Linux 2 image) cannot launch",
                remediation=(
                    "aws ec2 replace-image-criteria-in-allowed-images-settings --image-criteria "
                    "ImageProviders=amazon  # keep your other criteria in the list"
                ),
                evidence=evidence,
            )


class DbKmsKey(Check):
    id: ClassVar[str] = "rds.kms-key"
    title: ClassVar[str] = "An encrypted DB instance's KMS key is usable"
    reads: ClassVar[tuple[str, ...]] = ("account.guardrails",)
    docs: ClassVar[tuple[str, ...]] = (docs.A_RDS_ENCRYPTION,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        db = ctx.db
        if not db.storage_encrypted:
            yield ctx.finding(
                Status.PASS, f"{db.db_instance_id} is not encrypted", resource_id=db.db_instance_id
            )
            return
        key = ctx.region.guardrails.kms_keys.get(db.kms_key_id or "")
        if db.kms_key_id is None or key is None:
            error = ctx.region.error_for("DescribeKey", db.kms_key_id)
            yield ctx.unknown(
                f"the KMS key of {db.db_instance_id}", error, resource_id=db.kms_key_id
            )
            return
        evidence: dict[str, str | list[str]] = {
            "kms_key": db.kms_key_id,
            "key_state": key.state or "-",
        }
        problem = _key_problem(key, "its KMS key")
        if problem is None:
            yield ctx.finding(
                Status.PASS,
                f"the KMS key of {db.db_instance_id} is enabled",
                resource_id=db.kms_key_id,
                evidence=evidence,
            )
            return
        status, message, fix = problem
        yield ctx.finding(
            status,
            f"{db.db_instance_id} is encrypted and {message}: RDS cannot take the DB snapshot a "
            "Veeam backup starts with",
            resource_id=db.kms_key_id,
            remediation=fix,
            evidence=evidence,
        )
