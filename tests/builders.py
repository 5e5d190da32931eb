"""Scenario builders over moto, named for what a test states (STYLE.md lesson 6)."""

from __future__ import annotations

from auditor.sample_account import Builder, Layout

__all__ = ["Builder", "Layout", "healthy_vpc"]


def healthy_vpc(b: Builder, prefix: str = "10.0", **dns: bool) -> str:
    """A VPC ready for workers in every mode; returns its DB subnet group's name."""
    return b.ready_network(prefix, f"net-{prefix}", **dns).db_subnet_group
