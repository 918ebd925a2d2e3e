"""Link benchmarks: 100,000 links, 2% broken (warm cache).

- detection: ``scan_links`` against ``find VIDEO -xtype l`` on the same tree, same run
  (target: within 2x);
- repair: ``repair-links --auto`` of the 2,000 broken links by identity, end to end (scan,
  plan, journal, symlinks, events, projection catch-up) (target: under 10 s);
- undo of that run, for the record.

Run with ``pytest -m benchmark tests/benchmarks/test_links_bench.py -s``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from videotheque.commands.adapters.linkscan import roots_of, scan_links
from videotheque.commands.bootstrap import open_session
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.repairer import repair_links
from videotheque.commands.usecases.setup import init_library
from videotheque.commands.usecases.undoer import undo_run

LINKS = 100_000
BROKEN = 2_000
PER_FOLDER = 100


def _parser(paths: list[str]) -> list[dict[str, Any]]:
    """Names without guessit: the benchmark measures links, not parsing."""
    return [
        {"kind": "movie", "title": os.path.basename(p), "year": None, "season": None,
         "episode": None, "episodes": [], "extra": None}
        for p in paths
    ]  # fmt: skip


def _build(root: Path) -> tuple[Path, Path]:
    storage, video, home = root / "storage", root / "video", root / "home"
    keep = LINKS - BROKEN
    for i in range(keep):
        d = storage / "Keep" / f"d{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            d.mkdir(parents=True)
        (d / f"f{i:06d}.dat").touch()
    for i in range(BROKEN):
        d = storage / "Films" / f"d{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            d.mkdir(parents=True)
        (d / f"film{i:05d}.mkv").write_bytes(b"film %d" % i)
    init_library(root, home)
    with open(home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    with open_session(home) as session:
        import_storage(session, parser=_parser, parser_name="bench")
    for i in range(LINKS):
        if i < keep:
            rel = f"Keep/d{i // PER_FOLDER:04d}/f{i:06d}.dat"
        else:
            j = i - keep
            rel = f"Films/d{j // PER_FOLDER:04d}/film{j:05d}.mkv"
        link_dir = video / f"v{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            link_dir.mkdir(parents=True)
        os.symlink(f"../../storage/{rel}", link_dir / f"l{i:06d}.mkv")
    os.rename(storage / "Films", storage / "Moved")  # 2,000 links break at once
    with open_session(home) as session:
        report = import_storage(session, parser=_parser, parser_name="bench")
    assert report.counts["moved"] == BROKEN
    return video, home


def _best(fn: Any, runs: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


@pytest.mark.benchmark
def test_detect_and_repair_100k_links(tmp_path: Path) -> None:
    if shutil.which("find") is None:
        pytest.fail("find(1) is needed for the floor")
    started = time.perf_counter()
    video, home = _build(tmp_path)
    print(f"\nsetup: {LINKS:,} links, {BROKEN:,} broken, in {time.perf_counter() - started:.1f} s")

    def find() -> int:
        out = subprocess.run(
            ["find", str(video), "-xtype", "l"], capture_output=True, check=True
        ).stdout
        return out.count(b"\n")

    with open_session(home) as session:
        roots = roots_of(session.config)
    find()  # warm the cache
    floor, found = _best(find)
    detect, scan = _best(lambda: scan_links(roots, broken_only=True))
    full, _ = _best(lambda: scan_links(roots))
    assert found == len(scan.links) == BROKEN
    print(f"find -xtype l (floor): {floor:.3f} s")
    print(f"scan_links broken_only: {detect:.3f} s = {detect / floor:.2f}x the floor")
    print(f"scan_links every link (with targets): {full:.3f} s = {full / floor:.2f}x")

    started = time.perf_counter()
    with open_session(home) as session:
        report = repair_links(session, auto=True)
    repair = time.perf_counter() - started
    assert len(report.repaired) == BROKEN and not report.skipped
    print(f"repair-links --auto of {BROKEN:,} links by identity: {repair:.2f} s "
          f"({BROKEN / repair:,.0f} links/s; target < 10 s)")  # fmt: skip

    started = time.perf_counter()
    with open_session(home) as session:
        undone = undo_run(session, report.run_id or "")
    undo = time.perf_counter() - started
    assert len(undone.restored) == BROKEN
    print(f"undo of that run: {undo:.2f} s")

    assert detect / floor <= 2.0
    assert repair < 10.0
