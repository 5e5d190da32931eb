"""Tests never leave the machine: fake credentials, no instance metadata, moto in process or on
127.0.0.1 only."""

from __future__ import annotations

import os

from auditor.demo import CLEARED_ENV, OFFLINE_ENV

# The demo's offline environment, before moto reads it: fake credentials, no instance metadata.
os.environ.update(OFFLINE_ENV)
for _name in (*CLEARED_ENV, "AWS_REGION"):
    os.environ.pop(_name, None)

import json  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import botocore.session  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from moto import mock_aws  # noqa: E402

from auditor import moto_extension  # noqa: E402
from auditor.cli import library_levels, main  # noqa: E402
from auditor.sessions import shared_loader  # noqa: E402

moto_extension.install()


class _Paths(list):  # type: ignore[type-arg]
    """boto3 appends its data path to the loader of every session it makes: once is enough."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)


shared_loader()._search_paths = _Paths(shared_loader().search_paths)


def _one_loader(self: botocore.session.Session) -> None:
    def loader() -> Any:
        self.get_config_variable("data_path")  # as botocore's own: an unknown profile fails here
        return shared_loader()

    self._components.lazy_register_component("data_loader", loader)


# Every botocore session of the test process shares one loader, as the audit's own sessions do
# (auditor.sessions.share_loader): moto resets boto3's default session at each mock start, and
# each test's builder clients would parse botocore's service models again (EC2's is megabytes of
# JSON; it was about a quarter of the suite's time).
botocore.session.Session._register_data_loader = _one_loader  # type: ignore[method-assign]

_getaddrinfo = socket.getaddrinfo
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    """Tests never leave the machine: a name other than the loopback's is refused before any
    packet is sent (a test that lost its moto fixture fails here, naming the host)."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in LOOPBACK and not name.endswith(".localhost"):
        raise OSError(f"tests never leave the machine: refused to resolve {name!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def isolated_aws_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the developer's ~/.aws: empty config and credentials files."""
    home = tmp_path_factory.mktemp("aws-home")
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))  # no preflight config of the user


@pytest.fixture(autouse=True)
def untouched_guardrails() -> Iterator[None]:
    """Every test starts from the answers of an untouched account (see auditor.moto_extension)."""
    moto_extension.reset()
    yield
    moto_extension.reset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """PREFLIGHT_TEST_ORDER=reverse, or a number to shuffle with: a test that passes only after
    another (state left in the process or on the shared moto server) fails in another order."""
    order = os.environ.get("PREFLIGHT_TEST_ORDER", "")
    if order == "reverse":
        items.reverse()
    elif order:
        random.Random(order).shuffle(items)  # the same order in every xdist worker


_LOGGERS = ("", *library_levels(0, logging.WARNING))  # the root and every one the CLI sets


@pytest.fixture(autouse=True)
def logging_as_found() -> Iterator[None]:
    """The CLI sets up logging in the process (its stderr handler, botocore's levels): each
    test leaves it as it found it, so a test's boto3 calls never log into a stream an earlier
    test's run captured, at the verbosity that run asked for."""
    found = [(logging.getLogger(n), logging.getLogger(n).level) for n in _LOGGERS]
    handlers = logging.getLogger().handlers[:]
    yield
    for logger, level in found:
        logger.setLevel(level)
    logging.getLogger().handlers[:] = handlers


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's HTTP server on 127.0.0.1 (one per test session; state shared in this process)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean server that boto3 talks to (through AWS_ENDPOINT_URL)."""
    from tests.server_helpers import post

    post(f"{moto_server}/moto-api/reset")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in process for one test."""
    with mock_aws():
        yield


@dataclass
class CliRun:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None

    def target(self, db_instance_id: str) -> dict[str, Any]:
        assert self.report is not None
        return next(t for t in self.report["targets"] if t["db_instance_id"] == db_instance_id)

    def findings(self, check_id: str, target: str | None = None) -> list[dict[str, Any]]:
        assert self.report is not None
        return [
            f
            for f in self.report["findings"]
            if f["check_id"] == check_id and (target is None or f["target"] == target)
        ]


@pytest.fixture
def preflight(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the CLI in process: ``preflight("audit", "--region", "eu-west-1")`` -> CliRun."""

    def run(*args: str) -> CliRun:
        out_dir = tmp_path / "reports"
        argv = list(args)
        given = "--output-dir" in args
        if given:
            out_dir = Path(args[args.index("--output-dir") + 1])
        elif args and args[0] in ("audit", "demo"):
            argv += ["--output-dir", str(out_dir)]
        with pytest.raises(SystemExit) as exited:
            main(argv)
        captured = capsys.readouterr()
        latest = out_dir / "latest.json"
        report = json.loads(latest.read_text()) if latest.exists() else None
        if latest.exists() and not given:
            latest.unlink()  # the next run in this test must write its own
        return CliRun(int(exited.value.code or 0), captured.out, captured.err, report)

    return run
