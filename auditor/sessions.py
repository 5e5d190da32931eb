"""Sessions: credentials, regions, client settings, request counting and the read-only guard.

`AwsSession` is the only way preflight makes boto3 clients: each one shares the session's
retry and timeout settings, counts its requests into `ApiStats`, and carries the guard.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import boto3
import botocore.client
import botocore.endpoint
import botocore.hooks
import botocore.loaders
import botocore.session
import botocore.useragent
import botocore.utils
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigParseError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from auditor import __version__, guard, xml_parsing
from auditor.errors import PreflightError
from auditor.secrets import quoted

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REJECTED_CODES = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AuthFailure"}
)


DEFAULT_MAX_ATTEMPTS = 8


def client_config(max_pool: int = 10, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Config:
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},  # retries included
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra=f"preflight/{__version__}",
        max_pool_connections=max_pool,
    )


@dataclass
class ApiStats:
    """Requests sent per `service.Operation` (pages included) and the retries among them."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, key: str, attempt: int) -> None:
        with self._lock:
            if attempt <= 1:
                self.calls[key] += 1
            else:
                self.retries[key] += 1

    def clear(self) -> None:
        """Count from zero (a forked reader counts only its own requests)."""
        with self._lock:
            self.calls.clear()
            self.retries.clear()

    def add(self, calls: dict[str, int], retries: dict[str, int]) -> None:
        """Count what another process sent (a forked reader's ``snapshot``)."""
        with self._lock:
            self.calls.update(calls)
            self.retries.update({k: n for k, n in retries.items() if n})

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        with self._lock:
            retries = {k: self.retries.get(k, 0) for k in self.calls} | dict(self.retries)
            return dict(self.calls), retries


class AwsSession:
    """One boto3 session (one account's credentials) and the guarded clients made from it."""

    def __init__(
        self,
        session: boto3.Session,
        stats: ApiStats | None = None,
        max_pool: int = 10,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        endpoint_url: str | None = None,
    ):
        share_loader(session)
        fast_parsing(session)
        share_client_classes()
        share_service_models()
        share_event_aliases()
        share_handler_checks()
        share_user_agent_parts()
        share_http_sessions()
        self.endpoint_url = endpoint_url  # --endpoint-url: every service there, as aws-cli
        self.boto = session
        self.stats = stats if stats is not None else ApiStats()
        self._config = client_config(max_pool, max_attempts)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        guard.install(session.events)

    def client(self, service: str, region: str) -> Any:
        """A thread-safe client, made once per (service, region); boto3 sessions are not."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self.boto.client(
                    service, region_name=region, config=self._config, endpoint_url=self.endpoint_url
                )
                guard.install(client.meta.events)  # belt and braces: the session's copy too
                client.meta.events.register("request-created", self._counter(service))
                self._clients[key] = client
            return self._clients[key]

    def release_clients(self) -> None:
        """Drop the clients made so far (each holds its own copy of the service's methods and
        event handlers, a few MB an account): an account whose units are all read keeps none,
        and a later read makes the one it needs again."""
        with self._lock:
            self._clients.clear()

    def _counter(self, service: str) -> Any:
        def count(request: Any, operation_name: str, **_: Any) -> None:
            attempt = int(getattr(request, "context", {}).get("retries", {}).get("attempt", 1))
            self.stats.record(f"{service}.{operation_name}", attempt)

        return count


@functools.cache
def shared_loader() -> Any:
    """The process's one botocore loader (endpoint data and service models, parsed once)."""
    return botocore.loaders.create_loader()


class _BuiltOnce:
    """Values built once per key for the whole process, thread-safely."""

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._made:
                self._made[key] = build()
            return self._made[key]

    def forget(self) -> None:
        """Start empty (in a forked child). What was built stays referenced, never closed or
        collected here: it may hold the parent's open connections, which are the parent's."""
        _INHERITED.append(self._made)
        self._made, self._lock = {}, threading.Lock()


_INHERITED: list[dict[Hashable, Any]] = []


