"""Rules over the technical facts MediaInfo recorded for a file (pure, no I/O).

The facts are the JSON-safe dict of ``commands.adapters.mediainfo.analyze``: ``status`` (``ok``,
``unknown``, ``unreadable``), ``reason``, ``container``, ``duration_s``, ``overall_bitrate``,
``title``, ``truncated``, ``video`` ({codec, width, height, frame_rate, hdr} or None),
``audio`` ([{codec, channels, language, default, forced}]), ``subtitles``
([{format, language, forced}]).

Here: which facts make a file "unreadable media" for ``check``, and the duration evidence
``enrich`` weighs against a candidate's runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK = "ok"
UNKNOWN = "unknown"
UNREADABLE = "unreadable"
RECORDED_STATUSES = (OK, UNKNOWN, UNREADABLE)

# enrich: a runtime further than this from the file's duration is evidence against a match.
RUNTIME_TOLERANCE = 0.10
RUNTIME_PENALTY = 0.15
# A file shorter than this share of its match is a sample or a truncated download.
PARTIAL_RATIO = 0.5


def media_problem(facts: Mapping[str, Any]) -> str | None:
    """Why ``check`` should list this file as unreadable media, or None.

    A sparse or zero-filled file (``unknown``) is not a problem: there is nothing to read.
    """
    status = facts.get("status")
    if status == UNREADABLE:
        return str(facts.get("reason") or "MediaInfo cannot read it")
    if status != OK:
        return None
    if facts.get("truncated"):
        return "truncated (an interrupted download?)"
    if not facts.get("video") and not facts.get("audio"):
        return "no audio or video stream"
    duration = facts.get("duration_s")
    if not isinstance(duration, int | float) or duration <= 0:
        return "zero duration"
    return None


def resolution_label(width: int | None, height: int | None) -> str | None:
    """``2160p``, ``1080p``, ``720p``, ``SD``: by width first (a 1920x800 scope film is
    1080p), by height for narrow pictures (1440x1080 HDV is 1080p too)."""
    if not width and not height:
        return None
    w, h = width or 0, height or 0
    if w >= 3200 or h >= 1800:
        return "2160p"
    if w >= 1700 or h >= 1000:
        return "1080p"
    if w >= 1200 or h >= 700:
        return "720p"
    return "SD"


def language_code(language: str | None) -> str | None:
    """The primary language subtag, lower case (``fr-CA`` -> ``fr``), or None."""
    if not language:
        return None
    code = language.strip().replace("_", "-").split("-")[0].lower()
    return code or None


def runtime_difference(duration_s: float | None, runtime_min: float | None) -> float | None:
    """How far the file's duration is from a runtime, relative to the runtime
    (0.12 = 12% apart), or None when either is unknown."""
    if not duration_s or not runtime_min or duration_s <= 0 or runtime_min <= 0:
        return None
    runtime_s = runtime_min * 60.0
    return abs(duration_s - runtime_s) / runtime_s


def runtime_penalty(
    duration_s: float | None,
    runtime_min: float | None,
    tolerance: float = RUNTIME_TOLERANCE,
    penalty: float = RUNTIME_PENALTY,
) -> float:
    """The score a candidate loses when its runtime differs from the file's duration by
    more than ``tolerance`` (0 when either is unknown: no evidence is no penalty)."""
    diff = runtime_difference(duration_s, runtime_min)
    return penalty if diff is not None and diff > tolerance else 0.0


def looks_partial(
    duration_s: float | None, runtime_min: float | None, ratio: float = PARTIAL_RATIO
) -> bool:
    """True when the file is much shorter than its match's runtime (a sample, an
    interrupted download); False when either is unknown."""
    if not duration_s or not runtime_min or runtime_min <= 0:
        return False
    return duration_s < ratio * runtime_min * 60.0
