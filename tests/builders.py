"""Scenario builders over moto, named for what a test states (STYLE.md lesson 6)."""

from __future__ import annotations

from auditor.demo import Builder

__all__ = ["Builder", "healthy_vpc"]


def healthy_vpc(b: Builder, cidr_prefix: str = "10.0", **vpc_kwargs: bool) -> str:
    """A VPC with DNS on and a DB subnet group over two AZs; returns the subnet group name."""
    vpc_id = b.vpc(f"{cidr_prefix}.0.0/16", f"net-{cidr_prefix}", **vpc_kwargs)
    return b.db_subnet_group(vpc_id, cidr_prefix, f"dbs-{cidr_prefix.replace('.', '-')}")
