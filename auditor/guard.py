"""The read-only guard: every client of a preflight session sends only the operations the code
declares (`auditor.collectors.declared_calls`, and the credential exchanges of botocore's
credential providers), and only read-only ones.

It runs on botocore's ``before-parameter-build`` event, before a request is built, signed or
sent, so a refused call never leaves the machine. It is registered on the session, which
copies it into every client the session makes afterwards. A name that reads like a read is not
enough: some `Get*` calls create state (`cognito-identity:GetId` creates an identity), so an
operation nobody declared is refused whatever its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

READ_ONLY_PREFIXES = ("Describe", "List", "Get")

# What botocore's own credential providers send to turn the credentials a user configured
# into the ones preflight signs with: a token or a role for temporary credentials, nothing
# changed in any account. They go through the session's clients, and so through this guard.
CREDENTIAL_EXCHANGES = frozenset(
    {
        ("sts", "AssumeRole"),  # --role-arn, and a profile's role_arn
        ("sts", "AssumeRoleWithWebIdentity"),  # AWS_WEB_IDENTITY_TOKEN_FILE (EKS, CI's OIDC)
        ("sso", "GetRoleCredentials"),  # a profile of IAM Identity Center (sso_*)
        ("sso-oidc", "CreateToken"),  # refreshing that profile's sso-session token
        ("signin", "CreateOAuth2Token"),  # a profile's login_session (`aws login`)
    }
)

# Operations outside the prefixes that read but do not change anything.
READ_ONLY_EXCEPTIONS = CREDENTIAL_EXCHANGES | frozenset(
    {
        ("sts", "GetCallerIdentity"),
        ("iam", "SimulatePrincipalPolicy"),
        ("s3", "HeadBucket"),  # a HEAD request: whether the bucket exists and may be listed
    }
)


class ReadOnlyViolation(RuntimeError):
    """A mutating AWS operation was attempted through a preflight session."""


def is_read_only(service: str, operation: str) -> bool:
    if (service, operation) in READ_ONLY_EXCEPTIONS:
        return True
    return operation.startswith(READ_ONLY_PREFIXES)


_DECLARED: frozenset[tuple[str, str]] | None = None  # replaced, never changed in place


def declare(operations: Iterable[tuple[str, str]]) -> None:
    """The (botocore service name, operation) pairs the code may send, besides the collectors'
    calls and the credential exchanges."""
    global _DECLARED
    _DECLARED = declared() | frozenset(operations)


def declared() -> frozenset[tuple[str, str]]:
    """The declared set itself (frozen), not a copy made for every request the guard sees:
    the collectors' calls (read late, to avoid an import cycle) and the credential exchanges."""
    global _DECLARED
    if _DECLARED is None:
        from auditor import collectors

        calls = frozenset((c.service, c.operation) for c in collectors.declared_calls())
        _DECLARED = calls | CREDENTIAL_EXCHANGES
    return _DECLARED


def is_allowed(service: str, operation: str) -> bool:
    return is_read_only(service, operation) and (service, operation) in declared()


def refuse_mutations(model: Any, **_: Any) -> None:
    """botocore event handler: raise before an undeclared or mutating operation is built."""
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(
            f"preflight is read-only and refused {service}:{model.name} before sending it"
        )
    if (service, model.name) not in declared():
        raise ReadOnlyViolation(
            f"preflight sends only the calls it declares and refused {service}:{model.name} "
            "before sending it"
        )


def install(events: Any) -> None:
    """Register the guard on a botocore event emitter (a session's or a client's)."""
    events.register("before-parameter-build", refuse_mutations, unique_id="preflight-read-only")
