"""The inventory is a snapshot: it round-trips through JSON, and bad input fails cleanly."""

from __future__ import annotations

import contextlib
import json

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import strict_json
from auditor.collect import collect
from auditor.collectors import declared_calls
from auditor.demo import build_demo_account, offline_aws
from auditor.inventory import AccountRecord, Inventory, RegionInventory
from auditor.serde import SnapshotFormatError, to_data
from auditor.sessions import AwsSession


@pytest.fixture(scope="module")
def demo_inventory() -> Inventory:
    with offline_aws():
        build_demo_account()
        aws = AwsSession(boto3.Session())
        return collect(
            aws,
            AccountRecord("123456789012", "arn:aws:iam::123456789012:user/moto"),
            ["eu-west-1", "us-east-1"],
            [],
        )


def test_inventory_round_trips_through_json(demo_inventory):
    text = demo_inventory.to_json()

    again = Inventory.from_json(text)

    assert again == demo_inventory
    assert again.to_json() == text
    eu = next(r for r in again.regions if r.region == "eu-west-1")
    assert {d.db_instance_id for d in eu.db_instances} >= {"orders-pg", "crm-mysql"}


def test_every_request_sent_is_a_declared_call(demo_inventory):
    declared = {c.key for c in declared_calls()}

    assert set(demo_inventory.api_calls) - {"sts.GetCallerIdentity"} <= declared
    assert demo_inventory.api_calls["rds.DescribeDBInstances"] == 2  # one per region


def test_a_snapshot_of_another_version_is_refused(demo_inventory):
    data = json.loads(demo_inventory.to_json())
    data["snapshot_version"] = 99

    with pytest.raises(SnapshotFormatError, match="snapshot_version 99"):
        Inventory.from_json(json.dumps(data))


def test_a_snapshot_with_a_wrong_field_type_is_refused(demo_inventory):
    data = json.loads(demo_inventory.to_json())
    data["regions"][0]["db_instances"][0]["multi_az"] = "yes"

    with pytest.raises(SnapshotFormatError, match=r"multi_az: expected bool"):
        Inventory.from_json(json.dumps(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_no_input_crashes_the_snapshot_loader(text):
    with contextlib.suppress(SnapshotFormatError):
        Inventory.from_json(text)


@given(json_values)
def test_truncated_or_mangled_regions_are_format_errors(value):
    doc = {"snapshot_version": 1, "accounts": [], "regions": value}
    with contextlib.suppress(SnapshotFormatError):
        Inventory.from_json(json.dumps(doc))


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ('{"snapshot_version": NaN}', "NaN is not a JSON number"),
        ('{"snapshot_version": 1, "snapshot_version": 1}', "appears twice"),
        ("[" * 5000 + "]" * 5000, "nested deeper than"),
        ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "not JSON"),
    ],
)
def test_hostile_snapshots_are_one_line(preflight, tmp_path, content, phrase):
    path = tmp_path / "snap.json"
    path.write_text(content)

    run = preflight("audit", "--from-snapshot", str(path))

    assert run.code == 2
    assert run.err.count("\n") == 1
    assert phrase in run.err


def test_a_snapshot_that_is_not_utf8_is_one_line(preflight, tmp_path):
    path = tmp_path / "snap.json"
    path.write_bytes("{}".encode("utf-16"))

    run = preflight("audit", "--from-snapshot", str(path))

    assert run.code == 2
    assert "is UTF-16 text: save it as UTF-8" in run.err
    path.write_bytes(b"{\xff}")
    assert "is not UTF-8 text" in preflight("audit", "--from-snapshot", str(path)).err


def _parse(text, **kw):
    try:
        return "ok", strict_json.loads(text, **kw)
    except strict_json.StrictJsonError as exc:
        return "refused", str(exc)


snapshot_like = st.dictionaries(
    st.sampled_from(["regions", "accounts", "snapshot_version", "x"]), json_values, max_size=4
)
regions_docs = snapshot_like.map(json.dumps) | snapshot_like.map(lambda d: json.dumps(d, indent=2))


@given(regions_docs | st.text(max_size=60) | json_values.map(json.dumps))
def test_the_unit_by_unit_parse_reads_exactly_what_the_plain_parse_reads(text):
    """Same value, or the same refusal, for any text: the snapshot loader parses the regions
    array item by item so that a large snapshot is never all plain data at once."""
    assert _parse(text, each=("regions", lambda item, index: item)) == _parse(text)
    for broken in (text[:-1], text + "x", text.replace(",", " ", 1)):
        assert _parse(broken, each=("regions", lambda item, index: item)) == _parse(broken)


def test_a_bad_unit_in_a_snapshot_of_another_version_names_the_version(demo_inventory):
    data = json.loads(demo_inventory.to_json())
    data["snapshot_version"] = 99
    data["regions"][1]["db_instances"][0]["multi_az"] = "yes"

    with pytest.raises(SnapshotFormatError, match="snapshot_version 99"):
        Inventory.from_json(json.dumps(data))
    data["snapshot_version"] = 1
    with pytest.raises(SnapshotFormatError, match=r"\$\.regions\[1\]\.db_instances\[0\]\.multi_az"):
        Inventory.from_json(json.dumps(data))


def _both_loaders(tp, data):
    from auditor import serde

    try:
        fast = ("ok", serde._loader(tp)(data))
    except serde._Mismatch:
        fast = ("refused", None)
    try:
        slow = ("ok", serde._load(tp, data, "$"))
    except SnapshotFormatError:
        slow = ("refused", None)
    return fast, slow


@given(
    st.sampled_from(["db_instances", "subnets", "vpcs", "quotas", "errors", "region", "nothing"]),
    st.integers(min_value=0, max_value=5),
    json_values,
)
def test_the_snapshot_loader_made_per_type_builds_what_the_plain_rules_build(field, depth, value):
    """serde builds fitting data with a loader made once per type, and lets `_load` say what
    does not fit: both must agree on every input, fitting or not."""
    from tests.inventory_builder import baseline

    data = to_data(baseline())
    if field in data:
        target = data[field]
        while depth and isinstance(target, list | dict) and target:
            inner = target[0] if isinstance(target, list) else next(iter(target.values()))
            if not isinstance(inner, list | dict) or not inner:
                break
            target, depth = inner, depth - 1
        if isinstance(target, list) and target:
            target[0] = value
        elif isinstance(target, dict) and target:
            target[next(iter(target))] = value
        else:
            data[field] = value
    else:
        data["unexpected"] = value
    fast, slow = _both_loaders(RegionInventory, data)
    assert fast == slow
    assert _both_loaders(RegionInventory, to_data(baseline()))[0][0] == "ok"


def _deepest(value, depth=0):
    if isinstance(value, list | dict):
        inner = value.values() if isinstance(value, dict) else value
        return max((_deepest(v, depth + 1) for v in inner), default=depth + 1)
    return depth


@given(json_values)
def test_the_nesting_depth_is_that_of_the_parsed_value(value):
    """strict_json's depth scan (regular expressions, no parse) on any JSON text, strings with
    brackets, quotes and escapes included."""
    assert strict_json._depth(json.dumps(value)) == _deepest(value)
