"""auditor.policy decides like AWS: cited rows per class of the IAM evaluation rules — account
delegation, role sessions, policy variables, every condition operator, identity and resource
policies together (same account and across accounts)."""

from __future__ import annotations

import base64

import pytest

from auditor.policy import Context, Policy, Principal, Request, evaluate, evaluate_resource_policy

# The IAM User Guide pages the rows follow.
PRINCIPAL = "IAM UG, Principal: an account principal delegates to the account's identity policies"
SAME_ARN = "IAM UG, Principal: a policy naming the principal's ARN allows by itself in its account"
CROSS = "IAM UG, Cross-account policy evaluation logic: identity and resource policy must allow"
SAME = "IAM UG, Policy evaluation logic: same account, an allow in either policy type suffices"
DENY = "IAM UG, Policy evaluation logic: an explicit Deny in any policy wins"
BOUNDARY = "IAM UG, Permissions boundaries: identity policies are limited by the boundary"
SESSION = "IAM UG, Principal: role sessions; aws:PrincipalArn is the role's ARN for a session"
VARIABLES = "IAM UG, Policy variables: substituted in Resource and string conditions"
NO_VALUE = "IAM UG, Policy variables with no value: the element does not match"
SPECIAL = "IAM UG, Policy variables: ${*}, ${?}, ${$} are the literal characters"
DEFAULTS = "IAM UG, Policy variables: ${key, 'default'} when the key is absent"
NUMERIC = "IAM UG, Condition operators: Numeric"
DATE = "IAM UG, Condition operators: Date (ISO 8601 or epoch)"
BOOL = "IAM UG, Condition operators: Bool"
BINARY = "IAM UG, Condition operators: BinaryEquals (base-64)"
IP = "IAM UG, Condition operators: IpAddress / NotIpAddress (IPv4 and IPv6 CIDRs)"
ARN = "IAM UG, Condition operators: ARN (each part compared; not an ARN: no match)"
STRING = "IAM UG, Condition operators: String (case-sensitive unless IgnoreCase)"
IFEXISTS = "IAM UG, Condition operators: ...IfExists"
NULL = "IAM UG, Condition operators: Null"
SETS = "IAM UG, Set operators: ForAllValues empty set true, ForAnyValue empty set false"
MULTI = "IAM UG, Single-valued vs. multivalued context keys: multivalued keys need a set operator"
LOCAL = "preflight rule: what local evaluation cannot see is unknown, never allowed"

A, B = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{A}:role/ops/veeam-backup"
SESSION_ARN = f"arn:aws:sts::{A}:assumed-role/veeam-backup/run-42"
USER = f"arn:aws:iam::{A}:user/alice"
BUCKET = "arn:aws:s3:::reports"
OBJECT = "arn:aws:s3:::reports/alice/q4.csv"