def _share_creator_method(name: str, key: Callable[..., Hashable]) -> None:
    """Make botocore's `ClientCreator.<name>` build its answer once per process for each
    `key(self, *args)`, thread-safely. Left alone if this botocore has no such method."""
    creator = botocore.client.ClientCreator
    original = getattr(creator, name, None)
    if original is None:
        return
    made = _BuiltOnce()

    def shared(self: Any, *args: Any, **kwargs: Any) -> Any:
        return made.get(key(self, *args, **kwargs), lambda: original(self, *args, **kwargs))

    setattr(creator, name, shared)


@functools.cache
def share_client_classes() -> None:
    """Build each service's client class once per process, not once per client. botocore makes
    a class with a method per operation (EC2 has hundreds) for every client it creates, which
    was most of an assumed-role account's CPU and memory; the class depends only on the service
    model and the `creating-client-class` handlers, which are the same for every session here."""
    _share_creator_method(
        "_create_client_class",
        lambda _, service_name, service_model: (
            service_name,
            getattr(service_model, "api_version", None),
        ),
    )


@functools.cache
def share_service_models() -> None:
    """One botocore `ServiceModel` per (loader, service, API version), not one per client. Each
    model caches the operation and shape objects it has built, so a new client (one per
    account, service and Region) started that work again for every request it sent. The
    model is read-only once built."""
    _share_creator_method(
        "_load_service_model",
        lambda creator, service_name, api_version=None: (
            getattr(creator, "_loader", None),
            service_name,
            api_version,
        ),
    )


