"""A store URL whose libpq parameter has a value libpq rejects is a malformed URL (exit 2,
libpq's reason), not a store that cannot be opened (exit 1); a server that is down stays
exit 1."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from videotheque.commands.cli.app import app


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


BAD_VALUES = [
    ("sslmode=bogus", 'invalid sslmode value: "bogus"'),
    ("target_session_attrs=x", 'invalid target_session_attrs value: "x"'),
    ("channel_binding=x", 'invalid channel_binding value: "x"'),
    ("port=99999", 'invalid port number: "99999"'),
    ("connect_timeout=abc", "bad value for connect_timeout: 'abc'"),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("param", "reason"), BAD_VALUES)
def test_a_value_libpq_rejects_is_a_usage_error(
    tmp_path: Path, pg_store: str, param: str, reason: str
) -> None:
    home = str(tmp_path / "home")
    bad = f"{pg_store}&{param}"
    result = _cli("init", str(tmp_path / "lib"), "--home", home, "--store", bad)
    assert result.exit_code == 2, result.output
    assert reason in result.stderr
    assert not (tmp_path / "home" / "config.toml").exists()
    # The same server and URL without the bad parameter is a library.
    assert _cli("init", str(tmp_path / "lib"), "--home", home, "--store", pg_store).exit_code == 0
    assert _cli("status", "--home", home).exit_code == 0
    result = _cli("status", "--home", home, "--store", bad)
    assert result.exit_code == 2, result.output
    assert reason in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_a_server_that_is_down_is_still_a_store_that_cannot_be_opened(
    tmp_path: Path, pg_store: str
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = f"postgresql://postgres@127.0.0.1:{port}/test?sslmode=disable&connect_timeout=3"
    home = str(tmp_path / "home")
    assert _cli("init", str(tmp_path / "lib"), "--home", home, "--store", pg_store).exit_code == 0
    result = _cli("status", "--home", home, "--store", down)
    assert result.exit_code == 1, result.output
    assert "cannot open the event store" in result.stderr
    assert "Traceback" not in result.output
