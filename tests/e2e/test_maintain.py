"""`maintain`: one pass of the daily job through the CLI, on real files and symlinks, with
fake media servers on real sockets."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Lib
from tests.fakes.media_servers import free_port, running
from videotheque.commands.usecases.maintainer import STEPS

HEAT = "Films/Heat (1995)/Heat (1995).mkv"
EPISODE = "Series/Kaamelott/Season 01/Kaamelott - S01E02.mkv"
TOKEN = "jf-secret-token-123"


def configure(lib: Lib, extra: str = "") -> None:
    """No MediaInfo at import (the files are text), plus whatever the test adds."""
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n" + extra)


def files(lib: Lib) -> None:
    lib.write("Films/Heat.1995.mkv")
    lib.write("Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv")


def passes(lib: Lib, *args: str) -> tuple[int, dict[str, Any]]:
    result = lib.cli("maintain", "--json", *args)
    assert result.stdout.strip(), result.stderr
    return result.exit_code, json.loads(result.stdout)


def rows(lib: Lib, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(lib.home / "catalog.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_pass_runs_every_step_as_a_run_of_its_own(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    code, out = passes(lib)
    assert code == 0, out
    assert [s["step"] for s in out["steps"]] == list(STEPS)
    assert set(out) >= {"run_id", "dry_run", "exit_code", "stopped", "pending", "steps",
                        "changed_folders"}  # fmt: skip
    by = {s["step"]: s for s in out["steps"]}
    assert by["import"]["counts"]["new"] == 2
    assert by["organize"]["counts"]["created"] == 2
    assert by["notify"]["skipped"].startswith("no media server configured")
    assert all(set(s) >= {"step", "run_id", "counts", "exit_code"} for s in out["steps"])
    assert os.readlink(lib.video / HEAT) == "../../../storage/Films/Heat.1995.mkv"
    assert out["changed_folders"] == [
        {"folder": "Films/Heat (1995)", "type": "Created"},
        {"folder": "Series/Kaamelott/Season 01", "type": "Created"},
    ]
    # Each step is a run, and the pass a run listing them.
    runs = dict(rows(lib, "SELECT run_id, command FROM runs"))
    for s in out["steps"]:
        if s["run_id"]:
            assert runs[s["run_id"]] == {"repair": "repair-links"}.get(s["step"], s["step"])
    assert runs[out["run_id"]] == "maintain"
    (summary,) = rows(lib, f"SELECT summary FROM runs WHERE run_id = '{out['run_id']}'")[0]
    assert [s["run_id"] for s in json.loads(summary)["steps"]] == [
        s["run_id"] for s in out["steps"]
    ]

    code, again = passes(lib)
    assert code == 0
    assert again["changed_folders"] == []
    assert {s["step"]: s for s in again["steps"]}["import"]["counts"]["unchanged"] == 2


def test_an_unmounted_share_stops_the_pass_after_import_with_exit_3(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    assert passes(lib)[0] == 0
    for child in lib.storage.iterdir():  # the share is gone: an empty mount point
        shutil.rmtree(child)
    code, out = passes(lib)
    assert code == 3
    assert out["stopped"] and "empty" in out["stopped"]
    assert [s["step"] for s in out["steps"]] == ["import"]  # no later step ran
    assert out["steps"][0]["exit_code"] == 3 and out["steps"][0]["run_id"] is None
    assert rows(lib, "SELECT count(*) FROM catalog_files WHERE status = 'vanished'") == [(0,)]
    assert os.path.lexists(lib.video / HEAT)  # nothing deleted


def test_mass_vanish_guard_stops_the_pass(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    lib.write("Films/Other.2000.mkv")
    assert passes(lib)[0] == 0
    (lib.storage / "Films/Heat.1995.mkv").unlink()
    (lib.storage / "Films/Other.2000.mkv").unlink()
    code, out = passes(lib)
    assert code == 3 and "would vanish" in out["stopped"]
    assert len(out["steps"]) == 1


def test_steps_switched_off_in_config_and_on_the_command_line(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib, "\n[maintain]\ncheck = false\n")
    files(lib)
    code, out = passes(lib, "--skip", "organize")
    assert code == 0
    skipped = {s["step"]: s["skipped"] for s in out["steps"]}
    assert skipped["check"] == skipped["organize"] == "switched off"
    assert skipped["import"] is None
    assert not (lib.video / HEAT).exists()
    assert lib.cli("maintain", "--skip", "nonsense").exit_code == 2


def test_dry_run_records_and_changes_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    code, out = passes(lib, "--dry-run")
    assert code == 0 and out["dry_run"] and out["run_id"] is None
    assert all(s["run_id"] is None for s in out["steps"])
    assert not lib.video.exists() or not any(lib.video.rglob("*"))
    assert rows(lib, "SELECT count(*) FROM events") == [(0,)]


def test_pending_matches_make_the_exit_code_1(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    # A sidecar without any id: no confident match, the file is queued for a person.
    (lib.storage / "Films/Heat.1995.nfo").write_text("<movie><title>Heat</title></movie>")
    result = lib.cli("maintain")
    assert result.exit_code == 1
    assert "needs you: 1 file(s) wait in the validation queue" in result.stdout
    assert "only NFO sidecars read" in result.stderr
    code, out = passes(lib)
    assert code == 1 and out["pending"] == 1
    assert all(s["exit_code"] == 0 for s in out["steps"])  # each step did its job


def notify_config(url: str, kind: str = "jellyfin") -> str:
    return (
        f'\n[[notify]]\nname = "living-room"\nkind = "{kind}"\nurl = "{url}"\n'
        'token_env = "VTQ_TEST_JF_TOKEN"\n'
    )


def test_media_server_told_which_folders_changed(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    files(lib)
    with running("jellyfin", token=TOKEN) as fake:
        configure(lib, notify_config(fake.url))
        code, out = passes(lib)
        assert code == 0, out
        video = os.fsdecode(lib.video)
        assert fake.jellyfin_updates() == [
            {"Path": f"{video}/Films/Heat (1995)", "UpdateType": "Created"},
            {"Path": f"{video}/Series/Kaamelott/Season 01", "UpdateType": "Created"},
        ]
        notify = {s["step"]: s for s in out["steps"]}["notify"]
        assert notify["counts"]["told"] == 1 and notify["run_id"]
        # Nothing changed: nothing said.
        code, again = passes(lib)
        assert code == 0 and len(fake.requests) == 1
        assert {s["step"]: s for s in again["steps"]}["notify"]["skipped"]
    told = rows(lib, "SELECT ok, status, told FROM notifications")
    assert [(ok, status) for ok, status, _ in told] == [(True, 204)]
    assert json.loads(told[0][2])[0]["path"] == f"{video}/Films/Heat (1995)"
    events = rows(lib, "SELECT payload FROM events WHERE aggregate = 'MediaServer'")
    assert TOKEN not in json.dumps([e[0] for e in events])
    assert TOKEN not in (lib.home / "config.toml").read_text()


def test_a_server_down_is_retried_next_pass_and_fails_nothing(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    files(lib)
    port = free_port()
    configure(lib, notify_config(f"http://127.0.0.1:{port}"))
    result = lib.cli("maintain")
    assert result.exit_code == 0, result.output
    assert "not told" in result.stderr and "retried by the next pass" in result.stderr
    assert rows(lib, "SELECT ok FROM notifications") == [(False,)]
    with running("jellyfin", token=TOKEN, port=port) as fake:
        code, _ = passes(lib)  # the tree did not change, but the server missed news
        assert code == 0
        assert [u["Path"].rsplit("/", 1)[-1] for u in fake.jellyfin_updates()] == [
            "Heat (1995)", "Season 01"
        ]  # fmt: skip
    assert rows(lib, "SELECT ok FROM notifications ORDER BY position") == [(False,), (True,)]


def test_a_refused_token_needs_a_person(sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", "wrong")
    files(lib)
    with running("jellyfin", token=TOKEN) as fake:
        configure(lib, notify_config(fake.url))
        result = lib.cli("maintain")
    assert result.exit_code == 1
    assert "needs you: notify" in result.stdout
    assert "wrong" not in result.output


def test_a_token_in_config_is_refused(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib, '\n[[notify]]\nkind = "plex"\nurl = "http://127.0.0.1:1"\ntoken = "x"\n')
    result = lib.cli("maintain")
    assert result.exit_code == 2 and "token_env" in result.stderr
    result = lib.cli("watch")  # refused at once, not at every pass
    assert result.exit_code == 2 and "token_env" in result.stderr


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ('url = "http://kodi:hunter2@127.0.0.1:8080"', "never write a user or password"),
        ('url = "http://127.0.0.1:1"\ntoken_env = "$KODI_PASSWORD"', "NAME of an environment"),
        ('url = "http://127.0.0.1:1"\ntoken_env = 5', "token_env must be a non-empty string"),
        ('url = "http://127.0.0.1:1"\nname = ["a"]', "name must be a non-empty string"),
        ('url = "http://127.0.0.1:1"\nfrom = 5\nto = "/data"', "from must be a non-empty"),
        ('url = "http://127.0.0.1:1"\nfrom = "video"\nto = "/data"', "absolute path"),
    ],
)
def test_a_media_server_entry_of_the_wrong_shape_is_refused(
    sqlite_lib: Lib, entry: str, said: str
) -> None:
    lib = sqlite_lib
    configure(lib, f'\n[[notify]]\nkind = "kodi"\n{entry}\n')
    for command in ("maintain", "watch"):
        result = lib.cli(command)
        assert result.exit_code == 2, result.output
        assert said in result.stderr and "Traceback" not in result.output
        assert "hunter2" not in result.output
    assert not (lib.video).exists() or not any(lib.video.iterdir())  # nothing ran


def test_a_report_that_cannot_be_written_is_said_before_the_pass(
    sqlite_lib: Lib, tmp_path: Path
) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    result = lib.cli("maintain", "-o", str(tmp_path / "no-such-folder" / "pass.html"))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert lib.json("runs") == []  # no pass ran: nothing recorded
    assert not lib.video.exists() or not any(lib.video.iterdir())


def test_a_missing_video_root_is_said_once_not_as_a_conflict_per_link(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    files(lib)
    assert lib.cli("maintain").exit_code == 0
    away = lib.root / "video.unmounted"
    lib.video.rename(away)  # the disk holding the video tree is not mounted
    out = lib.json("maintain")
    assert out["exit_code"] == 1
    organize = next(s for s in out["steps"] if s["step"] == "organize")
    assert organize["exit_code"] == 3 and "video root" in organize["error"]
    assert organize["notes"] == []  # not one "conflict" per link
    assert not lib.video.exists()  # nothing created in its place
    alone = lib.cli("organize")
    assert alone.exit_code == 3 and "does not exist" in alone.stderr
    away.rename(lib.video)
    assert lib.cli("maintain").exit_code == 0


def test_pass_report_holds_the_pass_runs_only(
    sqlite_lib: Lib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Old.1990.mkv")
    assert lib.cli("import").exit_code == 0  # a run before the pass
    files(lib)
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    with running("jellyfin", token=TOKEN) as fake:
        with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
            f.write(notify_config(fake.url))
        report = tmp_path / "pass.md"
        result = lib.cli("maintain", "-o", str(report))
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "## Media servers" in text and "living-room (jellyfin)" in text
    assert "Heat (1995)" in text
    (first_import,) = rows(lib, "SELECT run_id FROM runs WHERE command = 'import' "
                                "ORDER BY started_at LIMIT 1")[0]  # fmt: skip
    assert first_import[:8] not in text


def test_changes_made_outside_a_pass_are_told_by_the_next_one(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The servers follow the store, not one pass's memory: links made by hand (or by a
    pass killed before its notify step) are told by the next pass."""
    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    files(lib)
    with running("jellyfin", token=TOKEN) as fake:
        configure(lib, notify_config(fake.url))
        assert passes(lib)[0] == 0
        assert len(fake.jellyfin_updates()) == 2
        lib.write("Films/Alien.1979.mkv")
        assert lib.cli("import").exit_code == 0
        assert lib.cli("organize").exit_code == 0  # by hand: nobody told
        code, out = passes(lib)
        assert code == 0
        assert {s["step"]: s for s in out["steps"]}["organize"]["counts"]["created"] == 0
        assert fake.jellyfin_updates()[2:] == [
            {"Path": f"{os.fsdecode(lib.video)}/Films/Alien (1979)", "UpdateType": "Created"}
        ]


