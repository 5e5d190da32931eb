"""The HTML and Markdown reports people attach to change tickets, and re-rendering them."""

from __future__ import annotations

import json
import re
import shlex

import html5lib
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from checks.docs import A_ROUTE_TABLES
from reports.render import _md_word, md_escape, render
from reports.shell_fold import fold_commands
from tests.builders import Builder

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> dict:
    from auditor.cli import main

    out = tmp_path_factory.mktemp("demo")
    with pytest.raises(SystemExit):
        main(["demo", "--quiet", "--output-dir", str(out)])
    return json.loads((out / "latest.json").read_text())


def outside_references(html: str) -> list[str]:
    """src/href/url() values that point outside the file (in-page anchors are fine)."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, re.IGNORECASE)
    refs += re.findall(r"""url\(\s*["']?([^"')]+)""", html, re.IGNORECASE)
    return [r for r in refs if not r.startswith("#")]


def test_html_parses_strictly_and_is_self_contained(demo_report):
    html = render(demo_report, "html")

    html5lib.HTMLParser(strict=True).parse(html)
    assert outside_references(html) == []
    assert "<style>" in html
    assert "<script" not in html  # readable with JavaScript off: there is none
    # A path picture per target and mode, and the file still attaches to a ticket.
    assert html.count('<svg class="path"') == 3 * len(demo_report["targets"])
    assert len(html.encode()) < 300_000


def test_html_shows_headline_targets_fixes_and_what_is_not_checked(demo_report):
    html = render(demo_report, "html")

    assert "NOT READY</span>\n  4 of 16 DB instance(s) ready in the <strong>public</strong>" in html
    assert '<th scope="col">public (headline)</th>' in html
    assert "aws ec2 attach-internet-gateway --internet-gateway-id" in html
    assert 'id="not-checked"' in html
    assert "@media print" in html
    assert "crm-mysql" in html  # skipped, with the reason


def test_untrusted_aws_text_is_escaped_in_html_and_markdown(preflight, aws):
    b = Builder("eu-west-1")
    net = b.ready_network(dns_support=False)
    b.ec2.create_tags(Resources=[net.vpc_id], Tags=[{"Key": "Name", "Value": XSS}])
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    run = preflight("audit", "--region", "eu-west-1")

    html, md = render(run.report, "html"), render(run.report, "md")

    assert run.findings("vpc.dns-support")[0]["evidence"]["vpc_name"] == XSS
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS not in html
    html5lib.HTMLParser(strict=True).parse(html)
    assert "<script>" not in MarkdownIt("commonmark").enable("table").render(md)


def table_rows(tokens) -> list[tuple[int, int]]:
    """(cells in the header row, cells in each body row) for every table."""
    out, count, header = [], 0, None
    for tok in tokens:
        if tok.type == "tr_open":
            count = 0
        elif tok.type in ("th_open", "td_open"):
            count += 1
        elif tok.type == "tr_close":
            header = count if header is None else header
            out.append((header, count))
        elif tok.type == "table_close":
            header = None
    return out


def test_markdown_tables_keep_their_columns_when_values_hold_pipes(demo_report):
    report = json.loads(json.dumps(demo_report))
    report["skipped"][0]["reason"] = "a | b | `c` and\nd"
    for f in report["findings"]:
        if f["status"] == "warn":
            f["message"] = "x | y | z"
    md = render(report, "md")

    rows = table_rows(MarkdownIt("commonmark").enable("table").parse(md))

    assert len(rows) > 10
    assert all(cells == header for header, cells in rows)
    assert "a \\| b \\| \\`c\\` and d" in md


def test_markdown_has_the_headline_and_fenced_remediation(demo_report):
    md = render(demo_report, "md")

    assert md.startswith("# RDS backup readiness: NOT READY\n")
    assert "\n   ```sh\n   aws ec2 attach-internet-gateway" in md
    assert "## Not checked" in md


def test_render_command_reproduces_the_audit_files_offline(preflight, tmp_path):
    demo = preflight("demo", "--output-dir", str(tmp_path / "d"))
    assert demo.code == 1
    latest = tmp_path / "d" / "latest.json"

    again = preflight("render", str(latest), "--format", "html", "-o", str(tmp_path / "again.html"))

    assert again.code == 0
    assert (tmp_path / "again.html").read_text() == (tmp_path / "d" / "latest.html").read_text()


def test_redact_replaces_account_ids_everywhere_with_stable_placeholders(preflight, tmp_path):
    first = preflight("demo", "--redact", "--output-dir", str(tmp_path / "a"))
    second = preflight("demo", "--redact", "--output-dir", str(tmp_path / "b"))

    for folder in ("a", "b"):
        for path in (tmp_path / folder).iterdir():
            assert "123456789012" not in path.name
            assert "123456789012" not in path.read_text()
    assert first.report["account_id"] == second.report["account_id"]
    assert first.report["account_id"].startswith("acct-")
    assert first.report["caller_arn"] == f"arn:aws:sts::{first.report['account_id']}:user/moto"


@pytest.mark.parametrize("command", ["render", "merge"])
def test_an_unwritable_output_is_one_line_and_exit_2(demo_report, tmp_path, preflight, command):
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(demo_report))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    if command == "render":
        run = preflight("render", str(saved), "-o", str(blocker / "out.html"))
    else:
        run = preflight("merge", str(saved), "--output-dir", str(blocker / "reports"))

    assert run.code == 2
    assert run.err.count("\n") == 1
    assert run.err.startswith("preflight: error: cannot write")
    assert str(blocker) in run.err


def test_every_finding_check_lists_its_sources_in_the_json_and_the_fixes(demo_report):
    listed = {c["id"]: c for c in demo_report["checks"]}

    assert {f["check_id"] for f in demo_report["findings"]} == set(listed)
    route = listed["route.internet"]
    assert route["severity"] == "blocker"
    assert route["modes"] == ["public"]
    assert {"title": "AWS: Route tables", "url": A_ROUTE_TABLES.url} in route["docs"]
    md = render(demo_report, "md")
    assert f"AWS: Route tables <{A_ROUTE_TABLES.url}>" in md
    assert f'AWS: Route tables <span class="url">{A_ROUTE_TABLES.url}</span>' in render(
        demo_report, "html"
    )


def test_a_source_that_is_not_an_https_address_is_not_shown(demo_report):
    edited = json.loads(json.dumps(demo_report))
    for check in edited["checks"]:
        check["docs"] = [{"title": "click me", "url": "javascript:alert(1)"}]

    assert "javascript:" not in render(edited, "html")
    assert "javascript:" not in render(edited, "md")


def test_hostile_strings_stay_inert_in_the_terminal_and_in_markdown(
    demo_report, tmp_path, preflight
):
    hostile = json.loads(json.dumps(demo_report))
    hostile["targets"][0]["db_instance_id"] = "\x1b[2J\x1b[1;1Hall clear\r"
    hostile["accounts"][0]["account_id"] = "![x](https://evil.example/p.png)"
    hostile["units"][0]["account_id"] = "[click](https://evil.example)"
    saved = tmp_path / "hostile.json"
    saved.write_text(json.dumps(hostile))

    run = preflight("merge", str(saved), "--output-dir", str(tmp_path / "out"))
    md = render(hostile, "md")

    assert "\x1b" not in run.out
    assert "\r" not in run.out
    assert "\\x1b[2J" in run.out
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert 'src="https://evil.example' not in html
    assert 'href="https://evil.example' not in html


def test_redact_covers_the_snapshot(preflight, tmp_path, monkeypatch):
    from moto import mock_aws

    from tests.builders import Builder

    with mock_aws():
        b = Builder("eu-west-1")
        b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
        snapshot = tmp_path / "evidence.json"
        run = preflight(
            "audit", "--region", "eu-west-1", "--redact", "--save-snapshot", str(snapshot)
        )

    assert run.code == 0
    assert "123456789012" not in snapshot.read_text()
    assert oct(snapshot.stat().st_mode & 0o777) == "0o600"


def test_junit_has_a_suite_per_unit_and_a_case_per_db_instance(demo_report):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(render(demo_report, "junit"))

    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"123456789012 eu-west-1", "123456789012 us-east-1"}
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == len(demo_report["targets"]) + len(demo_report["skipped"])
    batch = cases["batch-pg"].find("failure")
    assert batch is not None
    assert batch.get("message") == (
        "not ready: route.internet, vpc.block-public-access, vpc.internet-gateway"
    )
    assert "no internet gateway is attached to" in (batch.text or "")
    assert cases["orders-pg"].find("failure") is None
    skipped = cases["crm-mysql"].find("skipped")
    assert skipped is not None
    assert "MySQL" in (skipped.get("message") or "")
    verdicts = [
        t["modes"][demo_report["worker_network"]]["verdict"] for t in demo_report["targets"]
    ]
    assert root.get("failures") == str(verdicts.count("not_ready"))
    assert root.get("errors") == str(verdicts.count("unknown")) == "1"  # network-pg
    network = cases["network-pg"].find("error")
    assert network is not None
    assert "could not check" in (network.text or "")


