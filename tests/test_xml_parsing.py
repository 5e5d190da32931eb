"""auditor/xml_parsing.py parses each answer exactly as botocore's own parser does: every answer
of the sample account's audit on moto (EC2, RDS, IAM, STS, S3; answers and errors) is parsed by
both and the two results compared."""

from __future__ import annotations

import copy
import time
import tomllib
from collections import Counter
from typing import Any
from xml.etree import ElementTree

import boto3
import botocore
import botocore.exceptions
import botocore.parsers
import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import demo, xml_parsing
from auditor.run import AuditOptions, gather
from auditor.sessions import AwsSession
from auditor.veeam_config import parse

BOTOCORE = {
    "ec2": botocore.parsers.EC2QueryParser,
    "query": botocore.parsers.QueryParser,
    "rest-xml": botocore.parsers.RestXMLParser,
}


@pytest.fixture
def compared(monkeypatch):
    """Every XML answer parsed twice; (protocol, shape, ok) per answer, ok False for an error."""
    seen: list[tuple[str, str, bool]] = []
    differ: list[str] = []
    for protocol, ours in xml_parsing.PARSERS.items():

        class Checked(ours):  # type: ignore[valid-type,misc]
            name = protocol

            def parse(self, response: dict[str, Any], shape: Any) -> Any:
                theirs = BOTOCORE[self.name](**self._defaults).parse(copy.copy(response), shape)
                mine = super().parse(response, shape)
                ok = response["status_code"] < 300
                seen.append((self.name, shape.name if shape is not None else "-", ok))
                if mine != theirs:
                    differ.append(f"{self.name} {shape and shape.name}: {mine!r} != {theirs!r}")
                return mine

            def __init__(self, **defaults: Any) -> None:
                super().__init__(**defaults)
                self._defaults = defaults

        monkeypatch.setitem(xml_parsing.PARSERS, protocol, Checked)
    # the planned parsers on, whatever this botocore: what is compared is their answers
    monkeypatch.setattr(xml_parsing, "VERIFIED", frozenset({xml_parsing.fingerprint()}))
    xml_parsing.planned.cache_clear()
    yield seen, differ
    xml_parsing.planned.cache_clear()


def test_every_answer_of_the_sample_audit_parses_as_botocore_parses_it(compared):
    seen, differ = compared
    config = parse(tomllib.loads(demo.DEMO_VEEAM_CONFIG), "veeam-demo.toml")
    options = AuditOptions(regions=list(demo.DEMO_REGIONS), veeam_config=config)
    with demo.offline_aws():
        demo.build_demo_account()
        demo.build_veeam_roles()
        demo.build_repositories()
        gather(options, boto3.Session(), time.monotonic(), None)
        # Errors of each protocol, as AWS answers them (moto's wording)
        aws = AwsSession(boto3.Session())
        s3, iam, ec2 = (aws.client(s, "eu-west-1") for s in ("s3", "iam", "ec2"))
        for call in (
            lambda: ec2.describe_vpc_attribute(
                VpcId="vpc-0123456789", Attribute="enableDnsHostnames"
            ),
            lambda: iam.get_role(RoleName="no-such-role"),
            lambda: s3.get_bucket_policy(Bucket="no-such-bucket-here"),
        ):
            with pytest.raises(botocore.exceptions.ClientError):
                call()

    assert differ == []
    kinds = Counter(protocol for protocol, _ in {(p, shape) for p, shape, ok in seen if ok})
    # the audit's reads of each protocol went through the comparison (18 EC2 operations, 9 of
    # RDS, IAM and STS, 4 of S3 at this writing), and an error of each protocol
    assert kinds["ec2"] >= 15
    assert kinds["query"] >= 8
    assert kinds["rest-xml"] >= 4
    assert {"DescribeSubnetsResult", "DescribeRouteTablesResult", "GetRoleResponse"} <= {
        shape for _, shape, _ in seen
    }
    assert {protocol for protocol, _, ok in seen if not ok} == {"ec2", "query", "rest-xml"}


def test_the_audit_parses_with_the_planned_parsers_only_on_a_verified_botocore(monkeypatch):
    session = boto3.Session(region_name="eu-west-1")
    AwsSession(session)
    factory = session._session.get_component("response_parser_factory")
    monkeypatch.setattr(xml_parsing, "VERIFIED", frozenset({xml_parsing.fingerprint()}))
    xml_parsing.planned.cache_clear()
    assert isinstance(factory.create_parser("ec2"), xml_parsing.EC2Parser)
    assert isinstance(factory.create_parser("query"), xml_parsing.QueryParser)
    assert isinstance(factory.create_parser("rest-xml"), xml_parsing.RestXMLParser)
    assert type(factory.create_parser("json")) is botocore.parsers.JSONParser
    # Any code not verified (botocore 1.35 to 1.38's copied functions, for one, differ: they
    # skipped every member with a location) parses with botocore's own parsers
    monkeypatch.setattr(xml_parsing, "VERIFIED", frozenset({"0" * 16}))
    xml_parsing.planned.cache_clear()
    assert type(factory.create_parser("ec2")) is botocore.parsers.EC2QueryParser
    assert type(factory.create_parser("rest-xml")) is botocore.parsers.RestXMLParser
    xml_parsing.planned.cache_clear()


