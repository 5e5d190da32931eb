"""Properties of the policy evaluator: monotonic in Deny and Allow; wildcards as documented."""

from __future__ import annotations

from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from auditor.policy import Context, Policy, Request, evaluate, wildcard_match

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:GetRole"]
ACTION_PATTERNS = [*ACTIONS, "s3:*", "s3:Get*", "*", "iam:*", "s3:?utObject"]
RESOURCES = ["arn:aws:s3:::b", "arn:aws:s3:::b/k", "arn:aws:s3:::veeam-x/k"]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::veeam-*",
    "arn:aws:s3:::*/*",
]
CONTEXT = Context({"aws:SourceAccount": ["1"]}, absent={"aws:SourceIp"})
CONDITIONS = [
    None,
    {"StringEquals": {"aws:SourceAccount": "1"}},
    {"StringEquals": {"aws:SourceAccount": "2"}},
    {"StringNotEquals": {"aws:SourceIp": "10.0.0.1"}},
    {"StringEquals": {"aws:PrincipalTag/x": "y"}},  # not known locally: unknown
]


@st.composite
def statement(draw, effect=None):
    stmt = {
        "Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2)
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2)
        ),
    }
    condition = draw(st.sampled_from(CONDITIONS))
    if condition:
        stmt["Condition"] = condition
    return stmt


requests = st.builds(
    Request, st.sampled_from(ACTIONS), st.sampled_from(RESOURCES), st.none(), st.just(CONTEXT)
)


def decide(stmts, request):
    return evaluate(request, [Policy("p", {"Version": "2012-10-17", "Statement": stmts})]).decision


@given(st.lists(statement(), max_size=4), statement("Deny"), requests)
def test_adding_a_deny_never_turns_a_denial_into_an_allow(stmts, extra, request):
    before, after = decide(stmts, request), decide([*stmts, extra], request)

    if before != "allowed":
        assert after != "allowed"
    if before == "explicitDeny":
        assert after == "explicitDeny"


@given(st.lists(statement(), max_size=4), statement("Allow"), requests)
def test_adding_an_allow_never_turns_an_allow_into_a_denial(stmts, extra, request):
    before, after = decide(stmts, request), decide([*stmts, extra], request)

    if before == "allowed":
        assert after == "allowed"
    if before == "explicitDeny":
        assert after == "explicitDeny"


def reference_match(pattern: str, text: str) -> bool:
    """A textbook recursive matcher for `*` (any run) and `?` (one character)."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(text)
        if pattern[i] == "*":
            return go(i + 1, j) or (j < len(text) and go(i, j + 1))
        return j < len(text) and (pattern[i] == "?" or pattern[i] == text[j]) and go(i + 1, j + 1)

    return go(0, 0)


alphabet = st.sampled_from(list("ab:/*?.[]()+^$\\-"))


@given(st.text(alphabet, max_size=8), st.text(st.sampled_from(list("ab:/.[]()+^$\\-")), max_size=8))
def test_wildcard_matching_agrees_with_a_reference_matcher(pattern, text):
    assert wildcard_match(pattern, text) is reference_match(pattern, text)


CALLER = "arn:aws:iam::111122223333:user/alice"


@given(
    st.lists(statement(), max_size=3),
    st.lists(statement(), max_size=3),
    st.sampled_from([None, "111122223333", "444455556666"]),
    st.booleans(),
    requests,
)
def test_naming_the_account_never_allows_more_than_naming_the_principal(
    identity_stmts, resource_stmts, resource_account, identity_read, request
):
    from auditor.policy import Principal

    request = Request(request.action, request.resource, Principal("AWS", CALLER), CONTEXT)
    identity = [Policy("id", {"Statement": identity_stmts})] if identity_read else None

    def with_principal(principal):
        stmts = [{**s, "Principal": {"AWS": principal}} for s in resource_stmts]
        return evaluate(
            request, identity, None, Policy("rp", {"Statement": stmts}), resource_account
        ).decision

    by_account = with_principal("arn:aws:iam::111122223333:root")
    by_principal = with_principal(CALLER)

    if by_account == "allowed":
        assert by_principal == "allowed"
    if by_principal == "explicitDeny":
        assert by_account == "explicitDeny"
