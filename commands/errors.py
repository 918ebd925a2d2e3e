"""Errors a command can end with, each with the exit code the CLI contract gives it.

Exit codes for the whole CLI: 0 success, 1 done with findings or per-file errors,
2 usage, 3 storage unreachable or mass-vanish guard, 4 locked.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_LOCKED = 4


class VideothequeError(Exception):
    """An error with a message for people and an exit code for scripts."""

    exit_code = EXIT_USAGE


class UsageError(VideothequeError):
    """Bad input from the user: options, arguments, configuration."""

    exit_code = EXIT_USAGE


class NotInitialisedError(UsageError):
    """No library has been recorded in this home yet."""


class StorageUnreachableError(VideothequeError):
    """The storage root is missing, empty or unreadable."""

    exit_code = EXIT_UNREACHABLE


class MassVanishError(VideothequeError):
    """Too many catalogued files would vanish at once (an unmounted share?)."""

    exit_code = EXIT_UNREACHABLE


class LockedError(VideothequeError):
    """Another videotheque process holds this home."""

    exit_code = EXIT_LOCKED


class StoreError(VideothequeError):
    """The event store cannot be opened or written."""

    exit_code = EXIT_FINDINGS


class StoreConflictError(StoreError):
    """Another writer appended to the same aggregates first (a shared store): nothing of
    this append was saved; load them again and retry."""


class ProjectionError(VideothequeError):
    """The DuckDB projection cannot be opened or written."""

    exit_code = EXIT_FINDINGS
