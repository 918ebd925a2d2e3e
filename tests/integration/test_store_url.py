"""The store URL, as a user types it: libpq's parameters and the PG* environment are
honoured (against the real PostgreSQL server), and the password never shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from tests.conftest import PG_URL
from videotheque.commands.cli.app import app


def _cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _init(tmp_path: Path, store: str, env: dict[str, str] | None = None) -> Any:
    return _cli(
        "init", str(tmp_path / "lib"), "--home", str(tmp_path / "home"), "--store", store, env=env
    )


def _with(url: str, extra: str) -> str:
    return url + ("&" if "?" in url else "?") + extra


@pytest.mark.postgres
def test_sslmode_require_refuses_a_server_without_ssl(tmp_path: Path, pg_store: str) -> None:
    with psycopg.connect(PG_URL) as conn:
        row = conn.execute("SHOW ssl").fetchone()
    assert row is not None
    if row[0] == "on":
        pytest.skip("this server speaks SSL: sslmode=require would rightly connect")
    for mode in ("require", "verify-full"):
        result = _init(tmp_path / mode, _with(pg_store, f"sslmode={mode}"))
        assert result.exit_code == 2, result.output
        assert "SSL" in result.stderr
        assert not (tmp_path / mode / "home" / "config.toml").exists()
    # The same through the environment (PGSSLMODE), on a library recorded without it.
    assert _init(tmp_path / "env", pg_store).exit_code == 0
    home = str(tmp_path / "env" / "home")
    assert _cli("status", "--home", home).exit_code == 0
    result = _cli("status", "--home", home, env={"PGSSLMODE": "require"})
    assert result.exit_code == 1, result.output
    assert "SSL was required" in result.stderr


@pytest.mark.postgres
def test_application_name_and_pgappname_reach_the_server(tmp_path: Path, pg_store: str) -> None:
    """A trigger on the store's table records the application_name of every session that
    appends events: the URL's parameter, then $PGAPPNAME, are what the server saw."""
    store = _with(pg_store, "application_name=vtq-test")
    assert _init(tmp_path, store).exit_code == 0
    schema = pg_store.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".seen (name text)')
        conn.execute(
            f'CREATE FUNCTION "{schema}".note_app() RETURNS trigger LANGUAGE plpgsql AS $$ '
            f"BEGIN INSERT INTO \"{schema}\".seen VALUES (current_setting('application_name')); "
            "RETURN NULL; END $$"
        )
        conn.execute(
            f'CREATE TRIGGER note_app AFTER INSERT ON "{schema}".library_events '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".note_app()'
        )
    home = str(tmp_path / "home")
    (tmp_path / "lib" / "storage").mkdir(parents=True, exist_ok=True)
    (tmp_path / "lib" / "storage" / "Film (2001).mkv").write_bytes(b"x" * 100)
    assert _cli("import", "--home", home).exit_code == 0
    assert (
        _cli("import", "--home", home, "--store", pg_store, env={"PGAPPNAME": "from-env"}).exit_code
        == 0
    )
    with psycopg.connect(PG_URL) as conn:
        seen = {r[0] for r in conn.execute(f'SELECT name FROM "{schema}".seen')}
    assert seen == {"vtq-test", "from-env"}


@pytest.mark.postgres
def test_an_unknown_parameter_is_a_usage_error(tmp_path: Path, pg_store: str) -> None:
    result = _init(tmp_path, _with(pg_store, "sslmod=require"))
    assert result.exit_code == 2
    assert "unknown parameter 'sslmod'" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "postgresql://[::1",
        "postgresql://u@host:99999/db",
        "postgresql://u@host:port/db",
    ],
)
def test_a_malformed_store_url_is_a_usage_error(tmp_path: Path, url: str) -> None:
    result = _init(tmp_path, url)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "store" in result.stderr


PASSWORDS = [
    "Zq9x/Kw7v",
    "Se7#Crt9",
    "Wh4?tQq",
    "Ab3@Cd5:Ef",
    "Pq%2FRs",
    "Tr4il/",
    "Xy1/Yz2#Zz3?Ww4@Vv5",
]


@pytest.mark.parametrize("password", PASSWORDS)
def test_the_password_never_shows(tmp_path: Path, password: str) -> None:
    """Port 1 refuses: every message names the store, none shows the password."""
    url = f"postgresql://someone:{password}@127.0.0.1:1/db?schema=s"
    result = _init(tmp_path, url)
    assert result.exit_code == 2
    assert "cannot open the event store" in result.stderr
    for shown in (result.stdout, result.stderr):
        assert password not in shown
        for piece in password.replace("#", "/").replace("?", "/").replace("@", "/").split("/"):
            if len(piece) >= 3:
                assert piece not in shown
    # A library recorded with it (config.toml edited by hand) and opened by a command.
    home = tmp_path / "home2"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[library]\nstorage = "{tmp_path}/s"\nvideo = "{tmp_path}/v"\ntrash = "{tmp_path}/t"\n'
        f'store = "{url}"\n'
    )
    result = _cli("status", "--home", str(home))
    assert result.exit_code == 1
    assert password not in result.stdout + result.stderr
    assert "***" in result.stderr


@pytest.mark.postgres
def test_what_the_url_leaves_out_comes_from_the_pg_environment(
    tmp_path: Path, pg_store: str
) -> None:
    """`postgresql:///db` with PGHOST / PGPORT / PGUSER: libpq's own defaults."""
    from urllib.parse import urlsplit

    parts = urlsplit(pg_store)
    bare = f"postgresql:///{parts.path.lstrip('/')}?{parts.query}"
    env = {"PGHOST": parts.hostname or "", "PGPORT": str(parts.port or 5432),
           "PGUSER": parts.username or "postgres"}  # fmt: skip
    assert _init(tmp_path, bare, env=env).exit_code == 0
    home = str(tmp_path / "home")
    assert _cli("status", "--home", home, env=env).exit_code == 0
    # Without them, libpq looks elsewhere (a local socket, port 1 here): a clear failure.
    result = _cli("status", "--home", home, env={**env, "PGHOST": "127.0.0.1", "PGPORT": "1"})
    assert result.exit_code == 1
    assert "cannot open the event store" in result.stderr and "port 1" in result.stderr
