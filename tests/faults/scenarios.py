"""Prepared libraries for the fault tests, built from the demo library (commands/demo_library).

Each template is a folder holding ``lib/`` (storage, video, trash) and ``home/``; the tests
copy it (``harness.copy_library``) for every run, so a template is built once.

- ``base``: the demo library, initialised and imported.
- ``import``: ``base``, then a share that changed since: 150 new files, the ``Films``
  folder renamed (moves), a copy, a file whose content changed, one that vanished, one
  that was vanished and is back. Its next ``import`` does every kind of work.
- ``enrich``: ``base``; its next ``enrich`` reads NFO sidecars and asks the fake
  TMDB/TVDB server (``catalogue_for``) about the rest.
- ``links``: ``base`` enriched from NFO sidecars, then ``Films`` renamed and imported again:
  the links of video/ into Films are broken, and three more point nowhere (orphans). Its
  next ``repair-links --auto --quarantine-orphans`` repairs and quarantines; its next
  ``organize`` creates the missing links and retargets the broken ones at their place.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import videotheque.commands.cli.app  # noqa: F401  (registers every command on the app)
from tests.faults.harness import copy_library
from videotheque.commands.cli.base import app
from videotheque.commands.demo.library import DemoLibrary, build_demo_library

NEW_FILES = 150
ORPHANS = ("Films/Gone (2001)/Gone (2001).mkv", "Films/Lost.mkv", "Series/Nowhere - S01E01.mkv")


def cli(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--home", str(root / "home")])
    assert result.exit_code in (0, 1), (args, result.output)
    return result


def build_base(root: Path) -> DemoLibrary:
    demo = build_demo_library(root / "lib")
    cli(root, "init", str(root / "lib"))
    cli(root, "import")
    return demo


def build_import(root: Path, base: Path) -> None:
    copy_library(base, root)
    storage = root / "lib" / "storage"
    gone = storage / "Downloads" / "OSS.117.Le.Caire.Nid.D.Espions.2006.FRENCH.DVDRip.XviD.avi"
    aside = root / "aside.avi"
    os.rename(gone, aside)
    cli(root, "import")  # it vanishes
    os.rename(aside, gone)  # and comes back
    for i in range(NEW_FILES):
        path = storage / "Downloads" / f"batch {i // 25}" / f"Home Video {i:03d}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"home video {i}".encode() * 50)
    os.rename(storage / "Films", storage / "Cinema")
    fight_club = storage / "Downloads" / "Fight.Club.1999.720p.BRRip.x264.mp4"
    subprocess.run(  # a sparse copy (shutil would write gigabytes of zeros)
        ["cp", "-a", "--sparse=always", str(fight_club), str(storage / "Fight Club copy.mp4")],
        check=True,
    )
    changed = storage / "Series" / "Friends" / "Season 01" / "Friends.S01E01.DVDRip.XviD.avi"
    with open(changed, "r+b") as f:
        f.write(b"RIFF-rewritten-by-a-new-download")
    os.utime(changed, (1_700_000_000, 1_700_000_000))
    (storage / "Series" / "Sherlock" / "Series 1" /
     "Sherlock.S01E02.The.Blind.Banker.720p.WEB-DL.mp4").unlink()  # fmt: skip


def build_links(root: Path, base: Path) -> None:
    copy_library(base, root)
    cli(root, "enrich", "--provider", "nfo")
    storage, video = root / "lib" / "storage", root / "lib" / "video"
    os.rename(storage / "Films", storage / "Cinema")
    cli(root, "import")
    for rel in ORPHANS:
        link = video / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(storage / "Gone" / os.path.basename(rel), link.parent), link)


def catalogue_for(demo: DemoLibrary) -> dict[str, list[dict[str, Any]]]:
    """A fake TMDB/TVDB catalogue holding the demo's works (ids made up, stable)."""
    films: dict[tuple[str, int | None], dict[str, Any]] = {}
    shows: dict[str, dict[str, Any]] = {}
    for m in demo.media:
        if m.kind == "movie" and (m.title, m.year) not in films:
            films[(m.title, m.year)] = {
                "tmdb_id": 10_000 + len(films), "title": m.title, "original_title": m.title,
                "year": m.year, "popularity": 10 + len(films), "translations": {"en": m.title},
                "alt_titles": [],
            }  # fmt: skip
        elif m.kind == "episode" and m.title not in shows:
            shows[m.title] = {
                "tvdb_id": 70_000 + len(shows), "tmdb_id": 20_000 + len(shows),
                "name": m.title, "original_name": m.title, "year": m.year,
                "popularity": 50 + len(shows), "translations": {"en": m.title}, "alt_titles": [],
            }  # fmt: skip
    return {"films": list(films.values()), "series": list(shows.values())}
