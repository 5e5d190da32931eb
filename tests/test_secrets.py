"""No credential in any output: an AssumeRole answer holding fake credentials, cut short or
whole (and then used), at every verbosity and log format, leaves no trace of them in stdout,
stderr, reports or logs."""

from __future__ import annotations

import hashlib
import json
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
    """STS's answers (and the same identity to anything else, which the audit cannot use);
    records the tokens it is handed."""

    assume_role = TRUNCATED_ASSUME_ROLE
    tokens: ClassVar[list[str]] = []  # the session tokens requests came signed with

    def do_POST(self) -> None:
        self.tokens.append(self.headers.get("X-Amz-Security-Token", ""))
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.answer(self.answer_to(urllib.parse.parse_qs(body)), "text/xml")

    def answer_to(self, asked: dict[str, list[str]]) -> bytes:
        return self.assume_role if asked.get("Action") == ["AssumeRole"] else IDENTITY

    def answer(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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


FAKE_SSO_TOKEN = "aoaAAAAAGFAKESSOACCESSTOKEN0123456789abcdefghijklmnopqrstuvwxyz"
SSO_START = "https://example.awsapps.com/start"


FRESH_SSO_TOKEN = "aoaAAAAAGFRESHSSOACCESSTOKEN0123456789abcdefghijklmnopqrstuvwxyz"
FAKE_REFRESH = "Atzr|FAKEREFRESHTOKEN0123456789abcdefghijklmnopqrstuvwxyz"
FAKE_CLIENT_SECRET = "eyJraWQiOiJGQUtFQ0xJRU5UU0VDUkVUIn0.FAKE0123456789"
SSO_SECRETS = (FAKE_SSO_TOKEN, FRESH_SSO_TOKEN, FAKE_REFRESH, FAKE_CLIENT_SECRET)


class SsoPortal(Sts):
    """IAM Identity Center in front of the same answers: the portal's GetRoleCredentials (a
    GET) and the OIDC service's CreateToken (POST /token, refreshing an sso-session's token)."""

    def do_GET(self) -> None:
        self.tokens.append(self.headers.get("x-amz-sso_bearer_token", ""))
        self.answer_json(
            {
                "roleCredentials": {
                    "accessKeyId": FAKE_KEY_ID,
                    "secretAccessKey": FAKE_SECRET,
                    "sessionToken": FAKE_TOKEN,
                    "expiration": 1893456000000,
                }
            }
        )

    def do_POST(self) -> None:
        if self.path != "/token":
            return super().do_POST()
        asked = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.tokens.append(asked.get("refreshToken", ""))
        answer = {"accessToken": FRESH_SSO_TOKEN, "expiresIn": 28800, "tokenType": "Bearer"}
        return self.answer_json(answer | {"refreshToken": FAKE_REFRESH})

    def answer_json(self, document: dict[str, object]) -> None:
        self.answer(json.dumps(document).encode(), "application/json")


# A profile with its own sso_start_url and a cached token still valid; and one of an
# sso-session whose cached token has expired, refreshed with sso-oidc:CreateToken first.
ROLE = "sso_account_id = 444455556666\nsso_role_name = Audit\nregion = eu-west-1\n"
SSO_PROFILES = {
    "profile": (
        f"[profile sso]\nsso_start_url = {SSO_START}\nsso_region = eu-west-1\n{ROLE}",
        SSO_START,
        {"accessToken": FAKE_SSO_TOKEN, "expiresAt": "2030-01-01T00:00:00Z"},
    ),
    "sso-session": (
        f"[profile sso]\nsso_session = corp\n{ROLE}"
        f"[sso-session corp]\nsso_start_url = {SSO_START}\nsso_region = eu-west-1\n",
        "corp",
        {
            "accessToken": FAKE_SSO_TOKEN,
            "expiresAt": "2020-01-01T00:00:00Z",
            "clientId": "preflight-test-client",
            "clientSecret": FAKE_CLIENT_SECRET,
            "registrationExpiresAt": "2030-01-01T00:00:00Z",
            "refreshToken": FAKE_REFRESH,
        },
    ),
}


@pytest.mark.parametrize("kind", sorted(SSO_PROFILES))
@pytest.mark.parametrize("flags", [["-vv"], ["-vvv"], ["-vvv", "--log-format", "json"]])
def test_an_sso_profile_leaks_neither_its_token_nor_its_credentials(
    preflight, tmp_path, monkeypatch, flags, kind
):
    """--profile of IAM Identity Center: the cached access token goes to the portal in a
    header (refreshed first if it expired), the role's credentials come back in JSON; at -vvv
    botocore logs all of it."""
    handler = type("Answers", (SsoPortal,), {"tokens": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    profile, cache_key, cached = SSO_PROFILES[kind]
    config = tmp_path / "config"
    config.write_text(profile)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    cache = tmp_path / "sso-cache"  # botocore's ~/.aws/sso/cache, fixed when it is imported
    cache.mkdir()
    for owner in ("credentials.SSOProvider", "tokens.SSOTokenProvider"):
        monkeypatch.setattr(f"botocore.{owner}._SSO_TOKEN_CACHE_DIR", str(cache))
    (cache / f"{hashlib.sha1(cache_key.encode()).hexdigest()}.json").write_text(
        json.dumps({"startUrl": SSO_START, "region": "eu-west-1"} | cached)
    )
    try:
        run = preflight(
            "audit", "--profile", "sso", "--region", "eu-west-1",
            "--output-dir", str(tmp_path / "reports"), *flags,
        )  # fmt: skip
    finally:
        server.shutdown()

    assert run.code in (2, 3)  # every answer after the credentials is unusable; no crash
    if kind == "sso-session":  # refreshed with the cached refresh token, then used
        assert handler.tokens[:2] == [FAKE_REFRESH, FRESH_SSO_TOKEN]
    else:  # the portal was asked with the cached token
        assert handler.tokens[0] == FAKE_SSO_TOKEN
    assert FAKE_TOKEN in handler.tokens  # and the role's credentials were used
    outputs = [run.out, run.err] + [p.read_text() for p in (tmp_path / "reports").rglob("*.*")]
    for secret in (*SECRETS, *SSO_SECRETS):
        assert all(secret not in text for text in outputs), secret
    assert ("-vvv" in flags) == ("x-amz-sso_bearer_token" in run.err)


WEB_IDENTITY = ASSUME_ROLE.replace(
    b"AssumeRoleResponse", b"AssumeRoleWithWebIdentityResponse"
).replace(b"AssumeRoleResult", b"AssumeRoleWithWebIdentityResult")


class WebIdentity(Sts):
    """STS for AWS_WEB_IDENTITY_TOKEN_FILE (an EKS pod, a CI job's OIDC token)."""

    def answer_to(self, asked: dict[str, list[str]]) -> bytes:
        if asked.get("Action") != ["AssumeRoleWithWebIdentity"]:
            return IDENTITY
        self.tokens.append(asked.get("WebIdentityToken", [""])[0])
        return WEB_IDENTITY


def test_a_web_identity_is_exchanged_and_leaks_nothing(preflight, tmp_path, monkeypatch):
    """Credentials from AWS_WEB_IDENTITY_TOKEN_FILE: botocore's provider sends
    sts:AssumeRoleWithWebIdentity through the session, so the guard must let it through."""
    handler = type("Answers", (WebIdentity,), {"tokens": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    token = tmp_path / "web-identity-token"
    token.write_text(FAKE_SSO_TOKEN)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::444455556666:role/Audit")
    try:
        run = preflight(
            "audit", "--region", "eu-west-1", "--output-dir", str(tmp_path / "reports"), "-vvv"
        )  # fmt: skip
    finally:
        server.shutdown()

    assert "refused" not in run.err
    assert run.code in (2, 3)  # every answer after the credentials is unusable; no crash
    assert FAKE_SSO_TOKEN in handler.tokens  # the web identity token was exchanged
    assert FAKE_TOKEN in handler.tokens  # for the role's credentials, then used
    outputs = [run.out, run.err] + [p.read_text() for p in (tmp_path / "reports").rglob("*.*")]
    for secret in (*SECRETS, FAKE_SSO_TOKEN):
        assert all(secret not in text for text in outputs), secret


@pytest.mark.parametrize(
    "text",
    [
        f"<SecretAccessKey>{FAKE_SECRET}</SecretAccessKey>",
        f"Response body:\nb'<Credentials><SessionToken>{FAKE_TOKEN}'",  # cut short: no end tag
        f'{{"SessionToken": "{FAKE_TOKEN}", "AccessKeyId": "{FAKE_KEY_ID}"}}',
        f"headers: {{'X-Amz-Security-Token': '{FAKE_TOKEN}', 'Authorization': "
        f"'AWS4-HMAC-SHA256 Credential={FAKE_KEY_ID}/20261201/eu-west-1/sts/aws4_request'}}",
        f"aws_secret_access_key = {FAKE_SECRET}",
        f"headers: {{'x-amz-sso_bearer_token': b'{FAKE_TOKEN}'}}",  # IAM Identity Center
        f'{{"accessToken": "{FAKE_TOKEN}", "clientSecret": "{FAKE_SECRET}"}}',  # sso-oidc
        f"body: b'Action=AssumeRoleWithWebIdentity&WebIdentityToken={FAKE_TOKEN}&Version=1'",
    ],
)
def test_scrub_removes_every_credential_form(text):
    cleaned = scrub(text)

    assert all(secret not in cleaned for secret in SECRETS), cleaned
    assert "<redacted>" in cleaned


def test_scrub_leaves_ordinary_text_alone():
    text = "ec2:DescribeSubnets was denied (UnauthorizedOperation) on subnet-0abc"

    assert scrub(text) == text


class RefusedWebIdentity(Sts):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (
            b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            b"<Type>Sender</Type><Code>InvalidIdentityToken</Code>"
            b"<Message>Couldn't retrieve verification key from your identity provider</Message>"
            b"</Error><RequestId>3</RequestId></ErrorResponse>"
        )
        self.answer(body, "text/xml", status=400)


def test_a_refused_web_identity_is_one_line_naming_the_exchange(preflight, tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusedWebIdentity)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "token").write_text(FAKE_SSO_TOKEN)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::444455556666:role/Audit")
    try:
        run = preflight("audit", "--region", "eu-west-1", "--max-attempts", "1")
    finally:
        server.shutdown()

    assert run.code == 2
    assert run.err.startswith(
        "preflight: error: AssumeRoleWithWebIdentity, getting the credentials, failed "
        "(InvalidIdentityToken)"
    ), run.err
    assert run.err.count("\n") == 1
    assert FAKE_SSO_TOKEN not in run.err
