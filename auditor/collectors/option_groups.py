"""The option groups SQL Server targets use. From LIST_FROM groups of one engine on, the
engine's option groups are listed (DescribeOptionGroups with EngineName, 100 a page): fifty SQL
Server DB instances with fifty option groups cost one request, not fifty. Fewer are read by name,
one request each (a region may hold many more than the targets use). A group the listing did
not give — the listing failed, was refused (a policy may allow some option groups' ARNs only),
or did not hold it — is read by name, where a failure is the gap it always was."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import Malformed, need, need_list
from auditor.constants import OPTION_GROUPS
from auditor.inventory import OptionGroup
from auditor.scope import SQLSERVER_FAMILY

DESCRIBE_OPTION_GROUPS = ApiCall("rds", "DescribeOptionGroups", "rds:DescribeOptionGroups")
log = logging.getLogger(__name__)

LIST_FROM = 3  # option groups of one engine: from this many, a listing is fewer requests


def parse_option_group(raw: dict[str, Any]) -> OptionGroup:
    return OptionGroup(
        name=raw["OptionGroupName"],
        arn=raw.get("OptionGroupArn"),
        engine=raw.get("EngineName"),
        options={
            o["OptionName"]: {
                s["Name"]: str(s.get("Value", ""))
                for s in o.get("OptionSettings", [])
                if s.get("Name")
            }
            for o in need_list(raw, "Options")
        },
    )


class OptionGroupsCollector(Collector):
    name: ClassVar[str] = OPTION_GROUPS
    calls: ClassVar[tuple[ApiCall, ...]] = (DESCRIBE_OPTION_GROUPS,)

    def collect(self, ctx: UnitContext) -> None:
        wanted: dict[str, set[str]] = {}  # engine -> the option groups its targets use
        for db in ctx.targets():
            if db.engine in SQLSERVER_FAMILY:
                wanted.setdefault(db.engine, set()).update(m.name for m in db.option_groups)
        listed: dict[str, OptionGroup] = {}
        for engine, names in sorted(wanted.items()):
            if len(names) >= LIST_FROM:
                listed.update(_listed(ctx, engine, names))
        ctx.inventory.option_groups.update(listed)
        rest = sorted(set().union(*wanted.values()) - set(listed))

        def read(name: str) -> tuple[str, OptionGroup | None]:
            try:
                answer = ctx.call(DESCRIBE_OPTION_GROUPS, resource_id=name, OptionGroupName=name)
            except Absent:
                return name, OptionGroup(name, exists=False)
            if answer is None:
                return name, None
            group: OptionGroup | None = None
            with ctx.parsing(DESCRIBE_OPTION_GROUPS, name):  # a malformed answer is no "absent"
                found = [
                    g
                    for g in need_list(answer, "OptionGroupsList")
                    if need(g, "OptionGroupName", str) == name
                ]
                group = parse_option_group(found[0]) if found else OptionGroup(name, exists=False)
            return name, group

        ctx.inventory.option_groups.update(ctx.fan_out(read, rest))


def _listed(ctx: UnitContext, engine: str, names: set[str]) -> dict[str, OptionGroup]:
    """Those of ``names`` that the engine's listing holds, parsed whole; nothing when the
    listing fails (no gap: each group is then read by name, which records its own)."""
    quiet = ctx.quietly()
    try:
        groups = quiet.paginate(
            DESCRIBE_OPTION_GROUPS, "OptionGroupsList", EngineName=engine, MaxRecords=100
        )
    except Absent:
        return {}
    for error in quiet.inventory.errors:
        log.info("%s %s: listing the %s option groups: %s; each is read by name instead",
                 ctx.account_id, ctx.region, engine, error.explain())  # fmt: skip
    out: dict[str, OptionGroup] = {}
    for raw in groups or []:
        name = raw.get("OptionGroupName") if isinstance(raw, dict) else None
        if isinstance(name, str) and name in names and raw.get("EngineName") == engine:
            # Malformed: left to the read by name, where a malformed answer is a gap.
            with contextlib.suppress(Malformed, KeyError, TypeError, AttributeError):
                out[name] = parse_option_group(raw)
    return out