def test_a_locked_home_exits_4_and_runs_nothing(sqlite_lib: Lib) -> None:
    from videotheque.commands.adapters.lock import HomeLock

    lib = sqlite_lib
    configure(lib)
    files(lib)
    with HomeLock(lib.home):
        result = lib.cli("maintain")
    assert result.exit_code == 4 and "locked" in result.stderr
    assert not (lib.home / "catalog.duckdb").exists() or rows(lib, "SELECT count(*) FROM runs") == [
        (0,)
    ]


def test_html_pass_report_shows_what_the_server_was_told(
    sqlite_lib: Lib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    lib.write("Films/<b>Bold</b>.2001.mkv")
    with running("jellyfin", token=TOKEN) as fake:
        configure(lib, notify_config(fake.url))
        report = tmp_path / "pass.html"
        assert lib.cli("maintain", "-o", str(report)).exit_code == 0
    html = report.read_text()
    assert '<section id="servers">' in html and "living-room (jellyfin)" in html
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert TOKEN not in html


def test_nfo_sidecars_in_a_pass_and_their_folders_told(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    from videotheque.commands.adapters.providers.nfo import read_nfo

    lib = sqlite_lib
    monkeypatch.setenv("VTQ_TEST_JF_TOKEN", TOKEN)
    lib.write("Films/Heat.1995.mkv")
    lib.write("Films/Heat.1995.nfo", '<movie><title>Heat</title><year>1995</year>'
              '<uniqueid type="tmdb">949</uniqueid></movie>')  # fmt: skip
    with running("jellyfin", token=TOKEN) as fake:
        configure(lib, "\n[organize]\nnfo = true\n" + notify_config(fake.url))
        code, out = passes(lib)
        assert code == 0, out
        organize = {s["step"]: s for s in out["steps"]}["organize"]
        assert organize["counts"]["nfo_written"] == 1
        nfo = lib.video / "Films/Heat (1995)/Heat (1995).nfo"
        assert read_nfo(nfo).ids.tmdb == "949"
        # The NFO is written in the pass that matched the file: the folder is told once.
        assert fake.jellyfin_updates() == [
            {"Path": f"{os.fsdecode(lib.video)}/Films/Heat (1995)", "UpdateType": "Created"}
        ]
        code, _ = passes(lib)
        assert code == 0 and len(fake.requests) == 1


def test_the_pass_report_shows_the_nfo_files_the_pass_wrote(
    sqlite_lib: Lib, tmp_path: Path
) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    lib.write("Films/Heat.1995.nfo", '<movie><title>Heat</title><year>1995</year>'
              '<uniqueid type="tmdb">949</uniqueid></movie>')  # fmt: skip
    configure(lib, "\n[organize]\nnfo = true\n")
    report = tmp_path / "pass.md"
    result = lib.cli("maintain", "-o", str(report))
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "## NFO sidecars written" in text
    assert "Films/Heat (1995)/Heat (1995).nfo" in text
