"""--redact: account ids replaced by placeholders that stay the same from run to run, for
reports that leave the company (ARNs, the caller and file names included)."""

from __future__ import annotations

import re
from typing import Any

ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def placeholder(account_id: str) -> str:
    import hashlib  # here, not at the top: `preflight --version` starts without it

    return "acct-" + hashlib.sha256(f"preflight-redact:{account_id}".encode()).hexdigest()[:8]


def redact_text(text: str) -> str:
    return ACCOUNT_ID.sub(lambda m: placeholder(m.group(0)), text)


def redact(value: Any) -> Any:
    """Every 12-digit account id in every string (keys included) of a report."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    return value
