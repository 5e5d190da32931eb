"""No credential in any output: an AssumeRole answer holding fake credentials, cut short or
whole (and then used), at every verbosity and log format, leaves no trace of them in stdout,
stderr, reports or logs."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from auditor.secrets import scrub

FAKE_KEY_ID = "ASIAFAKEKEYID0123456"
FAKE_SECRET = "FakeSecretAccessKey/0123456789+abcdefghijklmnop"
FAKE_TOKEN = "FwoGZXIvYXdzEFAKESESSIONTOKEN0123456789abcdefghijklmnopqrstuvwxyz"
SECRETS = (FAKE_KEY_ID, FAKE_SECRET, FAKE_TOKEN)

IDENTITY = b"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/auditor</Arn>
<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"""
TRUNCATED_ASSUME_ROLE = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
    f"<Credentials><AccessKeyId>{FAKE_KEY_ID}</AccessKeyId>"
    f"<SecretAccessKey>{FAKE_SECRET}</SecretAccessKey><SessionToken>{FAKE_TOKEN}"
).encode()


# A whole answer: the audit then signs the account's requests with these credentials, and
# botocore's -vvv log shows each request's headers (the token as bytes, b'...').
ASSUME_ROLE = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
    f"<Credentials><AccessKeyId>{FAKE_KEY_ID}</AccessKeyId>"
    f"<SecretAccessKey>{FAKE_SECRET}</SecretAccessKey><SessionToken>{FAKE_TOKEN}</SessionToken>"
    "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>"
    "<AssumedRoleId>AROAEXAMPLE:preflight-audit</AssumedRoleId>"
    "<Arn>arn:aws:sts::444455556666:assumed-role/Audit/preflight-audit</Arn></AssumedRoleUser>"
    "</AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata>"
    "</AssumeRoleResponse>"
).encode()


class Sts(BaseHTTPRequestHandler):
    assume_role = TRUNCATED_ASSUME_ROLE
    tokens: ClassVar[list[str]] = []  # the session tokens requests came signed with

    def do_POST(self) -> None:
        self.tokens.append(self.headers.get("X-Amz-Security-Token", ""))
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        action = urllib.parse.parse_qs(body).get("Action", [""])[0]
        answer = self.assume_role if action == "AssumeRole" else IDENTITY
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["cut short", "whole"])
def sts(monkeypatch, request) -> Iterator[type[Sts]]:
    """The STS answer: cut short inside the token, or whole (the account is then read with
    the fake credentials, and every other answer is one the audit cannot use)."""
    answer = ASSUME_ROLE if request.param == "whole" else TRUNCATED_ASSUME_ROLE
    handler = type("Answers", (Sts,), {"assume_role": answer, "tokens": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield handler
    server.shutdown()


@pytest.mark.parametrize("flags", [[], ["-v"], ["-vv"], ["-vvv"], ["-vvv", "--log-format", "json"]])
def test_an_assume_role_answer_leaks_no_credential(preflight, tmp_path, flags, sts):
    out = tmp_path / "reports"
    run = preflight(
        "audit", "--region", "eu-west-1", "--role-arn", "arn:aws:iam::444455556666:role/Audit",
        "--output-dir", str(out), "--save-snapshot", str(tmp_path / "snap.json"), *flags,
    )  # fmt: skip

    assert run.code in (2, 3)  # the account's reads are unknown; never a crash (70)
    texts = [run.out, run.err] + [p.read_text() for p in tmp_path.rglob("*") if p.is_file()]
    for secret in SECRETS:
        assert all(secret not in text for text in texts), secret
    if sts.assume_role == ASSUME_ROLE:  # the credentials were used, and logged at -vvv
        assert FAKE_TOKEN in sts.tokens
        assert ("-vvv" in flags) == ("X-Amz-Security-Token" in run.err)
    else:  # the account is unknown, and says why
        assert "AssumeRole" in run.err + run.out + "".join(texts)


@pytest.mark.parametrize(
    "text",
    [
        f"<SecretAccessKey>{FAKE_SECRET}</SecretAccessKey>",
        f"Response body:\nb'<Credentials><SessionToken>{FAKE_TOKEN}'",  # cut short: no end tag
        f'{{"SessionToken": "{FAKE_TOKEN}", "AccessKeyId": "{FAKE_KEY_ID}"}}',
        f"headers: {{'X-Amz-Security-Token': '{FAKE_TOKEN}', 'Authorization': "
        f"'AWS4-HMAC-SHA256 Credential={FAKE_KEY_ID}/20261201/eu-west-1/sts/aws4_request'}}",
        f"aws_secret_access_key = {FAKE_SECRET}",
    ],
)
def test_scrub_removes_every_credential_form(text):
    cleaned = scrub(text)

    assert all(secret not in cleaned for secret in SECRETS), cleaned
    assert "<redacted>" in cleaned


def test_scrub_leaves_ordinary_text_alone():
    text = "ec2:DescribeSubnets was denied (UnauthorizedOperation) on subnet-0abc"

    assert scrub(text) == text
