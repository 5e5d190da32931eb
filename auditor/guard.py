"""The read-only guard: every client of a preflight session refuses mutating operations.

It runs on botocore's ``before-parameter-build`` event, before a request is built, signed or
sent, so a refused call never leaves the machine. It is registered on the session, which
copies it into every client the session makes afterwards.
"""

from __future__ import annotations

from typing import Any

READ_ONLY_PREFIXES = ("Describe", "List", "Get")

# Operations outside the prefixes that read but do not change anything.
READ_ONLY_EXCEPTIONS = frozenset(
    {
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
        ("iam", "SimulatePrincipalPolicy"),
    }
)


class ReadOnlyViolation(RuntimeError):
    """A mutating AWS operation was attempted through a preflight session."""


def is_read_only(service: str, operation: str) -> bool:
    if (service, operation) in READ_ONLY_EXCEPTIONS:
        return True
    return operation.startswith(READ_ONLY_PREFIXES)


def refuse_mutations(model: Any, **_: Any) -> None:
    """botocore event handler: raise before a non-read-only operation is built."""
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(
            f"preflight is read-only and refused {service}:{model.name} before sending it"
        )


def install(events: Any) -> None:
    """Register the guard on a botocore event emitter (a session's or a client's)."""
    events.register("before-parameter-build", refuse_mutations, unique_id="preflight-read-only")
