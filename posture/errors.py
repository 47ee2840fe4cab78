"""posture's error hierarchy.

Every failure a user can cause or meet is one of these, with a one-line message that names
what failed (file, object, field, column) and, where it helps, what to do. Only the CLI turns
them into text on stderr and an exit code; nothing else prints or exits.
"""

from __future__ import annotations


class PostureError(Exception):
    """Base class: a failure posture can explain in one line."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(PostureError):
    """Input that cannot be understood: malformed YAML, unknown kind, invalid field."""

    exit_code = 2


class SelectorError(InputError):
    """An invalid Calico selector or Kubernetes label selector.

    ``column`` is 1-based (0 when unknown); ``expression`` is the text that failed.
    """

    def __init__(self, message: str, *, expression: str = "", column: int = 0) -> None:
        super().__init__(message)
        self.expression = expression
        self.column = column


class ConfigError(PostureError):
    """Bad command-line options or configuration file."""

    exit_code = 2


class SourceError(PostureError):
    """The cluster could not be read: unreachable, access denied, API missing, timed out."""

    exit_code = 3
