"""parse_name measured on other projects' naming tests (Jellyfin, Sonarr, Radarr).

Our labelled sets were written here; these were not. The cases are read at run time from the
C# test files of a checkout or a bare git directory of each project (their test data is GPL:
nothing of it is committed here), and ``parse_name`` is scored on the fields each test
asserts, mapped to ours:

- Jellyfin ``tests/Jellyfin.Naming.Tests``: TV/* (series name, season, episode, ending
  episode of a range, daily shows' series name), Video/ExtraTests (the extra type; audio
  cases left out), CleanDateTimeTests and CleanStringTests (name and year of a file name),
  VideoResolverTests (name, year, extra type). A folder-only test (SeriesResolver,
  SeriesPathParser, SeasonPathParser) gets a file ``01.mkv`` inside the folder.
- Sonarr ``src/NzbDrone.Core.Test/ParserTests``: Single/Multi/Season/DailyEpisodeParser and
  PathParser fixtures (series title, season, episode numbers; a season pack has none).
- Radarr ``src/NzbDrone.Core.Test/ParserTests/ParserFixture.cs``: movie title and year.

Mapping rules: titles compare as ``tests.unit.naming_eval.title_key`` (case and punctuation
ignored); a series name that carries its year ("Foo (2019)", Sonarr's "Series Title 2010")
also matches our title with that year; a name without a video extension gets ``.mkv``; a
test expecting an episode or season number also expects kind "episode" (and Radarr's
kind "movie"); Jellyfin's stub files (``.disc``) are left out. A case is right when every
mapped field is.

``python -m tests.world_names --jellyfin DIR --sonarr DIR --radarr DIR [--failures]``
(DIR: a checkout or a git directory, read at HEAD).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.unit.naming_eval import title_key

VIDEO_EXT = re.compile(r"\.(?:mkv|mp4|avi|m4v|mov|wmv|ts|webm|mpg)$", re.IGNORECASE)


# ---- reading C# test files ------------------------------------------------------------------


class Source:
    """A project's files: from a work tree, or from a git directory at HEAD."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.git = not (self.root / ".git").exists() and (self.root / "HEAD").exists()

    def list(self, folder: str) -> list[str]:
        if self.git:
            out = subprocess.run(
                ["git", f"--git-dir={self.root}", "ls-tree", "-r", "--name-only", "HEAD", folder],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            return [line for line in out.splitlines() if line.endswith(".cs")]
        return sorted(str(p.relative_to(self.root)) for p in (self.root / folder).rglob("*.cs"))

    def read(self, path: str) -> str:
        if self.git:
            return subprocess.run(
                ["git", f"--git-dir={self.root}", "show", f"HEAD:{path}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        return (self.root / path).read_text(encoding="utf-8-sig")


_TOKEN = re.compile(
    r'\s*(?:@"(?P<verb>(?:[^"]|"")*)"|"(?P<str>(?:[^"\\]|\\.)*)"|(?P<num>-?\d+)\b'
    r"|(?P<null>null)\b|(?P<bool>true|false)\b|(?P<enum>[A-Za-z_][\w.]*\.\w+)"
    r"|(?P<named>\w+\s*=\s*(?:\"(?:[^\"\\]|\\.)*\"|[\w.]+))"
    r"|new\s*(?:\w+\s*)?\[\]\s*\{(?P<arr>[^}]*)\})\s*(?:,|$)",
    re.DOTALL,
)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def csharp_args(text: str) -> list[Any]:
    """The literal arguments of an attribute: strings, ints, null, bools, enums, arrays."""
    args: list[Any] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read C# arguments: {text[pos:]!r}")
        pos = m.end()
        if m.group("verb") is not None:
            args.append(m.group("verb").replace('""', '"'))
        elif m.group("str") is not None:
            args.append(_unescape(m.group("str")))
        elif m.group("num") is not None:
            args.append(int(m.group("num")))
        elif m.group("null"):
            args.append(None)
        elif m.group("bool"):
            args.append(m.group("bool") == "true")
        elif m.group("enum"):
            args.append(m.group("enum"))
        elif m.group("arr") is not None:
            args.append(csharp_args(m.group("arr")))
        # a named argument (Description = "...") says nothing about the name
    return args


_ATTR_START = re.compile(r"^\s*\[(?:InlineData|TestCase)\(")


def _attr_args(text: str) -> str | None:
    """The text between an attribute's parentheses once they balance (strings skipped)."""
    start = text.index("(") + 1
    depth, i, verbatim = 1, start, False
    while i < len(text):
        c = text[i]
        if c == '"':
            verbatim = text[i - 1] == "@"
            i += 1
            while i < len(text):
                if verbatim and text.startswith('""', i):
                    i += 2
                    continue
                if not verbatim and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == '"':
                    break
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return None


_METHOD = re.compile(r"public\s+(?:async\s+\w+|void)\s+(?P<name>\w+)\s*\((?P<params>[^)]*)\)")


@dataclass
class Method:
    name: str
    params: list[str]
    cases: list[dict[str, Any]]
    body: str = ""


def methods(source: str) -> list[Method]:
    """Each test method with the data rows above it, as {parameter: value}."""
    out: list[Method] = []
    pending: list[list[Any]] = []
    buffer = ""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if buffer or _ATTR_START.match(line):
            buffer += line + "\n"
            args = _attr_args(buffer)
            if args is not None:
                pending.append(csharp_args(args))
                buffer = ""
            continue
        m = _METHOD.search(line)
        if m:
            params = []
            for p in m.group("params").split(","):
                p = p.split("=")[0].strip()
                if p:
                    params.append(p.split()[-1])
            body_lines = []
            depth = 0
            for body_line in lines[i + 1 :]:
                depth += body_line.count("{") - body_line.count("}")
                body_lines.append(body_line)
                if depth <= 0 and "}" in body_line:
                    break
            rows = [dict(zip(params, row, strict=False)) for row in pending]
            out.append(Method(m.group("name"), params, rows, "\n".join(body_lines)))
            pending = []
    return out


# ---- cases ----------------------------------------------------------------------------------


@dataclass
class Case:
    suite: str  # "jellyfin", "sonarr", "radarr"
    test: str  # file:method
    path: str
    expect: dict[str, Any] = field(default_factory=dict)


def _as_file(path: str) -> str:
    return path if VIDEO_EXT.search(path) else path + ".mkv"


def _rel(path: str) -> str:
    return path.lstrip("/")


def _episodic(expect: dict[str, Any]) -> dict[str, Any]:
    if expect.get("season") is not None or expect.get("episode") is not None:
        return {"kind": "episode", **expect}
    return expect


_EXTRA_TYPES = {
    "Trailer": "trailer",
    "Sample": "sample",
    "Scene": "scene",
    "Clip": "clip",
    "DeletedScene": "deleted",
    "Interview": "interview",
    "BehindTheScenes": "behindthescenes",
    "Featurette": "featurette",
    "Short": "short",
    "Unknown": "extra",
    "ThemeVideo": "extra",
}


def _extra(value: str | None) -> str | bool | None:
    """Jellyfin's ExtraType in our vocabulary; False for a type we do not have (audio)."""
    if value is None:
        return None
    return _EXTRA_TYPES.get(value.split(".")[-1], False)


def _concat(expr: str, env: dict[str, Any]) -> str:
    parts = []
    for piece in expr.split("+"):
        piece = piece.strip()
        if piece.startswith('"'):
            parts.append(_unescape(piece[1:-1]))
        else:
            parts.append(str(env[piece]))
    return "".join(parts)


_CALL = re.compile(r"\b(Test|TestWithLibraryRoot)\((?P<args>[^;]*)\);")
_LOCAL = re.compile(r"string\s+(?P<name>\w+)\s*=\s*(?P<expr>[^;]+);")


def _jellyfin_extras(test: str, m: Method) -> Iterator[Case]:
    rows = m.cases or [{}]
    for row in rows:
        env = dict(row)
        for local in _LOCAL.finditer(m.body):
            env[local.group("name")] = _concat(local.group("expr"), env)
        for call in _CALL.finditer(m.body):
            args = [a.strip() for a in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", call["args"])]
            path = _concat(args[0], env)
            kind_arg = args[-1]
            value = env.get(kind_arg, None if kind_arg == "null" else kind_arg)
            want = _extra(value)
            if want is False or path.endswith((".mp3", ".mp4x")) or not VIDEO_EXT.search(path):
                continue
            if call.group(1) == "TestWithLibraryRoot":
                root = _concat(args[1], env)
                path = path.removeprefix(root + "/")
            expect: dict[str, Any] = {"extra": want}
            if want is not None:
                expect["kind"] = "extra"
            yield Case("jellyfin", test, _rel(path), expect)


def _video_infos(text: str) -> Iterator[dict[str, Any]]:
    for block in re.finditer(r"new VideoFileInfo\((?P<args>.*?)\)\);", text, re.DOTALL):
        info: dict[str, Any] = {}
        for arg in re.finditer(r"(\w+):\s*(\"(?:[^\"\\]|\\.)*\"|[\w.]+)", block["args"]):
            info[arg.group(1)] = csharp_args(arg.group(2))[0]
        yield info


def jellyfin_cases(src: Source) -> Iterator[Case]:
    base = "tests/Jellyfin.Naming.Tests"
    files = [f for f in src.list(base) if "/TV/" in f or "/Video/" in f]
    for path in files:
        name = Path(path).stem
        text = src.read(path)
        if name == "VideoResolverTests":
            for info in _video_infos(text):
                if info["path"].endswith(".disc"):
                    continue  # a stub (a disc on a shelf), not a video file
                yield Case(
                    "jellyfin",
                    f"{name}:ResolveFile",
                    _rel(info["path"]),
                    {
                        "title": info.get("name"),
                        "year": info.get("year"),
                        "extra": _extra(info.get("extraType")),
                    },
                )
            continue
        for m in methods(text):
            test = f"{name}:{m.name}"
            if name == "ExtraTests":
                yield from _jellyfin_extras(test, m)
                continue
            for row in m.cases:
                yield from _jellyfin_row(name, m.name, test, row)


_EPISODE_NUMBER_TESTS = (
    "EpisodeNumberTests",
    "AbsoluteEpisodeNumberTests",
    "EpisodeNumberWithoutSeasonTests",
)


def _jellyfin_row(name: str, method: str, test: str, row: dict[str, Any]) -> Iterator[Case]:
    expect: dict[str, Any]
    if name == "EpisodePathParserTest" and method == "ParseEpisodesCorrectly":
        yield Case(
            "jellyfin",
            test,
            _as_file(row["path"]),
            {
                "kind": "episode",
                "title": row["name"],
                "season": row["season"],
                "episode": row["episode"],
            },
        )
    elif name in (
        "EpisodeNumberTests",
        "AbsoluteEpisodeNumberTests",
        "EpisodeNumberWithoutSeasonTests",
    ):
        want = row.get("expected", row.get("episodeNumber"))
        yield Case("jellyfin", test, _rel(_as_file(row["path"])), _episodic({"episode": want}))
    elif name == "SeasonNumberTests":
        yield Case(
            "jellyfin", test, _rel(_as_file(row["path"])), _episodic({"season": row["expected"]})
        )
    elif name == "MultiEpisodeTests":
        yield Case(
            "jellyfin",
            test,
            _rel(_as_file(row["filename"])),
            {"ending": row["endingEpisodeNumber"]},
        )
    elif name == "DailyEpisodeTests":
        yield Case(
            "jellyfin",
            test,
            _rel(row["path"]),
            {"kind": "episode", "title": row["seriesName"], "season": None, "episode": None},
        )
    elif name == "SimpleEpisodeTests":
        expect = {
            "season": row["seasonNumber"],
            "episode": row["episodeNumber"],
            "ending": row.get("episodeEndNumber"),
        }
        if row["seriesName"]:
            expect["title"] = row["seriesName"]
        yield Case("jellyfin", test, _rel(row["path"]), _episodic(expect))
    elif name in ("SeriesResolverTests", "SeriesPathParserTest"):
        yield Case("jellyfin", test, _rel(row["path"]) + "/01.mkv", {"title": row["name"]})
    elif name == "SeasonPathParserTests":
        yield Case("jellyfin", test, _rel(row["path"]) + "/01.mkv", {"season": row["seasonNumber"]})
    elif name == "CleanDateTimeTests":
        given = Path(row["input"]).name
        if not given or given.endswith(".disc"):
            return
        title = VIDEO_EXT.sub("", row["expectedName"])
        yield Case("jellyfin", test, _as_file(given), {"title": title, "year": row["expectedYear"]})
    elif name == "CleanStringTests" and method == "CleanStringTest_NeedsCleaning_Success":
        yield Case("jellyfin", test, _as_file(row["input"]), {"title": row["expectedName"]})


def sonarr_cases(src: Source) -> Iterator[Case]:
    base = "src/NzbDrone.Core.Test/ParserTests"
    wanted = (
        "SingleEpisodeParserFixture",
        "MultiEpisodeParserFixture",
        "SeasonParserFixture",
        "DailyEpisodeParserFixture",
        "PathParserFixture",
    )
    for name in wanted:
        for m in methods(src.read(f"{base}/{name}.cs")):
            test = f"{name}:{m.name}"
            for row in m.cases:
                title = row.get("title") or None
                post = row.get("postTitle") or row.get("path")
                if post is None:
                    continue
                path = _rel(_as_file(post))
                expect: dict[str, Any] = {}
                if m.name in (
                    "should_parse_single_episode",
                    "should_parse_japanese_variety_show_format",
                    "should_parse_decimal_number_as_special",
                    "should_parse_split_episode",
                ):
                    expect = {"season": row["seasonNumber"], "episodes": [row["episodeNumber"]]}
                elif (
                    m.name == "should_parse_multiple_episodes"
                    or m.name == "should_parse_multi_episode_from_path"
                ):
                    expect = {"season": row["season"], "episodes": sorted(row["episodes"])}
                elif m.name.startswith("should_parse_") and "season" in m.name:
                    season = row.get("season", row.get("firstSeason"))
                    expect = {"season": season, "episodes": []}
                elif m.name in (
                    "should_parse_daily_episode",
                    "should_parse_daily_episode_using_short_month_format",
                ):
                    expect = {"season": None, "episodes": []}
                elif m.name == "should_parse_from_path":
                    expect = {"season": row["season"], "episodes": [row["episode"]]}
                else:
                    continue
                if title is not None:
                    expect["title"] = title
                yield Case("sonarr", test, path, {"kind": "episode", **expect})


def radarr_cases(src: Source) -> Iterator[Case]:
    text = src.read("src/NzbDrone.Core.Test/ParserTests/ParserFixture.cs")
    for m in methods(text):
        test = f"ParserFixture:{m.name}"
        for row in m.cases:
            expect: dict[str, Any] = {"kind": "movie"}
            if m.name in (
                "should_parse_movie_title",
                "should_parse_anime_movie_title_without_year",
                "should_parse_movie_folder_name",
            ):
                expect["title"] = row["title"]
            elif m.name in ("should_parse_anime_movie_title", "should_parse_german_movie"):
                expect.update(title=row["title"], year=row["year"] or None)
            elif m.name == "should_parse_movie_year":
                expect["year"] = row["year"] or None  # 0: no year
            else:
                continue
            yield Case("radarr", test, _rel(_as_file(row["postTitle"])), expect)


# ---- scoring --------------------------------------------------------------------------------


def _titles_match(want: str | None, got: dict[str, Any]) -> bool:
    have = got.get("title")
    if title_key(want) == title_key(have):
        return True
    # "Foo (2019)", "Series Title 2010": the series' name with its year, our title and year
    year = got.get("year")
    return have is not None and year is not None and title_key(want) == title_key(f"{have} {year}")


def wrong_fields(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    wrong = []
    for key, want in expect.items():
        if key == "title":
            ok = _titles_match(want, got)
        elif key == "ending":
            episodes = got.get("episodes") or []
            ok = (max(episodes) if len(episodes) > 1 else None) == want
        elif key == "episodes":
            ok = sorted(got.get("episodes") or []) == want
        else:
            ok = got.get(key) == want
        if not ok:
            wrong.append(key)
    return wrong


def collect(args: argparse.Namespace) -> list[Case]:
    cases: list[Case] = []
    if args.jellyfin:
        cases += jellyfin_cases(Source(args.jellyfin))
    if args.sonarr:
        cases += sonarr_cases(Source(args.sonarr))
    if args.radarr:
        cases += radarr_cases(Source(args.radarr))
    return cases


SHOWN = ("kind", "title", "year", "season", "episodes", "extra")


def score(cases: list[Case], parse: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        got = parse(case.path)
        rows.append(
            {
                "suite": case.suite,
                "test": case.test,
                "path": case.path,
                "expect": case.expect,
                "got": {
                    k: got.get(k) for k in ("kind", "title", "year", "season", "episodes", "extra")
                },
                "wrong": wrong_fields(case.expect, got),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jellyfin", help="jellyfin/jellyfin checkout or git directory")
    parser.add_argument("--sonarr", help="Sonarr/Sonarr checkout or git directory")
    parser.add_argument("--radarr", help="Radarr/Radarr checkout or git directory")
    parser.add_argument("--failures", action="store_true", help="list every case not all right")
    parser.add_argument("--json", action="store_true", help="every scored case as JSON lines")
    args = parser.parse_args(argv)
    if not (args.jellyfin or args.sonarr or args.radarr):
        parser.error("give at least one of --jellyfin, --sonarr, --radarr")

    from videotheque.commands.adapters.naming import parse_name

    rows = score(collect(args), parse_name)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if args.failures:
        for row in rows:
            if row["wrong"]:
                print(f"{row['suite']} {row['test']}: {row['path']}")
                print(f"    want {row['expect']}\n    got  {row['got']}\n    wrong {row['wrong']}")
    by_suite: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_suite.setdefault(row["suite"], []).append(row)
        by_suite.setdefault(f"{row['suite']} {row['test'].split(':')[0]}", []).append(row)
    for suite, suite_rows in sorted(by_suite.items()):
        right = sum(1 for r in suite_rows if not r["wrong"])
        indent = "    " if " " in suite else ""
        share = right / len(suite_rows)
        print(f"{indent}{suite}: {right}/{len(suite_rows)} all fields right ({share:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
