"""Benchmark: replaying synthetic snapshots (no AWS call at all), json + html + md written.

    python3 benchmarks/replay.py                    # 1,000 / 5,000 / 20,000 DB instances
    python3 benchmarks/replay.py --sizes 1000 5000 --repeat 3

Each snapshot is internally consistent: 25 (account, region) units; per VPC 2 DB instances,
10 subnets in 3 AZs (public ones routed to the internet gateway, private ones to a NAT gateway
and the S3 gateway endpoint), 2 route tables, the ssm, ssmmessages, sqs and S3 interface
endpoints, a network ACL and the endpoints' security group; one VPC in 20 has the S3 interface
endpoint missing, one in 25 its DNS hostnames off. The time and the peak RSS are those of the
`preflight audit --from-snapshot` process (min and median of --repeat runs); the children it
forks to judge units and write formats on the other cores (auditor.forked) are measured too,
their peak RSS printed beside the parent's. Not a test: no timed assertion anywhere; the
targets (issue 18) are printed beside the measurements.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from precompile import prepare_checkout  # noqa: E402

from auditor.inventory import AccountRecord, Inventory, RegionInventory, Subnet  # noqa: E402
from auditor.serde import from_data, to_data  # noqa: E402
from tests.inventory_builder import PRIVATE_TABLE, baseline  # noqa: E402

UNITS = 25
TARGETS = {5000: (10.0, 400), 20000: (40.0, None)}  # size -> (seconds, MB)


def vpc_copy(template: dict, n: int, region: str) -> dict:
    """The baseline's one VPC as VPC number ``n`` in ``region`` (every id suffixed, its CIDRs
    its own, its AZs, endpoint service names and ARNs those of the region)."""
    text = json.dumps(template).replace("eu-west-1", region)
    for old in (
        "vpc-1", "subnet-public", "subnet-private", "subnet-nat", "rtb-main", "rtb-private",
        "igw-1", "nat-1", "vpce-s3-interface", "vpce-ssmmessages", "vpce-ssm", "vpce-sqs",
        "vpce-s3-gateway", "sg-endpoints", "sg-db", "acl-default",
    ):  # fmt: skip
        text = text.replace(f'"{old}"', f'"{old}-{n}"')
    text = text.replace('"10.0.', f'"10.{n % 250}.')
    return dict(json.loads(text))


def build_unit(account: str, region: str, vpcs: int, first_db: int) -> RegionInventory:
    base = to_data(baseline())
    parts = ("subnets", "route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints")
    parts += ("network_acls", "security_groups")
    merged: dict = {**base, "account_id": account, "region": region, "vpcs": {}}
    merged["db_instances"] = []
    for part in parts:
        merged[part] = []
    for n in range(vpcs):
        one = vpc_copy(base, n, region)
        vpc_id = f"vpc-1-{n}"
        merged["vpcs"].update(one["vpcs"])
        if n % 25 == 0:
            merged["vpcs"][vpc_id]["dns_hostnames"] = False
        for part in parts:
            merged[part] += one[part]
        if n % 20 == 0:
            merged["vpc_endpoints"] = [
                e for e in merged["vpc_endpoints"] if e["endpoint_id"] != f"vpce-s3-interface-{n}"
            ]
        for k in range(7):  # more private subnets, in the private table
            az = f"{region}{'abc'[k % 3]}"
            cidr = f"10.{n % 250}.{10 + k}.0/24"
            subnet = Subnet(f"subnet-x{k}-{n}", vpc_id, az, "available", cidr, 200, False)
            merged["subnets"].append(to_data(subnet))
            table = next(
                t for t in merged["route_tables"] if t["route_table_id"] == f"{PRIVATE_TABLE}-{n}"
            )
            table["subnet_ids"].append(subnet.subnet_id)
        for d in range(2):
            db = dict(one["db_instances"][0])
            db["db_instance_id"] = f"db-{first_db + 2 * n + d}"
            db["arn"] = f"arn:aws:rds:{region}:{account}:db:{db['db_instance_id']}"
            merged["db_instances"].append(db)
    return from_data(RegionInventory, merged)


def snapshot(size: int) -> Inventory:
    vpcs = max(1, size // UNITS // 2)
    units, accounts = [], []
    for i in range(UNITS):
        account, region = (
            f"1111222{i // 5:05d}",
            ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2")[i % 5],
        )
        if i % 5 == 0:
            accounts.append(AccountRecord(account, f"arn:aws:iam::{account}:role/audit"))
        units.append(build_unit(account, region, vpcs, i * vpcs * 2))
    return Inventory(accounts=accounts, regions=units)


def replay(path: Path, out: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MB, its largest child's peak RSS MB) of one replay in its own
    process."""
    code = (
        "import resource, sys\n"
        "from auditor.cli import main\n"
        "try:\n"
        f"    main(['audit', '--from-snapshot', {str(path)!r}, '--format', 'json,html,md',"
        f" '--output-dir', {str(out)!r}, '-q'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    own, child = done.stdout.strip().splitlines()[-1].split()
    return wall, int(own) / 1024, int(child) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    prepare_checkout()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    times: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"snapshot-{size}.json"
            path.write_text(snapshot(size).to_json())
            runs = [replay(path, Path(tmp) / f"out-{size}-{r}") for r in range(args.repeat)]
            walls, rss = [w for w, _, _ in runs], [m for _, m, _ in runs]
            children = max(c for _, _, c in runs)
            times[size] = statistics.median(walls)
            target = TARGETS.get(size)
            goal = (
                f" (target < {target[0]:.0f} s"
                + (f", < {target[1]} MB)" if target and target[1] else ")")
                if target
                else ""
            )
            print(
                f"{size:>6} DB instances: wall min {min(walls):.2f} s, median {times[size]:.2f} s; "
                f"peak RSS {max(rss):.0f} MB (its children: {children:.0f} MB){goal}"
            )
    if 1000 in times and 5000 in times:
        print(f"time(5,000) / time(1,000) = {times[5000] / times[1000]:.2f} (target < 6.5)")


if __name__ == "__main__":
    main()
