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
        names = {}
        for param in command.params:
            for opt in getattr(param, "opts", []):
                names[opt.lstrip("-")] = param.name
            names[str(param.name)] = param.name
        section_map: dict[str, Any] = {}
        for key, value in values.items():
            if key not in names:
                raise PreflightError(f"config file {path}: unknown setting {key!r} in [{section}]")
            section_map[str(names[key])] = value
        out[section] = section_map
    return out
