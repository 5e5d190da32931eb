"""Errors that end a run with one clear line on stderr and exit code 2."""


class PreflightError(Exception):
    """Bad input or an environment problem the user must fix: the message says what and how."""

    exit_code = 2
