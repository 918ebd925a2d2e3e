"""Two machines (two homes, two DuckDB projections) sharing one PostgreSQL store, with one
storage tree mounted at two different paths: imports interleave, both converge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commands.cli import app

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _cli(home: Path, store: str, *args: str) -> object:
    return CliRunner().invoke(app, [*args, "--home", str(home), "--store", store])


def _catalog(home: Path, store: str) -> list[tuple[object, ...]]:
    result = _cli(home, store, "catalog", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    return sorted(
        (r["file_id"], r["path"], tuple(r["paths"]), r["status"], r["fingerprint"]) for r in rows
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_two_machines_on_one_postgres_store_converge(tmp_path: Path, pg_store: str) -> None:
    real = tmp_path / "nas" / "storage"
    real.mkdir(parents=True)
    # Machine B mounts the same storage somewhere else (a symlinked mount point).
    mount_b = tmp_path / "b-mnt"
    mount_b.mkdir()
    (mount_b / "storage").symlink_to(real, target_is_directory=True)
    home_a, home_b = tmp_path / "home-a", tmp_path / "home-b"
    assert _cli(home_a, pg_store, "init", str(tmp_path / "nas")).exit_code == 0
    r = _cli(
        home_b, pg_store, "init", str(tmp_path / "b-lib"), "--storage", str(mount_b / "storage")
    )
    assert r.exit_code == 0, r.output

    for i in range(30):
        _write(real / f"Films/Film {i} (20{i:02d})/film.{i}.mkv", f"film {i}")
    assert _cli(home_a, pg_store, "import").exit_code == 0
    # B sees A's files through the shared store: nothing new for it to record.
    result = _cli(home_b, pg_store, "import", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["new"] == 0 and summary["unchanged"] == 30

    # Both machines import concurrently after new files, moves and a copy appear.
    for i in range(30, 60):
        _write(real / f"Series/Show {i}/Season 01/show.{i}.s01e01.mkv", f"episode {i}")
    os.rename(real / "Films/Film 3 (2003)", real / "Films/Film Three (2003)")
    (real / "copy.mkv").write_text("film 4")

    # Two processes, as two machines would be (CliRunner is not thread-safe).
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "commands.cli",
                "import",
                "--json",
                "--home",
                str(h),
                "--store",
                pg_store,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in (home_a, home_b)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs

    cat_a, cat_b = _catalog(home_a, pg_store), _catalog(home_b, pg_store)
    assert cat_a == cat_b
    assert len(cat_a) == 60
    paths = {p for row in cat_a for p in row[2]}
    assert "Films/Film Three (2003)/film.3.mkv" in paths
    assert "copy.mkv" in paths
    # No file was imported twice: one Imported event per file id.
    result = _cli(
        home_a,
        pg_store,
        "sql",
        "SELECT count(*) AS n, count(DISTINCT file_id) AS d FROM events WHERE type = 'Imported'",
        "--format",
        "json",
    )
    counts = json.loads(result.stdout)[0]
    assert counts["n"] == counts["d"] == 60
