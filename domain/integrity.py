"""Integrity rules for ``check``: what the catalog and the disk disagree on (pure, no I/O).

The checker observes (a walk of storage, a walk of the video tree, re-read fingerprints);
this module decides what each observation is: a ghost (catalogued, missing on disk), an
orphan (on disk, unknown to the catalog), a broken or stray link, a duplicate, a hash
mismatch. Paths are the stored form (relative to their root, ``os.fsdecode`` strings).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

# The finding categories, in the order a person reads them (JSON keys of ``check``).
GHOSTS = "ghosts"
ORPHANS = "orphans"
BROKEN_LINKS = "broken_links"
STRAY_LINKS = "stray_links"
DUPLICATES = "duplicates"
HASH_MISMATCHES = "hash_mismatches"
CATEGORIES = (GHOSTS, ORPHANS, BROKEN_LINKS, STRAY_LINKS, DUPLICATES, HASH_MISMATCHES)

# Why a link is broken or stray.
MISSING_TARGET = "missing target"
LOOP = "loop"
OUTSIDE_STORAGE = "outside storage"
NOT_CATALOGUED = "not catalogued"

# What a verification compared when it failed.
FINGERPRINT = "fingerprint"
FULL_HASH = "full_hash"


@dataclass(frozen=True)
class Verification:
    """The outcome of re-reading one path of a media file.

    ``mismatch`` is "" when the content still matches, else what differs
    (``fingerprint``: the sampled chunks or the size; ``full_hash``: bytes outside the
    sampled chunks); ``expected`` and ``actual`` are the two values compared then.
    ``full`` says what happened to the full-file hash: "" (not computed), ``recorded``
    (the first one of this content), ``compared``.
    """

    path: str
    ok: bool
    mismatch: str = ""
    expected: str | None = None
    actual: str | None = None
    full: str = ""


def compare(
    path: str,
    recorded: str,
    fingerprint: str,
    recorded_full: str | None = None,
    recorded_full_algorithm: str | None = None,
    full_hash: str | None = None,
    full_algorithm: str | None = None,
) -> Verification:
    """What re-reading ``path`` found: the sampled ``fingerprint`` against the
    ``recorded`` one, then the whole-file ``full_hash`` (when computed) against the
    recorded one of the same algorithm; none recorded yet makes this one the reference
    (``full="recorded"``), but only for content whose fingerprint still matches."""
    if fingerprint != recorded:
        return Verification(path, False, FINGERPRINT, recorded, fingerprint)
    if full_hash is None:
        return Verification(path, True)
    if recorded_full is None or recorded_full_algorithm != full_algorithm:
        return Verification(path, True, full="recorded")
    if full_hash != recorded_full:
        return Verification(path, False, FULL_HASH, recorded_full, full_hash, "compared")
    return Verification(path, True, full="compared")


def ghosts(
    catalogued: Iterable[str],
    on_disk: Collection[str],
    unknown: Callable[[str], bool] = lambda _path: False,
) -> list[str]:
    """Catalogued paths (the current paths of present files) missing on disk, by path.

    ``unknown(path)`` is true for paths the walk could not see (under an unreadable
    folder): those are not ghosts, they are unknown.
    """
    return sorted(p for p in catalogued if p not in on_disk and not unknown(p))


def orphans(on_disk: Iterable[str], catalogued: Collection[str]) -> list[str]:
    """Video files on disk that the catalog does not know, by path."""
    return sorted(path for path in on_disk if path not in catalogued)


def stray_reason(
    storage_rel: str | None,
    is_dir: bool,
    catalogued: Collection[str],
    is_video: Callable[[str], bool],
) -> str | None:
    """Why a link whose target exists is stray, or None when it is fine.

    ``storage_rel`` is the resolved target relative to the storage root (None when it
    lies outside). A folder inside storage is fine (media servers link season folders);
    so is a file that is not video (subtitles, artwork: the catalog never holds them);
    a video file the catalog does not know is stray.
    """
    if storage_rel is None:
        return OUTSIDE_STORAGE
    if is_dir or storage_rel in catalogued or not is_video(storage_rel):
        return None
    return NOT_CATALOGUED


def exit_code(findings: int, errors: int, unreachable: int) -> int:
    """0 clean, 1 findings or per-file errors, 3 a root unreachable (it wins)."""
    if unreachable:
        return 3
    if findings or errors:
        return 1
    return 0