def test_format_takes_commas_and_refuses_an_unknown_one_in_one_line(preflight, tmp_path):
    run = preflight("demo", "--format", "json,junit", "--output-dir", str(tmp_path))

    assert sorted(p.name for p in tmp_path.glob("latest.*")) == ["latest.json", "latest.junit.xml"]
    bad = preflight("demo", "--format", "json,junt")
    assert bad.code == 2
    assert "'junt' is not a report format" in bad.err
    assert len(bad.err.strip().splitlines()) == 1
    assert run.code == 1


def test_markdown_reads_as_plain_text_and_the_html_stands_alone(demo_report):
    """Every Markdown line is under 200 characters (paragraphs and list
    items wrap, the DB table holds verdicts only); neither format points at a file "beside"
    it (a ticket gets the one file); the API request table is an appendix, last."""
    md = render(demo_report, "md")
    html = render(demo_report, "html")

    assert [line for line in md.splitlines() if len(line) >= 200] == []  # code blocks too
    assert "\\*" not in md  # an ARN pattern is a code span, not arn:aws:s3:::veeam-\\*
    assert "`arn:aws:s3:::veeam-*`" in md
    assert "| network-pg | us-east-1 | postgres 16.3 | UNKNOWN | UNKNOWN | UNKNOWN |" in md
    assert "- **batch-pg**: public blocked by route.internet, vpc.block-public-access," in md
    assert "beside this file" not in html
    assert "in this run's JSON report" in html
    assert "in this run's JSON report" in md
    assert html.index("Appendix: this run's API requests") > html.index('id="not-checked"')


