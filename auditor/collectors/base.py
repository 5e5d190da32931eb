"""What a collector is: the calls it declares (with their IAM actions) and how it reads.

A collector reads through its `UnitContext`, which sends only calls the collector declared,
counts them, bounds concurrency, and turns every failure into a recorded gap. A ``*NotFound*``
or ``NoSuchEntity`` answer raises `Absent` (a fact the collector records); every other failure
returns ``None`` and leaves a `ReadError` behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from auditor.collectors.fields import Malformed
from auditor.errors import PreflightError
from auditor.guard import ReadOnlyViolation
from auditor.inventory import DBInstance, ReadError, RegionInventory
from auditor.secrets import quoted
from auditor.sessions import AwsSession, partition_of
from auditor.veeam_config import VeeamConfig

T = TypeVar("T")
R = TypeVar("R")

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedAccess",
        "403",
    }
)
FILTER_VALUES_MAX = 200  # EC2 accepts at most 200 values per filter
# Pages of one paginated read at most: 1,000 pages of up to 1,000 items is a million subnets or
# route tables, far past any real account; a service that keeps answering with new tokens is
# cut off there (a gap), and botocore's paginators already stop on a repeated token.
MAX_PAGES = 1000
# Every way a call can fail on the wire or in the answer: a gap, never a crash. A parse error is
# not a BotoCoreError (botocore.parsers.ResponseParserError subclasses Exception directly).
AWS_FAILURES: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)
ABSENT_CODES = frozenset({"NoSuchEntity", "NoSuchEntityException", "UnsupportedOperation"})


@dataclass(frozen=True)
class ApiCall:
    """One AWS operation a collector may send, with the IAM action that authorises it."""

    service: str  # botocore's service name: "ec2", "rds", "service-quotas"
    operation: str  # botocore's operation name: "DescribeVpcAttribute"
    iam_action: str  # "ec2:DescribeVpcAttribute"
    flag: str | None = None  # the CLI flag that enables an optional call, if any
    absent: tuple[str, ...] = ()  # more error codes that mean "not there" for this call only

    @property
    def key(self) -> str:
        return f"{self.service}.{self.operation}"

    @property
    def method(self) -> str:
        """The boto3 client method name: DescribeVpcAttribute -> describe_vpc_attribute."""
        return str(xform_name(self.operation))


class Absent(Exception):
    """The resource asked about does not exist (a fact, not a gap)."""

    def __init__(self, call: ApiCall, code: str, resource_id: str | None):
        super().__init__(f"{call.key}: {code} ({resource_id})")
        self.call = call
        self.code = code
        self.resource_id = resource_id


class CallFailed(Exception):
    """A request that failed in a way no AWS answer explains (a defect in botocore, an
    emulator or preflight): the collector stops, and the gap names the call that was sent."""

    def __init__(self, call: ApiCall, resource_id: str | None, cause: Exception):
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.call = call
        self.resource_id = resource_id


def is_absent_code(code: str) -> bool:
    return "NotFound" in code or code in ABSENT_CODES


def is_denied(exc: ClientError) -> bool:
    """By HTTP status and code: moto answers some JSON services' denials with code "403"."""
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = str(error.get("Code", ""))
    return status == 403 or code in DENIED_CODES or "AccessDenied" in code or "Unauthorized" in code


def error_code(exc: Exception) -> str:
    """The AWS error code of a failed call (the HTTP status if there is none), or its type."""
    if isinstance(exc, ClientError):
        response = exc.response
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(response.get("Error", {}).get("Code") or status or "ClientError")
    return type(exc).__name__


def read_error(
    api: ApiCall, exc: Exception, account_id: str, region: str, resource_id: str | None
) -> ReadError:
    """A failed call as a gap: code, message and whether it was a denial."""
    if isinstance(exc, ClientError):
        message = quoted(str(exc.response.get("Error", {}).get("Message", exc)))
        denied = is_denied(exc)
    elif isinstance(exc, ResponseParserError):  # its text quotes the body: maybe credentials
        message, denied = "the answer could not be parsed (malformed response)", False
    else:
        message, denied = quoted(str(exc) or type(exc).__name__), False
    return ReadError(
        account_id=account_id,
        region=region,
        service=api.service,
        operation=api.operation,
        code=error_code(exc),
        iam_action=api.iam_action,
        resource_id=resource_id,
        message=message,
        denied=denied,
    )


