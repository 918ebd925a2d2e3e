"""A fake TMDB v3 + TVDB v4 server on a real 127.0.0.1 socket, for tests and benchmarks.

It serves, in this order: the recorded bodies of tests/fixtures/providers/ for the exact
requests they answer (see that folder's ATTRIBUTION.md), then a catalogue of films and
series given as plain dicts (the matching set's, or a generated one). Search imitates
TMDB's and TVDB's: every word of the query must start a word of one of the title's names
(title, original title, alternative titles, translations, aliases), results sorted by
popularity; ``year`` filters.

It can be told to misbehave, each switch thread-safe and counted:

- ``rate_limit(provider, n)``: more than ``n`` requests in any one-second window get a
  429 (with ``Retry-After`` when ``retry_after`` is set, without like TMDB's CDN);
- ``storm(seconds, retry_after=None)``: every request gets a 429 for that long;
- ``fail_next(n, status)``: a burst of 5xx (or any status) answers;
- ``malformed_next(n)`` / ``html_next(n)``: broken JSON, or an HTML error page with 200;
- ``slow_next(n, seconds)`` and ``latency``: answers that take long;
- ``refuse_keys = True``: the 401 bodies of the fixture README for every key;
- ``answer_with(path, word, body)``: a raw 200 body (nested 200,000 deep, wrong types,
  ...) for the requests to ``path`` whose ``query`` holds ``word``;
- ``expire_tvdb_tokens()``: TVDB bearer tokens issued so far stop working.

Counters: ``requests`` (per provider), ``rejected`` (429s sent), ``paths``, ``arrivals``
(timestamps, for measured rates and the busiest one-second window).
"""

from __future__ import annotations

import bisect
import collections
import json
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"

TMDB_KEY = "tmdb-test-key-0123456789abcdef"
TMDB_TOKEN = "tmdb-test-read-token-eyJhbGciOiJIUzI1NiJ9"
TVDB_KEY = "tvdb-test-key-fedcba9876543210"

TMDB_401 = "tmdb/error_401_invalid_api_key.json"
TMDB_404 = {
    "success": False,
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
}
TMDB_429 = {
    "status_code": 25,
    "status_message": "Your request count (46) is over the allowed limit of 40.",
}
TVDB_LOGIN_401 = {"status": "failure", "message": "InvalidAPIKey: apikey invalid", "data": None}
TVDB_PIN_400 = {"status": "failure", "message": "InvalidValueType: pin required", "data": None}
TVDB_401 = {"status": "failure", "message": "Unauthorized", "data": None}
TVDB_404 = {"status": "failure", "message": "NotFoundException: not found", "data": None}
TMDB_EMPTY = {"page": 1, "results": [], "total_pages": 1, "total_results": 0}

# (provider, path, sorted query items without credentials/language) -> fixture file
RECORDED: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {
    (
        "tmdb",
        "/search/movie",
        (("query", "fight club"),),
    ): "tmdb/search_movie_fight_club_page1.json",
    ("tmdb", "/search/movie", (("query", "rrrrrrr"),)): "tmdb/search_movie_single_hit.json",
    ("tmdb", "/search/tv", (("query", "game of thrones"),)): "tmdb/search_tv_game_of_thrones.json",
    ("tmdb", "/search/tv", (("query", "breaking bad"),)): "tmdb/search_tv_breaking_bad.json",
    ("tmdb", "/movie/550", ()): "tmdb/movie_details_550.json",
    ("tmdb", "/movie/550/alternative_titles", ()): "tmdb/movie_alternative_titles_550.json",
    ("tmdb", "/movie/550/external_ids", ()): "tmdb/movie_external_ids_550.json",
    ("tmdb", "/tv/1399", ()): "tmdb/tv_details_1399.json",
    ("tmdb", "/tv/1399/season/1", ()): "tmdb/tv_season_1399_s1.json",
    ("tmdb", "/configuration", ()): "tmdb/configuration.json",
    ("tvdb", "/search", (("query", "saint seiya"), ("type", "series"))): (
        "tvdb/search_series_saint_seiya.json"
    ),
    ("tvdb", "/search/remoteid/42444", ()): "tvdb/search_remoteid_42444.json",
    ("tvdb", "/series/78878", ()): "tvdb/series_78878.json",
    ("tvdb", "/series/78878/extended", ()): "tvdb/series_78878_extended.json",
    ("tvdb", "/series/75978/episodes/default", ()): "tvdb/series_75978_episodes_default.json",
    ("tvdb", "/seasons/6365/extended", ()): "tvdb/season_6365_extended.json",
}
_IGNORED_PARAMS = {"api_key", "language", "include_adult", "page", "meta"}


