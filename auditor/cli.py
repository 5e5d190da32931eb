"""The `preflight` command line (click). Expected problems end with one line and exit 2."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import logging
import math
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from auditor import __version__
from auditor.config import load_config
from auditor.errors import PreflightError
from auditor.guard import ReadOnlyViolation
from auditor.input_files import read_input
from auditor.model import AuditResult, Mode, report_exit_code
from auditor.secrets import ScrubFilter, quoted
from auditor.terminal import printable
from auditor.veeam_config import load as load_veeam_config
from reports.diff import BaselineError, change_lines, compare
from reports.files import check_writable, write_atomic
from reports.formats import FORMATS
from reports.load import load_report
from reports.merge import MergeError, merge
from reports.redact import redact_text

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it


class Terminated(BaseException):
    """SIGTERM (cron, systemd, Kubernetes): handled like Ctrl-C, but exits 143."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


EXIT_INTERNAL = 70  # EX_SOFTWARE


def split_formats(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """`--format json,html` and `--format json --format html` alike; an unknown one is exit 2."""
    chosen = [f.strip().lower() for v in value for f in v.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r} is not a report format (known: {', '.join(FORMATS)})"
        )
    return tuple(dict.fromkeys(chosen))


VERBOSE = click.option(
    "--verbose",
    "-v",
    count=True,
    help="Log progress to stderr (-vv: debug, and tracebacks; -vvv: botocore's wire log too).",
)
LOG_FORMAT = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per log line, for log collectors.",
)


def logging_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """-v/-vv and --log-format for a command that does not use them itself: logging is set up
    from them before the command runs (`audit` and `demo` take them as parameters)."""

    @functools.wraps(f)
    def run(*args: Any, verbose: int, log_format: str, **kwargs: Any) -> Any:
        setup_logging(verbose, log_format)
        return f(*args, **kwargs)

    wrapped = VERBOSE(LOG_FORMAT(run))
    params = wrapped.__click_params__  # type: ignore[attr-defined]
    params[:] = params[-2:] + params[:-2]  # listed after the command's own options
    return wrapped


def output_options(default_dir: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Options shared by `audit` and `demo`."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(
            [
                click.option(
                    "--worker-network",
                    type=click.Choice([m.value for m in Mode]),
                    default=Mode.PUBLIC.value,
                    show_default=True,
                    help="Veeam's worker setup that decides the headline verdict "
                    "(every mode is judged and reported).",
                ),
                click.option(
                    "--format",
                    "formats",
                    multiple=True,
                    callback=split_formats,
                    default=("json", "html", "md"),
                    show_default=True,
                    help=f"Report format: {', '.join(FORMATS)} (repeatable, or comma-separated: "
                    "--format json,junit).",
                ),
                click.option(
                    "--output-dir",
                    type=click.Path(file_okay=False, path_type=Path),
                    default=Path(default_dir),
                    show_default=True,
                    help="Where reports are written (timestamped files and latest.*).",
                ),
                click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors."),
                click.option(
                    "--color",
                    type=click.Choice(["auto", "always", "never"]),
                    default="auto",
                    show_default=True,
                    help="Colour the summary's verdicts (auto: on a terminal, unless NO_COLOR "
                    "is set).",
                ),
                click.option(
                    "--redact",
                    is_flag=True,
                    help="Replace account ids (ARNs and file names too) by stable placeholders.",
                ),
                VERBOSE,
                LOG_FORMAT,
                click.option(
                    "--keep",
                    type=click.IntRange(min=1),
                    help="Keep only the N newest timestamped reports of each format.",
                ),
            ]
        ):
            f = option(f)
        return f

    return decorate


