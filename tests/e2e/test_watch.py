"""`watch` as users run it: a subprocess on a real library in tmp_path, real file-system
events, SIGTERM, a share going away, a kill mid-pass."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Lib
from tests.faults import checkpoints

WAIT = 60.0  # seconds: generous, the machine is shared; nothing asserts a wall time


def configure(lib: Lib) -> None:
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")


class Watch:
    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc = proc
        self.log = log

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, count: int = 1) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.text().count(needle) >= count:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} x{count} not seen; log:\n{self.text()}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=WAIT)


@contextmanager
def watching(lib: Lib, *args: str, env: dict[str, str] | None = None) -> Iterator[Watch]:
    log = lib.home / "watch.log"
    # a kill at a checkpoint needs the CLI with the test's audit hook (checkpoints.py)
    cli = ["-m", "videotheque"]
    if env and checkpoints.KILL_ENV in env:
        cli = [str(Path(checkpoints.__file__))]
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, *cli, "watch", "--home", str(lib.home), *args],
            stdout=err,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        yield Watch(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def catalog_paths(lib: Lib) -> dict[str, str]:
    result = lib.cli("catalog", "--json")
    assert result.exit_code == 0, result.output
    return {r["path"]: r["status"] for r in json.loads(result.stdout)}


def runs(lib: Lib) -> list[tuple[str, str]]:
    with duckdb.connect(str(lib.home / "catalog.duckdb"), read_only=True) as con:
        return con.execute("SELECT command, status FROM runs ORDER BY started_at").fetchall()


def test_a_file_dropped_in_storage_is_catalogued_and_linked(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    with watching(lib, "--debounce", "0.5") as w:
        w.wait_for("pass done")  # the pass at start
        lib.write("Films/Alien.1979.mkv")
        w.wait_for("pass done", 2)
        assert "pass (storage changed)" in w.text()
        assert w.stop() == 0
    assert "SIGTERM: stopping" in w.text()
    assert catalog_paths(lib) == {"Films/Heat.1995.mkv": "present",
                                  "Films/Alien.1979.mkv": "present"}  # fmt: skip
    assert (lib.video / "Films/Alien (1979)/Alien (1979).mkv").is_symlink()
    assert [c for c, _ in runs(lib)].count("maintain") == 2
    assert all(status == "finished" for _, status in runs(lib))


def test_an_idle_poll_records_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    with watching(lib, "--debounce", "0.5", "--poll", "1") as w:
        w.wait_for("pass done")
        time.sleep(4)  # several polls of an unchanged storage
        assert w.stop() == 0
    assert [c for c, _ in runs(lib)].count("maintain") == 1
    assert [c for c, _ in runs(lib)].count("import") == 1


def test_a_share_that_goes_away_and_comes_back(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    lib.write("Films/Alien.1979.mkv")
    away = lib.root / "storage.unmounted"
    with watching(lib, "--debounce", "0.5", "--poll", "1") as w:
        w.wait_for("pass done")
        lib.storage.rename(away)  # unmounted
        lib.storage.mkdir()  # the empty mount point
        w.wait_for("storage unreachable")
        assert w.proc.poll() is None  # still watching
        lib.storage.rmdir()
        away.rename(lib.storage)  # mounted again
        time.sleep(1)
        lib.write("Films/Brazil.1985.mkv")
        w.wait_for("import    1 new")
        text = w.text()
        w.wait_for("pass done", text.count("pass (") - text.count("pass stopped"))
        assert w.stop() == 0
    paths = catalog_paths(lib)
    assert set(paths.values()) == {"present"}  # nothing was taken for vanished
    assert "Films/Brazil.1985.mkv" in paths


@pytest.mark.parametrize("saves", [1, 2])
def test_watch_killed_mid_pass_loses_nothing(sqlite_lib: Lib, saves: int) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    lib.write("Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv")
    # The whole watch process is SIGKILLed right after the import's N-th save.
    with watching(lib, "--debounce", "0.5",
                  env=checkpoints.kill_at("videotheque.import.saved", saves)) as w:  # fmt: skip
        assert w.proc.wait(timeout=WAIT) == -signal.SIGKILL
    result = lib.cli("maintain", "--json")
    assert result.exit_code == 0, result.output
    assert set(catalog_paths(lib)) == {
        "Films/Heat.1995.mkv", "Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv"
    }  # fmt: skip
    assert (lib.video / "Films/Heat (1995)/Heat (1995).mkv").is_symlink()
    assert ("maintain", "running") in runs(lib)  # the killed pass shows as unfinished


def test_sigterm_during_a_pass_abandons_it_and_the_next_pass_finishes(
    sqlite_lib: Lib,
) -> None:
    from tests.fakes.media_servers import running

    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    token = {"VTQ_TEST_JF_TOKEN": "tok"}
    with running("jellyfin", token="tok", delay=30.0) as slow:  # the pass hangs in notify
        with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[[notify]]\nkind = "jellyfin"\nurl = "{slow.url}"\n'
                    'token_env = "VTQ_TEST_JF_TOKEN"\ntimeout = 60\n')  # fmt: skip
        with watching(lib, "--debounce", "0.5", env=token) as w:
            w.wait_for("  check ")
            deadline = time.monotonic() + WAIT
            while not slow.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert slow.requests  # notify is waiting for the slow server
            assert w.stop() == 0
        assert "abandoning the pass" in w.text()
        slow.delay = 0.0
        os.environ.update(token)
        try:
            code = lib.cli("maintain").exit_code
        finally:
            del os.environ["VTQ_TEST_JF_TOKEN"]
    assert code == 0
    told = [u["Path"] for u in slow.jellyfin_updates()]
    assert len(told) == 2  # asked by the abandoned pass, then told by the next
    assert told[1].endswith("/Films/Heat (1995)")
    passes = [status for command, status in runs(lib) if command == "maintain"]
    assert passes == ["running", "finished"]  # the abandoned one shows as unfinished


def test_a_file_too_recent_is_taken_by_a_later_pass(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    old = time.time() - 3600  # written long ago: the first pass takes it
    os.utime(lib.storage / "Films/Heat.1995.mkv", (old, old))
    with watching(lib, "--debounce", "0.5", "--min-age", "2") as w:
        w.wait_for("pass done")
        lib.write("Films/Alien.1979.mkv")  # still being written, as far as import knows
        w.wait_for("too recent: another pass")
        w.wait_for("pass (files were too recent)")
        w.wait_for("pass done", 3)
        assert w.stop() == 0
    assert "Films/Alien.1979.mkv" in catalog_paths(lib)


def test_never_two_passes_at_once(sqlite_lib: Lib) -> None:
    """Another command holding the home: watch waits for it, then runs its pass."""
    from videotheque.commands.adapters.lock import HomeLock

    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    lock = HomeLock(lib.home)
    lock.acquire()
    try:
        with watching(lib, "--debounce", "0.5") as w:
            w.wait_for("trying again later")
            time.sleep(2)
            assert "pass done" not in w.text() and w.proc.poll() is None
            assert w.text().count("trying again later") == 1  # said once
            lock.release()
            w.wait_for("pass done")
            assert w.stop() == 0
    finally:
        lock.release()
    assert "Films/Heat.1995.mkv" in catalog_paths(lib)


def test_a_server_that_comes_back_is_told_by_a_poll(sqlite_lib: Lib) -> None:
    from tests.fakes.media_servers import free_port, running

    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    port = free_port()
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[watch]\nretry = 1\n\n[[notify]]\nkind = "jellyfin"\n'
                f'url = "http://127.0.0.1:{port}"\ntoken_env = "VTQ_TEST_JF_TOKEN"\n')  # fmt: skip
    env = {"VTQ_TEST_JF_TOKEN": "tok"}
    with watching(lib, "--debounce", "0.5", "--poll", "1", env=env) as w:
        w.wait_for("retried by the next pass")  # down at the first pass
        with running("jellyfin", token="tok", port=port) as fake:
            w.wait_for("poll: media servers still to be told")
            w.wait_for("told jellyfin")
            assert w.stop() == 0
    retries = w.text().split("pass (poll: media servers still to be told")[1:]
    assert retries and all("notify" in r and "import" not in r.split("pass done")[0]
                           for r in retries)  # only the notify step runs  # fmt: skip
    assert [u["Path"].rsplit("/", 1)[-1] for u in fake.jellyfin_updates()] == ["Heat (1995)"]


def test_a_second_watch_on_the_same_home_refuses(sqlite_lib: Lib) -> None:
    """Two watchers would run every pass twice: the second says who watches and exits 4."""
    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    with watching(lib, "--debounce", "0.5") as w:
        w.wait_for("pass done")
        second = lib.cli("watch", "--debounce", "0.5")
        assert second.exit_code == 4
        assert "another `watch` is already running" in second.stderr
        assert f"pid {w.proc.pid}" in second.stderr
        assert w.proc.poll() is None  # the first one goes on
        assert w.stop() == 0
    # Once it stopped, a new one may start (the lock went with it).
    with watching(lib, "--debounce", "0.5") as w:
        w.wait_for("pass done")
        assert w.stop() == 0
    assert [c for c, _ in runs(lib)].count("maintain") == 2


def test_a_stop_whose_pass_fails_while_unwinding_still_exits_0(sqlite_lib: Lib) -> None:
    """SIGTERM lands anywhere, inside a DuckDB transaction too, whose cleanup then fails
    ("cannot rollback - no transaction is active"): that is still a clean stop, exit 0."""
    from videotheque.commands.bootstrap import open_session
    from videotheque.commands.usecases.watcher import WatchSettings, watch

    lib = sqlite_lib
    configure(lib)
    lib.write("Films/Heat.1995.mkv")
    said: list[str] = []

    @contextmanager
    def interrupted(home: Path | None, store: str | None) -> Iterator[object]:
        with open_session(home, store) as session:
            try:
                os.kill(os.getpid(), signal.SIGTERM)  # the real handler, in the pass
                time.sleep(WAIT)
            finally:
                raise RuntimeError(
                    "TransactionContext Error: cannot rollback - no transaction is active"
                )
            yield session

    settings = WatchSettings(home=lib.home, debounce=0.5)
    before = signal.getsignal(signal.SIGTERM)
    assert watch(settings, interrupted, echo=said.append) == 0  # type: ignore[arg-type]
    assert any("SIGTERM: abandoning the pass" in s for s in said)
    assert said[-1] == "stopped"
    assert signal.getsignal(signal.SIGTERM) == before  # the caller's handler is back
