"""Shared fixtures: a real library in tmp_path, on SQLite or on the real PostgreSQL server.

The ``store`` fixture runs a test once per event store. PostgreSQL tests use a schema of
their own in the server's ``test`` database (dropped afterwards). When the server is not
reachable they are skipped locally, and fail when VIDEOTHEQUE_REQUIRE_POSTGRES is set (CI).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from videotheque.commands.cli.app import app

PG_URL = os.environ.get("VIDEOTHEQUE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = _pg_reachable()
    if problem is None:
        return
    if os.environ.get("VIDEOTHEQUE_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL required but unreachable at {PG_URL}: {problem}")
    pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {problem}")


@pytest.fixture
def pg_store(postgres_available: None) -> Iterator[str]:
    """A store URL on the real server, in a fresh schema dropped after the test."""
    import psycopg

    schema = "vtq_" + uuid.uuid4().hex[:12]
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str | None:
    """Run the test once with the embedded SQLite store, once with PostgreSQL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_store"))


@dataclass
class Lib:
    """A library in tmp_path: roots, a home, and the CLI bound to them."""

    root: Path
    storage: Path
    video: Path
    trash: Path
    home: Path
    store: str | None

    def cli(self, *args: str, input: str | None = None) -> Any:
        argv = [*args, "--home", str(self.home)]
        if self.store:
            argv += ["--store", self.store]
        return CliRunner().invoke(app, argv, input=input, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.cli(*args, "--json")
        assert result.stdout.strip(), result.stderr
        return json.loads(result.stdout)

    def write(self, rel: str, content: bytes | str = b"", size: int | None = None) -> Path:
        """A file under storage with distinct content (and an optional sparse size)."""
        path = self.storage / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        if not data:
            data = ("content of " + rel).encode("utf-8", "surrogateescape")
        with open(path, "wb") as f:
            f.write(data)
            if size is not None and size > len(data):
                f.truncate(size)
        return path


@pytest.fixture
def lib(tmp_path: Path, store: str | None) -> Lib:
    """An initialised library (SQLite and PostgreSQL variants)."""
    return _make_lib(tmp_path, store)


@pytest.fixture
def sqlite_lib(tmp_path: Path) -> Lib:
    """An initialised library on the embedded SQLite store only."""
    return _make_lib(tmp_path, None)


def _make_lib(tmp_path: Path, store: str | None) -> Lib:
    root = tmp_path / "lib"
    made = Lib(
        root=root,
        storage=root / "storage",
        video=root / "video",
        trash=root / "trash",
        home=tmp_path / "home",
        store=store,
    )
    made.storage.mkdir(parents=True)
    result = made.cli("init", str(root))
    assert result.exit_code == 0, result.output
    return made


def pytest_collection_finish(session: pytest.Session) -> None:
    """No test module may change the app when it is imported: collection imports every one
    (benchmarks too, deselected or not), so such a change would hold for the whole run."""
    import videotheque.commands.adapters.naming as naming

    patched = [
        name
        for name in ("default_parser", "parser_label")
        if getattr(naming, name).__module__ != naming.__name__
    ]
    if patched:
        raise pytest.UsageError(
            f"a test module patched videotheque.commands.adapters.naming.{patched[0]} "
            "at import time"
        )