@functools.cache
def share_event_aliases() -> None:
    """One cache of botocore's event-name aliases per process, not one per client. botocore
    renames every event a client emits (`before-call.apigateway` and the like) through a
    cache that starts empty in each copy of the event hooks, and every client is such a copy:
    each new client's first requests scanned the whole alias table again (a fifth of a
    request's own CPU here). The answer depends only on the event name and the alias table,
    so hooks built with botocore's own table share one cache. Left alone if this botocore has
    no such class."""
    hooks = getattr(botocore.hooks, "EventAliaser", None)
    table = getattr(botocore.utils, "EVENT_ALIASES", None)
    if hooks is None or table is None:
        return
    original = hooks.__init__
    shared: dict[str, str] = {}

    def init(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        original(self, event_emitter, event_aliases)
        if getattr(self, "_event_aliases", None) == table:
            self._alias_name_cache = shared

    hooks.__init__ = init


@functools.cache
def share_handler_checks() -> None:
    """botocore asks of every handler registered on a new session whether it takes **kwargs,
    through inspect.getfullargspec: a few hundred built-in handlers for each session, and an
    organisation audit makes a session per assumed-role account. For a function or a bound
    method the answer is a flag of its code object, which is what getfullargspec reads (it does
    not follow __wrapped__); anything else is still asked the long way."""
    check = getattr(botocore.hooks, "accepts_kwargs", None)
    if check is None:
        return

    def accepts_kwargs(func: Any) -> bool:
        target = getattr(func, "__func__", func)  # a bound method's function
        if inspect.isfunction(target):
            return bool(target.__code__.co_flags & inspect.CO_VARKEYWORDS)
        return bool(check(func))

    botocore.hooks.accepts_kwargs = accepts_kwargs


@functools.cache
def share_user_agent_parts() -> None:
    """botocore builds the User-Agent header twice for every request, cleaning each of its
    dozen parts (SDK, OS, Python, features...) character by character; the parts are the same
    request after request. The cleaning is a pure function of the part and the flag, so its
    answers are kept (bounded): the header is byte for byte what botocore would send. Left
    alone if this botocore has no such function."""
    clean = getattr(botocore.useragent, "sanitize_user_agent_string_component", None)
    if clean is None:
        return
    botocore.useragent.sanitize_user_agent_string_component = functools.lru_cache(1024)(clean)


def _hashable(value: Any) -> Hashable:
    """A key for a value built of dicts, lists and scalars (an HTTP session's settings)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    hash(value)  # anything else must hash as it is (TypeError otherwise)
    return cast(Hashable, value)


@functools.cache
def share_http_sessions() -> None:
    """One botocore HTTP session (urllib3's connection pools) per endpoint and settings, not
    one per client. An organisation audit makes a client per account, service and Region, and
    each new client opened its own connections: against AWS a TLS handshake per client (four
    thousand for a thousand accounts), where a shared pool keeps the connections open from one
    account to the next. A connection carries no credentials: every request is signed by its
    own client, as before. Settings that do not make a key (never seen) get their own session,
    as botocore would. Left alone if this botocore's endpoint creator takes no session class."""
    creator = getattr(botocore.endpoint, "EndpointCreator", None)
    original = getattr(creator, "create_endpoint", None)
    if original is None:
        return
    parameter = inspect.signature(original).parameters.get("http_session_cls")
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return
    default = parameter.default
    made = _BuiltOnce()
    # A forked reader (auditor.read_shares) opens its own connections: one socket written by
    # two processes would interleave their requests.
    os.register_at_fork(after_in_child=made.forget)

    def session_for(endpoint_url: str, **settings: Any) -> Any:
        try:
            key = (endpoint_url, _hashable(settings))
        except TypeError:
            return default(**settings)
        return made.get(key, lambda: default(**settings))

    def create_endpoint(self: Any, *args: Any, **kwargs: Any) -> Any:
        # botocore passes (service_model, region_name=..., endpoint_url=..., ...) by name
        url = kwargs.get("endpoint_url")
        if url is not None and len(args) == 1 and "http_session_cls" not in kwargs:
            kwargs["http_session_cls"] = functools.partial(session_for, str(url))
        return original(self, *args, **kwargs)

    creator.create_endpoint = create_endpoint  # type: ignore[union-attr]


def share_loader(session: boto3.Session) -> None:
    """Give the session the process's one botocore loader, before it makes a client: service
    models (the EC2 one is megabytes of JSON) are then parsed once per process, not once per
    session — one session per assumed-role account would parse them all again."""
    session._session.register_component("data_loader", shared_loader())


def parse_timestamp(value: Any) -> Any:
    """botocore's timestamp parser, without dateutil for the ISO 8601 UTC timestamps AWS
    answers with ("2026-11-25T12:00:00.000Z"): dateutil took 70 µs for each, and a large
    account's answers carry thousands (every DB instance, gateway, endpoint and role has a
    creation time, although no check reads one). Anything else goes to botocore's parser."""
    if isinstance(value, str) and value.endswith("Z") and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


def fast_parsing(session: boto3.Session) -> None:
    """The session's clients parse XML answers with `xml_parsing`'s parsers and timestamps with
    `parse_timestamp`."""
    factory = xml_parsing.ParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    session._session.register_component("response_parser_factory", factory)


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def check_proxies() -> None:
    """A proxy variable that is no URL, before any request: botocore would retry it as a
    network error for half a minute. The value is never shown (it may hold a password)."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    for name in PROXY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if not value:
            continue
        try:  # botocore takes "host:port" as http://host:port
            host = parse_url(value if "://" in value else f"http://{value}").host
        except LocationParseError:
            host = None
        if not host:
            raise PreflightError(
                f"{name} is not a proxy URL: give http://host:port, or unset it (its value is "
                "not shown: it may hold a password)"
            )


def open_session(profile: str | None) -> boto3.Session:
    """A boto3 session from the default chain or a named profile (exit 2 if it is unknown).
    `AWS_REGION` is honoured as the AWS CLI and SDKs do (it wins over `AWS_DEFAULT_REGION` and
    the profile's region); botocore itself reads only `AWS_DEFAULT_REGION`."""
    region = os.environ.get("AWS_REGION", "").strip() or None
    check_proxies()
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as exc:
        name = exc.kwargs.get("profile", profile)
        where = "" if profile is not None else " (AWS_PROFILE)"
        raise PreflightError(
            f"unknown AWS profile {name!r}{where}: list profiles with `aws configure "
            "list-profiles` or pass another --profile"
        ) from None
    except ConfigParseError as exc:
        raise PreflightError(f"the AWS config cannot be used: {exc}: fix or move it") from None
    check_ca_bundle(session)
    return session


def check_ca_bundle(session: boto3.Session) -> None:
    """AWS_CA_BUNDLE or the profile's ca_bundle naming nothing readable, before any request
    (botocore would retry the failed TLS setup as a network error)."""
    bundle = session._session.get_config_variable("ca_bundle")
    if bundle and not os.access(bundle, os.R_OK):
        raise PreflightError(
            f"the CA bundle {quoted(str(bundle), 200)} (AWS_CA_BUNDLE or the profile's "
            "ca_bundle) cannot be read: give an existing PEM file, or unset it"
        )


@functools.cache
def _region_partitions() -> dict[str, str]:
    """Region name -> partition id, from botocore's partition data."""
    loader = botocore.session.get_session().get_component("data_loader")
    data = loader.load_data("partitions")
    return {
        name: str(partition["id"])
        for partition in data["partitions"]
        for name in partition.get("regions", {})
        if not name.endswith("-global")
    }


def known_regions() -> set[str]:
    """Every region botocore's partition data names, in every partition."""
    return set(_region_partitions())


def partition_of(region: str) -> str | None:
    return _region_partitions().get(region)


def validate_regions(regions: list[str]) -> list[str]:
    """The regions (any case), de-duplicated and sorted; an unknown name is exit 2 before any
    request, with the nearest names of its partition (an isolated partition only when the name
    says "iso")."""
    known = known_regions()
    names = [r.strip().lower() for r in regions]
    for region in names:
        if region not in known:
            pool = sorted(r for r in known if ("-iso" in r) == ("-iso" in region))
            close = difflib.get_close_matches(region, pool, n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise PreflightError(
                f"unknown region {region!r}{hint}: pass a region name such as eu-west-1 to --region"
            )
    return sorted(set(names))


def default_region(session: boto3.Session) -> str:
    region = session.region_name
    if not region:
        raise PreflightError(
            "no region: pass --region (e.g. --region eu-west-1), or set AWS_REGION or a region "
            "in your AWS profile"
        )
    return str(region)


def identify(aws: AwsSession, region: str) -> tuple[str, str]:
    """(account id, caller ARN) through sts:GetCallerIdentity; credential problems are exit 2."""
    try:
        response = aws.client("sts", region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        raise PreflightError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, set AWS_PROFILE "
            "or pass --profile (`preflight demo` needs none)"
        ) from None
    except (TokenRetrievalError, SSOError) as exc:
        raise PreflightError(
            f"AWS SSO credentials could not be refreshed ({exc}): run `aws sso login` and retry"
        ) from None
    except NoRegionError:
        raise PreflightError("no region: pass --region or set AWS_REGION") from None
    except (BotoConnectionError, HTTPClientError) as exc:  # the endpoint, a proxy, TLS
        raise PreflightError(
            f"cannot reach AWS STS in {region} ({exc}): "
            "check the network, proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL"
        ) from None
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in EXPIRED_CODES:
            raise PreflightError(
                f"AWS credentials have expired ({code}): refresh them (`aws sso login`, a new "
                "session token) and run again"
            ) from None
        if code in REJECTED_CODES:
            raise PreflightError(
                f"AWS rejected the credentials ({code}): check the access key, profile or "
                "session token in use"
            ) from None
        operation = getattr(exc, "operation_name", "") or "GetCallerIdentity"
        what = (  # a credential provider's own exchange failed before GetCallerIdentity was sent
            "sts:GetCallerIdentity"
            if operation == "GetCallerIdentity"
            else f"{operation}, getting the credentials,"
        )
        raise PreflightError(f"{what} failed ({code}): {quoted(str(exc))}") from None
    except json.JSONDecodeError as exc:  # a credential_process that printed no JSON
        raise PreflightError(
            f"AWS credentials could not be read: the profile's credential_process printed "
            f"something that is not JSON ({exc})"
        ) from None
    except OSError as exc:  # a credential provider's file: a web identity token, say
        raise PreflightError(
            f"AWS credentials could not be read ({exc.filename or 'a file'}: "
            f"{exc.strerror or exc}): check the file AWS_WEB_IDENTITY_TOKEN_FILE or the "
            "profile names"
        ) from None
    except ResponseParserError:
        raise PreflightError(
            "sts:GetCallerIdentity answered something that is not an STS answer: check "
            "AWS_ENDPOINT_URL and any proxy in between"
        ) from None
    except BotoCoreError as exc:
        raise PreflightError(f"AWS credentials could not be used: {quoted(str(exc))}") from None
    account, arn = response.get("Account"), response.get("Arn")
    if not (isinstance(account, str) and account.isdigit() and isinstance(arn, str)):
        raise PreflightError(
            "sts:GetCallerIdentity answered without an account id or ARN (malformed response): "
            "check AWS_ENDPOINT_URL and any proxy in between"
        )
    return account, arn
