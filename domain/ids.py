"""Deterministic identities.

A media file is known by its content fingerprint, a link by its path relative to the
video root. Both ids are uuid5 in one project namespace, so two machines that see the same
content or the same link agree on the id without talking to each other.
"""

from __future__ import annotations

from hashlib import sha1
from uuid import UUID, uuid5

NAMESPACE = UUID("6d1b3c5e-9a0f-5e4b-8a4e-1f6c2d7b9e30")


def file_id(fingerprint: str) -> UUID:
    """The id of the media file whose content has this fingerprint."""
    return uuid5(NAMESPACE, "file:" + fingerprint)


def link_id(link: str) -> UUID:
    """The id of the link at this path relative to the video root.

    ``uuid5`` of the path's exact bytes: the same as ``uuid5(NAMESPACE, "link:" + link)``
    for a UTF-8 name, and defined too for a non-UTF-8 one (lone surrogates)."""
    raw = ("link:" + link).encode("utf-8", "surrogateescape")
    return UUID(bytes=sha1(NAMESPACE.bytes + raw, usedforsecurity=False).digest()[:16], version=5)
