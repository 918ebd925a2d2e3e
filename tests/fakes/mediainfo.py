"""A stand-in for MediaInfo: the facts of each file are what the test says.

``FakeMediaInfo`` is an ``analyze_one`` for ``adapters.mediainfo.analyze_many`` (and so for
``usecases.analyzer.analyze_library``): it answers from a table, file name -> facts, and
keeps the paths it read. A file the table does not name is an ``error`` (as a file gone
since the import is), which the use case reports and never records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "fake 1"


def facts(
    status: str = "ok",
    *,
    duration_s: float | None = 6000.0,
    width: int | None = 1920,
    height: int | None = 1080,
    codec: str | None = "AVC",
    audio: tuple[str, ...] = ("fr",),
    subtitles: tuple[str, ...] = (),
    reason: str | None = None,
    truncated: bool = False,
) -> dict[str, Any]:
    """Facts shaped as ``adapters.mediainfo.facts_from_json`` gives them."""
    found: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "mediainfo_version": VERSION,
        "container": None,
        "duration_s": None,
        "overall_bitrate": None,
        "title": None,
        "truncated": truncated,
        "video": None,
        "audio": [],
        "subtitles": [],
    }
    if status != "ok":
        return found
    found.update(container="Matroska", duration_s=duration_s, overall_bitrate=4_000_000)
    found["video"] = {
        "codec": codec, "width": width, "height": height, "frame_rate": 24.0, "hdr": None,
    }  # fmt: skip
    found["audio"] = [
        {"codec": "AAC", "channels": 2, "language": lang, "default": i == 0, "forced": False}
        for i, lang in enumerate(audio)
    ]
    found["subtitles"] = [
        {"format": "UTF-8", "language": lang, "forced": False} for lang in subtitles
    ]
    return found


@dataclass
class FakeMediaInfo:
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)

    def __call__(self, path: Path) -> dict[str, Any]:
        name = os.path.basename(path)
        self.read.append(name)
        if name not in self.by_name:
            return facts("error", reason="No such file or directory")
        return dict(self.by_name[name])
