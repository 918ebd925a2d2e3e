"""Precision and recall of the matcher on tests/fixtures/matching_set.json, end to end.

Each case's path is parsed by the importer's parser (``commands.adapters.naming.parse_name``), its
ids read from the path, and resolved by the real TMDB/TVDB clients against the fake server
serving the set's catalogue. Run it as a script to print a per-tag report:

    .venv/bin/python -m tests.matching_eval
"""

from __future__ import annotations

import asyncio
import collections
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.provider_server import FakeProviders
from videotheque.commands.adapters.naming import parse_name
from videotheque.commands.adapters.providers import tmdb, tvdb
from videotheque.commands.adapters.providers.http import RetryPolicy
from videotheque.commands.adapters.providers.matcher import Query
from videotheque.commands.adapters.providers.resolver import Resolver, kind_of
from videotheque.domain.titles import Decision, extract_ids

SET = Path(__file__).resolve().parent / "fixtures" / "matching_set.json"


def load_set() -> dict[str, Any]:
    return json.loads(SET.read_text(encoding="utf-8"))


@dataclass
class Outcome:
    path: str
    tags: list[str]
    expect: dict[str, str] | None
    decision: str
    got: tuple[str, str] | None
    best: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.decision == Decision.ACCEPT.value

    @property
    def correct(self) -> bool:
        return (
            self.accepted
            and self.expect is not None
            and self.got is not None
            and self.expect.get(self.got[0]) == self.got[1]
        )


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def accepted(self) -> int:
        return sum(o.accepted for o in self.outcomes)

    @property
    def correct(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def positives(self) -> int:
        return sum(o.expect is not None for o in self.outcomes)

    @property
    def precision(self) -> float:
        return self.correct / self.accepted if self.accepted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.positives if self.positives else 1.0

    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.accepted and not o.correct]

    def missed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.expect is not None and not o.accepted]

    def by_tag(self) -> dict[str, tuple[int, int, int]]:
        """tag -> (cases with an answer, correct accepts, wrong accepts)."""
        table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        for o in self.outcomes:
            for tag in o.tags:
                row = table[tag]
                row[0] += o.expect is not None
                row[1] += o.correct
                row[2] += o.accepted and not o.correct
        return {k: (v[0], v[1], v[2]) for k, v in sorted(table.items())}

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} cases, {self.positives} with an answer: "
            f"{self.accepted} accepted, {self.correct} correct, {len(self.wrong())} wrong; "
            f"precision {self.precision:.3f}, recall {self.recall:.3f}"
        )


async def _evaluate(server: FakeProviders, cases: list[dict[str, Any]]) -> Report:
    env = server.env()
    fast = RetryPolicy(attempts=3, initial=0.01, maximum=0.05, jitter=0.01)
    async with (
        tmdb.make_http(env, rate=2000, retry=fast) as tmdb_http,
        tvdb.make_http(env, rate=2000, retry=fast) as tvdb_http,
    ):
        resolver = Resolver(
            tmdb=tmdb.TmdbClient(tmdb_http, "fr-FR"),
            tvdb=tvdb.TvdbClient.from_env(tvdb_http, env, language="fr-FR"),
        )

        async def one(case: dict[str, Any]) -> Outcome:
            name = parse_name(case["path"])
            query = Query(title=name["title"] or "", year=name["year"], kind=kind_of(name))
            result = await resolver.resolve(query, extract_ids(case["path"]))
            best = result.best
            got = (best.candidate.provider, best.candidate.provider_id) if best else None
            top = [(s.candidate.title, str(s.candidate.year), s.score) for s in result.ranked[:3]]
            return Outcome(
                case["path"], case["tags"], case["expect"], result.decision.value, got, top
            )

        return Report(list(await asyncio.gather(*(one(c) for c in cases))))


def evaluate(data: dict[str, Any] | None = None) -> Report:
    data = data or load_set()
    with FakeProviders(data["catalogue"]) as server:
        return asyncio.run(_evaluate(server, data["cases"]))


def main() -> None:
    report = evaluate()
    print(report.summary())
    print(f"{'tag':34} {'answer':>6} {'right':>6} {'wrong':>6}")
    for tag, (n, ok, bad) in report.by_tag().items():
        print(f"{tag:34} {n:6} {ok:6} {bad:6}")
    for o in report.wrong():
        print("WRONG ", o.path, o.expect, o.got, o.best)
    for o in report.missed():
        print("MISSED", o.decision, o.path, o.expect, o.best)


if __name__ == "__main__":
    main()