def doc(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def policy(*stmts, name="identity"):
    return Policy(name, doc(*stmts))


def allow(action="s3:GetObject", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:GetObject", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal, action="s3:GetObject", resource=OBJECT, effect="Allow", **extra):
    return {
        "Effect": effect,
        "Principal": principal,
        "Action": action,
        "Resource": resource,
        **extra,
    }


def assume(principal, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


# --- 1. an account is not a principal ------------------------------------------------------------

APPLIANCE = Principal("AWS", f"arn:aws:iam::{B}:role/VeeamImpersonation")
LOCAL_CALLER = Principal("AWS", USER)
ASSUME_ROLE = policy(allow("sts:AssumeRole", ROLE))


@pytest.mark.parametrize(
    ("trust", "caller", "identity", "expected", "rule"),
    [
        pytest.param(
            assume({"AWS": A}), LOCAL_CALLER, None, "unknown", PRINCIPAL, id="acct-unread"
        ),
        pytest.param(
            assume({"AWS": f"arn:aws:iam::{A}:root"}),
            LOCAL_CALLER,
            [ASSUME_ROLE],
            "allowed",
            PRINCIPAL,
            id="root-with-identity-allow",
        ),
        pytest.param(
            assume({"AWS": A}), LOCAL_CALLER, [], "implicitDeny", PRINCIPAL, id="acct-no-allow"
        ),
        pytest.param(assume({"AWS": USER}), LOCAL_CALLER, None, "allowed", SAME_ARN, id="own-arn"),
        pytest.param(
            assume({"AWS": f"arn:aws:iam::{B}:root"}),
            APPLIANCE,
            None,
            "unknown",
            CROSS,
            id="cross-root-unread",
        ),
        pytest.param(
            assume({"AWS": f"arn:aws:iam::{B}:root"}),
            APPLIANCE,
            [ASSUME_ROLE],
            "allowed",
            CROSS,
            id="cross-root-identity-allows",
        ),
        pytest.param(
            assume({"AWS": APPLIANCE.id}),
            APPLIANCE,
            [],
            "implicitDeny",
            CROSS,
            id="cross-arn-no-identity-allow",
        ),
        pytest.param(
            assume({"AWS": APPLIANCE.id}),
            APPLIANCE,
            [ASSUME_ROLE],
            "allowed",
            CROSS,
            id="cross-arn-identity-allows",
        ),
        pytest.param(
            assume({"AWS": "999999999999"}),
            APPLIANCE,
            [ASSUME_ROLE],
            "implicitDeny",
            CROSS,
            id="another-account",
        ),
    ],
)
def test_role_trust_naming_an_account_delegates(trust, caller, identity, expected, rule):
    request = Request("sts:AssumeRole", ROLE, caller)

    verdict = evaluate_resource_policy(request, Policy("trust", doc(trust)), identity, None, A)

    assert verdict.decision == expected, rule
    if expected == "unknown":
        assert verdict.delegated_to == caller.account
        assert any(f"identity policies of account {caller.account}" in u for u in verdict.unknowns)


def test_naming_the_account_never_allows_more_than_naming_the_principal():
    for identity in (None, [], [policy(allow())]):
        by_account = evaluate(
            Request("s3:GetObject", OBJECT, LOCAL_CALLER), identity, None,
            policy(grant({"AWS": A}), name="bucket"), A,
        )  # fmt: skip
        by_arn = evaluate(
            Request("s3:GetObject", OBJECT, LOCAL_CALLER), identity, None,
            policy(grant({"AWS": USER}), name="bucket"), A,
        )  # fmt: skip
        assert by_arn.allowed, SAME_ARN
        assert by_account.allowed is (identity is not None and identity != []), PRINCIPAL


# --- 2. roles and their sessions -----------------------------------------------------------------

RUN = Principal("AWS", SESSION_ARN, role_arn=ROLE)


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        pytest.param(ROLE, "allowed", id="role-arn-with-path"),
        pytest.param(SESSION_ARN, "allowed", id="session-arn"),
        pytest.param(f"arn:aws:iam::{A}:role/veeam-backup", "implicitDeny", id="other-path"),
        pytest.param(f"arn:aws:iam::{A}:role/ops/other", "implicitDeny", id="other-role"),
        pytest.param(f"arn:aws:iam::{B}:role/ops/veeam-backup", "implicitDeny", id="other-acct"),
    ],
)
def test_a_role_principal_matches_its_sessions(named, expected):
    bucket = policy(grant({"AWS": named}), name="bucket")

    verdict = evaluate(Request("s3:GetObject", OBJECT, RUN), [], None, bucket, A)

    assert verdict.decision == expected, SESSION


def test_a_session_without_a_known_path_matches_the_role_by_name():
    run = Principal("AWS", SESSION_ARN)
    bucket = policy(grant({"AWS": ROLE}), name="bucket")

    assert evaluate(Request("s3:GetObject", OBJECT, run), [], None, bucket, A).allowed, SESSION


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"ArnEquals": {"aws:PrincipalArn": ROLE}}, "allowed", id="role-arn"),
        pytest.param(
            {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ops/*"}},
            "allowed",
            id="role-path-pattern",
        ),
        pytest.param(
            {"StringEquals": {"aws:PrincipalArn": SESSION_ARN}},
            "implicitDeny",
            id="not-the-session-arn",
        ),
        pytest.param({"StringEquals": {"aws:PrincipalAccount": A}}, "allowed", id="account"),
    ],
)
def test_principal_arn_of_a_session_is_the_role(condition, expected):
    identity = [policy(allow(Condition=condition))]

    assert evaluate(Request("s3:GetObject", OBJECT, RUN), identity).decision == expected, SESSION


# --- 3. policy variables -----------------------------------------------------------------------

ALICE = Principal("AWS", USER)


@pytest.mark.parametrize(
    ("resource", "principal", "context", "expected", "rule"),
    [
        pytest.param(
            "arn:aws:s3:::reports/${aws:username}/*", ALICE, {}, "allowed", VARIABLES, id="username"
        ),
        pytest.param(
            "arn:aws:s3:::reports/${aws:username}/*",
            Principal("AWS", f"arn:aws:iam::{A}:user/bob"),
            {},
            "implicitDeny",
            VARIABLES,
            id="other-user",
        ),
        pytest.param(
            "arn:aws:s3:::reports/${aws:username}/*",
            RUN,
            {"absent": ["aws:username"]},
            "implicitDeny",
            NO_VALUE,
            id="role-has-no-username",
        ),
        pytest.param(
            "arn:aws:s3:::reports/${aws:username, 'alice'}/*",
            RUN,
            {"absent": ["aws:username"]},
            "allowed",
            DEFAULTS,
            id="default",
        ),
        pytest.param(
            "arn:aws:s3:::reports/${aws:PrincipalTag/team}/*",
            RUN,
            {},
            "unknown",
            LOCAL,
            id="tag-not-known",
        ),
        pytest.param(
            "arn:aws:s3:::reports/${aws:PrincipalTag/team}/*",
            RUN,
            {"values": {"aws:PrincipalTag/team": "alice"}},
            "allowed",
            VARIABLES,
            id="tag-known",
        ),
        pytest.param(
            "arn:aws:s3:::reports/${*}", ALICE, {}, "implicitDeny", SPECIAL, id="literal-star"
        ),
        pytest.param(
            "arn:aws:s3:::reports/alice/q4.cs${?}",
            ALICE,
            {},
            "implicitDeny",
            SPECIAL,
            id="literal-question-mark",
        ),
    ],
)
def test_policy_variables_in_resources(resource, principal, context, expected, rule):
    ctx = Context(context.get("values", {}), frozenset(context.get("absent", ())))
    identity = [policy(allow(resource=resource))]

    verdict = evaluate(Request("s3:GetObject", OBJECT, principal, ctx), identity)

    assert verdict.decision == expected, rule


def test_a_literal_star_variable_matches_only_a_star():
    identity = [policy(allow(resource="arn:aws:s3:::reports/${*}"))]

    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::reports/*", ALICE), identity).allowed


@pytest.mark.parametrize(
    ("prefix", "context", "expected"),
    [
        pytest.param("alice/", {}, "allowed", id="own-prefix-not-denied"),
        pytest.param("bob/", {}, "explicitDeny", id="other-prefix-denied"),
        pytest.param("alice/", {"aws:username": None}, "unknown", id="username-unknown"),
    ],
)
def test_a_negated_operator_with_a_variable_is_not_compared_as_text(prefix, context, expected):
    """A Deny on `StringNotLike s3:prefix ${aws:username}/*`: compared as literal text it never
    matches the pattern, so the Deny would always fire (or, negated twice, never)."""
    guard = deny(
        "s3:ListBucket", BUCKET, Condition={"StringNotLike": {"s3:prefix": "${aws:username}/*"}}
    )
    identity = [policy(allow("s3:ListBucket", BUCKET), guard)]
    principal = ALICE if not context else Principal("AWS", f"arn:aws:iam::{A}:role/anyone")
    ctx = Context({"s3:prefix": [prefix]})

    verdict = evaluate(Request("s3:ListBucket", BUCKET, principal, ctx), identity)

    assert verdict.decision == expected, VARIABLES


# --- 4. condition operators --------------------------------------------------------------------

KEYS = {
    "s3:max-keys": ["25"],
    "aws:CurrentTime": ["2026-12-01T12:00:00Z"],
    "aws:EpochTime": ["1796126400"],
    "aws:SecureTransport": ["true"],
    "aws:SourceIp": ["203.0.113.7"],
    "aws:VpcSourceIp": ["2001:db8::5"],
    "custom:blob": [base64.b64encode(b"veeam").decode()],
    "aws:SourceArn": [f"arn:aws:rds:eu-west-1:{A}:db:orders"],
    "aws:SourceAccount": [A],
    "aws:PrincipalTag/team": ["Backup"],
    "aws:TagKeys": ["team", "owner"],
    "aws:CalledVia": ["cloudformation.amazonaws.com"],
}
CTX = Context(KEYS, frozenset({"aws:MultiFactorAuthAge", "aws:RequestTag/env"}))

OPERATOR_CASES = [
    # (condition, expected, rule)
    ({"NumericLessThan": {"s3:max-keys": "100"}}, "allowed", NUMERIC),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, "implicitDeny", NUMERIC),
    ({"NumericEquals": {"s3:max-keys": 25}}, "allowed", NUMERIC),
    ({"NumericNotEquals": {"s3:max-keys": "25"}}, "implicitDeny", NUMERIC),
    ({"NumericGreaterThanEquals": {"s3:max-keys": "25"}}, "allowed", NUMERIC),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, "implicitDeny", NUMERIC),
    ({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, "allowed", IFEXISTS),
    ({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, "allowed", DATE),
    ({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01"}}, "implicitDeny", DATE),
    ({"DateLessThan": {"aws:CurrentTime": "1830000000"}}, "allowed", DATE),
    ({"DateEquals": {"aws:EpochTime": "2026-12-01T12:00:00+00:00"}}, "allowed", DATE),
    ({"Bool": {"aws:SecureTransport": "true"}}, "allowed", BOOL),
    ({"Bool": {"aws:SecureTransport": False}}, "implicitDeny", BOOL),
    ({"BinaryEquals": {"custom:blob": base64.b64encode(b"veeam").decode()}}, "allowed", BINARY),
    (
        {"BinaryEquals": {"custom:blob": base64.b64encode(b"other").decode()}},
        "implicitDeny",
        BINARY,
    ),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "allowed", IP),
    ({"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}, "implicitDeny", IP),
    ({"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}, "allowed", IP),
    ({"IpAddress": {"aws:VpcSourceIp": "2001:db8::/32"}}, "allowed", IP),
    ({"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}, "implicitDeny", IP),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:rds:*:111122223333:db:*"}}, "allowed", ARN),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:rds:eu-west-1:111122223333:db:other"}},
        "implicitDeny",
        ARN,
    ),
    ({"ArnLike": {"aws:SourceAccount": "*"}}, "implicitDeny", ARN),  # not an ARN: no match
    ({"ArnNotLike": {"aws:SourceAccount": "arn:aws:*"}}, "allowed", ARN),
    ({"StringEquals": {"aws:PrincipalTag/team": "backup"}}, "implicitDeny", STRING),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "backup"}}, "allowed", STRING),
    ({"StringLike": {"aws:PrincipalTag/team": "Back*"}}, "allowed", STRING),
    ({"StringNotEquals": {"aws:RequestTag/env": "prod"}}, "allowed", STRING),  # absent: negated
    ({"StringEquals": {"aws:RequestTag/env": "prod"}}, "implicitDeny", STRING),  # absent
    ({"Null": {"aws:RequestTag/env": "true"}}, "allowed", NULL),
    ({"Null": {"aws:SourceIp": "true"}}, "implicitDeny", NULL),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner", "cost"]}}, "allowed", SETS),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, "implicitDeny", SETS),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost", "owner"]}}, "allowed", SETS),
    ({"ForAllValues:StringEquals": {"aws:RequestTag/env": "x"}}, "allowed", SETS),  # empty
    ({"ForAnyValue:StringEquals": {"aws:RequestTag/env": "x"}}, "implicitDeny", SETS),  # empty
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}, "allowed", SETS),
    ({"StringEquals": {"aws:TagKeys": "team"}}, "unknown", MULTI),  # two values, no set operator
    ({"StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}, "allowed", MULTI),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, "unknown", LOCAL),  # key not known
    ({"StringMatches": {"aws:PrincipalTag/team": "x"}}, "unknown", LOCAL),  # no such operator
]


@pytest.mark.parametrize(
    ("condition", "expected", "rule"),
    [
        pytest.param(c, e, r, id=f"{next(iter(c))}-{i}")
        for i, (c, e, r) in enumerate(OPERATOR_CASES)
    ],
)
def test_condition_operators(condition, expected, rule):
    identity = [policy(allow(Condition=condition))]

    assert evaluate(Request("s3:GetObject", OBJECT, ALICE, CTX), identity).decision == expected, (
        rule
    )


def test_an_unknown_key_is_named():
    identity = [policy(allow(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}))]

    verdict = evaluate(Request("s3:GetObject", OBJECT, ALICE, CTX), identity)

    assert verdict.unknowns == (
        "condition key aws:PrincipalOrgID (its value in the request is not known)",
    )


# --- 5. identity and resource policies together ------------------------------------------------

BUCKET_FOR_ALICE = policy(grant({"AWS": USER}), name="bucket policy")
BUCKET_FOR_ACCOUNT = policy(grant({"AWS": f"arn:aws:iam::{A}:root"}), name="bucket policy")
BUCKET_DENY = policy(grant("*", effect="Deny"), name="bucket policy")
BUCKET_FOR_B = policy(grant({"AWS": f"arn:aws:iam::{B}:root"}), name="bucket policy")
READ = policy(allow())
LIST_ONLY = Policy("boundary", doc(allow("s3:List*")))
BOB_IN_B = Principal("AWS", f"arn:aws:iam::{B}:user/bob")


@pytest.mark.parametrize(
    ("principal", "identity", "boundary", "resource_policy", "account", "expected", "rule"),
    [
        pytest.param(
            ALICE, [], None, BUCKET_FOR_ALICE, A, "allowed", SAME, id="same-resource-only"
        ),
        pytest.param(ALICE, [READ], None, None, A, "allowed", SAME, id="same-identity-only"),
        pytest.param(
            ALICE,
            [],
            None,
            BUCKET_FOR_ACCOUNT,
            A,
            "implicitDeny",
            PRINCIPAL,
            id="same-account-named-no-identity-allow",
        ),
        pytest.param(
            ALICE,
            [READ],
            None,
            BUCKET_FOR_ACCOUNT,
            A,
            "allowed",
            PRINCIPAL,
            id="same-account-named-identity-allows",
        ),
        pytest.param(ALICE, [READ], None, BUCKET_DENY, A, "explicitDeny", DENY, id="resource-deny"),
        pytest.param(ALICE, [READ], LIST_ONLY, None, A, "implicitDeny", BOUNDARY, id="boundary"),
        pytest.param(BOB_IN_B, [READ], None, BUCKET_FOR_B, A, "allowed", CROSS, id="cross-both"),
        pytest.param(
            BOB_IN_B, [], None, BUCKET_FOR_B, A, "implicitDeny", CROSS, id="cross-resource-only"
        ),
        pytest.param(
            BOB_IN_B, [READ], None, None, A, "implicitDeny", CROSS, id="cross-identity-only"
        ),
        pytest.param(
            BOB_IN_B, None, None, BUCKET_FOR_B, A, "unknown", CROSS, id="cross-identity-unread"
        ),
        pytest.param(
            BOB_IN_B, [READ], None, BUCKET_FOR_ALICE, A, "implicitDeny", CROSS, id="cross-not-named"
        ),
    ],
)
def test_identity_and_resource_policies_together(
    principal, identity, boundary, resource_policy, account, expected, rule
):
    request = Request("s3:GetObject", OBJECT, principal)

    verdict = evaluate(request, identity, boundary, resource_policy, account)

    assert verdict.decision == expected, rule


def test_a_kms_key_policy_is_required_even_in_the_same_account():
    """KMS: "no principal has permission to a KMS key unless the key policy allows it"."""
    key_policy = policy(grant({"AWS": f"arn:aws:iam::{B}:root"}, "kms:*", "*"), name="key policy")
    request = Request("kms:Decrypt", f"arn:aws:kms:eu-west-1:{A}:key/k", ALICE)

    verdict = evaluate(
        request, [policy(allow("kms:*"))], None, key_policy, A, resource_policy_required=True
    )

    assert verdict.decision == "implicitDeny"