class SharedReads:
    """What every unit of a run shares: a read done once (an IAM role per account), its result
    and the gaps it left, which each unit that uses it records as its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: dict[Hashable, Future[tuple[Any, list[ReadError]]]] = {}

    def once(
        self, key: Hashable, read: Callable[[], tuple[T, list[ReadError]]]
    ) -> tuple[T, list[ReadError]]:
        with self._lock:
            future = self._reads.get(key)
            first = future is None
            if future is None:
                future = self._reads[key] = Future()
        if first:
            try:
                future.set_result(read())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        result: tuple[T, list[ReadError]] = future.result()
        return result


class UnitContext:
    """Reads for one (account, region) unit, shared by that unit's collectors."""

    def __init__(
        self,
        aws: AwsSession,
        inventory: RegionInventory,
        targets: Callable[[], list[DBInstance]],
        limiter: threading.Semaphore,
        max_fan_out: int = 8,
        flags: frozenset[str] = frozenset(),
        veeam: VeeamConfig | None = None,
        shared: SharedReads | None = None,
    ):
        self.shared = shared or SharedReads()  # the run's reads done once
        self.aws = aws
        self.flags = flags  # the optional-call flags given (e.g. "--simulate")
        self.veeam = veeam  # --veeam-config: whose roles to read
        self.inventory = inventory
        self._targets = targets
        self._limiter = limiter
        self._max_fan_out = max_fan_out
        self._lock = threading.Lock()
        self._allowed: frozenset[ApiCall] = frozenset()

    @property
    def lock(self) -> threading.Lock:
        """Held while a collector changes inventory state other collectors also touch."""
        return self._lock

    @property
    def region(self) -> str:
        return self.inventory.region

    @property
    def account_id(self) -> str:
        return self.inventory.account_id

    def targets(self) -> list[DBInstance]:
        """The DB instances in scope for this unit (stage 1 and later)."""
        return self._targets()

    def aws_partition(self) -> str:
        """The unit's partition (aws, aws-cn, aws-us-gov), from its region."""
        return partition_of(self.region) or "aws"

    def target_vpc_ids(self) -> list[str]:
        return sorted({db.vpc_id for db in self.targets() if db.vpc_id})

    def paginate_by_vpc(
        self, api: ApiCall, result_key: str, filter_name: str = "vpc-id", **params: Any
    ) -> list[dict[str, Any]] | None:
        """A paginated call filtered to the target VPCs (in chunks of EC2's filter-value limit);
        ``[]`` without a request when there are none; ``None`` if any chunk failed."""
        vpc_ids = self.target_vpc_ids()
        extra_filters = params.pop("Filters", [])
        items: list[dict[str, Any]] = []
        for start in range(0, len(vpc_ids), FILTER_VALUES_MAX):
            chunk = vpc_ids[start : start + FILTER_VALUES_MAX]
            filters = [{"Name": filter_name, "Values": chunk}, *extra_filters]
            page = self.paginate(api, result_key, Filters=filters, **params)
            if page is None:
                return None
            items += page
        return items

    def _over(self, inventory: RegionInventory) -> UnitContext:
        """A context like this one (session, targets, limits, run state) over ``inventory``."""
        return UnitContext(
            self.aws,
            inventory,
            self._targets,
            self._limiter,
            self._max_fan_out,
            self.flags,
            self.veeam,
            self.shared,
        )

    def quietly(self) -> UnitContext:
        """This context over a scratch inventory: what a read through it fails to get is a gap
        there (``.inventory.errors``), not in the unit. For a read that only saves requests,
        whose data is read another way when it fails."""
        ctx = self._over(RegionInventory(self.account_id, self.region))
        ctx._allowed = self._allowed
        return ctx

    def for_collector(self, calls: Iterable[ApiCall]) -> UnitContext:
        ctx = self._over(self.inventory)
        ctx._lock = self._lock
        ctx._allowed = frozenset(calls)
        return ctx

    def once(self, key: Hashable, read: Callable[[UnitContext], T]) -> T:
        """``read`` once per run for ``key`` (which must name the account), through a scratch
        context of this one; every unit asking records the gaps it left as its own."""

        def scratch_read() -> tuple[T, list[ReadError]]:
            scratch = self.quietly()
            return read(scratch), scratch.inventory.errors

        result, errors = self.shared.once(key, scratch_read)
        for error in errors:
            self.append_gap(replace(error, region=self.region))
        return result

    def call(
        self, api: ApiCall, resource_id: str | None = None, **params: Any
    ) -> dict[str, Any] | None:
        """One request; ``None`` (and a recorded gap) if it fails; `Absent` if not found."""
        return self._guarded(api, resource_id, lambda client: getattr(client, api.method)(**params))

    def paginate(
        self, api: ApiCall, result_key: str, resource_id: str | None = None, **params: Any
    ) -> list[dict[str, Any]] | None:
        """Every page of a paginated call, flattened on ``result_key``; ``None`` on a gap."""

        def read_all(client: Any) -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = []
            for number, page in enumerate(client.get_paginator(api.method).paginate(**params)):
                if number >= MAX_PAGES:
                    self.record_gap(
                        api, "PageLimit", f"more than {MAX_PAGES} pages: stopped", resource_id
                    )
                    return None
                if not isinstance(page.get(result_key), list):
                    self.record_gap(
                        api,
                        "MalformedResponse",
                        f"malformed response: a page without the list {result_key}",
                        resource_id,
                    )
                    return None
                items.extend(page[result_key])
            return items

        return self._guarded(api, resource_id, read_all)

    def fan_out(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run independent reads concurrently (requests stay bounded by the run's limiter)."""
        work = list(items)
        if len(work) <= 1:
            return [fn(item) for item in work]
        with ThreadPoolExecutor(max_workers=min(self._max_fan_out, len(work))) as pool:
            return list(pool.map(fn, work))

    def _guarded(self, api: ApiCall, resource_id: str | None, fn: Callable[[Any], R]) -> R | None:
        if api not in self._allowed:
            raise RuntimeError(f"{api.key} is not declared by the collector that sent it")
        if api.flag is not None and api.flag not in self.flags:
            raise RuntimeError(f"{api.key} is sent only with {api.flag}")
        client = self.aws.client(api.service, self.region)
        try:
            with self._limiter:
                return fn(client)
        except (ClientError, BotoCoreError, ResponseParserError, NotImplementedError) as exc:
            code = error_code(exc) if isinstance(exc, ClientError) else ""
            if code and (is_absent_code(code) or code in api.absent):
                raise Absent(api, error_code(exc), resource_id) from None
            self.append_gap(read_error(api, exc, self.account_id, self.region, resource_id))
        except (Absent, CallFailed, Malformed, PreflightError, ReadOnlyViolation):
            raise  # preflight's own answers, each handled where it is meant to be
        except Exception as exc:
            raise CallFailed(api, resource_id, exc) from exc
        return None

    def record_gap(
        self, api: ApiCall, code: str, message: str, resource_id: str | None, denied: bool = False
    ) -> None:
        self.append_gap(
            ReadError(
                self.account_id,
                self.region,
                api.service,
                api.operation,
                code,
                api.iam_action,
                resource_id,
                message,
                denied,
            )
        )

    @contextmanager
    def parsing(self, api: ApiCall, resource_id: str | None = None) -> Iterator[None]:
        """Parse an answer of ``api``: a missing or mistyped field (`Malformed`) leaves what the
        block would have set unset and records the gap against ``api``."""
        try:
            yield
        except Malformed as exc:
            self.record_gap(api, "MalformedResponse", f"malformed response: {exc}", resource_id)

    def append_gap(self, err: ReadError) -> None:
        with self._lock:
            self.inventory.errors.append(err)


class Collector:
    """A reader for one concern. Stage 0 discovers targets; later stages read what they use."""

    name: ClassVar[str]
    stage: ClassVar[int] = 1
    # "unit": `collect` once per (account, region). "run": once per run, after every unit
    # (the collector says how: repositories are read once in the account that owns them).
    scope: ClassVar[str] = "unit"
    calls: ClassVar[tuple[ApiCall, ...]]

    def collect(self, ctx: UnitContext) -> None:
        raise NotImplementedError
