"""`enrich` against the fake server: 2,000 films at 50 ms latency under a 40 req/s limit,
and a five-second 429 storm. Run with ``pytest -m benchmark -s tests/benchmarks``.

The allowed rate (the server's 40 requests per second) is the ceiling: the ratio printed is
the rate the server measured over the run divided by it, and the busiest one-second window
it saw. The storm's cost is compared with the same enrichment without a storm, measured in
the same run.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Lib, _make_lib
from tests.fakes.provider_server import FakeProviders

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]

ALLOWED = 40
LATENCY = 0.05
SYLLABLES = ["ka", "vo", "ru", "tel", "mi", "sa", "don", "pe", "lu", "zar", "ni", "qua", "bel",
             "tor", "fi", "gan", "ho", "mes", "ri", "yu", "shan", "dre", "ko", "vel"]  # fmt: skip


def catalogue(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    films = []
    while len(films) < count:
        words = [
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
            for _ in range(rng.randint(1, 3))
        ]
        title = " ".join(words)
        if title.lower() in seen:
            continue
        seen.add(title.lower())
        films.append({"tmdb_id": 100000 + len(films), "title": title, "original_title": title,
                      "year": rng.randint(1950, 2024), "popularity": rng.uniform(1, 80),
                      "translations": {"en": title}, "alt_titles": []})  # fmt: skip
    return films


def library_with(tmp: Path, films: list[dict[str, Any]], env: dict[str, str]) -> Lib:
    lib = _make_lib(tmp, None)
    for f in films:
        lib.write(f"Films/{f['title']} ({f['year']}).mkv")
    result = lib.cli("import")
    assert result.exit_code == 0, result.output
    return lib


def enrich(lib: Lib) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    result = lib.cli("enrich", "--json")
    seconds = time.perf_counter() - start
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), seconds


def test_2000_films_at_the_allowed_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    films = catalogue(2000, seed=1)
    with FakeProviders({"films": films}) as server:
        for name, value in server.env(tvdb=False).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("TVDB_API_KEY", raising=False)
        lib = library_with(tmp_path, films, server.env())
        server.set_latency(LATENCY)
        server.rate_limit("tmdb", ALLOWED)  # no Retry-After, like TMDB's CDN
        server.reset_counts()
        out, seconds = enrich(lib)
        rate = server.rate("tmdb")
        busiest = server.busiest_second("tmdb")
        rejected = server.rejected["tmdb"]
    print(
        f"\nenrich 2,000 films, {LATENCY * 1000:.0f} ms latency, server limit {ALLOWED}/s: "
        f"{out['requests']} requests in {seconds:.1f} s; server-measured rate {rate:.1f}/s = "
        f"{rate / ALLOWED:.1%} of the allowed rate; busiest 1-s window {busiest}; "
        f"rejected {rejected}; {out['enriched'] / seconds:.1f} files/s end to end"
    )
    assert out["enriched"] == 2000 and out["failed"] == 0
    assert rejected == 0 and out["retries"] == 0
    assert busiest <= ALLOWED
    assert rate >= 0.9 * ALLOWED


def test_a_429_storm_ends_with_every_file_enriched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    films = catalogue(300, seed=2)
    with FakeProviders({"films": films}) as server:
        for name, value in server.env(tvdb=False).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("TVDB_API_KEY", raising=False)
        calm = library_with(tmp_path / "calm", films, server.env())
        stormy = library_with(tmp_path / "storm", films, server.env())
        server.set_latency(LATENCY)
        server.rate_limit("tmdb", ALLOWED)
        _, calm_seconds = enrich(calm)
        server.reset_counts()
        server.storm(5.0)  # every request refused for five seconds, no Retry-After
        out, seconds = enrich(stormy)
        rejected = server.rejected["tmdb"]
        refused = stormy.json("catalog")
    print(
        f"\n429 storm of 5 s over 300 films: {seconds:.1f} s against {calm_seconds:.1f} s "
        f"without it (+{seconds - calm_seconds:.1f} s, {seconds / calm_seconds:.2f}x); "
        f"{rejected} requests rejected, {out['retries']} retries, "
        f"{out['enriched']} enriched, {out['failed']} failed"
    )
    assert out["enriched"] == 300 and out["failed"] == 0
    assert all(r["match_status"] == "enriched" for r in refused)
    assert rejected > 0
