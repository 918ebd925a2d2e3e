"""The rules over recorded media facts, and the Analyzed event on MediaFile."""

from __future__ import annotations

from typing import Any

import pytest

from videotheque.domain.errors import DomainError
from videotheque.domain.media_facts import (
    language_code,
    looks_partial,
    media_problem,
    resolution_label,
    runtime_difference,
    runtime_penalty,
)
from videotheque.domain.media_file import MediaFile

GOOD: dict[str, Any] = {
    "status": "ok",
    "reason": None,
    "container": "Matroska",
    "duration_s": 6000.0,
    "truncated": False,
    "video": {"codec": "HEVC", "width": 3840, "height": 2160, "frame_rate": 24.0, "hdr": None},
    "audio": [{"codec": "AAC", "channels": 2, "language": "fr", "default": True, "forced": False}],
    "subtitles": [],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"status": "unknown", "reason": "sparse file"}, None),
        ({"status": "unreadable", "reason": "not a media file (looks like text)"},
         "not a media file (looks like text)"),
        ({"truncated": True}, "truncated (an interrupted download?)"),
        ({"duration_s": 0.0}, "zero duration"),
        ({"duration_s": None}, "zero duration"),
        ({"video": None, "audio": []}, "no audio or video stream"),
        ({"video": None}, None),  # an audio-only file is still media
    ],
)  # fmt: skip
def test_media_problem(change: dict[str, Any], problem: str | None) -> None:
    assert media_problem({**GOOD, **change}) == problem


@pytest.mark.parametrize(
    ("width", "height", "label"),
    [
        (3840, 2160, "2160p"),
        (3840, 1600, "2160p"),
        (1920, 800, "1080p"),
        (1440, 1080, "1080p"),
        (1280, 720, "720p"),
        (720, 576, "SD"),
        (None, None, None),
    ],
)
def test_resolution_label(width: int | None, height: int | None, label: str | None) -> None:
    assert resolution_label(width, height) == label


def test_language_code() -> None:
    assert [language_code(x) for x in ("fr", "fr-CA", "EN_us", "", None)] == [
        "fr",
        "fr",
        "en",
        None,
        None,
    ]


def test_runtime_evidence_for_enrich() -> None:
    # A 100 min file against candidates of 104, 120 and unknown minutes.
    assert runtime_difference(6000.0, 120) == pytest.approx(1 / 6)
    assert runtime_penalty(6000.0, 104) == 0.0
    assert runtime_penalty(6000.0, 120) == 0.15
    assert runtime_penalty(6000.0, None) == 0.0
    assert runtime_penalty(None, 120) == 0.0
    assert looks_partial(60.0, 100)  # a one-minute sample of a 100 min film
    assert not looks_partial(6000.0, 100)
    assert not looks_partial(None, 100)


def _file() -> MediaFile:
    return MediaFile(
        fingerprint="1:ab",
        algorithm="xxh3_128-3x64k-v1",
        size=1,
        path="Films/A (2000).mkv",
        mtime=1.0,
        name={"kind": "movie", "title": "A", "year": 2000},
        parser="test",
        run_id="r1",
    )


def test_record_analysis_keeps_the_version_apart_and_replays() -> None:
    f = _file()
    f.record_analysis("Films/A (2000).mkv", {**GOOD, "mediainfo_version": "24.12"}, "r2")
    assert f.analysis == GOOD
    assert f.mediainfo_version == "24.12"
    events = f.collect_events()
    assert [type(e).__name__ for e in events] == ["Imported", "Analyzed"]
    replayed: MediaFile | None = None
    for e in events:
        replayed = e.mutate(replayed)  # type: ignore[arg-type]
    assert replayed is not None and replayed.analysis == GOOD


@pytest.mark.parametrize("status", ["timeout", "error", None])
def test_what_is_not_a_fact_is_not_recorded(status: str | None) -> None:
    f = _file()
    with pytest.raises(DomainError):
        f.record_analysis("Films/A (2000).mkv", {"status": status, "reason": "x"}, "r2")
    assert f.analysis is None
