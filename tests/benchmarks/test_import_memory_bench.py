"""Peak memory of a first import as the library grows, real names and MediaInfo on: flat.

Run with ``pytest -m benchmark tests/benchmarks/test_import_memory_bench.py -s``.
``VTQ_BENCH_RSS_SIZES`` (default ``5000,20000``) lists the library sizes, e.g.
``5000,20000,50000``. Each library is real small media files (distinct copies of one
Matroska file, so MediaInfo reads real containers) under names as people write them
(films in folders with the year, episodes in show and season folders), imported by the
real CLI in a subprocess (guessit in worker processes, MediaInfo in threads). Its peak RSS
comes from wait4.

An import parses and records a chunk of files at a time, so what grows with the library
is only the scan and the plan (a few hundred bytes a file), not the names and media facts
(the issue measured ~6 KB a file when everything was parsed before anything was saved).
That part's peak is sampled (the process's RSS while it does not hold the projection open,
before the catch-up at the end) and asserted flat; the whole run's peak (the catch-up's
DuckDB included) is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import media_factory as mf
from tests.peak import MeasuredProcess

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(7200)]

REPO = Path(__file__).resolve().parents[2]
SIZES = [int(x) for x in os.environ.get("VTQ_BENCH_RSS_SIZES", "5000,20000").split(",")]
MB = 1024 * 1024
WORDS = [
    "Le",
    "Grand",
    "Bleu",
    "Nuit",
    "Amour",
    "Dark",
    "City",
    "Retour",
    "Ombre",
    "Fleuve",
    "Silence",
    "Rouge",
    "Hiver",
    "Soleil",
    "Dernier",
    "Jour",
    "Mer",
    "Train",
    "Loup",
    "Or",
]


def names(count: int) -> list[str]:
    """Half films (one per folder), half episodes (show / season folders)."""
    out: list[str] = []
    i = 0
    while len(out) < count:
        a, b, c = WORDS[i % 20], WORDS[(i // 20) % 20], WORDS[(i // 400) % 20]
        year = 1950 + i % 74
        if i % 2 == 0:
            title = f"{a} {b} {c} {i}"
            out.append(f"Films/{title} ({year})/{title.replace(' ', '.')}.{year}.1080p.mkv")
        else:
            show = f"{b} {c} {i // 200}"
            season, episode = (i // 20) % 10 + 1, i % 20 + 1
            out.append(
                f"Séries/{show}/Saison {season}/{show} - S{season:02d}E{episode:02d} - {a}.mkv"
            )
        i += 1
    return out


def make_library(base: Path, count: int, source: bytes) -> tuple[Path, Path]:
    storage, home = base / "storage", base / "home"
    for i, rel in enumerate(names(count)):
        path = storage / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tag = f"copy {i}".encode()  # a Matroska Void element: still a valid file
        path.write_bytes(source + b"\xec\x01" + len(tag).to_bytes(7, "big") + tag)
    cli(home, "init", str(base), "--storage", str(storage))
    return storage, home


def _projection_open(pid: int, home: Path) -> bool:
    """Whether the process has the projection (DuckDB) open: briefly at the start, then
    for the catch-up at the end; never while names are parsed and events recorded."""
    target = str(home / "catalog.duckdb")
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cli(home: Path, *args: str) -> tuple[float, float, int, int, str]:
    """The real CLI in a subprocess: (wall s, cpu s, peak RSS bytes (wait4), peak RSS of
    the import itself before the projection's catch-up (sampled), stdout)."""
    out = home.parent / "out.txt"
    samples: list[tuple[int, bool]] = []  # (RSS, projection open)
    with open(out, "wb") as f:
        start = time.perf_counter()
        proc = MeasuredProcess(
            [sys.executable, "-m", "videotheque", *args, "--home", str(home)],
            cwd=home.parent,
            stdout=f,
            stderr=subprocess.DEVNULL,
        )
        while proc.running():
            samples.append((_rss(proc.pid), _projection_open(proc.pid, home)))
            time.sleep(0.05)
        measured = proc.wait()
        wall = time.perf_counter() - start
    # The catch-up is the last stretch with the projection open: the peak before it.
    last = len(samples)
    while last > 0 and not samples[last - 1][1]:
        last -= 1
    while last > 0 and samples[last - 1][1]:
        last -= 1
    recording = max((rss for rss, is_open in samples[:last] if not is_open), default=0)
    assert measured.returncode in (0, 1), out.read_text()
    return wall, measured.cpu, measured.peak_rss, recording, out.read_text()


def test_peak_memory_of_a_first_import_stays_flat_as_the_library_grows(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    source = mf.write_mkv_two_audio_forced_subs(tmp_path_factory.mktemp("src") / "s.mkv")
    data = source.read_bytes()
    peaks: dict[int, int] = {}
    recording: dict[int, int] = {}
    print(f"\n--- first import, real names, MediaInfo on, {os.cpu_count()} cores ---")
    for size in SIZES:
        base = tmp_path_factory.mktemp(f"rss-{size}")
        _, home = make_library(base, size, data)
        cli(home, "status")  # the projection exists before the import
        wall, cpu, peak, record, out = cli(home, "import", "--json")
        report = json.loads(out)
        assert report["new"] == size, report
        peaks[size], recording[size] = peak, record
        print(
            f"{size:>7,} files: peak RSS {peak / MB:4.0f} MB (scan, parse and record: "
            f"{record / MB:4.0f} MB; the rest is the projection's catch-up), {wall:6.1f} s "
            f"({size / wall:,.0f} files/s), cpu {cpu:.1f} s, parsed {report['parsed']}"
        )
    small, large = min(SIZES), max(SIZES)
    for what, values in (("import before the catch-up", recording), ("whole run", peaks)):
        ratio = values[large] / values[small]
        per_file = (values[large] - values[small]) / (large - small)
        print(
            f"{what}: peak RSS x{ratio:.2f} for x{large / small:.0f} files "
            f"({per_file / 1024:.2f} KB more per file; load {os.getloadavg()[0]:.1f})"
        )
    # Parsing and recording a chunk at a time: flat (it was ~6 KB a file, 20 KB with
    # MediaInfo, when nothing was saved before the end).
    assert recording[large] / recording[small] < 1.15
    assert (recording[large] - recording[small]) / (large - small) < 1024