@click.group(
    context_settings={"auto_envvar_prefix": "PREFLIGHT", "help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="preflight")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML settings (default: $XDG_CONFIG_HOME/preflight/config.toml); flags and "
    "PREFLIGHT_* variables win over it.",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Can Veeam Backup for AWS back up these RDS DB instances? A read-only audit."""
    ctx.default_map = load_config(cli, config)


@cli.command()
@click.option(
    "--region", "regions", multiple=True, help="Region to audit (repeatable; default: AWS config)."
)
@click.option(
    "--all-regions",
    is_flag=True,
    help="Every region enabled for each account (ec2:DescribeRegions).",
)
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option(
    "--role-arn",
    "role_arns",
    multiple=True,
    callback=lambda ctx, param, value: check_role_arns(value),
    help="Audit the account of this role (repeatable).",
)
@click.option("--external-id", help="External id for --role-arn.")
@click.option(
    "--endpoint-url",
    callback=lambda ctx, param, value: check_url(value),
    help="Send every request to this URL instead of AWS's endpoints (as aws-cli's; a proxy or "
    "a local emulator). AWS_ENDPOINT_URL works too.",
)
@click.option("--role-session-name", default="preflight-audit", show_default=True)
@click.option(
    "--accounts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV `account_id,role_name[,external_id]`: audit each account through its role.",
)
@click.option(
    "--org-role-name", help="Audit every active account of the organisation through this role."
)
@click.option(
    "--max-workers",
    type=click.IntRange(1, 64),
    default=16,
    show_default=True,
    help="Requests in flight at most.",
)
@click.option(
    "--shard",
    help="i/n: audit only slice i (0-based) of the (account, region) units, sorted by account "
    "then region; join the shards with `preflight merge`.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=8,
    show_default=True,
    help="Attempts per request (adaptive retries on throttling and 5xx).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1, max=7 * 24 * 3600),
    callback=lambda ctx, param, value: check_finite(value, "--deadline"),
    help="Seconds (at most a week); units unfinished by then are unknown.",
)
@click.option(
    "--save-snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write what was read (evidence, replay).",
)
@click.option(
    "--from-snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit a saved snapshot offline, with no AWS call.",
)
@click.option(
    "--db-instance", "db_instances", multiple=True, help="Audit only this DB instance (repeatable)."
)
@click.option(
    "--worker-subnet",
    "worker_subnets",
    multiple=True,
    help="Veeam's worker configuration: only these subnets are worker candidates (repeatable).",
)
@click.option(
    "--worker-security-group",
    "worker_security_groups",
    multiple=True,
    help="Veeam's worker configuration: the workers' security group (repeatable).",
)
@click.option(
    "--simulate",
    is_flag=True,
    help="Confirm IAM decisions with iam:SimulatePrincipalPolicy (real AWS; sees SCPs).",
)
@click.option(
    "--veeam-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Veeam's side of the policy (TOML: appliance, policies, roles): their checks run too.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An earlier JSON report: the reports gain a `changes` section.",
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 when the baseline comparison finds a regression.",
)
@output_options("preflight-reports")
def audit(
    regions: tuple[str, ...],
    all_regions: bool,
    profile: str | None,
    role_arns: tuple[str, ...],
    external_id: str | None,
    endpoint_url: str | None,
    role_session_name: str,
    accounts_file: Path | None,
    org_role_name: str | None,
    max_workers: int,
    shard: str | None,
    max_attempts: int,
    deadline: float | None,
    save_snapshot: Path | None,
    from_snapshot: Path | None,
    db_instances: tuple[str, ...],
    worker_subnets: tuple[str, ...],
    worker_security_groups: tuple[str, ...],
    simulate: bool,
    veeam_config: Path | None,
    baseline: Path | None,
    fail_on_regression: bool,
    worker_network: str,
    formats: tuple[str, ...],
    output_dir: Path,
    quiet: bool,
    color: str,
    verbose: int,
    redact: bool,
    log_format: str,
    keep: int | None,
) -> int:
    """Audit an account read-only and write the reports.

    Exit codes: 0 every target ready; 1 a target is not ready; 3 the audit is incomplete
    (a target unknown, a read failed, a region or --db-instance not audited); 2 bad input or
    nothing could be audited; 130 interrupted.
    """
    from auditor.inventory import WorkerConfig
    from auditor.run import AuditOptions, run_audit
    from auditor.sessions import open_session

    setup_logging(verbose, log_format)
    if fail_on_regression and baseline is None:
        raise click.UsageError("--fail-on-regression needs --baseline")
    if sum(map(bool, (role_arns, accounts_file, org_role_name))) > 1:
        raise click.UsageError("use one of --role-arn, --accounts-file and --org-role-name")
    if regions and all_regions:
        raise click.UsageError("use --region or --all-regions, not both")
    reading = [regions, all_regions, profile, role_arns, accounts_file, org_role_name, db_instances]
    if from_snapshot is not None and any(reading):
        raise click.UsageError(
            "--from-snapshot replays what a saved run read: drop the options that choose what to "
            "read (--region, --profile, --role-arn, --db-instance, …)"
        )
    if from_snapshot is not None and (unused := given_on_command_line(READ_ONLY_FLAGS)):
        raise click.UsageError(
            f"--from-snapshot sends no request: {', '.join(unused)} would change nothing; "
            + ("drop it" if len(unused) == 1 else "drop them")
        )
    if external_id and not (role_arns or accounts_file or org_role_name):
        raise click.UsageError(
            "--external-id goes with --role-arn (or an accounts file's external_id column)"
        )
    if quiet and verbose:
        raise click.UsageError("use --quiet or --verbose, not both")
    if accounts_file is not None:  # unreadable: said before the first request
        read_input(accounts_file, "the accounts file", "give a CSV with account_id,role_name")
    try:  # found before the read, not after it
        check_writable(output_dir)
    except OSError as exc:
        raise PreflightError(
            f"cannot write reports to {output_dir}: {exc.strerror or exc}: give another "
            "--output-dir"
        ) from None
    old = None
    if baseline is not None and not baseline.exists():
        # The cron recipe's first night: nothing to compare with yet (a corrupt file still fails).
        logging.getLogger(__name__).warning(
            "no earlier report at %s: no comparison this time", baseline
        )
        fail_on_regression = False
    elif baseline is not None:
        old = load_report(baseline, "baseline")  # fail fast
        if old.get("worker_network") != worker_network:  # said before the read, not after it
            raise PreflightError(
                f"the baseline {baseline} judged the {old.get('worker_network')!r} worker mode, "
                f"this run {worker_network!r}: rerun with --worker-network "
                f"{old.get('worker_network')} or give another --baseline"
            )
        wanted = {arn.split(":")[4] for arn in role_arns if arn.count(":") >= 5}
        had = {a.get("account_id") for a in old.get("accounts") or [] if isinstance(a, dict)}
        if wanted and had and not wanted & had:
            raise PreflightError(
                f"the baseline {baseline} is of account {', '.join(sorted(map(str, had)))}, "
                f"this run reads {', '.join(sorted(wanted))}: give that account's baseline"
            )
    veeam = load_veeam_config(veeam_config) if veeam_config is not None else None
    options = AuditOptions(
        regions=list(regions),
        db_instances=list(db_instances),
        worker_network=Mode(worker_network),
        worker_config=WorkerConfig(
            sorted(set(worker_subnets)), sorted(set(worker_security_groups))
        ),
        simulate=simulate,
        all_regions=all_regions,
        role_arns=list(role_arns),
        external_id=external_id,
        role_session_name=role_session_name,
        accounts_file=accounts_file,
        org_role_name=org_role_name,
        max_workers=max_workers,
        max_attempts=max_attempts,
        shard=parse_shard(shard),
        deadline_s=deadline,
        save_snapshot=save_snapshot,
        from_snapshot=from_snapshot,
        veeam_config=veeam,
        redact=redact,
        endpoint_url=endpoint_url,
    )
    progress = show_progress if (not quiet and sys.stderr.isatty()) else None
    result = run_audit(options, lambda: open_session(profile), progress)
    if progress is not None:
        click.echo(err=True)
    return finish(result, formats, output_dir, quiet, redact, old, fail_on_regression, keep, color)


@cli.command()
@output_options("preflight-demo")
def demo(
    worker_network: str,
    formats: tuple[str, ...],
    output_dir: Path,
    quiet: bool,
    color: str,
    verbose: int,
    redact: bool,
    log_format: str,
    keep: int | None,
) -> int:
    """Audit a built-in sample account (moto, in process): no AWS account or credentials needed.

    Exits like `audit`; the sample holds not-ready targets, so it exits 1.
    """
    setup_logging(verbose, log_format)
    if not _moto_installed():
        raise PreflightError(
            "`preflight demo` needs moto: pip install 'aws-preflight-auditor[demo]' "
            "(from a checkout: pip install '.[demo]')"
        )
    from auditor.demo import DEMO_VEEAM_CONFIG, run_demo

    result = run_demo(Mode(worker_network))
    # The sample --veeam-config the demo used, next to its reports, to copy from (an unwritable
    # directory is reported by the reports' own write below).
    with contextlib.suppress(OSError):
        sample = redact_text(DEMO_VEEAM_CONFIG) if redact else DEMO_VEEAM_CONFIG
        write_atomic(output_dir / "veeam-demo.toml", sample)
    return finish(result, formats, output_dir, quiet, redact, keep=keep, color=color)


@cli.command("permissions")
@logging_options
@click.option("--simulate", is_flag=True, help="Include iam:SimulatePrincipalPolicy.")
@click.option("--all-regions", is_flag=True, help="Include ec2:DescribeRegions.")
@click.option(
    "--org-role-name",
    metavar="NAME",
    help="As audit's: include organizations:ListAccounts, and sts:AssumeRole on this role "
    "in every account.",
)
@click.option(
    "--role-arn",
    "role_arns",
    multiple=True,
    metavar="ARN",
    callback=lambda ctx, param, value: check_role_arns(value),
    help="As audit's (repeatable): include sts:AssumeRole on these roles.",
)
def permissions(
    simulate: bool, all_regions: bool, org_role_name: str | None, role_arns: tuple[str, ...]
) -> None:
    """Print the least-privilege IAM policy the audit needs (JSON on stdout, nothing else).

    Generated from the actions the collectors declare; optional ones only with their flags.
    With --org-role-name or --role-arn, sts:AssumeRole is granted on those roles only (the
    policy of the identity that runs preflight; each audited role needs the read statement).
    """
    from auditor.collectors import declared_calls

    if org_role_name is not None and not re.fullmatch(r"[\w+=,.@-]{1,64}", org_role_name):
        raise click.BadParameter(
            f"{org_role_name!r} is not an IAM role name", param_hint="--org-role-name"
        )
    flags = {
        "--simulate": simulate,
        "--all-regions": all_regions,
        "--org-role-name": org_role_name is not None,
        "--role-arn": bool(role_arns) or org_role_name is not None,
    }
    actions = sorted(
        {c.iam_action for c in declared_calls() if c.flag is None or flags.get(c.flag)}
    )
    roles = sorted(role_arns) + (
        [f"arn:*:iam::*:role/{org_role_name}"] if org_role_name is not None else []
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PreflightReadOnly",
            "Effect": "Allow",
            "Action": [a for a in actions if a != "sts:AssumeRole"],
            "Resource": "*",
        }
    ]
    if roles:
        statements.append(
            {
                "Sid": "PreflightAssumeAuditRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": roles,
            }
        )
    policy = {"Version": "2012-10-17", "Statement": statements}
    click.echo(json.dumps(policy, indent=2))


def _moto_installed() -> bool:
    try:
        return importlib.util.find_spec("moto") is not None
    except (ImportError, ValueError):  # a broken or blocked moto counts as missing
        return False


@cli.command("veeam-config")
@logging_options
@click.option("--init", "init", is_flag=True, help="Write a starting file from what AWS shows.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout); an existing file is never overwritten.",
)
@click.option("--region", "regions", multiple=True, help="Where to list DB instances (repeatable).")
@click.option("--profile", help="AWS profile to use.")
def veeam_config_command(
    init: bool, output: Path | None, regions: tuple[str, ...], profile: str | None
) -> None:
    """Suggest a --veeam-config file (read-only): roles whose trust names a principal outside
    the account and that hold Veeam's actions, the buckets they name, the DB instances by
    region. It suggests, never decides: confirm every value in the Veeam console."""
    from auditor import veeam_init
    from auditor.sessions import (
        AwsSession,
        default_region,
        identify,
        open_session,
        validate_regions,
    )

    if not init:
        raise PreflightError("preflight veeam-config: give --init (the only action so far)")
    if output is not None and output.exists():
        raise PreflightError(
            f"{output} exists: preflight never overwrites it; give another --output"
        )
    session = open_session(profile)
    chosen = validate_regions(list(regions) or [default_region(session)])
    aws = AwsSession(session)
    account, _ = identify(aws, chosen[0])
    text = veeam_init.render(veeam_init.discover(aws, account, chosen[0], chosen))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise PreflightError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}: confirm each value, then preflight audit --veeam-config {output}")


@cli.command("checks")
@logging_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every check's metadata, its sources and the IAM actions it depends on.",
)
def list_checks(fmt: str) -> None:
    """List the checks: id, modes, engines, severity, title (json: also docs and IAM actions).

    A check's IAM actions are those of the collectors that fill what it reads: deny one and
    the check is `unknown` where it needed that data.
    """
    from auditor.collectors import SESSION_CALLS, actions_for_parts
    from auditor.engine import load_checks

    loaded = sorted(load_checks(), key=lambda c: c.id)
    if fmt == "json":
        rows = []
        for c in loaded:
            always, optional = actions_for_parts(c.reads)
            rows.append({**c.metadata(), "iam_actions": always, "iam_actions_with_flag": optional})
        session = sorted(a.iam_action for a in SESSION_CALLS if a.flag is None)
        click.echo(json.dumps({"every_check_needs": session, "checks": rows}, indent=2))
        return
    rows_text = [
        (
            c.id,
            ",".join(m.value for m in Mode if m in c.modes),
            ",".join(sorted(c.engines)) if c.engines else "all",
            c.severity.value,
            c.title,
        )
        for c in loaded
    ]
    header = ("ID", "MODES", "ENGINES", "SEVERITY", "TITLE")
    widths = [max(len(r[i]) for r in [header, *rows_text]) for i in range(4)]
    for row in [header, *rows_text]:
        click.echo(
            "  ".join(v.ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
        )


def finish(
    result: AuditResult,
    formats: tuple[str, ...],
    output_dir: Path,
    quiet: bool,
    redact: bool = False,
    baseline: dict[str, Any] | None = None,
    fail_on_regression: bool = False,
    keep: int | None = None,
    color: str = "auto",
) -> int:
    """Publish the reports (reports.publish), print the summary, return the exit code."""
    from auditor import heap
    from auditor.run import nothing_audited, utc_now
    from reports.publish import publish

    failure = nothing_audited(result)
    with heap.kept():
        published = publish(
            result.to_dict(),
            formats,
            output_dir,
            utc_now(),
            redact=redact,
            baseline=baseline,
            keep=keep,
        )
    for removed in published.removed:
        logging.getLogger(__name__).info("removed %s (--keep %d)", removed, keep)
    if not quiet:
        echo_summary(published.lines, color)
    if failure is not None:
        raise failure
    code = report_exit_code(published.report)
    if code != 1 and fail_on_regression and published.report["changes"]["regressions"]:
        return 1
    return code


ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role/[\w+=,.@/-]+$")


# audit's options that only shape how AWS is read (meaningless on a replay).
READ_ONLY_FLAGS = {
    "shard": "--shard",
    "simulate": "--simulate",
    "deadline": "--deadline",
    "max_workers": "--max-workers",
    "max_attempts": "--max-attempts",
    "external_id": "--external-id",
    "endpoint_url": "--endpoint-url",
    "role_session_name": "--role-session-name",
}


def given_on_command_line(flags: dict[str, str]) -> list[str]:
    """Which of these options the user gave (on the command line or in the environment), as
    opposed to defaults and the config file (a cron config's --max-workers does not stop a
    replay)."""
    ctx = click.get_current_context()
    explicit = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return [flag for name, flag in flags.items() if ctx.get_parameter_source(name) in explicit]


VERDICT_COLOURS = {"READY": "green", "NOT READY": "red", "UNKNOWN": "yellow"}


def echo_summary(lines: list[str], color: str = "auto") -> None:
    """The terminal summary on stdout: made printable, then coloured if wanted (printable
    would drop the colour's escapes)."""
    text = printable("\n".join(lines))
    wanted = colour_wanted(color)
    click.echo(coloured(text) if wanted else text, color=wanted)


def colour_wanted(choice: str) -> bool:
    """--color: always, never, or auto (a terminal, NO_COLOR unset, TERM not dumb)."""
    if choice != "auto":
        return choice == "always"
    return (
        not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb" and sys.stdout.isatty()
    )


def coloured(text: str) -> str:
    """The verdict label at the start of each target line, in its colour."""
    out = []
    for line in text.split("\n"):
        for label, colour in VERDICT_COLOURS.items():
            if line.startswith(f"{label}: "):  # the headline
                line = click.style(label, fg=colour, bold=True) + line[len(label) :]
                break
            if line.startswith(f"  {label} "):
                line = "  " + click.style(label, fg=colour, bold=True) + line[2 + len(label) :]
                break
        out.append(line)
    return "\n".join(out)


def check_url(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise click.BadParameter(
            f"{value!r} is not a URL: give http(s)://host[:port]", param_hint="--endpoint-url"
        )
    return value


def check_finite(value: float | None, flag: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds", param_hint=flag)
    return value


def check_role_arns(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not ROLE_ARN.match(value):
            raise click.BadParameter(
                f"{value!r} is not an IAM role ARN: give arn:aws:iam::123456789012:role/NAME",
                param_hint="--role-arn",
            )
    return values


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit()) or not 0 <= int(index) < int(total):
        raise click.BadParameter(
            f"{text!r}: give i/n with 0 <= i < n, e.g. 0/4", param_hint="--shard"
        )
    return int(index), int(total)


def show_progress(done: int, total: int) -> None:
    click.echo(f"\rpreflight: {done}/{total} (account, region) units read", nl=False, err=True)


@cli.group("iam")
def iam_group() -> None:
    """IAM tools that need no AWS call."""


@iam_group.command("evaluate")
@logging_options
@click.option(
    "--identity",
    "identity_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An identity policy of the caller (JSON file, repeatable). None given: not known.",
)
@click.option("--boundary", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--resource-policy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The resource's policy (bucket, key, or a role's trust policy for sts:AssumeRole).",
)
@click.option("--principal", help="Who asks: a principal ARN, an account id or a service.")
@click.option("--action", "actions", multiple=True, required=True, help="Repeatable.")
@click.option(
    "--resource", "resources", multiple=True, required=True, help="Resource ARN (repeatable)."
)
@click.option("--resource-account", help="The account that owns the resource (S3 ARNs lack it).")
@click.option(
    "--context",
    "context_items",
    multiple=True,
    help="key=value of the request context (repeatable; a key twice has two values).",
)
@click.option(
    "--absent",
    "absent_keys",
    multiple=True,
    help="A context key known to be missing (other keys not given are unknown).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def iam_evaluate(
    identity_files: tuple[Path, ...],
    boundary: Path | None,
    resource_policy: Path | None,
    principal: str | None,
    actions: tuple[str, ...],
    resources: tuple[str, ...],
    resource_account: str | None,
    context_items: tuple[str, ...],
    absent_keys: tuple[str, ...],
    fmt: str,
) -> int:
    """Decide (action, resource) pairs against policy files, as AWS would.

    One line per pair with the decision and the deciding statement. Exit 0 all allowed, 1 any
    denied, 3 any unknown, 2 bad input. SCPs, RCPs and session policies are not evaluated.
    """
    from auditor import iam_evaluate as ev

    identity = [ev.load_policy(p, "identity policy") for p in identity_files] or None
    decisions = ev.decide(
        identity,
        ev.load_policy(boundary, "permissions boundary") if boundary else None,
        ev.load_policy(resource_policy, "resource policy") if resource_policy else None,
        ev.parse_principal(principal),
        list(actions),
        list(resources),
        ev.parse_context(context_items, absent_keys),
        resource_account,
    )
    click.echo(ev.report(decisions, fmt))
    return ev.exit_code(decisions)


@cli.command("render")
@logging_options
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="html", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
@click.option("--redact", is_flag=True, help="Replace account ids by stable placeholders.")
def render_command(report: Path, fmt: str, output: Path | None, redact: bool) -> None:
    """Render a saved JSON report again, offline (html, md or json)."""
    from reports.publish import prepare, publish_one
    from reports.render import render

    data = load_report(report)
    if output is None:
        click.echo(render(prepare(data, redact), fmt), nl=False)
    else:
        publish_one(data, fmt, output, redact)


@cli.command("merge")
@logging_options
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(sorted(FORMATS)),
    default=("json", "html", "md"),
    show_default=True,
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("preflight-reports"),
    show_default=True,
)
@click.option("--quiet", "-q", is_flag=True)
@click.option(
    "--allow-partial", is_flag=True, help="Merge even when some --shard reports are missing."
)
def merge_command(
    reports: tuple[Path, ...],
    formats: tuple[str, ...],
    output_dir: Path,
    quiet: bool,
    allow_partial: bool,
) -> int:
    """Join the JSON reports of --shard runs into one report; exits like `audit`."""
    from auditor.run import utc_now
    from reports.publish import publish

    loaded = [load_report(p, "shard report") for p in reports]
    try:
        report = merge(loaded, allow_partial)
    except MergeError as exc:
        raise PreflightError(str(exc)) from None
    published = publish(report, formats, output_dir, utc_now())
    if not quiet:
        echo_summary(published.lines)
    return report_exit_code(published.report)


@cli.command("diff")
@logging_options
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "md", "html"]),
    default="text",
    show_default=True,
)
def diff_command(old: Path, new: Path, fmt: str) -> int:
    """Compare two JSON reports. Exit 0 no regression, 1 regression, 2 bad input."""
    from reports.render import render

    before, after = load_report(old, "old report"), load_report(new, "new report")
    try:
        changes = compare(before, after)
    except BaselineError as exc:
        raise PreflightError(str(exc)) from None
    if fmt == "text":
        click.echo(printable("\n".join(change_lines(changes))))
    elif fmt == "json":
        click.echo(json.dumps(changes, indent=2, ensure_ascii=False))
    else:
        click.echo(render({**after, "changes": changes}, fmt), nl=False)
    return 1 if changes["regressions"] else 0


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            }
        )


