"""MediaInfo through the CLI: import analyses new content, `analyze` fills the gaps, and the
facts show in `catalog --json`, `status` and the audit trail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import media_factory as mf
from tests.conftest import Lib


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The media files, made once per module (the 4K frame costs ~0.5 s) and copied."""
    d = tmp_path_factory.mktemp("made")
    mkv = mf.write_mkv_two_audio_forced_subs(d / "Deux Pistes (2020).mkv")
    return {
        "mp4": mf.write_mp4_h264_aac(d / "Le Film (2019).mp4", seconds=5400, size=(64, 48)),
        "mkv": mkv,
        "uhd": mf.write_hevc_4k_hdr(d / "Ultra (2021).mkv"),
        "text": mf.write_text(d / "Pas Une Video (2017).mkv"),
        "cut": mf.write_truncated(mkv, d / "Interrompu (2018).mkv"),
    }


def _copy(lib: Lib, made: dict[str, Path]) -> dict[str, Path]:
    films = lib.storage / "Films"
    films.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, source in made.items():
        out[key] = films / source.name
        shutil.copyfile(source, out[key])
    return out


@pytest.fixture
def files(lib: Lib, made: dict[str, Path]) -> dict[str, Path]:
    """The media files under the library's storage, in ``Films/`` (SQLite and PostgreSQL)."""
    return _copy(lib, made)


@pytest.fixture
def sqlite_files(sqlite_lib: Lib, made: dict[str, Path]) -> dict[str, Path]:
    """The same on the SQLite store only (for what does not depend on the store)."""
    return _copy(sqlite_lib, made)


def _by_name(lib: Lib) -> dict[str, dict[str, Any]]:
    return {Path(r["path"]).name: r for r in lib.json("catalog")}


def _analyzed_events(lib: Lib) -> int:
    rows = json.loads(
        lib.cli("sql", "SELECT count(*) AS n FROM events WHERE type = 'Analyzed'", "--format",
                "json").stdout
    )  # fmt: skip
    return int(rows[0]["n"])


def test_import_records_the_facts_and_catalog_shows_them(lib: Lib, files: dict[str, Path]) -> None:
    result = lib.cli("import")
    assert result.exit_code == 0, result.output  # a text file named .mkv is no import error
    rows = _by_name(lib)
    assert len(rows) == 5  # the text file is catalogued too

    mp4 = rows[files["mp4"].name]
    assert mp4["container"] == "MPEG-4"
    assert mp4["duration_s"] == pytest.approx(5400, rel=0.001)
    assert (mp4["video_codec"], mp4["width"], mp4["height"], mp4["hdr"]) == ("AVC", 64, 48, None)
    assert mp4["audio"] == [{"codec": "AAC", "channels": 2, "language": "fr"}]
    assert mp4["subtitles"] == []

    mkv = rows[files["mkv"].name]
    assert mkv["container"] == "Matroska"
    assert mkv["audio"] == [
        {"codec": "AAC", "channels": 2, "language": "fr"},
        {"codec": "AC-3", "channels": 6, "language": "en"},
    ]
    assert mkv["subtitles"] == [
        {"language": "fr", "forced": True},
        {"language": "en", "forced": False},
    ]

    uhd = rows[files["uhd"].name]
    assert (uhd["video_codec"], uhd["width"], uhd["height"], uhd["hdr"]) == (
        "HEVC",
        3840,
        2160,
        "HDR10",
    )

    text = rows[files["text"].name]
    assert text["status"] == "present"
    assert text["container"] is None and text["audio"] == [] and text["video_codec"] is None


def test_the_analyzed_event_carries_the_facts_and_the_mediainfo_version(
    lib: Lib, files: dict[str, Path]
) -> None:
    lib.cli("import")
    events = lib.json("history", str(files["text"]))
    analyzed = [e for e in events if e["type"] == "Analyzed"]
    assert len(analyzed) == 1
    data = analyzed[0]["data"]
    assert data["mediainfo_version"]
    assert data["path"] == "Films/" + files["text"].name
    assert data["facts"]["status"] == "unreadable"
    assert data["facts"]["reason"] == "not a media file (looks like text)"
    assert analyzed[0]["run_id"] == events[0]["run_id"]  # the import's run


def test_only_new_or_changed_content_is_analysed(lib: Lib, files: dict[str, Path]) -> None:
    lib.cli("import")
    assert _analyzed_events(lib) == 5

    assert lib.cli("import").exit_code == 0  # unchanged: nothing read again
    assert _analyzed_events(lib) == 5

    moved = lib.storage / "Films" / "Rangé" / files["uhd"].name
    moved.parent.mkdir()
    os.rename(files["uhd"], moved)
    lib.cli("import")
    assert _analyzed_events(lib) == 5  # a move keeps its facts
    assert _by_name(lib)[moved.name]["hdr"] == "HDR10"

    # Same path, new content: the broken download was completed.
    mf.unique_copy(files["mkv"], files["cut"], "completed")
    summary = lib.json("import")
    assert summary["changed"] == 1
    assert _analyzed_events(lib) == 6
    assert _by_name(lib)[files["cut"].name]["video_codec"] == "AVC"
    assert lib.json("status")["media"]["unreadable_media"] == 1  # the text file only