def shell_words(command: str) -> list[str]:
    """What the shell passes to aws: continuations joined, quotes removed, JSON parsed."""
    words = shlex.split(command.replace("\\\n", " "))
    return [json.loads(w) if w.startswith(("{", "[")) else w for w in words]  # type: ignore[misc]


def test_a_folded_command_pastes_into_a_shell_as_the_one_line_command(demo_report):
    """Markdown folds long `aws` commands (one option per line, a JSON policy over lines
    inside its quotes); the shell must see the same words as the JSON report's one line."""
    commands = {
        line
        for f in demo_report["findings"]
        for line in (f.get("remediation") or "").split("\n")
        if line.startswith("aws ") and len(line) > 100
    }
    assert len(commands) > 5
    assert any("'{" in c for c in commands)  # a policy document among them

    for command in commands:
        folded = fold_commands(command)
        assert max(len(line) for line in folded.split("\n")) < 200
        assert folded.count("\n") >= command.count(" --") - 1
        assert shell_words(folded) == shell_words(command), command
    assert fold_commands("aws s3 ls 'unclosed " + "x" * 120) == "aws s3 ls 'unclosed " + "x" * 120


def fix_section(md: str, db: str) -> str:
    """One DB instance's part of the Markdown "What to fix"."""
    start = md.index(f"\n### {db} (")
    end = md.find("\n### ", start + 1)
    return md[start : end if end > 0 else None]