def test_this_botocore_is_one_the_planned_parsers_were_verified_against():
    """The suite's equivalence tests run on the installed botocore: when a new one comes, this
    fails until they pass on it and its fingerprint is added to VERIFIED."""
    found = xml_parsing.fingerprint()
    assert found in xml_parsing.VERIFIED, (
        f"botocore {botocore.__version__}: its parsing code ({found}) is not one the planned "
        "parsers were verified against; the audit parses with botocore's own. If the other "
        "tests of this file pass, add it to auditor/xml_parsing.py VERIFIED"
    )


# Answers nobody recorded: XML built from an output shape with members left out, repeated where
# one was expected, empty, namespaced or not, and values of the wrong kind; both parsers must
# give the same value or fail the same way.
OPERATIONS = (
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "DescribeVpcAttribute"),
    ("iam", "GetRole"),
    ("rds", "DescribeDBInstances"),
    ("s3", "GetBucketEncryption"),
)
NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _element(draw: Any, shape: Any, tag: str, depth: int) -> Any:
    node = ElementTree.Element(tag)
    if shape.type_name == "structure" and depth < 4:
        for name, member in shape.members.items():
            if draw(st.booleans()):
                continue  # a member the answer leaves out
            wire = member.serialization.get("name", name)
            for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):  # sometimes repeated
                node.append(_element(draw, member, wire, depth + 1))
    elif shape.type_name == "list" and depth < 4:
        item = shape.member.serialization.get("name", "member")
        for _ in range(draw(st.integers(0, 2))):
            node.append(_element(draw, shape.member, item, depth + 1))
    else:
        node.text = draw(
            st.sampled_from([None, "", "true", "false", "7", "x", "2026-12-04T10:00:00Z"])
        )
    return node


@st.composite
def answers(draw: Any) -> tuple[str, Any, dict[str, Any]]:
    service, operation = draw(st.sampled_from(OPERATIONS))
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).output_shape
    wrapper = shape.serialization.get("resultWrapper")
    root = _element(draw, shape, wrapper or shape.name, 0)
    if wrapper:  # the query protocol: <OperationResponse><OperationResult>...
        outer = ElementTree.Element(f"{operation}Response")
        outer.append(root)
        root = outer
    if draw(st.booleans()):
        for element in root.iter():
            element.tag = f"{{{NAMESPACE}}}{element.tag}"
    body = ElementTree.tostring(root)
    response = {"status_code": 200, "headers": {}, "body": body, "context": {}}
    return model.resolved_protocol, shape, response


def _comparable(value: Any) -> Any:
    """A parsed value with any XML element botocore left in it (a string member repeated comes
    back as the list of its elements) as (tag, text, children): elements of two parses are two
    objects."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "tag") and hasattr(value, "text"):
        return (value.tag, value.text, [_comparable(c) for c in value])
    return value


def _outcome(parse: Any) -> Any:
    try:
        return ("value", _comparable(parse()))
    except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
        return ("raised", type(exc).__name__)


@given(answers())
def test_answers_nobody_recorded_parse_as_botocore_parses_them(answer):
    protocol, shape, response = answer
    ours = xml_parsing.PARSERS[protocol]()
    theirs = BOTOCORE[protocol]()
    assert _outcome(lambda: ours.parse(dict(response), shape)) == _outcome(
        lambda: theirs.parse(dict(response), shape)
    )


ERROR_LAYOUTS = {  # protocol -> the elements around an error, outermost first
    "ec2": ("Response", "Errors", "Error"),
    "query": ("ErrorResponse", "Error"),
    "rest-xml": ("Error",),
}


@st.composite
def errors(draw: Any) -> tuple[str, dict[str, Any]]:
    protocol = draw(st.sampled_from(sorted(ERROR_LAYOUTS)))
    layout = ERROR_LAYOUTS[protocol]
    root = inner = ElementTree.Element(layout[0])
    for tag in layout[1:]:
        inner = ElementTree.SubElement(inner, tag)
    for tag in ("Code", "Message", "Type"):
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
            ElementTree.SubElement(inner, tag).text = draw(st.sampled_from([None, "", "Denied"]))
    if draw(st.booleans()):
        ElementTree.SubElement(root, "RequestID" if protocol == "ec2" else "RequestId").text = "r"
    status = draw(st.sampled_from([400, 403, 404, 500, 503]))
    body = ElementTree.tostring(root)
    return protocol, {"status_code": status, "headers": {}, "body": body, "context": {}}


@given(errors())
def test_errors_nobody_recorded_parse_as_botocore_parses_them(error):
    protocol, response = error
    ours, theirs = xml_parsing.PARSERS[protocol](), BOTOCORE[protocol]()
    assert _outcome(lambda: ours.parse(dict(response), None)) == _outcome(
        lambda: theirs.parse(dict(response), None)
    )
