"""path_svg(target, mode, hops): one DB instance's worker network path as an inline SVG.

Plain string building (it was a Jinja macro, and at thousands of DB instances the macro's
per-call overhead was a sixth of a report's time); every text is escaped here. A hop is a box
(title, label), its state and the checks that decide it beside it, and an arrow to the next.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from html import escape
from typing import Any

from markupsafe import Markup

ROW = 62
DASH = "\u2013"  # an en dash: not a minus sign
STATE = {
    "pass": "✓ pass",
    "fail": "✗ FAIL",
    "unknown": "? UNKNOWN",
    "warn": "! warning",
    "skip": f"{DASH} skipped",
    "not checked": f"{DASH} not checked",
    "unreached": f"{DASH} not reached",
}


@lru_cache(maxsize=65536)
def text_lines(value: str, width: int, count: int) -> tuple[str, ...]:
    """At most ``count`` lines of at most ``width`` characters (an ellipsis when cut): SVG text
    does not wrap by itself."""
    wrapped = textwrap.wrap(" ".join(value.split()), width) or [""]
    if len(wrapped) > count:
        wrapped = wrapped[:count]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return tuple(wrapped)


def truncate(value: str, length: int) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def path_svg(target: dict[str, Any], mode: str, hops: list[dict[str, Any]]) -> Markup:
    height = len(hops) * ROW
    db = escape(str(target["db_instance_id"]))
    out = [
        f'<svg class="path" role="img" viewBox="0 0 900 {height}" width="900" '
        f'height="{height}" aria-label="Worker network path of {db} in the {escape(mode)} '
        f'mode">\n<title>Worker network path of {db} ({escape(mode)})</title>\n'
    ]
    for i, h in enumerate(hops):
        y = i * ROW
        status = str(h["status"])
        state = STATE.get(status, status)
        if h.get("checks"):
            state += " " + ", ".join(map(str, h["checks"]))
        out.append(
            f'<g class="hop {escape(status.replace(" ", "-"))}">\n'
            f'<rect x="1" y="{y + 1}" width="340" height="44" rx="5"/>\n'
            f'<text class="title" x="12" y="{y + 16}">{escape(str(h["title"]))}</text>\n'
            f'<text class="label" x="12" y="{y + 36}">'
            f"{escape(truncate(str(h['label']), 44))}</text>\n"
            f'<text class="state" x="356" y="{y + 16}">{escape(state)}</text>\n'
        )
        for n, line in enumerate(text_lines(str(h.get("reason") or ""), 80, 2)):
            out.append(f'<text class="reason" x="356" y="{y + 32 + n * 14}">{escape(line)}</text>')
        if i < len(hops) - 1:
            out.append(
                f'<line class="arrow" x1="170" y1="{y + 46}" x2="170" y2="{y + ROW - 4}"/>'
                f'<polygon class="arrow" points="165,{y + ROW - 8} 175,{y + ROW - 8} '
                f'170,{y + ROW - 2}"/>'
            )
        out.append("\n</g>\n")
    out.append("</svg>")
    return Markup("".join(out))
