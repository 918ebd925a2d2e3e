"""Odd values an attacker tries where a number or a URL belongs (config.toml, options): a
message and exit 2 when they cannot be used, never a traceback, and values too large for
the system's clocks never reach them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Lib
from videotheque.commands.cli.app import app

BAD_CONFIG = [
    # A media server's URL that urllib/httpx cannot use: refused when the config is read,
    # not with a ValueError when the pass reaches the notify step.
    ('[[notify]]\nkind = "jellyfin"\nurl = "http://[::1"\n', "[[notify]] #1: url must be"),
    ('[[notify]]\nkind = "plex"\nurl = "http://nas:99999"\n', "[[notify]] #1: url must be"),
    ('[[notify]]\nkind = "kodi"\nurl = "http://:8080"\n', "[[notify]] #1: url must be"),
    # A timeout no clock can wait for (a socket or a lock raised OverflowError or
    # ValueError: Invalid value NaN).
    ('[[notify]]\nkind = "emby"\nurl = "http://h"\ntimeout = nan\n', "timeout must be"),
    ('[[notify]]\nkind = "emby"\nurl = "http://h"\ntimeout = inf\n', "timeout must be"),
    ('[[notify]]\nkind = "emby"\nurl = "http://h"\ntimeout = 1e300\n', "timeout must be"),
    ('[[notify]]\nkind = "emby"\nurl = "http://h"\ntimeout = true\n', "timeout must be"),
    ("[media]\ntimeout = 1e300\n", "[media] timeout must be a number of seconds > 0, at most"),
    ("[enrich]\ntimeout = 1e300\n", "[enrich] timeout must be"),
    ("[enrich]\nmax_wait = 1e300\n", "[enrich] max_wait must be"),
    ("[watch]\npoll = 1e300\n", "[watch] poll must be"),
    ("[watch]\ndebounce = 1e300\n", "[watch] debounce must be"),
]


def with_config(lib: Lib, toml: str) -> None:
    """The library's config.toml with only its [library] table kept, then ``toml``."""
    config = lib.home / "config.toml"
    kept = config.read_text(encoding="utf-8").split("\n[", 2)
    config.write_text("\n[".join(kept[:2]) + "\n" + toml, encoding="utf-8")


@pytest.mark.parametrize(("toml", "message"), BAD_CONFIG)
def test_unusable_urls_and_waits_in_config_are_usage_errors(
    sqlite_lib: Lib, toml: str, message: str
) -> None:
    with_config(sqlite_lib, toml)
    for command in (["status"], ["analyze", "--dry-run"]):
        result = sqlite_lib.cli(*command)
        assert result.exit_code == 2, result.output
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("template", "message"),
    [
        # A width that would build a string of 100 GB before anything else looked.
        ("{title:>99999999999}{ext}", "is too wide"),
        ("{title:>{year}}{ext}", "is too wide"),
        # Python's format language reaches into objects: no field but the known ones.
        ("{title.__class__.__mro__}{ext}", "unknown field {title.__class__.__mro__}"),
        ("{title[0]}{ext}", "unknown field {title[0]}"),
        ("{bogus}{ext}", "unknown field {bogus}"),
    ],
)
def test_organize_templates_are_plain_fields(sqlite_lib: Lib, template: str, message: str) -> None:
    sqlite_lib.write("Films/Heat (1995)/Heat (1995).mkv")
    with_config(
        sqlite_lib, f"[media]\nanalyze_on_import = false\n[organize]\nmovie = {template!r}\n"
    )
    assert sqlite_lib.cli("import").exit_code == 0
    result = sqlite_lib.cli("organize", "--dry-run")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "[organize]" in result.stderr
    assert not any(sqlite_lib.video.iterdir())


def test_a_padded_template_still_works(sqlite_lib: Lib) -> None:
    sqlite_lib.write("Films/Heat (1995)/Heat (1995).mkv")
    with_config(
        sqlite_lib,
        '[media]\nanalyze_on_import = false\n[organize]\nmovie = "M/{year:>6}-{title}{ext}"\n',
    )
    assert sqlite_lib.cli("import").exit_code == 0
    result = sqlite_lib.cli("organize")
    assert result.exit_code == 0, result.output
    assert (sqlite_lib.video / "M" / "1995-Heat.mkv").is_symlink()