class _TextLines(logging.Formatter):
    """Below -vv a log record is one line: a library's traceback (botocore logs some of its
    warnings with one) is for -vv."""

    def __init__(self, fmt: str, tracebacks: bool) -> None:
        super().__init__(fmt)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks:
            return super().format(record)
        record.message = record.getMessage()
        return self.formatMessage(record)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """preflight's own stderr handler (replaced, not stacked, when set up again)."""


def setup_logging(verbose: int, log_format: str = "text") -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = _Handler(sys.stderr)
    handler.addFilter(ScrubFilter())  # -vvv: botocore logs headers and bodies
    if verbose == 2:
        handler.addFilter(_EveryRequest())
    text = _TextLines("preflight: %(levelname)s %(name)s: %(message)s", tracebacks=verbose >= 2)
    handler.setFormatter(JsonLines() if log_format == "json" else text)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Handler)] + [handler]
    root.setLevel(level)
    # botocore's DEBUG is its wire log (every request's headers, body and signing steps: tens
    # of thousands of lines an account), kept for -vvv. -vv shows preflight's debug lines,
    # botocore's INFO (where the credentials came from) and its retries and throttling.
    wire = logging.DEBUG if verbose >= 3 else logging.INFO if verbose == 2 else logging.WARNING
    for name, level in library_levels(verbose, wire).items():
        logging.getLogger(name).setLevel(level)


