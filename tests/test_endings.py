"""Every read ends: a never-ending pagination token is a gap, and --deadline ends the process
within seconds even when a request never answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.stub import Stubber

from auditor.collectors.base import UnitContext
from auditor.collectors.guardrails import BPA_EXCLUSIONS, GuardrailsCollector
from auditor.inventory import RegionInventory
from auditor.sessions import AwsSession
from tests.test_secrets import IDENTITY


def test_a_repeated_token_ends_block_public_access_exclusions_as_a_gap():
    # moto cannot send a token twice: a recorded answer in botocore's shape (Stubber validates
    # it against the service model) returns the same NextToken on every page.
    aws = AwsSession(boto3.Session(region_name="eu-west-1"))
    client = aws.client("ec2", "eu-west-1")
    inventory = RegionInventory("123456789012", "eu-west-1")
    ctx = UnitContext(aws, inventory, list, threading.Semaphore(4)).for_collector(
        GuardrailsCollector.calls
    )
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_response(
                "describe_vpc_block_public_access_exclusions",
                {"VpcBlockPublicAccessExclusions": [], "NextToken": "again"},
            )

        pages = GuardrailsCollector().bpa_exclusion_pages(ctx)

    assert pages is None
    (error,) = inventory.errors
    assert (error.operation, error.code) == (BPA_EXCLUSIONS.operation, "RepeatedToken")


class Silent(BaseHTTPRequestHandler):
    """Answers sts:GetCallerIdentity; every other request waits without answering."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if urllib.parse.parse_qs(body).get("Action", [""])[0] == "GetCallerIdentity":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(IDENTITY)))
            self.end_headers()
            self.wfile.write(IDENTITY)
            return
        time.sleep(120)

    def log_message(self, *args: object) -> None:
        pass


def test_the_deadline_ends_the_process_when_a_request_never_answers(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    exe = shutil.which("preflight")
    assert exe
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}"}
    start = time.monotonic()
    try:
        run = subprocess.run(
            [exe, "audit", "--region", "eu-west-1", "--deadline", "2", "--max-attempts", "1",
             "--output-dir", str(tmp_path / "reports")],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
    elapsed = time.monotonic() - start

    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert run.returncode in (2, 3), run.stderr
    assert "Traceback" not in run.stderr
