"""Scoring helpers for the labelled name set (tests/fixtures/naming_set.json).

Kept out of the test modules so the accuracy test, the benchmark and a developer's shell
(`python -m tests.unit.naming_eval`) share one definition of "correct".
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "naming_set.json"
FIELDS = ("kind", "title", "year", "season", "episode", "episodes", "extra")


def load_cases(split: str | None = None) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
    return [c for c in cases if split is None or c["split"] == split]


def title_key(title: str | None) -> str | None:
    """Casefolded, letters and digits only (accents kept): punctuation and spacing ignored."""
    if title is None:
        return None
    return "".join(c for c in unicodedata.normalize("NFC", title.casefold()) if c.isalnum())


def wrong_fields(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    wrong = []
    for field in FIELDS:
        want, have = expected[field], got.get(field)
        if field == "title":
            want, have = title_key(want), title_key(have)
        if want != have:
            wrong.append(field)
    return wrong


def guessit_alone(relpath: str) -> dict[str, Any]:
    """guessit on the whole relative path, its answer mapped to our keys, no rules of ours.

    guessit's own extra markers (other: Sample/Trailer) count as kind "extra", so the baseline
    gets credit for everything guessit itself knows.
    """
    from guessit import guessit

    g = guessit(relpath, {"no_user_config": True})

    def first(v: Any) -> Any:
        return v[0] if isinstance(v, list) else v

    other = g.get("other") or []
    other = other if isinstance(other, list) else [other]
    extra = "sample" if "Sample" in other else "trailer" if "Trailer" in other else None
    kind = "extra" if extra else ("episode" if g.get("type") == "episode" else "movie")
    eps = g.get("episode")
    eps = sorted(eps) if isinstance(eps, list) else [eps] if eps is not None else []
    year = g.get("year")
    return {
        "kind": kind,
        "title": first(g.get("title")),
        "year": year[-1] if isinstance(year, list) else year,
        "season": first(g.get("season")) if kind != "movie" else None,
        "episode": eps[0] if eps and kind != "movie" else None,
        "episodes": eps if kind != "movie" else [],
        "extra": extra,
    }


def accuracy(parse: Any, cases: list[dict[str, Any]]) -> tuple[float, list[tuple[str, list[str]]]]:
    """All-fields accuracy of `parse` on `cases`, and the failures (path, wrong fields)."""
    failures = []
    for case in cases:
        wrong = wrong_fields(case, parse(case["path"]))
        if wrong:
            failures.append((case["path"], wrong))
    return 1 - len(failures) / len(cases), failures


if __name__ == "__main__":  # pragma: no cover - developer aid
    import sys

    from videotheque.commands.adapters.naming import parse_name

    split = sys.argv[1] if len(sys.argv) > 1 else None
    cases = load_cases(split)
    ours, failures = accuracy(parse_name, cases)
    base, _ = accuracy(guessit_alone, cases)
    by_path = {c["path"]: c for c in cases}
    for path, wrong in failures:
        got = parse_name(path)
        print(path)
        for f in wrong:
            print(f"    {f}: want {by_path[path][f]!r} got {got[f]!r}")
    print(f"{len(cases)} names: ours {ours:.1%}, guessit alone {base:.1%}")
