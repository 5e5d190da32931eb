"""auditor.policy against AWS's documented evaluation rules: one row per rule, citing it."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from auditor.policy import Context, Policy, Principal, Request, evaluate, evaluate_resource_policy

# The IAM User Guide pages each row follows.
EVAL = "IAM UG, Policy evaluation logic: an explicit Deny overrides any Allow"
IMPLICIT = "IAM UG, Policy evaluation logic: a request is implicitly denied unless allowed"
BOUNDARY = "IAM UG, Permissions boundaries: effective = identity policies ∩ boundary"
ACTION = "IAM UG, Policy elements: Action (case-insensitive, * and ? wildcards)"
NOTACTION = "IAM UG, Policy elements: NotAction (matches every action except those listed)"
RESOURCE = "IAM UG, Policy elements: Resource (ARNs case-sensitive, wildcards)"
NOTRESOURCE = "IAM UG, Policy elements: NotResource"
GRAMMAR = "IAM UG, Policy grammar: Statement, Action and Resource take one value or an array"
ENCODED = "IAM API Reference, GetRolePolicy: PolicyDocument is URL-encoded (RFC 3986)"
OPERATORS = "IAM UG, Condition operators: String*, Arn*, Bool, Null"
ABSENT = (
    "IAM UG, Condition operators: an absent key fails a positive operator, satisfies a negated one"
)
IFEXISTS = "IAM UG, Condition operators: ...IfExists is true when the key is absent"
NULL = "IAM UG, Condition operators: Null tests whether the key is present"
MULTI = "IAM UG, Multiple keys or values: operators AND, keys AND, values OR, negated values NOR"
SETS = "IAM UG, Set operators: ForAllValues is true for an empty set; ForAnyValue is false"
LOCAL = "preflight rule: what local evaluation cannot decide is unknown, never allowed"
PRINCIPAL = "IAM UG, Policy elements: Principal (service principals, accounts, *)"
VARIABLES = "IAM UG, Policy variables: resolved from the request, not known locally"

BUCKET = "arn:aws:s3:::tmp-bucket"
OBJECT = "arn:aws:s3:::tmp-bucket/backup.bak"


def allow(action="s3:PutObject", resource=OBJECT, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:PutObject", resource=OBJECT, **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


KNOWN = Context({"aws:SourceAccount": ["111122223333"], "aws:TagKeys": []}, absent={"aws:SourceIp"})

# (id, identity statements, boundary statements or None, action, resource, context, expected, rule)
CASES = [
    ("exact-allow", [allow()], None, "s3:PutObject", OBJECT, KNOWN, "allowed", IMPLICIT),
    ("no-statement", [], None, "s3:PutObject", OBJECT, KNOWN, "implicitDeny", IMPLICIT),
    (
        "other-action",
        [allow("s3:GetObject")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        IMPLICIT,
    ),
    (
        "action-case",
        [allow("S3:putobject")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        ACTION,
    ),
    ("action-star", [allow("s3:*")], None, "s3:PutObject", OBJECT, KNOWN, "allowed", ACTION),
    (
        "action-prefix-miss",
        [allow("s3:Get*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        ACTION,
    ),
    (
        "action-question",
        [allow("s3:PutObjec?")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        ACTION,
    ),
    ("all-actions", [allow("*", "*")], None, "s3:PutObject", OBJECT, KNOWN, "allowed", ACTION),
    (
        "notaction-grants",
        [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        NOTACTION,
    ),
    (
        "notaction-excludes",
        [{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        NOTACTION,
    ),
    (
        "deny-wildcard",
        [allow("*", "*"), deny("s3:*", "*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "explicitDeny",
        EVAL,
    ),
    (
        "deny-notaction-spares",
        [allow("*", "*"), {"Effect": "Deny", "NotAction": "s3:PutObject", "Resource": "*"}],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        NOTACTION,
    ),
    ("deny-other-policy", [allow()], None, "s3:PutObject", OBJECT, KNOWN, "allowed", EVAL),
    (
        "resource-case",
        [allow(resource="arn:aws:s3:::TMP-bucket/*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        RESOURCE,
    ),
    (
        "resource-star",
        [allow(resource="arn:aws:s3:::*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        RESOURCE,
    ),
    (
        "resource-prefix",
        [allow(resource="arn:aws:s3:::tmp-*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        RESOURCE,
    ),
    (
        "resource-fixed-other",
        [allow(resource="arn:aws:s3:::fixed/*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        RESOURCE,
    ),
    (
        "bucket-vs-object",
        [allow(resource=BUCKET)],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        RESOURCE,
    ),
    (
        "notresource-excludes",
        [{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::tmp-*"}],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        NOTRESOURCE,
    ),
    (
        "notresource-other",
        [{"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret/*"]}],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        NOTRESOURCE,
    ),
    (
        "lists",
        [allow(["s3:GetObject", "s3:PutObject"], [BUCKET, OBJECT])],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        GRAMMAR,
    ),
    (
        "boundary-removes",
        [allow("s3:*", "*")],
        [allow("s3:List*", "*")],
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        BOUNDARY,
    ),
    (
        "boundary-allows",
        [allow("s3:*", "*")],
        [allow("s3:*", "*")],
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        BOUNDARY,
    ),
    (
        "boundary-alone",
        [],
        [allow("s3:*", "*")],
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        BOUNDARY,
    ),
    (
        "boundary-deny",
        [allow("s3:*", "*")],
        [allow("*", "*"), deny("s3:Put*", "*")],
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "explicitDeny",
        BOUNDARY,
    ),
    (
        "string-equals",
        [allow(Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        OPERATORS,
    ),
    (
        "string-equals-miss",
        [allow(Condition={"StringEquals": {"aws:SourceAccount": "999999999999"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        OPERATORS,
    ),
    (
        "key-without-value",
        [allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "backup"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "unknown",
        LOCAL,
    ),
    (
        "key-absent-positive",
        [allow(Condition={"StringEquals": {"aws:SourceIp": "10.0.0.1"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        ABSENT,
    ),
    (
        "key-absent-negated",
        [allow(Condition={"StringNotEquals": {"aws:SourceIp": "10.0.0.1"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        ABSENT,
    ),
    (
        "if-exists-absent",
        [allow(Condition={"StringEqualsIfExists": {"aws:SourceIp": "10.0.0.1"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        IFEXISTS,
    ),
    (
        "null-true-absent",
        [allow(Condition={"Null": {"aws:SourceIp": "true"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        NULL,
    ),
    (
        "null-false-absent",
        [allow(Condition={"Null": {"aws:SourceIp": "false"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        NULL,
    ),
    (
        "values-or",
        [allow(Condition={"StringEquals": {"aws:SourceAccount": ["1", "111122223333"]}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        MULTI,
    ),
    (
        "negated-values-nor",
        [allow(Condition={"StringNotEquals": {"aws:SourceAccount": ["1", "111122223333"]}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        MULTI,
    ),
    (
        "keys-and",
        [
            allow(
                Condition={
                    "StringEquals": {
                        "aws:SourceAccount": "111122223333",
                        "aws:SourceIp": "10.0.0.1",
                    }
                }
            )
        ],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        MULTI,
    ),
    (
        "operators-and",
        [
            allow(
                Condition={
                    "StringEquals": {"aws:SourceAccount": "111122223333"},
                    "Null": {"aws:SourceIp": "false"},
                }
            )
        ],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        MULTI,
    ),
    (
        "for-all-values-empty",
        [allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": "team"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        SETS,
    ),
    (
        "for-any-value-empty",
        [allow(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        SETS,
    ),
    (
        "for-all-values-outside",
        [allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": "team"}})],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:TagKeys": ["team", "cost"]}),
        "implicitDeny",
        SETS,
    ),
    (
        "for-any-value-hit",
        [allow(Condition={"ForAnyValue:StringLike": {"aws:TagKeys": "co*"}})],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:TagKeys": ["team", "cost"]}),
        "allowed",
        SETS,
    ),
    (
        "unknown-operator",
        [allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "unknown",
        LOCAL,
    ),
    (
        "deny-unknown-with-allow",
        [allow(), deny(Condition={"StringEquals": {"aws:PrincipalTag/x": "y"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "unknown",
        LOCAL,
    ),
    (
        "deny-unknown-no-allow",
        [deny(Condition={"StringEquals": {"aws:PrincipalTag/x": "y"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "implicitDeny",
        IMPLICIT,
    ),
    (
        "string-like",
        [allow(Condition={"StringLike": {"aws:SourceAccount": "1111*"}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "allowed",
        OPERATORS,
    ),
    (
        "ignore-case",
        [
            allow(
                Condition={
                    "StringEqualsIgnoreCase": {"aws:SourceArn": "ARN:AWS:RDS:EU-WEST-1:1:DB:X"}
                }
            )
        ],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:SourceArn": ["arn:aws:rds:eu-west-1:1:db:x"]}),
        "allowed",
        OPERATORS,
    ),
    (
        "arn-like",
        [allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:rds:*:1:db:*"}})],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:SourceArn": ["arn:aws:rds:eu-west-1:1:db:x"]}),
        "allowed",
        OPERATORS,
    ),
    (
        "arn-not-like",
        [allow(Condition={"ArnNotLike": {"aws:SourceArn": "arn:aws:rds:*:1:db:*"}})],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:SourceArn": ["arn:aws:rds:eu-west-1:1:db:x"]}),
        "implicitDeny",
        OPERATORS,
    ),
    (
        "bool",
        [allow(Condition={"Bool": {"aws:SecureTransport": "true"}})],
        None,
        "s3:PutObject",
        OBJECT,
        Context({"aws:SecureTransport": ["true"]}),
        "allowed",
        OPERATORS,
    ),
    (
        "bool-unknown",
        [allow(Condition={"Bool": {"aws:SecureTransport": True}})],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "unknown",
        LOCAL,
    ),
    (
        "policy-variable",
        [allow(resource="arn:aws:s3:::${aws:username}/*")],
        None,
        "s3:PutObject",
        OBJECT,
        KNOWN,
        "unknown",
        VARIABLES,
    ),
]


@pytest.mark.parametrize(
    ("identity", "boundary", "action", "resource", "context", "expected", "rule"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_identity_policy_decision(identity, boundary, action, resource, context, expected, rule):
    policies = [Policy("inline:audit", doc(*identity))]
    limit = Policy("boundary", doc(*boundary)) if boundary is not None else None

    verdict = evaluate(Request(action, resource, context=context), policies, limit)

    assert verdict.decision == expected, rule


def test_at_least_forty_cases_each_citing_its_rule():
    assert len(CASES) >= 40
    assert all(c[-1] for c in CASES)


def test_url_encoded_and_json_string_documents_decide_like_dicts():
    document = doc(allow())
    encoded = urllib.parse.quote(json.dumps(document))
    request = Request("s3:PutObject", OBJECT)

    for form in (document, json.dumps(document), encoded):
        assert evaluate(request, [Policy("p", form)]).decision == "allowed", ENCODED


def test_statement_may_be_a_single_object():
    document = {"Version": "2012-10-17", "Statement": allow()}

    assert evaluate(Request("s3:PutObject", OBJECT), [Policy("p", document)]).allowed, GRAMMAR


def test_a_deny_names_the_statement_that_decided():
    policies = [
        Policy("arn:aws:iam::1:policy/broad", doc(allow("*", "*"))),
        Policy("no-put", doc({**deny("s3:*", "*"), "Sid": "NoWrites"})),
    ]

    verdict = evaluate(Request("s3:PutObject", OBJECT), policies)

    assert verdict.decision == "explicitDeny"
    assert [str(s) for s in verdict.deciding] == ["no-put (Sid 'NoWrites')"]


def test_unknown_names_the_key_or_operator():
    policies = [Policy("p", doc(allow(Condition={"StringMatches": {"s3:prefix": "a"}})))]
    tags = [Policy("q", doc(allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "b"}})))]

    assert evaluate(Request("s3:PutObject", OBJECT), policies).unknowns == (
        "condition operator StringMatches",
    )
    assert (
        "condition key aws:PrincipalTag/team"
        in evaluate(Request("s3:PutObject", OBJECT), tags).unknowns[0]
    )


# --- trust policies (resource-based: the principal must be named) -------------------------------

RDS = Principal("Service", "rds.amazonaws.com")
DB_ARN = "arn:aws:rds:eu-west-1:111122223333:db:orders"
OG_ARN = "arn:aws:rds:eu-west-1:111122223333:og:sql-backup"


def trust(*stmts):
    return Policy("trust policy", doc(*stmts))


def assume(principal, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def rds_request(source_arn=DB_ARN):
    context = Context({"aws:SourceAccount": ["111122223333"], "aws:SourceArn": [source_arn]})
    return Request("sts:AssumeRole", None, RDS, context)


@pytest.mark.parametrize(
    ("statement", "expected", "rule"),
    [
        pytest.param(assume({"Service": "rds.amazonaws.com"}), "allowed", PRINCIPAL, id="rds"),
        pytest.param(
            assume({"Service": ["ec2.amazonaws.com", "rds.amazonaws.com"]}),
            "allowed",
            PRINCIPAL,
            id="list",
        ),
        pytest.param(
            assume({"Service": "ec2.amazonaws.com"}), "implicitDeny", PRINCIPAL, id="ec2-only"
        ),
        pytest.param(assume("*"), "allowed", PRINCIPAL, id="star"),
        pytest.param(
            assume({"AWS": "arn:aws:iam::111122223333:root"}),
            "implicitDeny",
            PRINCIPAL,
            id="account-not-service",
        ),
        pytest.param(
            assume(
                {"Service": "rds.amazonaws.com"},
                Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}},
            ),
            "allowed",
            OPERATORS,
            id="source-account",
        ),
        pytest.param(
            assume(
                {"Service": "rds.amazonaws.com"},
                Condition={"StringEquals": {"aws:SourceAccount": "444455556666"}},
            ),
            "implicitDeny",
            OPERATORS,
            id="other-account",
        ),
        pytest.param(
            assume(
                {"Service": "rds.amazonaws.com"},
                Condition={"StringEquals": {"aws:SourceArn": [DB_ARN, OG_ARN]}},
            ),
            "allowed",
            MULTI,
            id="both-arns",
        ),
        pytest.param(
            {
                "Effect": "Allow",
                "NotPrincipal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            "allowed",
            PRINCIPAL,
            id="not-principal",
        ),
    ],
)
def test_trust_policy_for_rds(statement, expected, rule):
    assert evaluate_resource_policy(rds_request(), trust(statement)).decision == expected, rule


def test_trust_conditioned_on_the_db_arn_only_refuses_the_option_group():
    policy = trust(
        assume({"Service": "rds.amazonaws.com"}, Condition={"ArnLike": {"aws:SourceArn": DB_ARN}})
    )

    assert evaluate_resource_policy(rds_request(DB_ARN), policy).allowed
    assert evaluate_resource_policy(rds_request(OG_ARN), policy).decision == "implicitDeny"


APPLIANCE = Principal("AWS", "arn:aws:iam::111122223333:role/veeam-appliance")


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        pytest.param({"AWS": "*"}, "allowed", id="aws-star"),
        # Naming the account delegates to its identity policies, which this call does not give:
        # not "allowed" (IAM UG, Principal: "AWS account principals"; tests/test_policy_evaluation).
        pytest.param({"AWS": "111122223333"}, "unknown", id="account-id"),
        pytest.param({"AWS": "arn:aws:iam::111122223333:root"}, "unknown", id="account-root"),
        pytest.param(
            {"AWS": "arn:aws:iam::111122223333:role/veeam-appliance"}, "allowed", id="role-arn"
        ),
        pytest.param(
            {"AWS": ["arn:aws:iam::111122223333:role/other"]}, "implicitDeny", id="other-role"
        ),
        pytest.param({"AWS": "444455556666"}, "implicitDeny", id="other-account"),
        pytest.param({"Service": "rds.amazonaws.com"}, "implicitDeny", id="service-not-role"),
    ],
)
def test_trust_policy_aws_principals(principal, expected):
    request = Request("sts:AssumeRole", None, APPLIANCE)

    assert evaluate_resource_policy(request, trust(assume(principal))).decision == expected, (
        PRINCIPAL
    )