def fold(text: str) -> list[str]:
    """Words of ``text``, lower case, without accents or punctuation (search tokens)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[.]", "", plain)  # "M.D." is one word
    return [w for w in re.split(r"[^0-9a-z]+", plain) if w]


def index_words(name: str) -> set[str]:
    """The words a name is found by: "l'école" gives l, ecole and lecole; "Schindler's"
    gives schindler, s and schindlers."""
    joined = re.sub(r"['’]", "", name)
    return set(fold(name)) | set(fold(joined))


class SearchIndex:
    """Prefix search over the names of a list of items, built once (a search must stay
    cheap: the server shares the GIL with the client under test)."""

    def __init__(self, items: list[dict[str, Any]], names: Any) -> None:
        self.items = items
        postings: dict[str, set[tuple[int, int]]] = collections.defaultdict(set)
        for i, item in enumerate(items):
            for j, name in enumerate(names(item)):
                for word in index_words(name):
                    postings[word].add((i, j))
        self.vocabulary = sorted(postings)
        self.postings = dict(postings)

    def _prefixed(self, prefix: str) -> set[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        start = bisect.bisect_left(self.vocabulary, prefix)
        for word in self.vocabulary[start:]:
            if not word.startswith(prefix):
                break
            found |= self.postings[word]
        return found

    def search(self, query: list[str]) -> list[dict[str, Any]]:
        """Items one of whose names has, for every query word, a word starting with it."""
        if not query:
            return []
        hits = self._prefixed(query[0])
        for word in query[1:]:
            hits &= self._prefixed(word)
            if not hits:
                break
        return [self.items[i] for i in sorted({i for i, _ in hits})]


@dataclass
class Behaviour:
    latency: float = 0.0
    limits: dict[str, int] = field(default_factory=dict)
    retry_after: float | None = None
    storm_until: float = 0.0
    storm_retry_after: float | None = None
    fail: collections.deque[int] = field(default_factory=collections.deque)
    malformed: int = 0
    html: int = 0
    raw: dict[tuple[str, str], bytes] = field(default_factory=dict)
    slow: collections.deque[float] = field(default_factory=collections.deque)


class FakeProviders:
    """The server. ``with FakeProviders(catalogue) as server:`` then ``server.env()``."""

    def __init__(
        self,
        catalogue: Mapping[str, Any] | None = None,
        *,
        tvdb_pin: str | None = None,
    ) -> None:
        catalogue = catalogue or {}
        self.films: list[dict[str, Any]] = list(catalogue.get("films", []))
        self.series: list[dict[str, Any]] = list(catalogue.get("series", []))
        self._films_by_id = {str(f["tmdb_id"]): f for f in self.films}
        self._tv_by_tmdb = {str(s["tmdb_id"]): s for s in self.series if s.get("tmdb_id")}
        self._tv_by_tvdb = {str(s["tvdb_id"]): s for s in self.series if s.get("tvdb_id")}
        self._film_index = SearchIndex(self.films, _film_names)
        self._tmdb_tv_index = SearchIndex([s for s in self.series if s.get("tmdb_id")], _show_names)
        self._tvdb_index = SearchIndex([s for s in self.series if s.get("tvdb_id")], _show_names)
        self.tvdb_pin = tvdb_pin
        self.behaviour = Behaviour()
        self.refuse_keys = False
        self.lock = threading.Lock()
        self.requests: collections.Counter[str] = collections.Counter()
        self.rejected: collections.Counter[str] = collections.Counter()
        self.paths: collections.Counter[str] = collections.Counter()
        self.arrivals: dict[str, list[float]] = collections.defaultdict(list)
        self.logins = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._window: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._tokens: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------

    def __enter__(self) -> FakeProviders:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def tmdb_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tmdb/3"

    @property
    def tvdb_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tvdb/v4"

    def env(self, *, tmdb: bool = True, tvdb: bool = True, token: bool = False) -> dict[str, str]:
        """Environment variables pointing the app at this server with valid credentials."""
        env = {"VIDEOTHEQUE_TMDB_URL": self.tmdb_url, "VIDEOTHEQUE_TVDB_URL": self.tvdb_url}
        if tmdb:
            env["TMDB_READ_TOKEN" if token else "TMDB_API_KEY"] = TMDB_TOKEN if token else TMDB_KEY
        if tvdb:
            env["TVDB_API_KEY"] = TVDB_KEY
            if self.tvdb_pin:
                env["TVDB_PIN"] = self.tvdb_pin
        return env

    # -- switches -------------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        with self.lock:
            self.behaviour.latency = seconds

    def rate_limit(
        self, provider: str, per_second: int | None, retry_after: float | None = None
    ) -> None:
        with self.lock:
            if per_second is None:
                self.behaviour.limits.pop(provider, None)
            else:
                self.behaviour.limits[provider] = per_second
            self.behaviour.retry_after = retry_after

    def storm(self, seconds: float, retry_after: float | None = None) -> None:
        with self.lock:
            self.behaviour.storm_until = time.monotonic() + seconds
            self.behaviour.storm_retry_after = retry_after

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.behaviour.fail.extend([status] * count)

    def malformed_next(self, count: int = 1) -> None:
        with self.lock:
            self.behaviour.malformed += count

    def answer_with(self, path: str, word: str, body: bytes) -> None:
        with self.lock:
            self.behaviour.raw[(path, word.lower())] = body

    def html_next(self, count: int = 1) -> None:
        with self.lock:
            self.behaviour.html += count

    def slow_next(self, count: int, seconds: float) -> None:
        with self.lock:
            self.behaviour.slow.extend([seconds] * count)

    def expire_tvdb_tokens(self) -> None:
        with self.lock:
            self._tokens.clear()

    @contextmanager
    def refusing(self) -> Iterator[None]:
        self.refuse_keys = True
        try:
            yield
        finally:
            self.refuse_keys = False

    # -- measures -------------------------------------------------------------------

    def total(self, provider: str | None = None) -> int:
        with self.lock:
            return self.requests[provider] if provider else sum(self.requests.values())

    def busiest_second(self, provider: str) -> int:
        """The most requests that arrived in any one-second window."""
        with self.lock:
            times = sorted(self.arrivals[provider])
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def rate(self, provider: str) -> float:
        """Mean requests per second from the first to the last arrival."""
        with self.lock:
            times = sorted(self.arrivals[provider])
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.rejected.clear()
            self.paths.clear()
            self.arrivals.clear()
            self._window.clear()

    # -- decisions (called from handler threads) -------------------------------------

    def admit(
        self, provider: str, path: str, query: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes] | None:
        """Count the request; an early answer (fault, 429) or None to serve it."""
        now = time.monotonic()
        with self.lock:
            self.requests[provider] += 1
            self.paths[f"{provider} {path}"] += 1
            self.arrivals[provider].append(now)
            b = self.behaviour
            if now < b.storm_until:
                self.rejected[provider] += 1
                return _too_many(b.storm_retry_after)
            limit = b.limits.get(provider)
            if limit is not None:
                window = self._window[provider]
                window.append(now)
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if len(window) > limit:
                    self.rejected[provider] += 1
                    return _too_many(b.retry_after)
            if b.fail:
                status = b.fail.popleft()
                body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                return status, {"Content-Type": "text/html"}, body
            if b.malformed:
                b.malformed -= 1
                return 200, {"Content-Type": "application/json"}, b'{"page": 1, "results": [{"id'
            text = (query or {}).get("query", "").lower()
            for (raw_path, word), raw_body in b.raw.items():
                if path == raw_path and word in text:
                    return 200, {"Content-Type": "application/json"}, raw_body
            if b.html:
                b.html -= 1
                page = b"<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>"
                return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        return None

    def delay(self) -> float:
        with self.lock:
            extra = self.behaviour.slow.popleft() if self.behaviour.slow else 0.0
            return self.behaviour.latency + extra

    # -- TMDB -----------------------------------------------------------------------

    def tmdb(self, path: str, query: dict[str, str], headers: Mapping[str, str]) -> tuple[int, Any]:
        token = headers.get("authorization", "")
        authorised = query.get("api_key") == TMDB_KEY or token == f"Bearer {TMDB_TOKEN}"
        if self.refuse_keys or not authorised:
            return 401, _fixture(TMDB_401)
        recorded = _recorded("tmdb", path, query)
        if recorded is not None:
            return 200, recorded
        lang = query.get("language", "en-US").split("-")[0]
        if path == "/search/movie":
            if not query.get("query"):
                return 422, _fixture("tmdb/error_422_query_required.json")
            year = query.get("year") or query.get("primary_release_year")
            found = self._search(self._film_index, query["query"], year)
            return 200, _page([_movie_summary(f, lang) for f in found])
        if path == "/search/tv":
            if not query.get("query"):
                return 422, _fixture("tmdb/error_422_query_required.json")
            year = query.get("first_air_date_year")
            found = self._search(self._tmdb_tv_index, query["query"], year)
            return 200, _page([_tv_summary(s, lang) for s in found])
        if m := re.fullmatch(r"/movie/(\d+)", path):
            film = self._films_by_id.get(m.group(1))
            return (200, _movie_details(film, lang, query)) if film else (404, TMDB_404)
        if m := re.fullmatch(r"/tv/(\d+)", path):
            show = self._tv_by_tmdb.get(m.group(1))
            return (200, _tv_details(show, lang, query)) if show else (404, TMDB_404)
        if m := re.fullmatch(r"/find/(tt\d+)", path):
            imdb = m.group(1)
            films = [_movie_summary(f, lang) for f in self.films if f.get("imdb_id") == imdb]
            shows = [_tv_summary(s, lang) for s in self.series if s.get("imdb_id") == imdb]
            return 200, {"movie_results": films, "tv_results": shows, "person_results": []}
        return 404, TMDB_404

    def _search(self, index: SearchIndex, text: str, year: str | None) -> list[dict[str, Any]]:
        found = [
            item for item in index.search(fold(text))
            if not year or str(item.get("year")) == str(year)
        ]  # fmt: skip
        found.sort(key=lambda i: -float(i.get("popularity", 0)))
        return found[:20]

    # -- TVDB -----------------------------------------------------------------------

    def tvdb_login(self, body: Any) -> tuple[int, Any]:
        with self.lock:
            self.logins += 1
        if not isinstance(body, dict) or self.refuse_keys or body.get("apikey") != TVDB_KEY:
            return 401, TVDB_LOGIN_401
        if self.tvdb_pin and body.get("pin") != self.tvdb_pin:
            return 400, TVDB_PIN_400
        token = "eyJ" + uuid.uuid4().hex
        with self.lock:
            self._tokens.add(token)
        return 200, {"status": "success", "data": {"token": token}}

    def tvdb(self, path: str, query: dict[str, str], headers: Mapping[str, str]) -> tuple[int, Any]:
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            valid = bearer in self._tokens
        if self.refuse_keys or not valid:
            return 401, TVDB_401
        recorded = _recorded("tvdb", path, query)
        if recorded is not None:
            return 200, recorded
        if path == "/search":
            found = self._search(self._tvdb_index, query.get("query", ""), query.get("year"))
            return 200, {"status": "success", "data": [_tvdb_row(s) for s in found]}
        if m := re.fullmatch(r"/series/(\d+)/extended", path):
            show = self._tv_by_tvdb.get(m.group(1))
            return (200, _tvdb_extended(show)) if show else (404, TVDB_404)
        if m := re.fullmatch(r"/search/remoteid/(tt\d+)", path):
            shows = [s for s in self.series if s.get("tvdb_id") and s.get("imdb_id") == m.group(1)]
            data = [{"series": _tvdb_extended(s)["data"]} for s in shows]
            return 200, {"status": "success", "data": data}
        return 404, TVDB_404


def _too_many(retry_after: float | None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json; charset=utf-8", "Server": "openresty"}
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after) if retry_after >= 1 else retry_after)
    return 429, headers, json.dumps(TMDB_429).encode()


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _recorded(provider: str, path: str, query: dict[str, str]) -> Any | None:
    items = tuple(
        sorted((k, " ".join(fold(v)) if k == "query" else v) for k, v in query.items()
               if k not in _IGNORED_PARAMS)
    )  # fmt: skip
    name = RECORDED.get((provider, path, items))
    return _fixture(name) if name else None


def _page(results: list[dict[str, Any]]) -> dict[str, Any]:
    if not results:
        return dict(TMDB_EMPTY)
    return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}


def _film_names(film: dict[str, Any]) -> list[str]:
    return [film["title"], film.get("original_title") or "", *film.get("alt_titles", []),
            *film.get("translations", {}).values()]  # fmt: skip


def _show_names(show: dict[str, Any]) -> list[str]:
    return [show["name"], show.get("original_name") or "", *show.get("alt_titles", []),
            *show.get("translations", {}).values()]  # fmt: skip


def _date(item: dict[str, Any]) -> str:
    return item.get("date") or (f"{item['year']}-01-01" if item.get("year") else "")


def _movie_summary(film: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "adult": False,
        "id": int(film["tmdb_id"]),
        "title": film.get("translations", {}).get(lang) or film["title"],
        "original_title": film.get("original_title") or film["title"],
        "original_language": film.get("original_language", "en"),
        "release_date": _date(film),
        "popularity": float(film.get("popularity", 1.0)),
        "overview": "",
        "genre_ids": [],
        "video": False,
        "vote_average": 0.0,
        "vote_count": 0,
        "poster_path": None,
        "backdrop_path": None,
    }


def _appended(item: dict[str, Any], query: dict[str, str], key: str) -> dict[str, Any]:
    appended = {a.strip() for a in query.get("append_to_response", "").split(",")}
    extra: dict[str, Any] = {}
    alt = [{"iso_3166_1": "XX", "title": t, "type": ""} for t in item.get("alt_titles", [])]
    if "alternative_titles" in appended:
        extra["alternative_titles"] = {"titles": alt} if key == "title" else {"results": alt}
    if "external_ids" in appended:
        extra["external_ids"] = {"imdb_id": item.get("imdb_id"), "tvdb_id": item.get("tvdb_id")}
    if "translations" in appended:
        extra["translations"] = {
            "translations": [
                {"iso_639_1": lang, "iso_3166_1": lang.upper(), "name": lang,
                 "english_name": lang, "data": {key: title, "overview": ""}}
                for lang, title in item.get("translations", {}).items()
            ]
        }  # fmt: skip
    return extra


def _movie_details(film: dict[str, Any], lang: str, query: dict[str, str]) -> dict[str, Any]:
    body = _movie_summary(film, lang)
    body.pop("genre_ids")
    body.update({"imdb_id": film.get("imdb_id"), "runtime": film.get("runtime"), "genres": []})
    body.update(_appended(film, query, "title"))
    return body


def _tv_summary(show: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "adult": False,
        "id": int(show["tmdb_id"]),
        "name": show.get("translations", {}).get(lang) or show["name"],
        "original_name": show.get("original_name") or show["name"],
        "original_language": show.get("original_language", "en"),
        "first_air_date": _date(show),
        "popularity": float(show.get("popularity", 1.0)),
        "origin_country": [],
        "overview": "",
        "genre_ids": [],
        "vote_average": 0.0,
        "vote_count": 0,
        "poster_path": None,
        "backdrop_path": None,
    }


def _tv_details(show: dict[str, Any], lang: str, query: dict[str, str]) -> dict[str, Any]:
    body = _tv_summary(show, lang)
    body.pop("genre_ids")
    body.update(_appended(show, query, "name"))
    return body


_LANG3 = {"fr": "fra", "en": "eng", "es": "spa", "de": "deu", "it": "ita", "ja": "jpn"}


def _imdb_remote(show: dict[str, Any]) -> list[dict[str, Any]]:
    if not show.get("imdb_id"):
        return []
    return [{"id": show["imdb_id"], "type": 2, "sourceName": "IMDB"}]


def _tvdb_row(show: dict[str, Any]) -> dict[str, Any]:
    """A TVDB /search result: ``name`` in the original language, the rest in maps."""
    translations = {_LANG3.get(k, k): v for k, v in show.get("translations", {}).items()}
    translations.setdefault("eng", show["name"])
    remote = (
        [{"id": show["imdb_id"], "type": 2, "sourceName": "IMDB"}] if show.get("imdb_id") else []
    )
    if show.get("tmdb_id"):
        remote.append({"id": str(show["tmdb_id"]), "type": 12, "sourceName": "TheMovieDB.com"})
    return {
        "objectID": f"series-{show['tvdb_id']}",
        "id": f"series-{show['tvdb_id']}",
        "tvdb_id": str(show["tvdb_id"]),
        "name": show.get("original_name") or show["name"],
        "aliases": list(show.get("alt_titles", [])),
        "slug": "-".join(fold(show["name"])),
        "translations": translations,
        "year": str(show.get("year", "")),
        "first_air_time": _date(show),
        "type": "series",
        "primary_type": "series",
        "primary_language": _LANG3.get(show.get("original_language", "en"), "eng"),
        "remote_ids": remote,
        "status": "Ended",
    }


def _tvdb_extended(show: dict[str, Any]) -> dict[str, Any]:
    translations = {_LANG3.get(k, k): v for k, v in show.get("translations", {}).items()}
    translations.setdefault("eng", show["name"])
    remote = (
        [{"id": show["imdb_id"], "type": 2, "sourceName": "IMDB"}] if show.get("imdb_id") else []
    )
    return {
        "status": "success",
        "data": {
            "id": int(show["tvdb_id"]),
            "name": show.get("original_name") or show["name"],
            "aliases": [{"language": "eng", "name": a} for a in show.get("alt_titles", [])],
            "firstAired": _date(show),
            "year": str(show.get("year", "")),
            "nameTranslations": sorted(translations),
            "translations": {
                "nameTranslations": [
                    {"language": lang, "name": name} for lang, name in translations.items()
                ]
            },
            "remoteIds": remote,
            "status": {"id": 2, "name": "Ended", "recordType": "series", "keepUpdated": False},
        },
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviders
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):  # a client killed mid-request
            self.close_connection = True

    def do_GET(self) -> None:
        self._handle(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self._handle(body)

    def _handle(self, body: Any) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = unquote(url.path)
        if path.startswith("/tmdb/3/"):
            provider, rest = "tmdb", path[len("/tmdb/3") :]
        elif path.startswith("/tvdb/v4/"):
            provider, rest = "tvdb", path[len("/tvdb/v4") :]
        else:
            self._send(404, {"Content-Type": "text/plain"}, b"no such provider")
            return
        with self.fake.lock:
            self.fake.in_flight += 1
            self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
        try:
            self._answer(provider, rest, query, body)
        except Exception as exc:  # a bug in the fake: a 500 the test will see, not a hang
            message = f"fake server error: {type(exc).__name__}: {exc}".encode()
            self._send(500, {"Content-Type": "text/plain"}, message)
        finally:
            with self.fake.lock:
                self.fake.in_flight -= 1

    def _answer(self, provider: str, rest: str, query: dict[str, str], body: Any) -> None:
        early = self.fake.admit(provider, rest, query)
        delay = self.fake.delay()
        if delay:
            time.sleep(delay)
        if early is not None:
            self._send(*early)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        if provider == "tvdb" and rest == "/login" and self.command == "POST":
            status, payload = self.fake.tvdb_login(body)
        elif provider == "tmdb":
            status, payload = self.fake.tmdb(rest, query, headers)
        else:
            status, payload = self.fake.tvdb(rest, query, headers)
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, {"Content-Type": "application/json;charset=utf-8"}, content)

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


PROVIDER_ENV = ("TMDB_API_KEY", "TMDB_READ_TOKEN", "TVDB_API_KEY", "TVDB_PIN")


def point_at(
    fake: FakeProviders, monkeypatch: Any, home: Path | None = None, enrich: str = ""
) -> None:
    """Point the app at ``fake`` (its URLs and keys, and no key of the machine's own), and
    add ``enrich`` settings (``"retries = 2\\ntimeout = 2\\n"``) to the home's config.toml."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    if home is not None and enrich:
        config = home / "config.toml"
        config.write_text(config.read_text().replace("[enrich]\n", f"[enrich]\n{enrich}"))


def main(argv: list[str] | None = None) -> None:
    """Serve until killed: ``python -m tests.fakes.provider_server [--catalogue FILE]``.

    Prints the environment that points videotheque at it (``NAME=value`` lines) on stdout,
    then serves; a JSON file with ``films``/``series`` (or a ``catalogue`` key holding
    them, as ``tests/fixtures/matching_set.json`` has) gives the titles it knows.
    """
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--catalogue", type=Path)
    args = parser.parse_args(argv)
    catalogue: dict[str, Any] = {}
    if args.catalogue:
        data = json.loads(args.catalogue.read_text(encoding="utf-8"))
        catalogue = data.get("catalogue", data)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with FakeProviders(catalogue) as fake:
        for name, value in fake.env().items():
            print(f"{name}={value}")
        sys.stdout.flush()
        try:
            done.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
