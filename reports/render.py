"""render(report, fmt): every format from the same report (the JSON contract's dict).

One Jinja environment; autoescape is on for HTML, and the Markdown template escapes every value
it puts in a table or a sentence. Nothing here knows AWS objects or particular checks.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from auditor.fix_order import steps, what_to_fix
from auditor.model import FEW_ACCOUNTS, accounts_label, searched, shown_headline
from reports.formats import FORMATS
from reports.path_svg import path_svg
from reports.shell_fold import fold_commands

MODES = ("public", "private", "vpc-endpoints")
VERDICT_TEXT = {
    "ready": "READY",
    "not_ready": "NOT READY",
    "unknown": "UNKNOWN",
    "none": "NO DB INSTANCES",
}

# What AWS APIs cannot show (DESIGN.md "Not checked"); every report says so.
NOT_CHECKED = (
    "Veeam-side settings: the database account, archive encryption pairing, repository selection",
    "Service control policies (local IAM evaluation cannot see them; --simulate asks AWS)",
    "The bucket policies Veeam sets on its temporary SQL Server buckets",
    "The backup appliance's own network path",
    "The backup and worker roles unless --veeam-config states them; repository buckets, their "
    "KMS keys and archive rules",
    "VPC peering to a repository VPC; SQL Server windows against the Veeam schedule",
)


class UnknownFormat(ValueError):
    pass


def render(report: dict[str, Any], fmt: str) -> str:
    """The report as text in ``fmt`` ("json", "html" or "md")."""
    return "".join(render_chunks(report, fmt))


def render_chunks(
    report: dict[str, Any], fmt: str, views: dict[str, Any] | None = None
) -> Iterator[str]:
    """The report as text in ``fmt``, piece by piece: a large JSON or HTML report is written as
    it is made instead of being held whole (reports.files.write_reports). ``views``: where the
    formats of one report keep what the templates show, derived once for HTML and Markdown."""
    if fmt == "json":
        yield from json_chunks(report)
        return
    if fmt == "junit":
        from reports.junit import render_junit

        yield render_junit(report) + "\n"
        return
    if fmt not in ("html", "md"):
        raise UnknownFormat(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    template = _environment(fmt == "html").get_template(f"report.{fmt}.j2")
    views = {} if views is None else views
    if "view" not in views:
        views["view"] = view(report)
    context = {"r": report, "v": views["view"], "not_checked": NOT_CHECKED}
    if fmt == "md":  # wrapped as a whole (a paragraph may span the template's pieces)
        yield wrap_markdown(template.render(context) + "\n")
        return
    yield from _batched(template.generate(context))
    yield "\n"


def _batched(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """Jinja's many small pieces joined into about ``size`` characters each."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


MD_WIDTH = 100
NO_TARGETS = {"targets": 0, "ready": 0, "not_ready": 0, "unknown": 0, "skipped": 0}
LIST_ITEM = re.compile(r"^(\s*(?:[-*] |\d+\. )?)")


