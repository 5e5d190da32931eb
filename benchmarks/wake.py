"""Benchmark: what one request costs preflight's client back to back, and after a wait.

    python3 benchmarks/wake.py            # ~1 minute
    python3 benchmarks/wake.py --rounds 4 --wait-ms 5

The online benchmark (run.py) at 50 ms compares the audit's CPU with its wall time. This one
asks how much of that CPU is the code and how much the machine: the same client sends the same
`DescribeVpcAttribute` to a canned local answer (a child process, keep-alive, no moto), in
blocks of requests sent back to back and blocks where each request follows a wait, alternating
so that both see the same moments of the machine. The CPU is the sending thread's own
(time.thread_time). A block of plain Python work (no socket) is timed the same two ways.
Not a test: no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fault_proxy import LoopbackHandler  # noqa: E402

ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcAttributeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><vpcId>vpc-1a2b3c4d</vpcId>
<enableDnsHostnames><value>true</value></enableDnsHostnames>
</DescribeVpcAttributeResponse>"""


class Canned(LoopbackHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(ANSWER)))
        self._headers_buffer.append(b"\r\n" + ANSWER)  # type: ignore[attr-defined]
        self.flush_headers()  # one write: no Nagle wait between the headers and the body


def serve() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    print(server.server_address[1], flush=True)
    server.serve_forever()


DATA = [random.random() for _ in range(2000)]


def work() -> None:
    table: dict[int, float] = {}
    for i, x in enumerate(DATA):
        table[i % 97] = x * i
    json.dumps(table)


def per_call_ms(call: Callable[[], object], wait_s: float, n: int) -> float:
    spent = 0.0
    for _ in range(n):
        if wait_s:
            time.sleep(wait_s)
        started = time.thread_time()
        call()
        spent += time.thread_time() - started
    return spent / n * 1000


def alternate(call: Callable[[], object], wait_s: float, rounds: int, n: int) -> list[list[float]]:
    warm: list[float] = []
    woken: list[float] = []
    for _ in range(rounds):
        warm.append(per_call_ms(call, 0.0, n))
        woken.append(per_call_ms(call, wait_s, n))
    return [warm, woken]


def line(name: str, warm: list[float], woken: list[float]) -> str:
    return (
        f"{name:<28} {statistics.median(warm):6.2f} ({min(warm):.2f}-{max(warm):.2f})"
        f"   {statistics.median(woken):6.2f} ({min(woken):.2f}-{max(woken):.2f})"
        f"   x{statistics.median(woken) / statistics.median(warm):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--per-block", type=int, default=40)
    parser.add_argument("--wait-ms", type=float, default=50.0)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
    )
    import boto3

    from auditor.sessions import AwsSession

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        url = f"http://127.0.0.1:{child.stdout.readline().strip()}"
        aws = AwsSession(boto3.Session(region_name="eu-west-1"), endpoint_url=url)
        ec2 = aws.client("ec2", "eu-west-1")

        def request() -> object:
            return ec2.describe_vpc_attribute(VpcId="vpc-1", Attribute="enableDnsHostnames")

        request()
        wait = args.wait_ms / 1000
        print(f"CPU per call, ms: median (min-max) of {args.rounds} blocks of {args.per_block}")
        print(f"{'':<28} {'back to back':<19}  {f'after {args.wait_ms:g} ms idle':<19}")
        print(line("DescribeVpcAttribute", *alternate(request, wait, args.rounds, args.per_block)))
        print(line("plain Python (no socket)", *alternate(work, wait, args.rounds, args.per_block)))
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
