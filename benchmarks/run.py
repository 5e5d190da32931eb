"""Benchmark: a synthetic account on moto's server, audited at 0 ms and at 50 ms per request.

    python3 benchmarks/run.py            # the full size: 3 regions x (100 VPCs, 1,000 subnets,
                                         #   200 DB instances of which 50 SQL Server), 50 roles
    python3 benchmarks/run.py --scale 0.1

Reports wall time at both latencies, requests by operation, the audit process's peak RSS, and
the floor (dependent round trips x latency). Everything runs on 127.0.0.1. Not a test: no
timed assertion anywhere; the targets are printed next to the measurements.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
)

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from precompile import prepare_checkout  # noqa: E402

from auditor import moto_extension  # noqa: E402
from auditor.collect import DEFAULT_MAX_WORKERS  # noqa: E402
from auditor.sample_account import Builder  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
# Dependent round trips with unlimited concurrency: identify; DescribeDBInstances pages (2 at
# 200 DB instances); stage 1 (longest chain: security groups + 2 quotas = 3); stage 2 (IAM role:
# GetRole, List*, GetRolePolicy = 3; prefix lists 1).
FLOOR_ROUND_TRIPS = 1 + 2 + 3 + 3


def build(scale: float) -> None:
    vpcs, subnets_per_vpc, dbs, sql, roles = (
        max(1, int(100 * scale)),
        10,
        max(2, int(200 * scale)),
        max(1, int(50 * scale)),
        max(1, int(50 * scale)),
    )
    role_arns = [Builder("eu-west-1").native_backup_role(f"bench-role-{i}") for i in range(roles)]
    for region in REGIONS:
        b = Builder(region)
        groups = []
        for v in range(vpcs):
            vpc = b.vpc(f"10.{v}.0.0/16", f"bench-{v}")
            igw = b.internet_gateway(vpc)
            subnets = [
                b.subnet(vpc, f"10.{v}.{s}.0/24", "ab"[s % 2], public=s < 2)
                for s in range(subnets_per_vpc)
            ]
            b.route(b.main_table(vpc), "0.0.0.0/0", igw)
            groups.append(b.db_subnet_group(f"bench-{v}", subnets[2:4]))
        for i in range(dbs):
            group = groups[i % len(groups)]
            if i < sql:
                og = b.backup_option_group(
                    f"bench-og-{i}", "sqlserver-se", "15.00", role_arns[i % len(role_arns)]
                )
                b.db(f"sql-{i}", "sqlserver-se", "15.00.4345.5.v1", group, option_group=og)
            else:
                b.db(f"pg-{i}", "postgres", "16.3", group)
        print(
            f"built {region}: {vpcs} VPCs, {vpcs * subnets_per_vpc} subnets, {dbs} DB instances",
            flush=True,
        )


# The audit, in its own interpreter, writing its own peak RSS at exit: VmHWM of
# /proc/self/status belongs to the new program (ru_maxrss would keep the forked parent's size).
CHILD = (
    "import atexit, os\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            open(os.environ['PREFLIGHT_RSS_FILE'], 'w').write(line.split()[1])\n"
    "atexit.register(peak)\n"
    "from auditor.cli import main\n"
    "main()\n"
)


def cpu_between(before: resource.struct_rusage, after: resource.struct_rusage) -> float:
    """CPU seconds (user and system) from one getrusage reading to a later one."""
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def audit(endpoint: str, out: Path) -> tuple[float, float, float, int, dict[str, int]]:
    """Wall and CPU seconds of the audit process, CPU seconds of moto's server and the proxy
    meanwhile (this process: its main thread only waits), the audit's peak RSS (KiB), its
    requests by operation."""
    rss_file = out.with_suffix(".rss")
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "PREFLIGHT_RSS_FILE": str(rss_file)}
    started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = resource.getrusage(resource.RUSAGE_SELF)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "audit", "--quiet", "--format", "json",
         "--output-dir", str(out), *[a for region in REGIONS for a in ("--region", region)]],
        env=env,
        check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu, server = cpu_between(before, after), cpu_between(server_before, server_after)
    rss = int(rss_file.read_text())
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"audit failed with exit {done.returncode}")
    report = json.loads((out / "latest.json").read_text())
    return wall, cpu, server, rss, report["api_calls"]


def round_trip(endpoint: str, n: int = 10) -> float:
    """The median seconds of one request through ``endpoint`` (a check that the latency asked
    for is the one the audit gets: with Nagle's algorithm on the proxy's side it was 96 ms, not
    50)."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="eu-west-1")
    sts.get_caller_identity()  # the connection opened first
    times = []
    for _ in range(n):
        started = time.perf_counter()
        sts.get_caller_identity()
        times.append(time.perf_counter() - started)
    return sorted(times)[n // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    prepare_checkout()
    moto_extension.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    boto3.DEFAULT_SESSION = None
    started = time.monotonic()
    build(args.scale)
    print(f"setup: {time.monotonic() - started:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        wall0, cpu0, server0, rss0, calls = audit(endpoint, Path(tmp) / "fast")
        with FaultProxy(endpoint, delay_s=args.latency_ms / 1000) as proxy:
            latency = round_trip(proxy.url)
            wall50, cpu50, server50, rss50, _ = audit(proxy.url, Path(tmp) / "slow")
    server.stop()
    print(
        f"the proxy's round trip, measured: {latency * 1000:.1f} ms "
        f"(asked: {args.latency_ms:g} ms; moto's own answer time included)"
    )
    floor = FLOOR_ROUND_TRIPS * args.latency_ms / 1000
    target = wall0 + 2 * floor + 1
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"wall at 0 ms: {wall0:.2f} s; at {args.latency_ms:g} ms: {wall50:.2f} s")
    share = cpu50 / wall50
    met = "met" if share <= 0.25 else "MISSED"
    print(
        f"the audit's own CPU: {cpu0:.2f} s at 0 ms; {cpu50:.2f} s at {args.latency_ms:g} ms, "
        f"{share:.0%} of its wall time (target <= 25%: {met})"
    )
    print(
        f"moto's server (and at {args.latency_ms:g} ms the proxy), on the same cores: "
        f"{server0:.2f} s of CPU at 0 ms, {server50:.2f} s at {args.latency_ms:g} ms"
    )
    print(
        f"floor: {FLOOR_ROUND_TRIPS} dependent round trips x {args.latency_ms:g} ms = {floor:.2f} s"
    )
    requests = sum(calls.values())
    db_instances = len(REGIONS) * max(2, int(200 * args.scale))  # as build() makes them
    fan_out = requests * args.latency_ms / 1000 / DEFAULT_MAX_WORKERS
    print(
        f"fan-out floor: {requests} requests x {args.latency_ms:g} ms / {DEFAULT_MAX_WORKERS} in "
        f"flight = {fan_out:.2f} s of wall, whatever the server; 25% of that is "
        f"{fan_out / 4 * 1000 / requests:.2f} ms of the audit's CPU per request, all included"
    )
    print(
        f"the audit's own CPU at {args.latency_ms:g} ms: {cpu50 / requests * 1000:.2f} ms per "
        f"request, {cpu50 / db_instances * 1000:.2f} ms per DB instance"
    )
    met = "met" if wall50 <= target else "MISSED"
    print(f"target wall({args.latency_ms:g} ms) <= {target:.2f} s: {met}")
    peak = max(rss0, rss50) / 1024
    met = "met" if peak <= 200 else "MISSED"
    print(f"peak RSS of the audit process: {peak:.0f} MB (target <= 200 MB: {met})")
    print(f"requests: {sum(calls.values())} in all")
    for op, n in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {op}")


if __name__ == "__main__":
    main()