def test_analyze_missing_then_all(lib: Lib, files: dict[str, Path]) -> None:
    with (lib.home / "config.toml").open("a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    lib.cli("import")
    assert _analyzed_events(lib) == 0
    assert _by_name(lib)[files["mp4"].name]["duration_s"] is None

    preview = lib.json("analyze", "--dry-run")
    assert (preview["targets"], preview["dry_run"], preview["run_id"]) == (5, True, None)
    assert _analyzed_events(lib) == 0

    result = lib.cli("analyze", "--missing", "--json")
    assert result.exit_code == 1  # findings: a text file and a truncated one
    report = json.loads(result.stdout)
    assert report["by_status"] == {"ok": 4, "unreadable": 1}
    assert report["unreadable_media"] == [
        {"path": "Films/" + files["cut"].name, "reason": "truncated (an interrupted download?)"},
        {"path": "Films/" + files["text"].name, "reason": "not a media file (looks like text)"},
    ]
    assert _by_name(lib)[files["mp4"].name]["container"] == "MPEG-4"

    again = lib.json("analyze")
    assert (again["targets"], again["analyzed"]) == (0, 0)

    everything = lib.json("analyze", "--all")
    assert everything["analyzed"] == 5
    assert _analyzed_events(lib) == 10


def test_a_file_gone_since_import_is_an_error_not_a_fact(
    sqlite_lib: Lib, sqlite_files: dict[str, Path]
) -> None:
    sqlite_lib.cli("import")
    sqlite_files["mp4"].unlink()
    result = sqlite_lib.cli("analyze", "--all", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [e["path"] for e in report["errors"]] == ["Films/" + sqlite_files["mp4"].name]
    assert report["analyzed"] == 4
    # The facts read at import are kept: a missing path says nothing about the content.
    assert _by_name(sqlite_lib)[sqlite_files["mp4"].name]["container"] == "MPEG-4"


def test_status_gives_the_quality_picture(sqlite_lib: Lib, sqlite_files: dict[str, Path]) -> None:
    sqlite_lib.write("Films/Vide (2010).mkv", size=700 * 1024 * 1024)  # sparse, like the demo
    sqlite_lib.cli("import")
    media = sqlite_lib.json("status")["media"]
    assert media["analyzed"] == 6
    assert media["not_analyzed"] == 0
    assert media["by_status"] == {"ok": 4, "unknown": 1, "unreadable": 1}
    assert media["total_hours"] == pytest.approx(1.5, abs=0.01)
    assert media["resolutions"] == [
        {"value": "SD", "files": 3},
        {"value": "2160p", "files": 1},
    ]
    assert media["video_codecs"] == [{"value": "AVC", "files": 3}, {"value": "HEVC", "files": 1}]
    assert media["unreadable_media"] == 2
    assert media["languages"] == ["fr"]
    assert media["movies_without_audio_language"] == 0
    human = sqlite_lib.cli("status").stdout
    assert "1.5 hours" in human
    assert "2160p 1" in human


def test_rebuild_gives_the_same_media_facts(sqlite_lib: Lib, sqlite_files: dict[str, Path]) -> None:
    sqlite_lib.cli("import")
    sqlite_lib.cli("analyze", "--all")
    query = "SELECT * EXCLUDE (analyzed_at) FROM media_facts ORDER BY file_id"
    before = sqlite_lib.cli("sql", query, "--format", "json").stdout
    assert sqlite_lib.cli("rebuild").exit_code == 0
    assert sqlite_lib.cli("sql", query, "--format", "json").stdout == before
    assert len(json.loads(before)) == 5


def test_an_unchanged_import_never_loads_libmediainfo(
    sqlite_lib: Lib, made: dict[str, Path]
) -> None:
    for source in made.values():
        shutil.copyfile(source, sqlite_lib.storage / source.name)
    assert sqlite_lib.cli("import").exit_code == 0
    script = (
        "import sys\n"
        "from videotheque.commands.cli.app import app\n"
        "try:\n"
        f"    app(['import', '--json', '--home', {str(sqlite_lib.home)!r}])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print('pymediainfo' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *_, code, loaded = done.stdout.strip().splitlines()
    assert '"unchanged": 5' in done.stdout
    assert (code, loaded) == ("exit 0", "False")


def test_check_lists_unreadable_media(sqlite_lib: Lib, sqlite_files: dict[str, Path]) -> None:
    sqlite_lib.write("Films/Vide (2010).mkv", size=700 * 1024 * 1024)  # sparse: not listed
    cut, text = sqlite_files["cut"].name, sqlite_files["text"].name
    sqlite_lib.cli("import")
    result = sqlite_lib.cli("check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["unreadable_media"] == [
        {"path": f"Films/{cut}", "reason": "truncated (an interrupted download?)"},
        {"path": f"Films/{text}", "reason": "not a media file (looks like text)"},
    ]
    assert report["summary"]["unreadable_media"] == 2
    sqlite_files["text"].unlink()  # gone: a ghost now, no longer unreadable media
    mf.unique_copy(sqlite_files["mkv"], sqlite_files["cut"], "completed")  # download completed
    sqlite_lib.cli("import")
    assert sqlite_lib.json("check")["unreadable_media"] == []
