"""The installed `preflight`, run as a user runs it (a subprocess, no AWS): every bad input is
one line on stderr and exit 2 — never a traceback, never exit 70 — and each is found before the
first AWS request (the runs below have no credentials at all: reaching AWS would say so)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

EXE = shutil.which("preflight")
pytestmark = pytest.mark.skipif(EXE is None, reason="pip install -e '.[dev]' installs preflight")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_PROFILE", "PREFLIGHT"))}
    env.update(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="", AWS_EC2_METADATA_DISABLED="true")
    assert EXE is not None
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def one_line_exit_2(done: subprocess.CompletedProcess[str], phrase: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("preflight: error: ")
    assert phrase in done.stderr, done.stderr


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes('{"a": 1}'.encode("utf-16"))
    latin = tmp_path / "latin1.toml"
    latin.write_bytes("[audit]\nregion = 'é'\n".encode("latin-1"))
    (tmp_path / "baseline5.toml").write_text("[audit]\nbaseline = 5\n")
    (tmp_path / "region.toml").write_text('[audit]\nregion = "eu-west-1"\n')
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    return {"utf16": utf16, "latin": latin, "blocker": blocker, "dir": tmp_path}


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["audit", "--from-snapshot", "/dev/zero"], "the snapshot /dev/zero is not a regular file"),
        (["audit", "--from-snapshot", "{utf16}"], "is UTF-16 text: save it as UTF-8"),
        (["render", "{utf16}"], "the report {utf16} is UTF-16 text"),
        (["diff", "{utf16}", "{utf16}"], "the old report {utf16} is UTF-16 text"),
        (["merge", "{utf16}"], "is UTF-16 text"),
        (["--config", "{latin}", "audit"], "the config file {latin} is not UTF-8 text"),
        (["audit", "--veeam-config", "{latin}", "--region", "eu-west-1"], "is not UTF-8 text"),
        (["audit", "--accounts-file", "/dev/zero"], "the accounts file /dev/zero is not a regular"),
        (["audit", "--from-snapshot", "{utf16}", "--shard", "0/2"], "--shard would change nothing"),
        (["audit", "--from-snapshot", "{utf16}", "--max-workers", "2", "--deadline", "60"],
         "--deadline, --max-workers would change nothing; drop them"),
        (["audit", "--external-id", "x", "--region", "eu-west-1"], "--external-id goes with"),
        (["audit", "-q", "-v", "--region", "eu-west-1"], "use --quiet or --verbose, not both"),
        (["audit", "--region", "eu-west-1", "--output-dir", "{blocker}/reports"],
         "cannot write reports to {blocker}/reports: Not a directory"),
        (["audit", "--role-arn", "notanarn"], "'notanarn' is not an IAM role ARN"),
        (["--config", "{dir}/baseline5.toml", "audit"],
         'in [audit], baseline is a string: write baseline = "5"'),
        (["--config", "{dir}/region.toml", "audit"],
         'in [audit], region is a list of strings: write region = ["eu-west-1"]'),
        (["audit", "--deadline", "inf", "--region", "eu-west-1"], "--deadline"),
        (["audit", "--region"], "requires an argument. (see `preflight audit --help`)"),
        (["permissions", "--org-role-name"],
         "requires an argument. (see `preflight permissions --help`)"),
        (["permissions", "--role-arn", "x"], "'x' is not an IAM role ARN"),
    ],
)  # fmt: skip
def test_each_bad_input_is_one_line_and_exit_2(files, args, phrase):
    given_args = [a.format(**files) for a in args]

    done = run(*given_args, cwd=files["dir"])

    one_line_exit_2(done, phrase.format(**files))


def in_process(*args: str) -> tuple[int, str]:
    """The CLI in this process (hypothesis runs many examples: a process each would be slow)."""
    import contextlib
    import io

    from auditor.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


@settings(max_examples=25)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_any_bytes_as_any_input_file_end_in_one_line_and_a_documented_code(data):
    """Whatever a file holds, each command that reads one answers 0, 1, 2 or 3 with at most one
    line on stderr: never 70, never a traceback."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        for args in (
            ["audit", "--from-snapshot", str(path), "--output-dir", tmp, "-q"],
            ["render", str(path)],
            ["diff", str(path), str(path)],
            ["merge", str(path), "--output-dir", tmp],
            ["--config", str(path), "demo", "--help"],
            ["iam", "evaluate", "--identity", str(path), "--action", "s3:GetObject",
             "--resource", "arn:aws:s3:::b/k"],
        ):  # fmt: skip
            code, err = in_process(*args)
            assert code in (0, 1, 2, 3), (args, err)
            assert "Traceback" not in err, (args, err)
            assert err.count("\n") <= 1, (args, err)


