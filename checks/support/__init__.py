"""Helpers that more than one check uses: small, named, and never a check themselves."""
