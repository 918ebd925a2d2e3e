"""TheTVDB API v4: login, series search, extended records and episodes.

``POST /login`` with ``TVDB_API_KEY`` (and ``TVDB_PIN`` for user-supported keys) gives a
bearer token valid about a month. It is cached in a file of the home (mode 0600, bound to
a hash of the key) and renewed once when the API answers 401.

TVDB's ``name`` is the title in the original language (聖闘士星矢, フリクリ): the English
and French titles are in ``translations`` and ``aliases``, which matching must use.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from videotheque.commands.adapters.providers.base import (
    SERIES,
    Candidate,
    ProviderAuthError,
    ProviderConfigError,
    ProviderError,
    answer_reader,
    as_id,
    as_list,
    parser,
    year_of,
)
from videotheque.commands.adapters.providers.http import (
    ProviderHttp,
    RetryPolicy,
    Secret,
    remember_secret,
)
from videotheque.domain.titles import ExternalIds

PROVIDER = "tvdb"
DEFAULT_URL = "https://api4.thetvdb.com/v4"
DEFAULT_RATE = 10.0
URL_ENV = "VIDEOTHEQUE_TVDB_URL"
KEY_ENV = "TVDB_API_KEY"
PIN_ENV = "TVDB_PIN"
TOKEN_MAX_AGE = 25 * 24 * 3600  # tokens last a month; renew a little before

# ISO 639-1 (what --language speaks) to the ISO 639-2 codes TVDB uses.
_LANGUAGES = {
    "fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "pt": "por",
    "nl": "nld", "ja": "jpn", "ko": "kor", "zh": "zho", "ru": "rus", "sv": "swe",
    "da": "dan", "no": "nor", "fi": "fin", "pl": "pol", "cs": "ces", "tr": "tur",
}  # fmt: skip

# TVDB remote id types: 2 = IMDb, 12 = TheMovieDB.com.
_REMOTE_IMDB = 2
_REMOTE_TMDB = 12


def tvdb_language(language: str) -> str:
    """``fr-FR`` -> ``fra``; unknown languages fall back to English."""
    return _LANGUAGES.get(language.split("-")[0].lower(), "eng")


def has_credentials(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get(KEY_ENV))


def make_http(
    env: Mapping[str, str] | None = None,
    *,
    rate: float = DEFAULT_RATE,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProviderHttp:
    env = os.environ if env is None else env
    return ProviderHttp(
        PROVIDER,
        env.get(URL_ENV) or DEFAULT_URL,
        rate=rate,
        timeout=timeout,
        retry=retry,
        secrets=[v for v in (env.get(KEY_ENV), env.get(PIN_ENV)) if v],
        transport=transport,
    )


class TokenCache:
    """The bearer token on disk, bound to the key that obtained it."""

    def __init__(self, path: Path | None, api_key: Secret) -> None:
        self.path = path
        self._key_hash = hashlib.sha256(api_key.reveal().encode()).hexdigest()[:16]

    def load(self, now: float | None = None) -> str | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        now = time.time() if now is None else now
        if (
            not isinstance(data, dict)
            or data.get("key") != self._key_hash
            or not isinstance(data.get("token"), str)
            or not isinstance(data.get("obtained"), int | float)
            or now - data["obtained"] > TOKEN_MAX_AGE
        ):
            return None
        return str(data["token"])

    def store(self, token: str, now: float | None = None) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = {"key": self._key_hash, "token": token, "obtained": now or time.time()}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class TvdbClient:
    """Series search and details. Call :meth:`login` lazily: the first request does it."""

    def __init__(
        self,
        http: ProviderHttp,
        api_key: Secret,
        pin: Secret | None = None,
        *,
        token_path: Path | None = None,
        language: str = "fr-FR",
    ) -> None:
        if not api_key:
            raise ProviderConfigError(f"TVDB needs {KEY_ENV}")
        self.http = http
        self.language = tvdb_language(language)
        self._api_key = api_key
        self._pin = pin
        self._cache = TokenCache(token_path, api_key)
        self._token: str | None = None
        self._login_lock: asyncio.Lock | None = None

    @classmethod
    def from_env(
        cls,
        http: ProviderHttp,
        env: Mapping[str, str] | None = None,
        *,
        token_path: Path | None = None,
        language: str = "fr-FR",
    ) -> TvdbClient:
        env = os.environ if env is None else env
        pin = env.get(PIN_ENV)
        return cls(
            http,
            Secret(env.get(KEY_ENV, "")),
            Secret(pin) if pin else None,
            token_path=token_path,
            language=language,
        )

    # -- auth -----------------------------------------------------------------------

    async def login(self) -> None:
        body: dict[str, str] = {"apikey": self._api_key.reveal()}
        if self._pin:
            body["pin"] = self._pin.reveal()
        try:
            answer = await self.http.post_json("/login", body)
        except ProviderError as exc:
            # 400 "pin required" and friends: a credentials problem, not a transient one.
            if "HTTP 400" in exc.reason:
                raise ProviderAuthError(PROVIDER, f"login refused ({exc.reason})") from None
            raise
        data = answer.get("data") if isinstance(answer, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderError(PROVIDER, "POST /login: no token in the answer")
        remember_secret(token)
        self._set_token(token)
        self._cache.store(token)

    def _set_token(self, token: str) -> None:
        self._token = token
        self.http.set_header("Authorization", f"Bearer {token}")

    async def _ensure_token(self, refused: str | None = None) -> None:
        """Have a token; with ``refused``, replace that one (once, for all tasks)."""
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        async with self._login_lock:
            if self._token is not None and self._token != refused:
                return  # another task already has a good one
            if refused is None:
                cached = self._cache.load()
                if cached:
                    remember_secret(cached)
                    self._set_token(cached)
                    return
            else:
                self._cache.clear()
            await self.login()

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any | None:
        if self._token is None:
            await self._ensure_token()
        used = self._token
        try:
            return await self.http.get_json(path, params)
        except ProviderAuthError:
            # An expired or revoked token: log in again, once; a second 401 stops the run.
            await self._ensure_token(refused=used)
            return await self.http.get_json(path, params)

    # -- queries --------------------------------------------------------------------

    @answer_reader(PROVIDER)
    async def search_series(self, query: str, year: int | None = None) -> list[Candidate]:
        body = await self._get("/search", {"query": query, "type": "series", "year": year})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return []
        return [c for r in data if isinstance(r, dict) and (c := self.parse_search(r))]

    @answer_reader(PROVIDER)
    async def series(self, series_id: str) -> Candidate | None:
        body = await self._get(f"/series/{int(series_id)}/extended", {"meta": "translations"})
        data = body.get("data") if isinstance(body, dict) else None
        return self.parse_extended(data) if isinstance(data, dict) else None

    @answer_reader(PROVIDER)
    async def find_imdb(self, imdb_id: str) -> Candidate | None:
        body = await self._get(f"/search/remoteid/{imdb_id}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return None
        found = [
            e["series"] for e in data if isinstance(e, dict) and isinstance(e.get("series"), dict)
        ]
        return self.parse_extended(found[0]) if len(found) == 1 else None

    @answer_reader(PROVIDER)
    async def episodes(self, series_id: str, season: int) -> list[dict[str, Any]]:
        """Episodes of one season in the default (aired) order: number, name, aired."""
        body = await self._get(
            f"/series/{int(series_id)}/episodes/default", {"season": season, "page": 0}
        )
        data = body.get("data") if isinstance(body, dict) else None
        episodes = data.get("episodes") if isinstance(data, dict) else None
        if not isinstance(episodes, list):
            return []
        return [
            {"season": e.get("seasonNumber"), "number": e.get("number"), "name": e.get("name"),
             "aired": e.get("aired")}
            for e in episodes
            if isinstance(e, dict) and e.get("seasonNumber") == season
        ]  # fmt: skip

    # -- parsing --------------------------------------------------------------------

    def _pick_title(self, original: str, translations: Mapping[str, str]) -> str:
        return translations.get(self.language) or translations.get("eng") or original

    @parser(PROVIDER)
    def parse_search(self, row: Mapping[str, Any]) -> Candidate | None:
        """A candidate from one ``/search`` result (translations are a language map)."""
        tvdb_id = row.get("tvdb_id") or row.get("id", "")
        tvdb_id = str(tvdb_id).removeprefix("series-") if isinstance(tvdb_id, str | int) else ""
        name = row.get("name")
        if (
            not isinstance(name, str)
            or not tvdb_id.isascii()
            or not tvdb_id.isdigit()
            or not 0 < int(tvdb_id) < 2**63
        ):
            return None
        if row.get("type") not in (None, "series") and row.get("primary_type") != "series":
            return None
        raw = row.get("translations")
        translations = (
            {k: v for k, v in raw.items() if isinstance(v, str) and v}
            if isinstance(raw, dict)
            else {}
        )
        aliases = [a for a in as_list(row.get("aliases")) if isinstance(a, str) and a]
        slug = row.get("slug")
        if isinstance(slug, str) and slug:
            # The slug is made from the English title: "saint-seiya" when no English
            # translation is listed.
            aliases.append(slug.replace("-", " "))
        imdb, tmdb = _remote_ids(row.get("remote_ids"))
        return Candidate(
            provider=PROVIDER,
            provider_id=str(tvdb_id),
            kind=SERIES,
            title=self._pick_title(name, translations),
            original_title=name,
            year=year_of(row.get("year")) or year_of(row.get("first_air_time")),
            alt_titles=tuple(dict.fromkeys([*translations.values(), *aliases])),
            ids=ExternalIds(tvdb=str(tvdb_id), imdb=imdb, tmdb=tmdb),
        )

    @parser(PROVIDER)
    def parse_extended(self, data: Mapping[str, Any]) -> Candidate | None:
        """A candidate from ``/series/{id}/extended`` (aliases are language/name pairs)."""
        series_id = data.get("id")
        name = data.get("name")
        if as_id(series_id) is None or not isinstance(name, str):
            return None
        translations: dict[str, str] = {}
        meta = data.get("translations")
        if isinstance(meta, dict):
            for entry in as_list(meta.get("nameTranslations")):
                if (
                    isinstance(entry, dict)
                    and isinstance(entry.get("name"), str)
                    and entry["name"]
                    and isinstance(entry.get("language"), str)
                ):
                    translations.setdefault(entry["language"], entry["name"])
        aliases = [
            a["name"]
            for a in as_list(data.get("aliases"))
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"]
        ]
        imdb, tmdb = _remote_ids(data.get("remoteIds"))
        return Candidate(
            provider=PROVIDER,
            provider_id=str(series_id),
            kind=SERIES,
            title=self._pick_title(name, translations),
            original_title=name,
            year=year_of(data.get("year")) or year_of(data.get("firstAired")),
            alt_titles=tuple(dict.fromkeys([*translations.values(), *aliases])),
            ids=ExternalIds(tvdb=str(series_id), imdb=imdb, tmdb=tmdb),
            detailed=True,
        )


def _remote_ids(remotes: Any) -> tuple[str | None, str | None]:
    """The IMDb and TMDB ids among a TVDB record's remote ids (search or extended form)."""
    imdb = tmdb = None
    for remote in as_list(remotes):
        if isinstance(remote, dict) and isinstance(remote.get("id"), str | int):
            if isinstance(remote["id"], bool):
                continue
            if remote.get("type") == _REMOTE_IMDB:
                imdb = str(remote["id"])
            elif remote.get("type") == _REMOTE_TMDB:
                tmdb = str(remote["id"])
    return imdb, tmdb