@pytest.mark.usefixtures("aws")
def test_a_replay_tries_another_worker_configuration_and_says_so(preflight, tmp_path):
    from tests.builders import Builder

    b = Builder("eu-west-1")
    net = b.ready_network()
    b.db("orders", "postgres", "16.3", net.db_subnet_group)
    snapshot = tmp_path / "snapshot.json"
    read = preflight("audit", "--region", "eu-west-1", "--save-snapshot", str(snapshot))
    chosen = net.private_subnets["a"]

    replay = preflight("audit", "--from-snapshot", str(snapshot), "--worker-subnet", chosen)

    assert read.code == 0, read.err
    assert replay.code == 1  # public mode: the pinned subnet is private, no public candidate
    config = replay.report["worker_configuration"]
    assert config["subnet_ids"] == [chosen]
    assert config["note"].startswith(
        "replayed from a snapshot with this worker configuration, not the one it was read with"
    )
    private = replay.target("orders")["modes"]["private"]
    assert private["worker_subnets"] == [chosen]
    assert "replayed" not in read.report["worker_configuration"]["note"]


@pytest.mark.usefixtures("aws")
def test_no_db_instance_is_a_neutral_headline_naming_where_it_looked(preflight, tmp_path):
    run = preflight("audit", "--region", "eu-west-1", "--format", "json,html,md")

    assert run.code == 0
    where = "eu-west-1 (account 123456789012)"
    html = (tmp_path / "reports" / "latest.html").read_text()
    md = (tmp_path / "reports" / "latest.md").read_text()
    assert '<span class="badge none">NO DB INSTANCES</span>' in html
    assert f"no DB instances to back up in {where}: nothing was judged" in html
    assert "badge ready" not in html
    assert md.startswith("# RDS backup readiness: NO DB INSTANCES")
    assert f"No DB instances to back up in {where}" in md
    assert run.out.startswith(f"NO DB INSTANCES to back up in {where}\n")
    assert "READY" not in run.out.replace("NOT READY", "")


@pytest.mark.usefixtures("aws")
def test_a_replay_says_when_it_was_read_and_when_replayed_in_every_format(preflight, tmp_path):
    from tests.builders import Builder

    b = Builder("eu-west-1")
    b.db("orders", "postgres", "16.3", b.ready_network().db_subnet_group)
    snapshot = tmp_path / "snapshot.json"
    read = preflight("audit", "--region", "eu-west-1", "--save-snapshot", str(snapshot))
    out = tmp_path / "replayed"

    replay = preflight(
        "audit", "--from-snapshot", str(snapshot), "--format", "json,html,md",
        "--output-dir", str(out),
    )  # fmt: skip

    assert read.report["replayed"] is None
    when = replay.report["replayed"]
    assert when["read_at"] == read.report["generated_at"]
    assert when["replayed_at"] == replay.report["generated_at"]
    line = f"read at {when['read_at']}, replayed at {when['replayed_at']}"
    assert line in (out / "latest.html").read_text()
    assert line in (out / "latest.md").read_text()
    assert line in replay.out


