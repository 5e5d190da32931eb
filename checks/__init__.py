"""Built-in checks. Third-party checks register through the entry-point group preflight.checks."""

from __future__ import annotations

from checks.base import Check
from checks.rds_engine import EngineSupported
from checks.vpc_dns import DnsHostnames, DnsSupport

BUILTIN_CHECKS: tuple[type[Check], ...] = (EngineSupported, DnsSupport, DnsHostnames)

__all__ = ["BUILTIN_CHECKS", "Check"]