def library_levels(verbose: int, wire: int) -> dict[str, int]:
    """The level setup_logging gives each library logger it sets (all of them, every time)."""
    return {
        "botocore": wire,
        "boto3": wire,
        "urllib3": wire,
        # A failed credential refresh is logged as a warning, then raised: preflight's own
        # error line says it (with the fix), so the warning waits for -v.
        "botocore.credentials": logging.ERROR if verbose == 0 else wire,
        "botocore.retries": logging.DEBUG if verbose >= 2 else wire,
    }


class _EveryRequest(logging.Filter):
    """botocore's "Not retrying request." comes with every answer: wire log, not a retry."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "botocore.retries.standard" and record.msg == "Not retrying request."
        )


def fail(message: str, code: int = 2) -> int:
    click.echo(f"preflight: error: {printable(quoted(message, 2000))}", err=True)
    return code


def flag_envvars(group: click.Group, prefix: str = "PREFLIGHT") -> list[click.Option]:
    """Name every option's environment variable after its flag, not its parameter:
    PREFLIGHT_AUDIT_REGION for --region (click would say PREFLIGHT_AUDIT_REGIONS). Returns the
    repeatable options (their variables take values separated by spaces or commas)."""
    repeatable = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            continue
        for param in command.params:
            longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
            if not isinstance(param, click.Option) or not longs:
                continue
            flag = longs[0][2:].replace("-", "_").upper()
            param.envvar = f"{prefix}_{name.replace('-', '_').upper()}_{flag}"
            if param.multiple:
                repeatable.append(param)
    return repeatable


REPEATABLE = flag_envvars(cli)


def commas_as_spaces() -> None:
    """PREFLIGHT_AUDIT_REGION=eu-west-1,us-east-1 as click takes eu-west-1 us-east-1."""
    for param in REPEATABLE:
        name = str(param.envvar)
        if "," in os.environ.get(name, ""):
            os.environ[name] = " ".join(os.environ[name].replace(",", " ").split())


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: every expected problem is one line on stderr, never a traceback."""
    commas_as_spaces()
    console = argv is None
    if console and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rv = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="preflight",
            standalone_mode=False,
        )
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else command_named(argv)
        code = fail(f"{exc.format_message()} (see `{where} --help`)")
    except click.ClickException as exc:
        code = fail(exc.format_message(), exc.exit_code if exc.exit_code else 2)
    except PreflightError as exc:
        code = fail(str(exc), exc.exit_code)
    except ReadOnlyViolation as exc:
        code = fail(f"internal error, nothing was changed: {exc}")
    except (click.Abort, KeyboardInterrupt, Terminated) as exc:
        code = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        fail("interrupted; earlier reports are intact", code)
        sys.stderr.flush()
        sys.stdout.flush()
        # Now, without waiting for requests in flight: reports are only ever renamed into place
        # (a temporary file being written is removed by write_atomic on the way out).
        os._exit(code)
    except Exception as exc:  # a defect: still one line (the traceback with -vv), never a dump
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        code = fail(
            f"internal error ({type(exc).__name__}: {exc}); run again with -vv for the traceback "
            "and report it",
            EXIT_INTERNAL,
        )
    else:
        code = rv if isinstance(rv, int) else 0
    if console and _lingering_threads():
        # A request that never answers (past --deadline) must not hold the exit: the reports
        # are written; the interpreter would join the stuck worker threads first.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def command_named(argv: Sequence[str] | None) -> str:
    """`preflight audit` for a usage error click raised without its context (an option that
    lacks its value), so the hint names the command's own --help."""
    words = list(sys.argv[1:] if argv is None else argv)
    path = ["preflight"]
    group: click.Command = cli
    for word in words:
        if not isinstance(group, click.Group):
            break
        if word in group.commands:  # else an option or its value (--config FILE)
            group = group.commands[word]
            path.append(word)
    return " ".join(path)


def _lingering_threads() -> bool:
    main_thread = threading.main_thread()
    return any(
        t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()
    )


if __name__ == "__main__":
    main()