def test_color_always_colours_the_verdicts_and_never_or_no_color_do_not(preflight, monkeypatch):
    """The summary's verdict labels in colour with --color always; none with --color never, nor
    by default off a terminal or with NO_COLOR set on one."""
    import sys

    from auditor.cli import colour_wanted

    always = preflight("demo", "--color", "always")
    never = preflight("demo", "--color", "never")
    auto = preflight("demo")  # captured output: not a terminal

    assert "\x1b[31m\x1b[1mNOT READY\x1b[0m" in always.out
    assert "\x1b[" not in never.out
    assert "\x1b[" not in auto.out
    assert "  NOT READY  " in never.out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert colour_wanted("auto")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_wanted("auto")
    assert colour_wanted("always")


def test_environment_names_follow_the_flags_and_take_commas(preflight, monkeypatch):
    """PREFLIGHT_AUDIT_REGION for --region (not click's PREFLIGHT_AUDIT_REGIONS), and a
    repeatable value separated by commas as well as spaces."""
    monkeypatch.setenv("PREFLIGHT_AUDIT_REGION", "eu-west-1,us-east-9")

    run = preflight("audit")

    assert run.code == 2
    assert "unknown region 'us-east-9'" in run.err
    monkeypatch.setenv("PREFLIGHT_DEMO_FORMAT", "json, md")
    demo = preflight("demo", "-q")
    assert demo.code == 1
    assert demo.report is not None


MUTATIONS = {
    "a finding's check id a number": lambda r: r["findings"][0].update(check_id=5),
    "a finding without its target": lambda r: r["findings"][0].pop("target"),
    "the summary a string": lambda r: r.update(summary="x"),
    "a target's blocking a string": lambda r: r["targets"][0].update(blocking="route.internet"),
    "an account a list": lambda r: r.update(accounts=[["123456789012"]]),
    "a count true": lambda r: r["summary"].update(ready=True),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_report_of_the_wrong_shape_is_one_line_for_render_diff_merge_baseline(
    preflight, tmp_path, mutation
):
    import json

    report = preflight("demo", "-q").report
    MUTATIONS[mutation](report)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(report))

    for args in (
        ["render", str(bad)],
        ["diff", str(bad), str(bad)],
        ["merge", str(bad), "--output-dir", str(tmp_path / "merged")],
        ["audit", "--region", "eu-west-1", "--baseline", str(bad)],  # before any request
    ):
        code, err = in_process(*args)
        assert code == 2, (args, err)
        assert "is not a preflight JSON report" in err, (args, err)
        assert err.count("\n") == 1, (args, err)


