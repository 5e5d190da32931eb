"""Bad input and credential problems: one line on stderr, exit 2, never a traceback."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Recorded from STS (query protocol): the answer to GetCallerIdentity with an expired session
# token. moto cannot expire credentials, so a loopback endpoint replays it as AWS sends it.
EXPIRED_TOKEN_XML = b"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>ExpiredToken</Code>
    <Message>The security token included in the request is expired</Message>
  </Error>
  <RequestId>4b9f4a0e-8b1d-4c6a-9f5e-1f0e2d3c4b5a</RequestId>
</ErrorResponse>
"""


class Recorder(BaseHTTPRequestHandler):
    requests: list[str]
    status = 403
    body = EXPIRED_TOKEN_XML

    def do_POST(self) -> None:
        self.requests.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_endpoint(monkeypatch) -> Iterator[list[str]]:
    """An AWS endpoint on 127.0.0.1 that records requests and answers ExpiredToken."""
    seen: list[str] = []
    handler = type("H", (Recorder,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield seen
    server.shutdown()


def assert_one_line_error(run, *phrases: str) -> None:
    assert run.code == 2
    assert "Traceback" not in run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("preflight: error: ")
    for phrase in phrases:
        assert phrase in lines[0]


def test_unknown_region_exits_2_before_any_request(preflight, loopback_endpoint):
    run = preflight("audit", "--region", "eu-west-9")

    assert_one_line_error(run, "unknown region 'eu-west-9'", "--region", "eu-west-1")
    assert "iso" not in run.err  # the nearest names of its own partition
    assert loopback_endpoint == []
    assert run.report is None


def test_a_region_in_upper_case_is_accepted():
    from auditor.sessions import validate_regions

    assert validate_regions(["EU-WEST-1", "eu-west-1", " us-east-1 "]) == ["eu-west-1", "us-east-1"]


def test_expired_token_exits_2_with_one_line(preflight, loopback_endpoint):
    run = preflight("audit", "--region", "eu-west-1")

    assert_one_line_error(run, "expired (ExpiredToken)", "refresh")
    assert len(loopback_endpoint) >= 1  # the one GetCallerIdentity, nothing after it


def test_no_credentials_exits_2_with_one_line(preflight, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    run = preflight("audit", "--region", "eu-west-1")

    assert_one_line_error(run, "no AWS credentials found", "preflight demo")


def test_unknown_profile_exits_2_with_one_line(preflight):
    run = preflight("audit", "--region", "eu-west-1", "--profile", "nope")

    assert_one_line_error(run, "unknown AWS profile 'nope'")


def test_no_region_anywhere_exits_2(preflight, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    run = preflight("audit")

    assert_one_line_error(run, "no region", "--region")


def test_bad_flag_value_is_one_line_not_a_usage_dump(preflight):
    run = preflight("audit", "--worker-network", "satellite")

    assert_one_line_error(run, "'satellite'", "preflight audit --help")


def test_demo_without_moto_names_the_extra(preflight, monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)  # as if moto were not installed

    run = preflight("demo")

    assert_one_line_error(run, "aws-preflight-auditor[demo]")


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--role-arn", "notanarn"], "'notanarn' is not an IAM role ARN"),
        (["--deadline", "inf"], "--deadline"),
        (["--deadline", "nan"], "--deadline"),
    ],
)
def test_bad_values_are_one_line_never_an_internal_error(preflight, args, phrase):
    run = preflight("audit", "--region", "eu-west-1", *args)

    assert_one_line_error(run, phrase)


@pytest.mark.usefixtures("aws")
def test_aws_region_is_honoured_over_aws_default_region(preflight, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # botocore alone would ignore it

    run = preflight("audit", "--format", "json")

    assert run.report is not None, run.err
    assert run.report["regions"] == ["eu-west-1"]