def test_what_to_fix_gives_one_fix_once_and_says_which_comes_first(demo_report):
    """batch-pg's detached gateway fails route.internet and vpc.internet-gateway: re-attaching
    it fixes both, so it is step 1, and step 2 points back to it instead of a second command."""
    batch = fix_section(render(demo_report, "md"), "batch-pg")

    steps = re.findall(r"^(\d+)\. \*\*FAIL\*\* `([\w.-]+)`", batch, re.M)
    assert steps == [
        ("1", "route.internet"),
        ("2", "vpc.internet-gateway"),
        ("3", "vpc.block-public-access"),
    ]
    assert batch.count("aws ec2 attach-internet-gateway") == 1
    assert "Fix: the same as step 1 (`route.internet`): one change fixes both." in batch
    html = render(demo_report, "html")
    assert "Fix: the same as step 1 (route.internet): one change fixes both." in html


def test_a_fix_shared_by_more_db_instances_comes_first(demo_report):
    """crowded-pg fails ec2.security-group-headroom, then s3.repository in report order; once
    the same bucket fix also blocks vault-pg, it unblocks more and is listed first, in the
    Markdown and in the terminal's "fix first"."""
    from auditor.summary import summary_lines

    report = json.loads(json.dumps(demo_report))
    crowded = next(
        f
        for f in report["findings"]
        if f["target"] == "crowded-pg" and f["check_id"] == "s3.repository"
    )
    report["findings"].append({**crowded, "target": "vault-pg"})
    vault = next(t for t in report["targets"] if t["db_instance_id"] == "vault-pg")
    for m in crowded["modes"]:
        vault["modes"][m]["blocking"].append("s3.repository")

    before = fix_section(render(demo_report, "md"), "crowded-pg")
    after = fix_section(render(report, "md"), "crowded-pg")

    assert before.index("`ec2.security-group-headroom`") < before.index("`s3.repository`")
    assert after.index("`s3.repository`") < after.index("`ec2.security-group-headroom`")
    lines = "\n".join(summary_lines(report, [], columns=200))
    assert "fix first: s3.repository: " in lines


def test_empty_values_show_as_a_dash_not_an_empty_cell(demo_report):
    report = json.loads(json.dumps(demo_report))
    report["errors"] = [
        {"account_id": "123456789012", "region": "eu-west-1", "service": "ec2",
         "operation": "DescribeVpcs", "code": "", "message": "timed out", "iam_action": None,
         "resource_id": None, "gap": "network"},
    ]  # fmt: skip
    batch = next(
        f for f in report["findings"] if f["target"] == "batch-pg" and f["status"] == "fail"
    )
    batch["evidence"] = {"subnets": []}

    html = render(report, "html")

    assert "<td>—</td><td><code>—</code></td><td>—</td><td>timed out</td>" in html
    assert "<dt>subnets</dt><dd>—</dd>" in html
    assert "<td></td>" not in html
    assert "| eu-west-1 | ec2:DescribeVpcs | — | — | — |" in render(report, "md")


def test_ids_in_a_fix_message_never_break_at_their_hyphen(demo_report):
    html = render(demo_report, "html")
    batch = next(
        f for f in demo_report["findings"]
        if f["target"] == "batch-pg" and f["check_id"] == "vpc.internet-gateway"
    )  # fmt: skip
    vpc = batch["resource_id"]

    assert f'attached to <span class="id">{vpc}</span> (its route tables' in html
    assert "span.id { white-space: nowrap; }" in html.replace(".nowrap, code.id, ", "")


@given(st.text(alphabet=st.sampled_from("ab *`[]|<>/!?\\\t\n()'\",;:."), max_size=30))
def test_markdown_escaping_of_a_whole_text_is_the_escaping_of_each_word(text):
    """md_escape substitutes over the joined text when no word needs a code span."""
    assert md_escape(text) == " ".join(_md_word(w) for w in text.split())


