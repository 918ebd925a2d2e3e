"""MediaInfo on real files made at test time: the facts recorded are the facts of the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import media_factory as mf
from videotheque.commands.adapters.mediainfo import (
    Facts,
    analyze,
    analyze_file,
    analyze_many,
    mediainfo_version,
)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    mkv = mf.write_mkv_two_audio_forced_subs(d / "Two Tracks (2020).mkv")
    return {
        "mp4": mf.write_mp4_h264_aac(d / "Le Film (2019).mp4"),
        "mkv": mkv,
        "hevc": mf.write_hevc_4k_hdr(d / "UHD (2021).mkv"),
        "truncated": mf.write_truncated(mkv, d / "Interrupted (2018).mkv"),
        "text": mf.write_text(d / "Renamed Text (2017).mkv"),
        "html": mf.write_html(d / "Error Page (2016).mkv"),
        "sparse": mf.write_sparse(d / "Placeholder (2015).mkv"),
    }


def _json_safe(facts: Facts) -> None:
    assert json.loads(json.dumps(facts)) == facts


def test_mp4_h264_aac_french_track(media: dict[str, Path]) -> None:
    facts = analyze(media["mp4"])
    _json_safe(facts)
    assert facts["status"] == "ok"
    assert facts["reason"] is None
    assert facts["mediainfo_version"] == mediainfo_version() != "unknown"
    assert facts["container"] == "MPEG-4"
    assert facts["duration_s"] == pytest.approx(1.0, abs=0.05)
    assert facts["overall_bitrate"] > 0
    assert facts["title"] == mf.FRENCH_TITLE
    assert facts["truncated"] is False
    assert facts["video"] == {
        "codec": "AVC",
        "width": 320,
        "height": 240,
        "frame_rate": 25.0,
        "hdr": None,
    }
    assert facts["audio"] == [
        {"codec": "AAC", "channels": 2, "language": "fr", "default": True, "forced": False}
    ]
    assert facts["subtitles"] == []


def test_mkv_two_audio_tracks_and_forced_subtitles(media: dict[str, Path]) -> None:
    facts = analyze(media["mkv"])
    _json_safe(facts)
    assert facts["status"] == "ok"
    assert facts["container"] == "Matroska"
    assert facts["title"] == mf.MKV_TITLE
    assert facts["audio"] == [
        {"codec": "AAC", "channels": 2, "language": "fr", "default": True, "forced": False},
        {"codec": "AC-3", "channels": 6, "language": "en", "default": False, "forced": False},
    ]
    assert facts["subtitles"] == [
        {"format": "UTF-8", "language": "fr", "forced": True},
        {"format": "UTF-8", "language": "en", "forced": False},
    ]


def test_4k_hevc_with_hdr10_metadata(media: dict[str, Path]) -> None:
    facts = analyze(media["hevc"])
    assert facts["status"] == "ok"
    assert facts["video"]["codec"] == "HEVC"
    assert (facts["video"]["width"], facts["video"]["height"]) == (3840, 2160)
    assert facts["video"]["frame_rate"] == 24.0
    assert facts["video"]["hdr"] == "HDR10"


def test_truncated_download_is_flagged_but_still_described(media: dict[str, Path]) -> None:
    facts = analyze(media["truncated"])
    assert facts["status"] == "ok"
    assert facts["truncated"] is True
    assert facts["container"] == "Matroska"
    assert facts["video"]["codec"] == "AVC"


def test_long_file_reports_its_duration(tmp_path: Path) -> None:
    # 90 minutes with two frames far apart: what enrich compares with a runtime.
    path = mf.write_mp4_h264_aac(tmp_path / "Long (2000).mp4", seconds=5400, size=(64, 48))
    assert analyze(path)["duration_s"] == pytest.approx(5400, rel=0.001)


@pytest.mark.parametrize(
    ("key", "words"),
    [("text", "looks like text"), ("html", "HTML")],
)
def test_not_a_video_is_unreadable_with_its_reason(
    media: dict[str, Path], key: str, words: str
) -> None:
    facts = analyze(media[key])
    _json_safe(facts)
    assert facts["status"] == "unreadable"
    assert "not a media file" in facts["reason"]
    assert words in facts["reason"]
    assert facts["container"] is None
    assert facts["video"] is None


def test_zero_filled_sparse_file_is_unknown_not_an_error(media: dict[str, Path]) -> None:
    facts = analyze(media["sparse"])
    assert facts["status"] == "unknown"
    assert facts["video"] is None


def test_sparse_file_with_a_real_header_is_unknown(media: dict[str, Path], tmp_path: Path) -> None:
    # The demo library's kind: a container's first bytes, then holes for gigabytes.
    path = tmp_path / "Demo (2010).mp4"
    head = media["mp4"].read_bytes()[:4096]
    with path.open("wb") as f:
        f.write(head)
        f.truncate(800 * 1024 * 1024)
    facts = analyze(path)
    assert facts["status"] == "unknown"
    assert "sparse" in facts["reason"]


def test_empty_missing_and_non_regular_files(tmp_path: Path) -> None:
    (tmp_path / "empty.mkv").write_bytes(b"")
    (tmp_path / "folder.mkv").mkdir()
    assert analyze(tmp_path / "empty.mkv")["reason"] == "empty file"
    assert analyze(tmp_path / "folder.mkv")["reason"] == "not a regular file"
    # A path that cannot be read says nothing about the content: an error, never recorded.
    missing = analyze(tmp_path / "gone.mkv")
    assert missing["status"] == "error"
    assert "No such file" in missing["reason"]


def test_non_utf8_file_name_is_read(media: dict[str, Path], tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/Caf\xe9 (2012).mkv"
    with open(raw, "wb") as f:
        f.write(media["mkv"].read_bytes())
    facts = analyze(Path(os.fsdecode(raw)))
    assert facts == analyze(media["mkv"])


def test_analyze_many_yields_each_file_once(media: dict[str, Path]) -> None:
    paths = list(media.values())
    results = dict(analyze_many(paths, workers=3, timeout=60))
    assert set(results) == set(paths)
    assert {p.name: f["status"] for p, f in results.items()} == {
        media["mp4"].name: "ok",
        media["mkv"].name: "ok",
        media["hevc"].name: "ok",
        media["truncated"].name: "ok",
        media["text"].name: "unreadable",
        media["html"].name: "unreadable",
        media["sparse"].name: "unknown",
    }
    assert results[media["mkv"]] == analyze_file(media["mkv"])


class _StalledShare:
    """Reads of ``stalled`` block in the kernel (on an empty pipe) until ``release``."""

    def __init__(self, stalled: set[Path]) -> None:
        self.stalled = stalled
        self.read_fd, self.write_fd = os.pipe()
        self.calls: list[Path] = []
        self.lock = threading.Lock()

    def __call__(self, path: Path) -> Facts:
        with self.lock:
            self.calls.append(path)
        if path in self.stalled:
            os.read(self.read_fd, 1)  # a real blocking read, like a dead NFS mount
        return analyze_file(path)

    def release(self) -> None:
        os.write(self.write_fd, b"x" * 64)


@pytest.mark.timeout(30)
def test_a_stalled_file_is_reported_and_the_others_go_on(media: dict[str, Path]) -> None:
    share = _StalledShare({media["text"]})
    try:
        paths = [media["mp4"], media["text"], media["mkv"], media["hevc"]]
        results = dict(analyze_many(paths, workers=2, timeout=2.0, analyze_one=share))
    finally:
        share.release()
    assert results[media["text"]]["status"] == "timeout"
    assert "2 s" in results[media["text"]]["reason"]
    assert [results[p]["status"] for p in (media["mp4"], media["mkv"], media["hevc"])] == [
        "ok",
        "ok",
        "ok",
    ]


@pytest.mark.timeout(30)
def test_a_dead_share_does_not_swallow_a_thread_per_file(tmp_path: Path) -> None:
    paths = [tmp_path / f"f{i}.mkv" for i in range(6)]
    share = _StalledShare(set(paths))
    try:
        results = list(
            analyze_many(paths, workers=1, timeout=0.3, max_stalled=1, analyze_one=share)
        )
    finally:
        for _ in paths:
            share.release()
    assert len(results) == 6
    assert {facts["status"] for _, facts in results} == {"timeout"}
    # One worker, one replacement: then the rest are reported without being tried.
    assert len(share.calls) == 2
    assert sum("not analysed" in facts["reason"] for _, facts in results) == 4


def test_a_hung_read_does_not_hold_the_process_at_exit(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from videotheque.commands.adapters.mediainfo import analyze_many\n"
        "r, w = os.pipe()\n"
        "def hang(path):\n"
        "    os.read(r, 1)\n"
        "out = list(analyze_many([Path('x.mkv')], workers=1, timeout=0.2, analyze_one=hang))\n"
        "print(out[0][1]['status'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "timeout"
