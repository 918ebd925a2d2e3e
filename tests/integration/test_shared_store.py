"""Two machines (two homes, two DuckDB projections) sharing one PostgreSQL store, with one
storage tree mounted at two different paths: imports interleave, both converge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import videotheque.commands.cli.app  # noqa: F401  (registers every command on the app)
from videotheque.commands.cli.base import app

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _cli(home: Path, store: str, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--home", str(home), "--store", store])


def _catalog(home: Path, store: str) -> list[tuple[Any, ...]]:
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
                "videotheque.commands.cli.app",
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


# -- enrichment and repairs from both machines at once -------------------------------------

FILMS = 40


def _run_both(
    homes: tuple[Path, Path], store: str, *args: str, env: dict[str, str] | None = None
) -> list[tuple[int, str, str]]:
    """The same command on both machines at once (two processes)."""
    full = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "videotheque", *args, "--home", str(h), "--store", store],
            cwd=ROOT,
            env=full,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in homes
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


def _sql(home: Path, store: str, query: str) -> list[dict[str, object]]:
    result = _cli(home, store, "sql", query, "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def _links_table(home: Path, store: str) -> list[dict[str, object]]:
    return _sql(
        home, store,
        "SELECT link, target, target_path, CAST(file_id AS VARCHAR) AS file_id, state, method,"
        " version FROM links ORDER BY link",
    )  # fmt: skip


@pytest.mark.slow
def test_two_machines_enrich_and_repair_at_once_and_converge(tmp_path: Path, pg_store: str) -> None:
    """Both machines enrich the same files at once against one (slow) provider, then
    repair the same broken links of the shared video tree at once: every conflict between
    them is retried or settled, never a traceback; each file is enriched once, each link
    repaired once, and both projections hold the same catalog and links."""
    from tests.fakes.provider_server import FakeProviders

    nas = tmp_path / "nas"
    real = nas / "storage"
    real.mkdir(parents=True)
    mount_b = tmp_path / "b-mnt"
    mount_b.mkdir()
    (mount_b / "storage").symlink_to(real, target_is_directory=True)
    (mount_b / "video").symlink_to(nas / "video", target_is_directory=True)
    home_a, home_b = tmp_path / "home-a", tmp_path / "home-b"
    homes = (home_a, home_b)
    assert _cli(home_a, pg_store, "init", str(nas)).exit_code == 0
    r = _cli(home_b, pg_store, "init", str(tmp_path / "b-lib"),
             "--storage", str(mount_b / "storage"), "--video", str(mount_b / "video"))  # fmt: skip
    assert r.exit_code == 0, r.output
    for home in homes:
        with open(home / "config.toml", "a", encoding="utf-8") as f:
            f.write("\n[media]\nanalyze_on_import = false\n")

    films = [(f"Film Number {i}", 1950 + i) for i in range(FILMS)]
    for title, year in films:
        _write(real / f"Films/{title} ({year})/{title}.{year}.mkv", f"{title} {year}")
        link = nas / "video" / "Films" / f"{title} ({year}).mkv"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(f"../../storage/Films/{title} ({year})/{title}.{year}.mkv")
    assert _cli(home_a, pg_store, "import").exit_code == 0

    catalogue = {"films": [
        {"tmdb_id": 5000 + i, "title": t, "original_title": t, "year": y, "popularity": 10,
         "alt_titles": []} for i, (t, y) in enumerate(films)
    ]}  # fmt: skip
    with FakeProviders(catalogue) as fake:
        fake.set_latency(0.02)
        both = _run_both(homes, pg_store, "enrich", "--json", "--provider", "tmdb",
                         env={**fake.env(tvdb=False), "TVDB_API_KEY": ""})  # fmt: skip
    for code, _, err in both:
        assert code == 0, err
        assert "Traceback" not in err
    enriched = _sql(
        home_a, pg_store,
        "SELECT count(*) AS n, count(DISTINCT file_id) AS d FROM events WHERE type = 'Enriched'",
    )  # fmt: skip
    assert enriched == [{"n": FILMS, "d": FILMS}]  # each file once, by one machine or the other
    assert _catalog(home_a, pg_store) == _catalog(home_b, pg_store)
    statuses = _sql(home_b, pg_store, "SELECT DISTINCT match_status FROM files")
    assert statuses == [{"match_status": "enriched"}]

    # The share is reorganised: every link breaks; both machines import, then repair.
    os.rename(real / "Films", real / "Cinema")
    for code, _, err in _run_both(homes, pg_store, "import"):
        assert code == 0, err
    both = _run_both(homes, pg_store, "repair-links", "--auto", "--json")
    for code, _, err in both:
        assert code in (0, 1), err
        assert "Traceback" not in err
    for code, _, err in _run_both(homes, pg_store, "repair-links", "--auto", "--json"):
        assert code == 0, err  # nothing left broken, whatever was interrupted is settled
    for title, year in films:
        link = nas / "video" / "Films" / f"{title} ({year}).mkv"
        assert os.readlink(link) == f"../../storage/Cinema/{title} ({year})/{title}.{year}.mkv"
    repaired = _sql(
        home_a, pg_store,
        "SELECT count(*) AS n, count(DISTINCT originator_id) AS d FROM events "
        "WHERE type = 'LinkRepaired'",
    )  # fmt: skip
    assert repaired == [{"n": FILMS, "d": FILMS}]  # each link repaired once
    assert _links_table(home_a, pg_store) == _links_table(home_b, pg_store)
    assert _catalog(home_a, pg_store) == _catalog(home_b, pg_store)
    for home in homes:
        assert not list(home.glob("journal/*.jsonl"))


@pytest.mark.slow
def test_machines_opening_one_store_at_the_same_moment_all_succeed(
    tmp_path: Path, pg_store: str
) -> None:
    """Opening a PostgreSQL store runs eventsourcing's DDL, which PostgreSQL does not make
    safe against itself ("tuple concurrently updated"): six machines starting at once,
    on a new store and then on an existing one, all open it."""
    homes = [tmp_path / f"home-{i}" for i in range(6)]
    (tmp_path / "lib" / "storage").mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["init", str(tmp_path / "lib")], ["status"]):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "videotheque.commands.cli.app",
                    *args,
                    "--home",
                    str(h),
                    "--store",
                    pg_store,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for h in homes
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, (args, err)


@pytest.mark.parametrize("move", [False, True], ids=["new-files", "new-files-and-a-move"])
def test_an_import_that_meets_another_machines_is_planned_again(
    tmp_path: Path, pg_store: str, move: bool
) -> None:
    """The importer's retry path, made to happen: machine A plans (three new files, and a
    move), then, while A parses names, machine B records the same changes; A's append
    conflicts (IntegrityError on the new files; StalePlanError on the move, found first),
    so A catches up, plans again and records nothing twice."""
    from videotheque.commands.bootstrap import open_session
    from videotheque.commands.usecases.importer import import_storage

    real = tmp_path / "nas" / "storage"
    real.mkdir(parents=True)
    homes = (tmp_path / "home-a", tmp_path / "home-b")
    for h in homes:
        assert _cli(h, pg_store, "init", str(tmp_path / "nas")).exit_code == 0
        with open(h / "config.toml", "a", encoding="utf-8") as f:
            f.write("\n[media]\nanalyze_on_import = false\n")
    _write(real / "Films/Old (1990)/old.mkv", "old film")
    _write(real / "Films/Other (1991)/other.mkv", "other film")
    assert _cli(homes[0], pg_store, "import").exit_code == 0
    if move:
        os.rename(real / "Films/Old (1990)", real / "Films/Old Film (1990)")
    for i in range(3):
        _write(real / f"New/new {i}.mkv", f"new film {i}")

    def names(paths: list[str]) -> list[dict[str, object]]:
        return [{"kind": "movie", "title": p, "year": None} for p in paths]

    calls = 0

    def parse_while_b_imports(paths: list[str]) -> list[dict[str, object]]:
        nonlocal calls
        calls += 1
        if calls == 1:  # A is between its plan and its append: B records it all first
            with open_session(homes[1], pg_store) as b:
                done = import_storage(b, parser=names, parser_name="test")
            assert (done.counts["new"], done.counts["moved"]) == (3, int(move))
        return names(paths)

    with open_session(homes[0], pg_store) as a:
        report = import_storage(a, parser=parse_while_b_imports, parser_name="test")
    assert report.conflicts >= 1
    assert (report.counts["new"], report.counts["moved"]) == (0, 0)  # B did it all
    for query, expected in (
        ("SELECT count(*) AS n, count(DISTINCT file_id) AS d FROM events "
         "WHERE type = 'Imported'", {"n": 5, "d": 5}),
        ("SELECT count(*) AS n, count(DISTINCT file_id) AS d FROM events "
         "WHERE type = 'Moved'", {"n": int(move), "d": int(move)}),
    ):  # fmt: skip
        assert _sql(homes[0], pg_store, query) == [expected]
    assert _catalog(homes[0], pg_store) == _catalog(homes[1], pg_store)
    runs = {r["run_id"]: r for r in _sql(homes[0], pg_store, "SELECT * FROM runs")}
    assert [r["status"] for r in runs.values()] == ["finished"] * 3
    summary = json.loads(str(runs[report.run_id]["summary"]))
    assert summary["conflicts_retried"] == report.conflicts