def test_a_report_key_named_like_a_dict_method_does_not_shadow_it(demo_report):
    """Templates call t.get("policy"): an edited report whose target has a "get" key renders
    as before (the key-first lookup leaves dict method names alone)."""
    edited = json.loads(json.dumps(demo_report))
    edited["targets"][0]["get"] = "not a method"
    edited["targets"][0]["policy"] = "nightly"

    html = render(edited, "html")

    assert "Veeam policy nightly" in html
    assert "not a method" not in html


@given(
    text=st.text(
        alphabet=st.sampled_from(
            [*"ab-.é", " ", " ", "\t", "\x0b", "\x0c", "\r", "\xa0", "\u2003"]
        ),
        max_size=300,
    )
    | st.lists(st.text(alphabet="xy", min_size=1, max_size=40), max_size=30).map(" ".join),
    width=st.integers(min_value=1, max_value=60),
    initial=st.sampled_from(["", "- ", "  1. ", " " * 70]),
    subsequent=st.sampled_from(["", "  ", "     ", " " * 70]),
)
def test_markdown_wrapping_gives_textwraps_lines(text, width, initial, subsequent):
    """reports.render.wrap_words, which wraps the Markdown report's long lines, against the
    textwrap call it replaced: tabs, other whitespace, words longer than a line and indents
    wider than the width included."""
    import textwrap

    from reports.render import wrap_words

    assert wrap_words(text, width, initial, subsequent) == textwrap.wrap(
        text,
        width,
        initial_indent=initial,
        subsequent_indent=subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _organisation_report(accounts: int) -> dict:
    """``accounts`` accounts with the baseline's ready DB instance each, the last one's role not
    assumed (an unknown account, as gather records it)."""
    from auditor.engine import evaluate
    from auditor.inventory import AccountRecord, Inventory, RegionInventory
    from tests import inventory_builder as ib

    ids = [f"1111222233{i:02d}" for i in range(accounts)]
    units = []
    for account in ids[:-1]:
        unit = ib.baseline()
        unit.account_id = account
        units.append(unit)
    units.append(RegionInventory(account_id=ids[-1], region=ib.REGION, db_instances=None))
    records = [AccountRecord(a, f"arn:aws:sts::{a}:assumed-role/audit/preflight") for a in ids]
    records[-1] = AccountRecord(ids[-1], None, "unknown", "sts:AssumeRole was denied")
    return evaluate(Inventory(accounts=records, regions=units), ib.CHECKS, ib.Mode.PUBLIC).to_dict()


def test_an_organisations_reports_count_its_accounts_and_table_them():
    report = _organisation_report(4)

    html = render(report, "html")
    md = render(report, "md")

    html5lib.HTMLParser(strict=True).parse(html)
    assert '<dt>Account</dt><dd>4 accounts (<a href="#accounts">by account</a>)</dd>' in html
    rows = re.findall(r'<tr><th scope="row"><span class="nowrap">(\d+)</span></th>(.*?)</tr>', html)
    assert [account for account, _ in rows] == [f"1111222233{i:02d}" for i in range(4)]
    assert '<td data-label="DB instances">1</td><td data-label="Ready">1</td>' in rows[0][1]
    assert "sts:AssumeRole was denied" in rows[3][1]
    assert "- Account: 4 accounts (see By account)" in md
    assert "| 111122223300 | audited | 1 | 1 | 0 | 0 | 0 |" in md
    assert "| 111122223303 | unknown: sts:AssumeRole was denied | 0 | 0 | 0 | 0 | 0 |" in md
    table = MarkdownIt("commonmark").enable("table").render(md)
    assert "<th>Not ready</th>" in table


def test_a_few_accounts_are_named_in_the_header_with_no_account_table():
    report = _organisation_report(3)

    html = render(report, "html")
    md = render(report, "md")

    assert "111122223300, 111122223301, 111122223302 (unknown: sts:AssumeRole was denied)" in html
    assert 'id="accounts"' not in html
    assert "- Account: 111122223300, 111122223301, 111122223302" in md
    assert "## By account" not in md
