"""render(result, fmt): the one entry point for every report format.

JSON is the model's own dict (DESIGN.md's contract). HTML and Markdown come from Jinja
templates in ``reports/templates`` once they exist; the audit command does not change for them.
"""

from __future__ import annotations

import json
from typing import Any

FORMATS: dict[str, str] = {"json": "json"}  # format name -> file extension


class UnknownFormat(ValueError):
    pass


def render(report: dict[str, Any], fmt: str) -> str:
    """The report (the JSON contract's dict) as text in ``fmt``."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    raise UnknownFormat(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
