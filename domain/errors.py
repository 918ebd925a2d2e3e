"""Errors raised by the domain model when a command would break an invariant."""

from __future__ import annotations


class DomainError(Exception):
    """A command that the current state of an aggregate does not allow."""