def commands(group, path=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_takes_verbose_and_log_format_and_logs_what_it_read(preflight, tmp_path):
    """The internal-error line says "run again with -vv": every command must take it."""
    from auditor.cli import cli

    lacking = [
        name
        for name, command in commands(cli)
        if not {"--verbose", "--log-format"} <= {o for p in command.params for o in p.opts}
    ]
    assert lacking == []
    assert preflight("demo", "-q", "--format", "json", "--output-dir", str(tmp_path)).code == 1

    done = run("render", str(tmp_path / "latest.json"), "-v", "--log-format", "json",
               "-o", str(tmp_path / "again.md"), "--format", "md")  # fmt: skip

    assert done.returncode == 0, done.stderr
    logged = [json.loads(line) for line in done.stderr.splitlines()]
    assert logged[0]["level"] == "info"
    assert logged[0]["message"].startswith(f"read the report {tmp_path / 'latest.json'}: 16 target")


def as_user(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI with only the credential setup ``env`` gives: none of this machine's
    keys, profile or CA bundle (AWS_CA_BUNDLE would win over a profile's ca_bundle), HOME
    and the working directory in tmp_path (no SSO cache)."""
    mine = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_CA_BUNDLE")
    given = {k: v for k, v in os.environ.items() if not k.startswith(mine)}
    assert EXE is not None
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env=given | {"HOME": str(tmp_path)} | env,
    )  # fmt: skip


@pytest.mark.parametrize("flags", [[], ["-v"]])
def test_an_sso_profile_never_logged_in_is_one_line(tmp_path, flags):
    """An IAM Identity Center profile without `aws sso login`: botocore logs a warning with
    its traceback before raising; the user sees preflight's one line and exit 2 (-v adds
    botocore's warning, still without a traceback; tracebacks are for -vv)."""
    config = tmp_path / "config"
    config.write_text(
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 444455556666\nsso_role_name = Audit\n"
    )
    done = as_user(
        tmp_path, "audit", "--profile", "sso", "--region", "eu-west-1", *flags,
        AWS_CONFIG_FILE=str(config),
    )  # fmt: skip

    errors = [line for line in done.stderr.splitlines() if line.startswith("preflight: error: ")]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(errors) == 1
    assert "run `aws sso login` and retry" in errors[0]
    if not flags:
        assert done.stderr.count("\n") == 1, done.stderr


def test_a_web_identity_token_file_that_is_missing_is_one_line(tmp_path):
    """AWS_WEB_IDENTITY_TOKEN_FILE naming no file (a pod's token not mounted): botocore's
    provider raises FileNotFoundError at the first request; one line, exit 2, not exit 70."""
    done = as_user(
        tmp_path, "audit", "--region", "eu-west-1",
        AWS_WEB_IDENTITY_TOKEN_FILE=str(tmp_path / "no-token"),
        AWS_ROLE_ARN="arn:aws:iam::444455556666:role/Audit",
    )  # fmt: skip

    one_line_exit_2(done, "AWS credentials could not be read")
    assert str(tmp_path / "no-token") in done.stderr


# (config file, the environment's additions, --profile, the phrase of the one line)
BAD_CREDENTIAL_SETUPS = {
    "credential_process prints no JSON": (
        "[profile p]\ncredential_process = /bin/echo not-json\n", {}, "p",
        "credential_process printed something that is not JSON",
    ),
    "AWS_PROFILE names no profile": ("[profile p]\nregion = eu-west-1\n",
        {"AWS_PROFILE": "nope"}, None, "unknown AWS profile 'nope' (AWS_PROFILE)"),
    "config file cannot be parsed": ("[profile p\nregion = eu-west-1\n", {}, "p",
        "the AWS config cannot be used: Unable to parse config file"),
    "source_profile missing": (
        "[profile p]\nrole_arn = arn:aws:iam::111122223333:role/x\nsource_profile = gone\n",
        {}, "p", 'The source_profile "gone"',
    ),
    "HTTPS_PROXY is no URL": (
        "[profile p]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n",
        {"HTTPS_PROXY": "http://user:secret@[::1"}, "p", "HTTPS_PROXY is not a proxy URL",
    ),
    "AWS_CA_BUNDLE names no file": (
        "[profile p]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n",
        {"AWS_CA_BUNDLE": "/nonexistent/ca.pem"}, "p", "the CA bundle /nonexistent/ca.pem",
    ),
    "the profile's ca_bundle names no file": (
        "[profile p]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n"
        "ca_bundle = /nonexistent/corp.pem\n", {}, "p", "the CA bundle /nonexistent/corp.pem",
    ),
    "https_proxy has no host": (
        "[profile p]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n",
        {"https_proxy": "http://"}, "p", "https_proxy is not a proxy URL",
    ),
}  # fmt: skip


@pytest.mark.parametrize("setup", sorted(BAD_CREDENTIAL_SETUPS))
def test_a_bad_credential_setup_is_one_line_and_exit_2(tmp_path, setup):
    text, added, flag_profile, phrase = BAD_CREDENTIAL_SETUPS[setup]
    (tmp_path / "config").write_text(text)
    args = ["--profile", flag_profile] if flag_profile else []
    done = as_user(
        tmp_path, "audit", "--region", "eu-west-1", *args,
        AWS_CONFIG_FILE=str(tmp_path / "config"), **added,
    )  # fmt: skip

    one_line_exit_2(done, phrase)
    assert "secret" not in done.stderr
