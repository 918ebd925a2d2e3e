"""From MediaInfo's JSON to recorded facts: labels and the odd values real files carry."""

from __future__ import annotations

import json

import pytest

from videotheque.commands.adapters.mediainfo import facts_from_json, hdr_label


@pytest.mark.parametrize(
    ("video", "label"),
    [
        ({"HDR_Format": "Dolby Vision / SMPTE ST 2086", "HDR_Format_Compatibility": "HDR10"},
         "Dolby Vision"),
        ({"HDR_Format": "SMPTE ST 2094 App 4", "HDR_Format_Compatibility": "HDR10+ Profile A"},
         "HDR10+"),
        ({"HDR_Format": "SMPTE ST 2086", "HDR_Format_Compatibility": "HDR10"}, "HDR10"),
        ({"transfer_characteristics": "HLG"}, "HLG"),
        ({"transfer_characteristics": "PQ"}, "PQ"),
        ({"transfer_characteristics": "BT.709"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_hdr_label(video: dict[str, str], label: str | None) -> None:
    assert hdr_label(video) == label


def _doc(*tracks: dict[str, object]) -> str:
    return json.dumps({"creatingLibrary": {"version": "24.12"}, "media": {"track": list(tracks)}})


def test_multi_valued_fields_and_undetermined_languages() -> None:
    facts = facts_from_json(
        _doc(
            {"@type": "General", "Format": "MPEG-TS", "Duration": "5400.250"},
            {
                "@type": "Video",
                "Format": "AVC",
                "Width": "1920",
                "Height": "1080",
                "FrameRate": "23.976",
            },
            {"@type": "Audio", "Format": "DTS", "Channels": "8 / 6", "Language": "und"},
            {"@type": "Text", "Format": "PGS", "Language": "fr-CA", "Forced": "Yes"},
        )
    )
    assert facts["status"] == "ok"
    assert facts["duration_s"] == 5400.25
    assert facts["video"]["frame_rate"] == 23.976
    assert facts["audio"] == [
        {"codec": "DTS", "channels": 8, "language": None, "default": False, "forced": False}
    ]
    assert facts["subtitles"] == [{"format": "PGS", "language": "fr-CA", "forced": True}]
    assert facts["mediainfo_version"] == "24.12"


def test_duration_falls_back_to_the_streams() -> None:
    facts = facts_from_json(
        _doc({"@type": "General", "Format": "AVI"}, {"@type": "Video", "Duration": "60.0"})
    )
    assert facts["duration_s"] == 60.0


def test_the_default_video_track_describes_the_file() -> None:
    facts = facts_from_json(
        _doc(
            {"@type": "General", "Format": "Matroska"},
            {"@type": "Video", "Format": "MJPEG", "Width": "300", "Default": "No"},
            {"@type": "Video", "Format": "HEVC", "Width": "3840", "Default": "Yes"},
        )
    )
    assert facts["video"]["codec"] == "HEVC"


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"<!DOCTYPE html><html>", "not a media file (looks like an HTML or XML page)"),
        ("Titre : l'été\n".encode(), "not a media file (looks like text)"),
        (bytes(range(256)), "not a media file (no container recognised)"),
    ],
)
def test_what_a_non_media_file_looks_like(head: bytes, reason: str) -> None:
    facts = facts_from_json(_doc({"@type": "General", "FileSize": "20"}), head)
    assert (facts["status"], facts["reason"]) == ("unreadable", reason)
