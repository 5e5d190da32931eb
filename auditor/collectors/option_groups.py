"""The option groups SQL Server targets use: one DescribeOptionGroups per group (moto cannot
list them all, and a region may hold many more than the targets use)."""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.collectors.base import Absent, ApiCall, Collector, UnitContext
from auditor.collectors.fields import need, need_list
from auditor.constants import OPTION_GROUPS
from auditor.inventory import OptionGroup
from auditor.scope import SQLSERVER_FAMILY

DESCRIBE_OPTION_GROUPS = ApiCall("rds", "DescribeOptionGroups", "rds:DescribeOptionGroups")


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
        names = sorted(
            {
                m.name
                for db in ctx.targets()
                if db.engine in SQLSERVER_FAMILY
                for m in db.option_groups
            }
        )

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

        ctx.inventory.option_groups.update(ctx.fan_out(read, names))
