"""The config file for scheduled runs (TOML): `--config FILE`, else
`$XDG_CONFIG_HOME/preflight/config.toml`. Precedence: flags > PREFLIGHT_* environment > file.

    [audit]
    region = ["eu-west-1", "us-east-1"]
    worker-network = "private"
    output-dir = "/var/lib/preflight"
    keep = 30
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import click

from auditor.errors import PreflightError
from auditor.input_files import read_input


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "preflight" / "config.toml"


def load_config(group: click.Group, path: Path | None) -> dict[str, dict[str, Any]]:
    """click's default_map from the file: {command: {parameter name: value}}."""
    explicit = path is not None
    path = path or default_path()
    if not path.exists():
        if explicit:
            raise PreflightError(f"config file {path} does not exist")
        return {}
    text = read_input(path, "the config file", "give a TOML file with [audit] or [demo]")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PreflightError(f"config file {path} cannot be read: {exc}") from None
    out: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        command = group.commands.get(section)
        if command is None or not isinstance(values, dict):
            raise PreflightError(
                f"config file {path}: unknown section [{section}] (known: audit, demo)"
            )
        names: dict[str, click.Parameter] = {}
        for param in command.params:
            for opt in getattr(param, "opts", []):
                names[opt.lstrip("-")] = param
            names[str(param.name)] = param
        section_map: dict[str, Any] = {}
        for key, value in values.items():
            if key not in names:
                raise PreflightError(f"config file {path}: unknown setting {key!r} in [{section}]")
            if (problem := value_problem(names[key], key, value)) is not None:
                raise PreflightError(f"config file {path}: in [{section}], {problem}")
            section_map[str(names[key].name)] = value
        out[section] = section_map
    return out


def value_problem(param: click.Parameter, key: str, value: Any) -> str | None:
    """Why ``value`` cannot be this option's setting, saying what to write instead."""
    if getattr(param, "multiple", False):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            example = value if isinstance(value, str) else "…"
            return f'{key} is a list of strings: write {key} = ["{example}"]'
        return None
    if getattr(param, "is_flag", False):
        return None if isinstance(value, bool) else f"{key} is true or false: write {key} = true"
    kind = getattr(param.type, "name", "")
    if kind in ("integer", "integer range") and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        return f"{key} is a whole number: write {key} = 30"
    if kind in ("float", "float range") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return f"{key} is a number: write {key} = 600"
    if kind in ("text", "path", "choice", "file") and not isinstance(value, str):
        return f'{key} is a string: write {key} = "{value}"'
    return None
