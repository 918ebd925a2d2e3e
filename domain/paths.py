"""Paths as the catalog stores them.

Paths are kept relative to their root (storage or video) as the ``str`` that
``os.fsdecode`` gives: bytes that are not UTF-8 become lone surrogates
(``surrogateescape``), so ``os.fsencode`` gives the exact bytes back. ``display`` is the
readable form for people (invalid bytes shown as U+FFFD); ``visible`` is the form for a
terminal or a report: also no character that a terminal would act on.
"""

from __future__ import annotations

import os
import posixpath
import re


def to_bytes(path: str) -> bytes:
    """The exact bytes of a stored path."""
    return os.fsencode(path)


def from_bytes(raw: bytes) -> str:
    """The stored form of a path given as bytes."""
    return os.fsdecode(raw)


def display(path: str) -> str:
    """A readable form: undecodable bytes become U+FFFD; always valid UTF-8."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# What a terminal acts on instead of showing: C0 controls and DEL (an ESC sequence clears
# the screen or retitles the window, a newline or CR splits or overwrites a line), C1
# controls (U+009B is a CSI on some terminals), the line/paragraph separators, and the bidi
# embeddings, overrides and isolates that make a name read backwards.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """The form of a text shown to a person (terminal, table, report): the display form,
    with C0 controls and DEL as their Unicode control pictures (``\\n`` as ␊, ESC as ␛)
    and C1 controls, bidi overrides and line separators as escapes (``\\x9b``,
    ``\\u202e``), so a name always stays on its line and reads as what it is. None is ""."""
    if text is None:
        return ""
    shown = text if isinstance(text, str) else str(text)
    if not shown.isascii():
        try:
            shown = display(shown)
        except UnicodeEncodeError:  # a surrogate os.fsdecode cannot have produced
            shown = shown.encode("utf-8", "replace").decode("utf-8")
    return _UNSAFE.sub(_shown_as, shown)


def _shown_as(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


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
