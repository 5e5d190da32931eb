"""fold_commands(text): long `aws …` command lines folded for a Markdown code block.

A ticket's Markdown must keep every line short (tools cut or wrap long ones), and a folded
command must still paste into a shell and do exactly what the one-line command does. So a long
command is split only where the shell allows it: one `--option value` per line with a `\\`
continuation, and a single-quoted JSON document (a policy) spread over lines inside its quotes,
which AWS CLI's JSON parser reads the same. The JSON report keeps the one-line command.
"""

from __future__ import annotations

import json

FOLD_OVER = 100


def fold_commands(text: str, width: int = FOLD_OVER) -> str:
    return "\n".join(_fold(line) if len(line) > width else line for line in text.split("\n"))


def _fold(line: str) -> str:
    words = _words(line)
    if words is None or not words or words[0] != "aws":
        return line  # not a command we can split safely: left whole
    lines: list[str] = []
    current: list[str] = []
    for word in words:
        if word.startswith("--") and len(current) > (3 if not lines else 0):
            lines.append(" ".join(current))
            current = []
        current.append(_spread_json(word))
    lines.append(" ".join(current))
    return " \\\n  ".join(lines)


def _words(line: str) -> list[str] | None:
    """The line's shell words, quotes kept as written; None when a quote is not closed or
    anything but plain quoting is used (left alone rather than risk changing the command)."""
    if "\\" in line or "$" in line or "`" in line:
        return None
    words: list[str] = []
    word, quote = "", ""
    for ch in line:
        if quote:
            word += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            word += ch
        elif ch == " ":
            if word:
                words.append(word)
            word = ""
        else:
            word += ch
    if quote:
        return None
    return [*words, word] if word else words


def _spread_json(word: str) -> str:
    """'{"a":1}' as a multi-line single-quoted JSON document; anything else unchanged."""
    if len(word) < 60 or not (word.startswith("'{") and word.endswith("}'")):
        return word
    try:
        document = json.loads(word[1:-1])
    except ValueError:
        return word
    spread = json.dumps(document, indent=2, ensure_ascii=False).replace("\n", "\n    ")
    return f"'{spread}'" if "'" not in spread else word
