"""Benchmark: an organisation of many accounts on moto's server, one region each.

    python3 benchmarks/accounts.py                   # 200 and 1,000 accounts
    python3 benchmarks/accounts.py --accounts 50

Each account gets a VPC with an attached internet gateway, two subnets and two PostgreSQL DB
instances (built through an assumed role: moto gives the session the role's account). Then
`preflight audit --accounts-file F --region eu-west-1` reads them all, in its own interpreter.
Prints the wall time, the audit process's peak RSS, and requests per account. Then the same audit
again against moto's answers recorded (benchmarks/recorded.py): moto's server answers on the
same two cores as the audit, where AWS's endpoints would take none of this machine's CPU.
Everything runs on 127.0.0.1. Not a test: no timed assertion anywhere; the targets are printed
beside the numbers.
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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from precompile import prepare_checkout  # noqa: E402
from recorded import Answers  # noqa: E402
from run import CHILD, cpu_between  # noqa: E402  (its import sets the offline environment)

from auditor import moto_extension  # noqa: E402
from auditor.sample_account import Builder  # noqa: E402
from auditor.sessions import share_loader  # noqa: E402

REGION = "eu-west-1"
TARGET_S, TARGET_MB = 60, 600  # issue 18, at 1,000 accounts


def account_id(i: int) -> str:
    return f"{300000000000 + i}"


def build_account(sts: object, account: str) -> None:
    creds = sts.assume_role(  # type: ignore[attr-defined]
        RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup"
    )["Credentials"]
    boto3.setup_default_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )
    share_loader(boto3.DEFAULT_SESSION)  # service models parsed once, not per account
    b = Builder(REGION)
    vpc = b.vpc("10.0.0.0/16", "org")
    igw = b.internet_gateway(vpc)
    subnets = [b.subnet(vpc, f"10.0.{i}.0/24", az, public=True) for i, az in enumerate("ab")]
    b.route(b.main_table(vpc), "0.0.0.0/0", igw)
    group = b.db_subnet_group("org-db", subnets)
    for n in range(2):
        b.db(f"pg-{account}-{n}", "postgres", "16.3", group)


def family(pid: int) -> list[int]:
    """The process and its descendants (the audit forks readers and judges)."""
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        try:
            with open(f"/proc/{current}/task/{current}/children") as listed:
                todo += [int(c) for c in listed.read().split()]
        except OSError:
            pass
    return found


def pss_kib(pids: list[int]) -> int:
    """Proportional set size of these processes together (a page shared by two counts half
    in each): what the family holds of the machine's memory."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(x.split()[1]) for x in rollup if x.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total


class Audit:
    """One audit run: wall and CPU seconds of the audit's processes, the CPU of this process
    meanwhile (moto's server or the recorded answers; its main thread only waits), the audit's
    own peak RSS and its family's peak PSS (KiB), the report."""

    def __init__(
        self, endpoint: str, accounts_file: Path, out: Path, cores: int | None = None
    ) -> None:
        rss_file = out.with_suffix(".rss")
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "PREFLIGHT_RSS_FILE": str(rss_file)}
        started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = resource.getrusage(resource.RUSAGE_SELF)
        run = subprocess.Popen(
            [sys.executable, "-c", CHILD, "audit", "--quiet", "--format", "json", "--region",
             REGION, "--accounts-file", str(accounts_file), "--output-dir", str(out)],
            env=env,
            preexec_fn=None if cores is None else lambda: os.sched_setaffinity(0, range(cores)),
        )  # fmt: skip
        self.pss, stop = 0, threading.Event()

        def sample() -> None:
            while not stop.wait(0.1):
                self.pss = max(self.pss, pss_kib(family(run.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = run.wait()
        stop.set()
        sampler.join()
        self.wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_after = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu, self.server = cpu_between(before, after), cpu_between(server_before, server_after)
        if code not in (0, 1, 3):
            raise SystemExit(f"audit failed with exit {code}")
        self.report = json.loads((out / "latest.json").read_text())
        self.rss = int(rss_file.read_text())

    def line(self, size: int, answers: str) -> str:
        audited = sum(1 for a in self.report["accounts"] if a["status"] == "audited")
        requests = sum(self.report["api_calls"].values())
        return (
            f"{size:>5} accounts, {answers}: wall {self.wall:.1f} s (the audit's own CPU "
            f"{self.cpu:.1f} s; this process's {self.server:.1f} s, on the same cores), peak RSS "
            f"{self.rss / 1024:.0f} MB (the audit's processes: {self.pss / 1024:.0f} MB PSS), "
            f"{audited} audited, {len(self.report['targets'])} DB instances, "
            f"{requests / size:.1f} requests per account"
        )


def same_report(a: dict, b: dict) -> bool:
    keys = ("targets", "units", "accounts", "api_calls", "errors", "summary")
    return all(a[k] == b[k] for k in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--answers", choices=["moto", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="audits on the recorded answers")
    parser.add_argument(
        "--audit-cores", type=int, help="the audits on recorded answers on this many cores only"
    )
    args = parser.parse_args()
    prepare_checkout()
    moto_extension.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    built = 0
    sts = boto3.client("sts", region_name=REGION)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.accounts):
            started = time.monotonic()
            while built < size:
                build_account(sts, account_id(built))
                built += 1
            print(f"built {size} accounts ({time.monotonic() - started:.0f} s)", flush=True)
            accounts_file = Path(tmp) / f"accounts-{size}.csv"
            accounts_file.write_text(
                "account_id,role_name\n"
                + "".join(f"{account_id(i)},PreflightAudit\n" for i in range(size))
            )
            goal = f" (target at 1,000: < {TARGET_S} s, < {TARGET_MB} MB)" if size == 1000 else ""
            live = Audit(endpoint, accounts_file, Path(tmp) / f"out-{size}")
            print(live.line(size, "moto's server") + goal, flush=True)
            if args.answers == "moto":
                continue
            with Answers(endpoint) as recording:  # not timed
                Audit(recording.url, accounts_file, Path(tmp) / f"rec-{size}")
            with Answers(answers=recording.answers) as answers:
                for n in range(args.repeat):
                    out = Path(tmp) / f"replay-{size}-{n}"
                    again = Audit(answers.url, accounts_file, out, args.audit_cores)
                    same = (
                        "same report"
                        if same_report(again.report, live.report)
                        else "REPORT DIFFERS"
                    )
                    print(
                        f"{again.line(size, 'recorded answers')}{goal}; {answers.missed} not "
                        f"recorded; {same}",
                        flush=True,
                    )
    server.stop()


if __name__ == "__main__":
    main()
