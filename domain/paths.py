"""Paths as the catalog stores them.

Paths are kept relative to their root (storage or video) as the ``str`` that
``os.fsdecode`` gives: bytes that are not UTF-8 become lone surrogates
(``surrogateescape``), so ``os.fsencode`` gives the exact bytes back. ``display`` is the
readable form for people (invalid bytes shown as U+FFFD).
"""

from __future__ import annotations

import os
import posixpath


def to_bytes(path: str) -> bytes:
    """The exact bytes of a stored path."""
    return os.fsencode(path)


def from_bytes(raw: bytes) -> str:
    """The stored form of a path given as bytes."""
    return os.fsdecode(raw)


def display(path: str) -> str:
    """A readable form: undecodable bytes become U+FFFD; always valid UTF-8."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_exact_utf8(path: str) -> bool:
    """True when the path is valid UTF-8 (its display form is the path itself)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def relative_to(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` (both absolute, normalised), or None if outside."""
    path = posixpath.normpath(path)
    root = posixpath.normpath(root)
    if path == root:
        return ""
    prefix = root.rstrip("/") + "/"
    if not path.startswith(prefix):
        return None
    return path[len(prefix) :]


def is_within(path: str, root: str) -> bool:
    """True when the normalised absolute ``path`` lies inside ``root`` (or is it)."""
    return relative_to(path, root) is not None
