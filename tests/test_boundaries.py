"""The layers of DESIGN.md, enforced on the import graph (read with `ast`, nothing imported).

Checks and the pure semantics (network.py, policy.py) never reach the collector or session
layer, boto3 or botocore; reports never import checks or collectors; the engine never imports
the CLI. Imports are followed transitively inside the project, so a check that imports a module
that imports boto3 fails too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("auditor", "checks", "reports")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Modules this one imports at module level or inside functions (every `import` counts)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # A module imports its packages' __init__ too.
    closed = set()
    for name in found:
        parts = name.split(".")
        closed.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(closed)


@cache
def reachable(module: str) -> frozenset[str]:
    """Everything importing ``module`` loads, project modules followed transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        for name in direct_imports(current):
            if name not in seen:
                seen.add(name)
                if name in MODULES:
                    todo.append(name)
    return frozenset(seen)


def offending(module: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in reachable(module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


NO_AWS = ("boto3", "botocore", "auditor.collectors", "auditor.sessions", "auditor.collect")
PURE = [
    *sorted(m for m in MODULES if m.startswith("checks")),
    "auditor.network",
    "auditor.policy",
    "auditor.policy_conditions",
]
REPORTS = sorted(m for m in MODULES if m.startswith("reports"))


@pytest.mark.parametrize("module", PURE)
def test_checks_and_pure_semantics_never_reach_aws(module):
    assert offending(module, NO_AWS) == [], f"{module} reaches the AWS layer"


@pytest.mark.parametrize("module", REPORTS)
def test_reports_never_import_checks_or_collectors(module):
    assert offending(module, ("checks", "auditor.collectors", "boto3", "botocore")) == []


def test_engine_never_imports_the_cli():
    assert offending("auditor.engine", ("auditor.cli", "click")) == []


def test_the_graph_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The test itself can fail: a check that imports boto3 is caught."""
    fake = tmp_path / "checks" / "bad_check.py"
    fake.parent.mkdir()
    fake.write_text("import boto3\n")
    monkeypatch.setitem(MODULES, "checks.bad_check", fake)
    direct_imports.cache_clear()
    reachable.cache_clear()
    try:
        assert offending("checks.bad_check", NO_AWS) == ["boto3"]
    finally:
        direct_imports.cache_clear()
        reachable.cache_clear()


def test_importing_checks_loads_no_boto3():
    code = (
        "import sys, checks; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["audit", "--help"]])
def test_version_and_help_load_no_aws_sdk_moto_or_jinja(argv):
    """`preflight --version` and `--help` answer without importing boto3, botocore, moto or
    jinja2 (benchmarks/README.md has the startup time)."""
    code = (
        "import sys\n"
        "from auditor.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('boto3', 'botocore', 'moto', 'jinja2')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_tests_never_leave_the_machine():
    """conftest refuses to resolve any name but the loopback's: a test that lost its moto
    fixture fails naming the host instead of sending a request."""
    import socket

    with pytest.raises(OSError, match=r"refused to resolve 'ec2\.eu-west-1\.amazonaws\.com'"):
        socket.getaddrinfo("ec2.eu-west-1.amazonaws.com", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