def test_sql_timeout_beyond_any_clock_means_no_limit(sqlite_lib: Lib) -> None:
    """The real CLI (a timer's thread failing prints its traceback on the process's own
    stderr, not through the command's error handling)."""
    run = subprocess.run(
        [sys.executable, "-m", "videotheque", "sql", "SELECT 42 AS answer", "--format", "csv",
         "--timeout", "1e300", "--home", str(sqlite_lib.home)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["answer", "42"]
    assert "Traceback" not in run.stderr and "OverflowError" not in run.stderr


def test_runs_limit_beyond_bigint_lists_them_all(sqlite_lib: Lib) -> None:
    sqlite_lib.write("Films/Heat (1995)/Heat (1995).mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    result = sqlite_lib.cli("runs", "--json", "--limit", str(2**63))
    assert result.exit_code == 0, result.output
    assert [r["command"] for r in json.loads(result.stdout)] == ["import"]


@pytest.mark.parametrize(
    "command",
    [["report"], ["report", "--format", "md"], ["catalog"], ["catalog", "--json"], ["runs"],
     ["status", "--json"], ["sql", "SELECT * FROM range(100000)", "--format", "csv"]],
)  # fmt: skip
def test_a_reader_that_goes_away_is_no_error_message(sqlite_lib: Lib, command: list[str]) -> None:
    """`videotheque report | head -c 10`: the pipe closes before the output is written. The
    command stops quietly (exit 1, as a findings exit would), with no `Broken pipe` error
    line and no `Exception ignored` from Python's exit."""
    sqlite_lib.write("Films/Heat (1995)/Heat (1995).mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "videotheque", *command, "--home", str(sqlite_lib.home)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert err == "", err


def test_link_names_never_read_backwards(sqlite_lib: Lib) -> None:
    """A title with a bidi override (from a file name or a provider) names no link: in a
    file manager or a media server, `Spoof\u202e4pm.exe` reads as `Spoofexe.mp4`."""
    sqlite_lib.write("Films/Spoof\u202e4pm.exe (2002)/Spoof\u202e4pm.exe (2002).mkv")
    sqlite_lib.write("Films/Iso\u2067late (2003)/Iso\u2067late (2003).mkv")
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert sqlite_lib.cli("import").exit_code == 0
    result = sqlite_lib.cli("organize", "--json")
    assert result.exit_code == 0, result.output
    links = sorted(
        str(p.relative_to(sqlite_lib.video)) for p in sqlite_lib.video.rglob("*") if p.is_symlink()
    )
    assert links == [
        "Films/Isolate (2003)/Isolate (2003).mkv",
        "Films/Spoof4pm.exe (2002)/Spoof4pm.exe (2002).mkv",
    ]
    assert all(p.resolve().is_file() for p in sqlite_lib.video.rglob("*.mkv"))


@pytest.mark.parametrize("how", ["--home", "VIDEOTHEQUE_HOME"])
def test_a_home_whose_path_is_not_utf8_is_refused_before_anything_is_made(
    tmp_path: Path, how: str
) -> None:
    """DuckDB cannot open a file under a name that is not UTF-8 (a RuntimeError,
    std::bad_cast, at the first import): `init` refuses such a home (exit 2) and creates
    nothing, and every other command says the same."""
    home = os.fsdecode(bytes(tmp_path) + b"/home\xff")
    (tmp_path / "lib" / "storage").mkdir(parents=True)
    env = {**os.environ, "VIDEOTHEQUE_HOME": home} if how == "VIDEOTHEQUE_HOME" else None
    extra = ["--home", home] if how == "--home" else []
    for args in (["init", str(tmp_path / "lib")], ["import"], ["status"]):
        run = subprocess.run(
            [sys.executable, "-m", "videotheque", *args, *extra],
            capture_output=True, env=env, timeout=120,
        )  # fmt: skip
        err = run.stderr.decode("utf-8", "replace")
        assert run.returncode == 2, err
        assert "not valid UTF-8" in err and "Traceback" not in err
    assert not os.path.exists(os.fsencode(home))


@pytest.mark.parametrize("flag", [None, "--storage", "--video", "--trash", "--store"])
def test_init_refuses_roots_whose_path_config_toml_cannot_hold(
    tmp_path: Path, flag: str | None
) -> None:
    """config.toml is UTF-8: a root whose path is not (a UnicodeEncodeError traceback when
    init wrote it) is a usage error naming it, and nothing is written."""
    odd = os.fsdecode(bytes(tmp_path) + b"/R\xff")
    os.makedirs(os.fsencode(odd) + b"/storage")
    home = tmp_path / "home"
    if flag is None:
        args = ["init", odd]
    elif flag == "--store":
        args = ["init", str(tmp_path / "lib"), "--store", f"sqlite://{odd}/events.sqlite"]
    else:
        args = ["init", str(tmp_path / "lib"), flag, odd]
    result = CliRunner().invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "is not valid UTF-8" in result.stderr
    assert not (home / "config.toml").exists()
    assert not os.path.exists(os.fsencode(odd) + b"/events.sqlite")
