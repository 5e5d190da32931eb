"""Text for a terminal: strings from AWS, reports or flags can carry control characters (ESC
sequences that rewrite the screen, CR that hides a line, BEL); they are shown escaped, `\\x1b`,
whether stdout is a terminal or a pipe."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
