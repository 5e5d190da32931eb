"""botocore's XML answer parsers (EC2, the query services, S3), with each structure's members
worked out once per process instead of once per element.

For every element of an answer, botocore's parser walks all the members of its shape, asking
each one's serialization settings again, builds the element's children index with a regular
expression per child tag, and looks its handler up by name per value. An EC2 subnet has some
thirty members, and `DescribeSubnets` of a thousand subnets took 39 ms to parse here, most of
a large account's parsing. Here the plan of a shape (each member's wire name and shape, the
headers left out) is worked out the first time the shape is met, tags lose their namespace by
a string split, and handlers are found once per type. The parsed answer is the same, value for
value: `tests/test_xml_parsing.py` parses every answer of a moto audit, errors included, with
both parsers. Tagged unions, error shapes and shapes with XML attributes go botocore's own
way.

The planned parsers copy a few of botocore's private functions, and those change between
releases (botocore 1.35 to 1.38 skipped every member with a location, 1.40 on only the known
ones).
So they are used only where the source of the functions they copy is exactly what they were
verified against (`VERIFIED`); any other botocore parses with its own parsers, slower and
exact. To add a version: run tests/test_xml_parsing.py on it, then add its `fingerprint()`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from typing import Any

import botocore.parsers

log = logging.getLogger(__name__)

# fingerprint() of the botocore versions the planned parsers were verified against
VERIFIED = frozenset(
    {
        # botocore 1.40.0 to 1.44.8 (the same code in 1.40.0, 1.43.11, 1.43.50, 1.43.127,
        # 1.44.0 and 1.44.8; the suite passed on 1.43.11 and 1.44.8)
        "3798b7be558db808",
    }
)

# shape id -> (the shape, its plan). Shapes live as long as their service model, which the
# process shares (sessions.share_service_models); the shape is kept next to its id so that a
# reused id is never taken for another shape.
_PLANS: dict[int, tuple[Any, tuple[tuple[str, str, Any], ...] | None]] = {}


def _local(tag: str) -> str:
    """An element's tag without its namespace: what botocore's `{.*}` substitution leaves
    (ElementTree writes a namespace only as a leading `{uri}`)."""
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


# The shape types botocore's XML parsers have a handler for.
_TYPES = (
    "structure", "list", "map", "string", "boolean", "integer", "long", "float", "double",
    "timestamp", "blob", "character",
)  # fmt: skip


class _Planned:
    """The faster structure walk, for a botocore XML parser class."""

    KNOWN_LOCATIONS: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handlers: dict[str, Any] = {t: getattr(self, f"_handle_{t}") for t in _TYPES}

    def _parse_shape(self, shape: Any, node: Any) -> Any:
        handler = self._handlers.get(shape.type_name)
        if handler is None:  # a type botocore may add: looked up by name, as botocore does
            default = self._default_handle  # type: ignore[attr-defined]
            handler = getattr(self, f"_handle_{shape.type_name}", default)
        return handler(shape, node)

    def _node_tag(self, node: Any) -> str:
        return _local(node.tag)

    def _plan(self, shape: Any) -> tuple[tuple[str, str, Any], ...] | None:
        """(name, wire name, shape) of each member parsed from the body; None for a shape
        botocore's own walk is kept for: a tagged union, an error, XML attributes."""
        known = _PLANS.get(id(shape))
        if known is not None and known[0] is shape:
            return known[1]
        members = shape.members
        plan: tuple[tuple[str, str, Any], ...] | None = None
        if not (
            shape.is_tagged_union
            or shape.metadata.get("exception", False)
            or any(m.serialization.get("xmlAttribute") for m in members.values())
        ):
            plan = tuple(
                (name, self._member_key_name(member, name), member)  # type: ignore[attr-defined]
                for name, member in members.items()
                # headers and status codes: parsed elsewhere, as botocore does
                if member.serialization.get("location") not in self.KNOWN_LOCATIONS
                and not member.serialization.get("eventheader")
            )
        _PLANS[id(shape)] = (shape, plan)
        return plan

    def _handle_structure(self, shape: Any, node: Any) -> Any:
        plan = self._plan(shape)
        if plan is None:
            return super()._handle_structure(shape, node)  # type: ignore[misc]
        xml_dict = self._build_name_to_xml_node(node)
        parsed = {}
        for member_name, wire, member_shape in plan:
            member_node = xml_dict.get(wire)
            if member_node is not None:
                parsed[member_name] = self._parse_shape(member_shape, member_node)
        return parsed

    def _build_name_to_xml_node(self, parent_node: Any) -> dict[str, Any]:
        if isinstance(parent_node, list):
            return self._build_name_to_xml_node(parent_node[0])
        xml_dict: dict[str, Any] = {}
        for item in parent_node:
            key = _local(item.tag)
            have = xml_dict.get(key)
            if have is None:
                xml_dict[key] = item
            elif isinstance(have, list):
                have.append(item)  # <foo>1</foo><foo>2</foo> -> {"foo": [Node(1), Node(2)]}
            else:
                xml_dict[key] = [have, item]
        return xml_dict


class _PlainStrings:
    """BaseXMLResponseParser's string handler without its decorator's call: the element's text
    ("" for <foo></foo>), and anything without a text as it is. Not for rest-xml, whose string
    handler also decodes JSON header values."""

    def _handle_string(self, shape: Any, node: Any) -> Any:
        if type(node) is str:
            return node
        if hasattr(node, "text"):
            text = node.text
            return "" if text is None else text
        return node


class EC2Parser(_Planned, _PlainStrings, botocore.parsers.EC2QueryParser):  # type: ignore[misc]
    pass


class QueryParser(_Planned, _PlainStrings, botocore.parsers.QueryParser):  # type: ignore[misc]
    pass


class RestXMLParser(_Planned, botocore.parsers.RestXMLParser):  # type: ignore[misc]
    pass


PARSERS: dict[str, type[botocore.parsers.ResponseParser]] = {
    "ec2": EC2Parser,
    "query": QueryParser,
    "rest-xml": RestXMLParser,
}


def fingerprint() -> str | None:
    """The first 16 hex digits of the SHA-256 of the source of the botocore functions the
    planned parsers copy; None when one cannot be found."""
    p = botocore.parsers
    try:
        copied = (
            p.ResponseParser._parse_shape,
            p.BaseXMLResponseParser._handle_structure,
            p.BaseXMLResponseParser._build_name_to_xml_node,
            p.BaseXMLResponseParser._node_tag,
            p._text_content,
            p.BaseXMLResponseParser._handle_string.__closure__[0].cell_contents,
        )
        digest = hashlib.sha256()
        for function in copied:
            digest.update(inspect.getsource(function).encode())
    except (AttributeError, IndexError, OSError, TypeError):
        return None
    return digest.hexdigest()[:16]


@functools.cache
def planned() -> bool:
    """Whether this botocore's parsing code is one the planned parsers were verified against
    (worked out once per process: reading the source takes a few milliseconds)."""
    found = fingerprint()
    if found not in VERIFIED:
        log.debug(
            "XML answers parsed by botocore's own parsers: its code (%s) is unverified", found
        )
        return False
    return True


class ParserFactory(botocore.parsers.ResponseParserFactory):  # type: ignore[misc]
    """botocore's factory, making the planned parsers for the XML protocols where this
    botocore's code is the one they were verified against."""

    def create_parser(self, protocol_name: str) -> Any:
        parser_cls = PARSERS.get(protocol_name)
        if parser_cls is None or not planned():
            return super().create_parser(protocol_name)
        return parser_cls(**self._defaults)
