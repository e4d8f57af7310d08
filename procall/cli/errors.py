"""Errors a CLI user can act on: shown as one line, never a traceback."""


class CLIError(Exception):
    """Something the user can fix (a bad option, a missing folder, an unreachable endpoint)."""
