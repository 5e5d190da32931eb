"""How fast local IAM evaluation is: 10,000 (action, resource) pairs against a 20-statement
policy set (identity policies, a boundary and a bucket policy, with conditions and variables).

    python3 benchmarks/policy_eval.py

Target (issue 12): under 1 s on the 2-core development machine. A benchmark, never a timed test.
"""

from __future__ import annotations

import time

from auditor.policy import Context, Policy, Principal, Request, evaluate

SERVICES = ["s3", "ec2", "rds", "kms", "iam"]
VERBS = ["Get", "Put", "List", "Describe", "Delete"]


def statements(n: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(n):
        service = SERVICES[i % len(SERVICES)]
        stmt: dict[str, object] = {
            "Sid": f"S{i}",
            "Effect": "Deny" if i % 7 == 6 else "Allow",
            "Action": [f"{service}:{VERBS[i % len(VERBS)]}*", f"{service}:Tag*"],
            "Resource": [
                f"arn:aws:{service}:*:111122223333:thing-{i}/*",
                "arn:aws:s3:::b-${aws:username}/*",
            ],
        }
        if i % 3 == 0:
            stmt["Condition"] = {
                "StringEquals": {"aws:PrincipalAccount": "111122223333"},
                "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
            }
        out.append(stmt)
    return out


def main() -> None:
    stmts = statements(20)
    identity = [
        Policy("id-a", {"Statement": stmts[:12]}),
        Policy("id-b", {"Statement": stmts[12:16]}),
    ]
    boundary = Policy(
        "boundary", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    bucket = Policy(
        "bucket",
        {
            "Statement": [
                {**s, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}} for s in stmts[16:]
            ]
        },
    )
    who = Principal("AWS", "arn:aws:iam::111122223333:user/alice")
    ctx = Context({"aws:SourceIp": ["10.1.2.3"]})
    pairs = [
        (f"{s}:{v}Object{i % 10}", f"arn:aws:{s}:eu-west-1:111122223333:thing-{i % 20}/x{i}")
        for i in range(2000)
        for s, v in zip(SERVICES, VERBS, strict=True)
    ]
    assert len(pairs) == 10_000
    start = time.perf_counter()
    decisions: dict[str, int] = {}
    for action, resource in pairs:
        verdict = evaluate(
            Request(action, resource, who, ctx), identity, boundary, bucket, "111122223333"
        )
        decisions[verdict.decision] = decisions.get(verdict.decision, 0) + 1
    elapsed = time.perf_counter() - start
    print(
        f"{len(pairs)} pairs x 20 statements: {elapsed:.2f} s "
        f"({elapsed / len(pairs) * 1e6:.0f} µs/pair)"
    )
    print("decisions:", dict(sorted(decisions.items())))


if __name__ == "__main__":
    main()
