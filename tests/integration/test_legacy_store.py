"""A store written by release 0.1.0 (top-level ``domain`` package) replays in this release.

``tests/fixtures/stores/demo-0.1.0-events.sqlite`` is the event store the 0.1.0 demo wrote
(import, NFO enrichment, organize, a storage rename, repair-links, check): 237 events whose
topics name ``domain.media_file:MediaFile.Imported`` and the like.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from videotheque.commands.cli.app import app
from videotheque.commands.library import open_library
from videotheque.domain.link import Link
from videotheque.domain.media_file import MediaFile
from videotheque.domain.run import Run

STORE = Path(__file__).parents[1] / "fixtures" / "stores" / "demo-0.1.0-events.sqlite"


def _copy(tmp_path: Path) -> Path:
    store = tmp_path / "events.sqlite"
    shutil.copyfile(STORE, store)
    return store


def test_the_fixture_holds_the_old_topics() -> None:
    with sqlite3.connect(STORE) as db:
        topics = {t for (t,) in db.execute("SELECT DISTINCT topic FROM stored_events")}
    assert "domain.media_file:MediaFile.Imported" in topics
    assert all(t.startswith("domain.") for t in topics)


def test_every_aggregate_of_an_old_store_replays_into_the_current_classes(tmp_path: Path) -> None:
    store = _copy(tmp_path)
    with sqlite3.connect(store) as db:
        ids = [i for (i,) in db.execute("SELECT DISTINCT originator_id FROM stored_events")]
    library = open_library(f"sqlite:///{store}", tmp_path)
    kinds: dict[type, int] = {}
    for raw in ids:
        from uuid import UUID

        aggregate = library.repository.get(UUID(bytes=raw) if isinstance(raw, bytes) else UUID(raw))
        kinds[type(aggregate)] = kinds.get(type(aggregate), 0) + 1
    assert kinds == {MediaFile: 42, Link: 30, Run: 7}


def test_the_cli_rebuilds_its_catalog_from_an_old_store_and_appends_to_it(tmp_path: Path) -> None:
    store = _copy(tmp_path)
    root = tmp_path / "lib"
    for sub in ("storage", "video", "trash"):
        (root / sub).mkdir(parents=True)
    home = tmp_path / "home"
    runner = CliRunner()
    url = f"sqlite:///{store}"
    init = runner.invoke(app, ["init", str(root), "--store", url, "--home", str(home)])
    assert init.exit_code == 0, init.output

    catalog = runner.invoke(app, ["catalog", "--json", "--home", str(home)])
    assert catalog.exit_code == 0, catalog.output
    rows = json.loads(catalog.stdout)
    assert len(rows) == 42
    assert any(r.get("title") == "Inception" for r in rows)

    runs = runner.invoke(app, ["runs", "--json", "--home", str(home)])
    assert runs.exit_code == 0, runs.output
    assert len(json.loads(runs.stdout)) == 7

    # The new release appends to the old aggregates: this storage holds none of the demo's
    # files, so (with the guard lifted) the 42 replayed files vanish and one file is new.
    (root / "storage" / "Film (2001).mkv").write_bytes(b"not the demo" * 1000)
    imported = runner.invoke(app, ["import", "--json", "--allow-mass-vanish", "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.stdout)
    assert (summary["new"], summary["vanished"]) == (1, 42)
    with sqlite3.connect(store) as db:
        new = db.execute(
            "SELECT count(*) FROM stored_events WHERE topic LIKE 'videotheque.domain.%'"
        ).fetchone()[0]
    assert new >= 1 + 42 + 2  # the new file, the vanished ones, the run
