"""Keeping credentials out of every output: error lines, reports, snapshots and logs.

`scrub` replaces access key ids, secret keys, session tokens, signatures and the bodies of
answers that carry credentials (an STS AssumeRole answer quoted by a parse error), and cuts
quoted response bodies short. Applied where text leaves the process: ReadError messages (and so
reports and snapshots), the one stderr line of an error, and every log record (at -vvv botocore
logs request headers and response bodies).
"""

from __future__ import annotations

import logging
import os
import re

REDACTED = "<redacted>"
MAX_QUOTED = 300  # characters of an AWS error message kept in a line or a report

_PATTERNS = [
    # Key ids of long-term (AKIA) and temporary (ASIA) credentials.
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"),
    # XML and JSON credential fields (STS answers, credential_process output, SSO caches); an
    # answer cut short may end inside the field, with no closing tag.
    re.compile(r"(<(SecretAccessKey|SessionToken|AccessKeyId|Token)>)[^<]*(</\2>)?", re.IGNORECASE),
    re.compile(
        r"""(["']?(?:SecretAccessKey|SessionToken|AccessKeyId|aws_secret_access_key|"""
        r"""aws_session_token|aws_access_key_id|secretAccessKey|sessionToken|accessKeyId|"""
        r"""accessToken|refreshToken|clientSecret|idToken|"""  # IAM Identity Center's
        r"""WebIdentityToken)["']?"""  # and a web identity's (a query string's field too)
        r"""\s*[:=]\s*b?["']?)[^"',\s}<&]+""",
        re.IGNORECASE,
    ),
    # Signed request headers; botocore's -vvv log shows their values as bytes (b'...').
    re.compile(
        r"((?:X-Amz-Security-Token|x-amz-sso_bearer_token)['\"]?\s*[:=]\s*b?['\"]?)[^'\",\s}]+",
        re.IGNORECASE,
    ),
    re.compile(r"(Authorization['\"]?\s*[:=]\s*b?['\"]?)[^'\"}]+", re.IGNORECASE),
    re.compile(r"(X-Amz-(?:Signature|Credential)=)[^&\s'\"]+", re.IGNORECASE),
]


def _secrets_in_environment() -> list[str]:
    values = []
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        value = os.environ.get(name)
        if value and len(value) >= 8:  # short placeholders ("testing") are not secrets
            values.append(value)
    return values


def scrub(text: str) -> str:
    """``text`` with every credential replaced by <redacted>."""
    if not text:
        return text
    out = text
    for secret in _secrets_in_environment():
        out = out.replace(secret, REDACTED)
    out = _PATTERNS[0].sub(REDACTED, out)
    out = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3) or ''}", out)
    for pattern in _PATTERNS[2:]:
        out = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    return out


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """An AWS message for a line or a report: scrubbed, one line, at most ``limit`` chars."""
    one_line = " ".join(scrub(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


class ScrubFilter(logging.Filter):
    """Scrubs every record that passes a handler (botocore's debug lines included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True