def wrap_markdown(text: str, width: int = MD_WIDTH) -> str:
    """Paragraphs and list items wrapped at ``width`` (continuations indented under the item),
    so the Markdown reads cleanly as plain text and pastes into tickets that cut long lines;
    code blocks, tables and headings stay as they are, and nothing is broken inside a word
    (a URL or an id stays whole)."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or len(line) <= width or line.lstrip().startswith(("|", "#", "```", "<")):
            out.append(line)
            continue
        prefix = LIST_ITEM.match(line).group(1)  # type: ignore[union-attr]
        out += wrap_words(line[len(prefix) :], width, prefix, " " * len(prefix)) or [line]
    return "\n".join(out)


# textwrap's whitespace (ASCII only): each becomes a space once tabs are expanded.
_TEXTWRAP_SPACE = str.maketrans(dict.fromkeys("\t\n\x0b\x0c\r ", " "))
_SPACES = re.compile(r"( +)")


def wrap_words(text: str, width: int, initial: str = "", subsequent: str = "") -> list[str]:
    """The lines of ``textwrap.wrap(text, width, initial_indent=initial,
    subsequent_indent=subsequent, break_long_words=False, break_on_hyphens=False)``, without
    making a TextWrapper and going through its general options for every line: a 5,000-DB
    report's Markdown has 24,000 long lines, and textwrap took 0.6 s for them. A property test
    holds the two to the same lines on any text."""
    if width <= 0:
        raise ValueError(f"invalid width {width!r} (must be > 0)")
    chunks = [c for c in _SPACES.split(text.expandtabs(8).translate(_TEXTWRAP_SPACE)) if c]
    chunks.reverse()  # a stack: the next chunk is the last
    lines: list[str] = []
    while chunks:
        indent = subsequent if lines else initial
        room = width - len(indent)
        if lines and not chunks[-1].strip():  # no line but the first starts with a space
            chunks.pop()
        line: list[str] = []
        used = 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and not line and len(chunks[-1]) > room:  # a word longer than a line: whole
            line.append(chunks.pop())
        if line and not line[-1].strip():  # nor ends with one
            line.pop()
        if line:
            lines.append(indent + "".join(line))
    return lines


def json_chunks(report: dict[str, Any]) -> Iterator[str]:
    """The report as JSON: its top level indented, each item of a top-level list (a target, a
    finding, an error) on a line of its own. Python's indenting encoder is pure Python and
    was most of the time a large report took to write; one item per line keeps the C encoder,
    and a finding is still one line to grep or diff. A list comes out a thousand items at a
    time, so the whole text is never held at once."""
    compact = json.JSONEncoder(ensure_ascii=False)
    yield "{\n"
    for n, (key, value) in enumerate(report.items()):
        name = compact.encode(key)
        lead = ",\n" if n else ""
        if isinstance(value, list) and value:
            yield f"{lead}  {name}: [\n"
            for start in range(0, len(value), 1000):
                items = ",\n".join(
                    f"    {compact.encode(item)}" for item in value[start : start + 1000]
                )
                yield (",\n" if start else "") + items
            yield "\n  ]"
        else:
            yield (
                f"{lead}  {name}: "
                + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            )
    yield "\n}\n"


class _ReportEnvironment(jinja2.Environment):
    """`x.name` on a report dict looks the key up first. Jinja tries the attribute first, and a
    plain dict has no attribute but its methods, so each lookup raised and caught an
    AttributeError (most of a large HTML report's rendering); for a name that is not a dict
    method the answer is the same, and a method name goes the usual way."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_METHODS:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


_DICT_METHODS = frozenset(dir(dict))


@cache
def _environment(html: bool) -> jinja2.Environment:
    env = _ReportEnvironment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md_escape
    env.filters["fence"] = fence
    env.filters["fold"] = fold_commands
    env.filters["verdict"] = lambda v: VERDICT_TEXT.get(str(v), str(v).upper())
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    env.globals["path_svg"] = path_svg
    env.filters["whole_ids"] = whole_ids
    env.filters["dash"] = dash
    return env


AWS_ID = re.compile(r"\b(?:arn:[\w-]+:[^\s,;()]+|[a-z]{2,5}-[0-9a-f]{8,17})")


def whole_ids(value: Any) -> Markup:
    """HTML text in which an AWS id (vpc-0abc…, subnet-…, an ARN) never breaks at its hyphen
    when the line wraps: each is a nowrap span; everything else is escaped as usual."""
    text = str("" if value is None else value)
    out, last = [], 0
    for m in AWS_ID.finditer(text):
        out += [escape(text[last : m.start()]), Markup('<span class="id">'), escape(m.group())]
        out.append(Markup("</span>"))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def dash(value: Any) -> str:
    """A cell's text: a list joined, and "—" for nothing (an empty cell reads as a defect)."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    return "—" if value is None or str(value).strip() == "" else str(value)


def md_escape(value: Any) -> str:
    """A value safe in a Markdown table cell or sentence: CommonMark backslash escapes for the
    characters that would start markup, and no line breaks (they would end a table row). A word
    with a `*` (an ARN pattern such as arn:aws:s3:::bucket/*) becomes a code span instead, which
    reads as written when the Markdown is pasted as plain text."""
    text = " ".join(str("" if value is None else value).split())
    if "*" not in text:  # no code span: escaping the whole text is escaping each word
        return MARKUP.sub(r"\\\1", text)
    return " ".join(_md_word(w) for w in text.split(" "))


STARRED = re.compile(r"^([(\"']*)([^`]*\*[^`]*?)([)\"',;:.]*)$")
# A character that would start markup; the lookahead never crosses a space, so escaping the
# joined text is escaping each word.
MARKUP = re.compile(r"([\\`*\[|]|<(?=[A-Za-z/!?]))")


def _md_word(word: str) -> str:
    starred = STARRED.match(word) if "*" in word else None
    if starred is None:
        return MARKUP.sub(r"\\\1", word)
    lead, core, trail = starred.groups()
    return f"{_md_word(lead)}`{core.replace('|', chr(92) + '|')}`{_md_word(trail)}"


def fence(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+/[^\s<>\"'`]*$")


def sources(report: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Check id -> its documentation pages; an address that is not a plain https:// URL (a
    report file can be edited) is left out rather than turned into a link."""
    out: dict[str, list[dict[str, str]]] = {}
    for check in report.get("checks", []):
        docs = [
            {"title": str(d.get("title", "")), "url": str(d["url"])}
            for d in check.get("docs", [])
            if isinstance(d, dict) and SAFE_URL.match(str(d.get("url", "")))
        ]
        if docs:
            out[str(check.get("id"))] = docs
    return out


def view(report: dict[str, Any]) -> dict[str, Any]:
    """What the templates show, derived once from the report."""
    headline = report["worker_network"]
    findings = report["findings"]
    order = what_to_fix(report)
    attention = [
        {
            "target": t,
            "steps": steps(order[(t["account_id"], t["region"], t["db_instance_id"])]),
        }
        for t in report["targets"]
        if t["verdict"] != "ready"
    ]
    warnings = [
        f
        for f in findings
        if f["status"] == "warn" or (f["status"] == "fail" and f["severity"] != "blocker")
    ]
    missing = sorted({e["iam_action"] for e in report["errors"] if e.get("iam_action")})
    policy = (
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": missing, "Resource": "*"}],
        }
        if missing
        else None
    )
    overall = shown_headline(report)
    many = len(report["accounts"]) > FEW_ACCOUNTS  # an organisation: a table of its accounts
    by_account = report["summary"].get("by_account", {})
    target_notes = []  # per target, what blocks it in each mode (the Markdown table is short)
    for t in report["targets"]:
        parts = []
        for m in MODES:
            mv = t["modes"].get(m) or {}
            if mv.get("blocking"):
                parts.append(f"{m} blocked by {', '.join(mv['blocking'])}")
            if mv.get("unknown"):
                parts.append(f"{m} could not check {', '.join(mv['unknown'])}")
        if parts or t.get("policy"):
            target_notes.append((t, "; ".join(parts) or "ready in every mode"))
    return {
        "searched": searched(report),
        "target_notes": target_notes,
        "headline": headline,
        "modes": MODES,
        "overall": overall,
        "attention": attention,
        "warnings": warnings,
        "missing_policy": policy,
        "status_counts": Counter(f["status"] for f in findings),
        "unit_problems": [u for u in report["units"] if u["status"] != "audited"],
        "sources": sources(report),
        "veeam_unchecked": report.get("veeam_config") is None,
        "account_label": ", ".join(a["account_id"] for a in report["accounts"]) or "-"
        if not many
        else f"{accounts_label(report)} (see By account)",
        "accounts_counted": accounts_label(report) if many else None,
        "by_account": [
            {**a, **by_account.get(a["account_id"], NO_TARGETS)} for a in report["accounts"]
        ]
        if many
        else [],
    }
