"""Errors that speak to the user: each carries a CLI exit code and an HTTP status."""

from __future__ import annotations


class SalesmetricsError(Exception):
    """Base of every error we expect a user to see; the message is the whole story."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SalesmetricsError):
    """A setting, URL or option is not usable."""

    exit_code = 2
    http_status = 400


class InputError(SalesmetricsError):
    """The user's input (a value, a file, an argument) is not valid."""

    exit_code = 2
    http_status = 422


class NotFoundError(SalesmetricsError):
    """Something the user named does not exist."""

    exit_code = 3
    http_status = 404


class WorkspaceLockedError(SalesmetricsError):
    """Another process holds the workspace for writing."""

    exit_code = 4
    http_status = 409


class StorageError(SalesmetricsError):
    """The database refused or failed an operation."""

    exit_code = 5
    http_status = 503


class SignatureError(SalesmetricsError):
    """A signed request (webhook-style) is unsigned, stale or signed with an unknown secret."""

    exit_code = 2
    http_status = 401


class QueryError(SalesmetricsError):
    """A metric query names something that does not exist or cannot be combined."""

    exit_code = 2
    http_status = 422


class DefinitionError(SalesmetricsError):
    """Metric definitions (YAML) are invalid; the message lists every problem with its line."""

    exit_code = 2
    http_status = 422

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"metric definitions have {count}:\n" + "\n".join(problems))
        self.problems = problems


class ConflictError(InputError):
    """The request clashes with the current state (e.g. a later import changed the same rows)."""

    http_status = 409


class TooLargeError(InputError):
    """An upload is larger than the configured limit."""

    http_status = 413
