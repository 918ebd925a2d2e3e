"""guessit's own test suite, read from the installed guessit package, as a yardstick.

guessit ships ``guessit/test/movies.yml`` and ``episodes.yml``: hundreds of real release names
with what they mean. Nothing is copied here: the files are read from the installed package.
Every entry whose expected type is movie or episode is parsed by ``parse_name`` (the suite's
name given as the path relative to the storage root) and scored on type, title, year, season
and episode with the rules of guessit's ``test/test_yml.py``:

- an entry with ``options`` tests a guessit option, not a name: skipped;
- an entry written ``? -name`` is a negative expectation: it is right when at least one
  expected field is missing or different (skipped when it names none of our fields: it is
  about a release group or a language, which we do not parse);
- a key written ``-title: X`` must not come out as X;
- values compare as sets (``episode: [1, 2]`` equals ``[2, 1]``), strings case-sensitively;
- keys the entry does not mention are not checked.

Shared by the test (tests/unit/test_naming_guessit_suite.py) and a developer's shell:
``python -m tests.unit.guessit_suite`` prints the score and every disagreement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

SUITE_FILES = ("movies.yml", "episodes.yml")
FIELDS = ("type", "title", "year", "season", "episode")
_TOKEN_OPTIONS = re.compile(r"^([ +-]+)(.*)")


@dataclass(frozen=True)
class Entry:
    file: str
    name: str
    negates: bool
    expected: dict[str, Any]  # only our fields, keys possibly prefixed with "-"

    @property
    def key(self) -> str:
        return f"{self.file}: {'-' if self.negates else ''}{self.name}"


def _split_token(text: str) -> tuple[bool, str]:
    m = _TOKEN_OPTIONS.match(text)
    if m:
        return "-" in m.group(1), m.group(2)
    return False, text


def load_entries() -> list[Entry]:
    """Every movie or episode entry of the installed guessit suite, in file order."""
    import yaml
    from guessit.yamlutils import OrderedDictYAMLLoader

    entries: list[Entry] = []
    for filename in SUITE_FILES:
        text = (resources.files("guessit") / "test" / filename).read_text(encoding="utf-8")
        data = yaml.load(text, OrderedDictYAMLLoader)  # guessit's SafeLoader subclass
        # chained names share the expectation of the next name that has one (test_yml.py)
        last = None
        for string, expected in reversed(list(data.items())):
            if expected is None:
                data[string] = last
            else:
                last = expected
        default = data.pop("__default__", None) or {}
        for string, entry_expected in data.items():
            expected = {**default, **(entry_expected or {})}
            if expected.get("options") is not None:
                continue
            if expected.get("type") not in ("movie", "episode"):
                continue
            negates, name = _split_token(str(string))
            own = {_split_token(str(k))[1] for k in (entry_expected or {})} & set(FIELDS)
            if negates and not own:
                continue  # a negative expectation about fields we do not parse
            ours = {
                k: v
                for k, v in expected.items()
                if v is not None and _split_token(str(k))[1] in FIELDS
            }
            entries.append(Entry(filename, name, negates, ours))
    return entries


def as_guessit(parsed: dict[str, Any]) -> dict[str, Any]:
    """Our parse in guessit's vocabulary (absent fields left out, as guessit does)."""
    kind = parsed["kind"]
    seasons = parsed.get("seasons") or []
    has_numbers = parsed.get("season") is not None or bool(parsed.get("episodes"))
    if kind == "extra":  # an extra of an episode or of a film
        kind = "episode" if has_numbers else "movie"
    out: dict[str, Any] = {"type": kind}
    if parsed.get("title") is not None:
        out["title"] = parsed["title"]
    if parsed.get("year") is not None:
        out["year"] = parsed["year"]
    if len(seasons) > 1:
        out["season"] = list(seasons)
    elif parsed.get("season") is not None:
        out["season"] = parsed["season"]
    episodes = parsed.get("episodes") or []
    if len(episodes) > 1:
        out["episode"] = list(episodes)
    elif episodes:
        out["episode"] = episodes[0]
    return out


def _same(value: Any, expected: Any) -> bool:
    values = set(value) if isinstance(value, list) else {value}
    expecteds = set(expected) if isinstance(expected, list) else {expected}
    return values == expecteds


def wrong_fields(entry: Entry, got: dict[str, Any]) -> list[str]:
    """The fields that make this entry wrong (empty when right), guessit's way."""
    missing_or_different = []
    for raw_key, want in entry.expected.items():
        negated, key = _split_token(str(raw_key))
        if key in got:
            same = _same(got[key], want)
            if same == negated:
                missing_or_different.append(str(raw_key))
        elif not negated:
            missing_or_different.append(str(raw_key))
    if entry.negates:  # right when something differs
        return [] if missing_or_different else ["(negated entry matched)"]
    return missing_or_different


def disagreements(
    parse: Callable[[str], dict[str, Any]], entries: list[Entry] | None = None
) -> Iterator[tuple[Entry, list[str], dict[str, Any]]]:
    """(entry, wrong fields, what we said) for every entry we get wrong."""
    for entry in entries if entries is not None else load_entries():
        got = as_guessit(parse(entry.name))
        wrong = wrong_fields(entry, got)
        if wrong:
            yield entry, wrong, got


def guessit_alone(name: str) -> dict[str, Any]:
    """Plain guessit, mapped to our keys: the suite's own baseline (100% by construction)."""
    from guessit import guessit

    g = guessit(name, {"no_user_config": True})
    title = g.get("title")
    season = g.get("season")
    episode = g.get("episode")
    seasons = season if isinstance(season, list) else [season] if season is not None else []
    episodes = episode if isinstance(episode, list) else [episode] if episode is not None else []
    return {
        "kind": g.get("type", "movie"),
        "title": title[0] if isinstance(title, list) else title,
        "year": g.get("year") if not isinstance(g.get("year"), list) else g["year"][0],
        "season": seasons[0] if seasons else None,
        "seasons": seasons,
        "episode": episodes[0] if episodes else None,
        "episodes": episodes,
    }


def score(parse: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    entries = load_entries()
    wrong = list(disagreements(parse, entries))
    out: dict[str, Any] = {"entries": len(entries), "wrong": len(wrong)}
    for file in SUITE_FILES:
        total = sum(1 for e in entries if e.file == file)
        bad = sum(1 for e, _, _ in wrong if e.file == file)
        out[file] = 1 - bad / total
    out["all"] = 1 - len(wrong) / len(entries)
    out["disagreements"] = wrong
    return out


if __name__ == "__main__":  # pragma: no cover - developer aid
    import sys

    from videotheque.commands.adapters.naming import parse_name

    parser = guessit_alone if sys.argv[1:] == ["guessit"] else parse_name
    result = score(parser)
    for entry, wrong, got in result["disagreements"]:
        print(entry.key)
        print(f"    want {entry.expected}\n    got  {got}\n    wrong {wrong}")
    print(
        f"{result['entries']} entries: movies {result['movies.yml']:.1%}, "
        f"episodes {result['episodes.yml']:.1%}, all {result['all']:.1%} ({result['wrong']} wrong)"
    )
