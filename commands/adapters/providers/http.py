"""One polite HTTP client per provider: bounded, rate-limited, retried, secret-free errors.

- at most ``connections`` requests in flight (8 by default) on one ``httpx.AsyncClient``;
- an ``aiolimiter`` leaky bucket draining at ``HEADROOM`` x the provider's ceiling with a
  small burst (two requests at 40/s, one at 10/s): a leaky bucket lets through at most
  ``burst + rate`` requests in any one-second window, kept at least one under the ceiling
  so a little jitter on the way never makes the server count more than it allows, while
  the burst absorbs the event loop's timer delays (the mean rate stays near the drain);
- tenacity retries 429, 502, 503, 504, timeouts and connection errors with exponential
  backoff and jitter; a ``Retry-After`` is honoured, and pauses every request to that
  provider, not only the one that got it;
- 401 raises :class:`ProviderAuthError` (the run stops), 404 returns ``None`` (no match),
  a body that is not JSON, or over :data:`MAX_BODY`, raises :class:`ProviderError` (a
  recorded failure); an answer slower than ``DEADLINE_FACTOR`` x the timeout as a whole
  (a body trickling in) is a timeout, retried;
- secrets (API keys, tokens) are redacted from every message this module builds, from the
  ``httpx`` log records, and exceptions are raised ``from None`` so no httpx exception
  holding a URL hangs off the traceback.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import random
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from videotheque.commands.adapters.providers.base import (
    ProviderAuthError,
    ProviderConfigError,
    ProviderError,
)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
HEADROOM = 0.925
DEFAULT_CONNECTIONS = 8
# TMDB's and TVDB's answers are well under 1 MiB (a long show's episode list, a few): a
# bigger body is not an answer (a proxy's error page, an endless stream) and is refused.
MAX_BODY = 8 * 1024 * 1024
# ``timeout`` bounds each read, so a body trickling a byte at a time would never time out:
# a whole answer must also arrive within DEADLINE_FACTOR x timeout.
DEADLINE_FACTOR = 3


class Secret:
    """A credential: its ``repr`` and ``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


_SECRET_PATTERNS = (
    re.compile(r"(api_?key=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(apikey\"?\s*[:=]\s*\"?)[^&\s\"',}]+", re.IGNORECASE),
    re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"(token\"?\s*[:=]\s*\"?)[^&\s\"',}]+", re.IGNORECASE),
    re.compile(r"(pin\"?\s*[:=]\s*\"?)[^&\s\"',}]+", re.IGNORECASE),
)
_KNOWN_SECRETS: set[str] = set()


def remember_secret(value: str) -> None:
    """Redact this exact value wherever :func:`redact` runs (log records included)."""
    if len(value) >= 4:
        _KNOWN_SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with known secrets and credential-looking parameters replaced by ``***``."""
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix, but must not leak
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


_FILTER = _RedactingFilter()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_FILTER)


@dataclass
class RetryPolicy:
    """How long to keep trying one request. The defaults ride out a one-minute storm."""

    attempts: int = 8
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5
    # The most one request may wait in all (Retry-After pauses and backoff together):
    # a server asking for more gets a clear failure for that file, not a run that hangs.
    max_wait: float = 120.0

    def backoff(self, retry_number: int) -> float:
        """Exponential wait before retry ``retry_number`` (1-based), with jitter."""
        base = min(self.maximum, self.initial * 2.0 ** max(0, retry_number - 1))
        return base + random.uniform(0, self.jitter)


@dataclass
class HttpStats:
    """What one provider client sent: every attempt is a request, every re-send a retry."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers
    server_errors: int = 0  # 502/503/504 answers
    transport_errors: int = 0  # timeouts, refused or dropped connections


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ProviderHttp:
    """The HTTP session of one provider. Use as an async context manager."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        rate: float,
        connections: int = DEFAULT_CONNECTIONS,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ProviderConfigError(f"{provider}: base URL must be http(s)://, not {base_url!r}")
        try:
            parsed = httpx.URL(base_url)
            valid = bool(parsed.host) and (parsed.port is None or 0 < parsed.port < 65536)
        except (httpx.InvalidURL, ValueError, TypeError):
            valid = False
        if not valid:
            raise ProviderConfigError(
                f"{provider}: base URL {redact(base_url)!r} is not a valid URL"
            )
        if rate <= 0:
            raise ProviderConfigError(f"{provider}: the rate must be > 0 requests/s")
        if connections < 1:
            raise ProviderConfigError(f"{provider}: at least one connection is needed")
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.retry = retry or RetryPolicy()
        self.stats = HttpStats()
        for secret in secrets:
            remember_secret(secret)
        self._default_params = dict(params or {})
        self._headers = {"Accept": "application/json", **dict(headers or {})}
        self._timeout = timeout
        self._connections = connections
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._limiter: AsyncLimiter | None = None
        self._paused_until = 0.0
        self._pause_asked: float | None = None

    # -- lifecycle ----------------------------------------------------------------

    async def __aenter__(self) -> ProviderHttp:
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=self._headers,
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 5.0)),
            limits=httpx.Limits(
                max_connections=self._connections,
                max_keepalive_connections=self._connections,
            ),
            transport=self._transport,
            follow_redirects=False,
        )
        self._slots = asyncio.Semaphore(self._connections)
        self._limiter = AsyncLimiter(self.burst, self.burst / self.drain)
        # Start with a full bucket: no burst at start-up, when new connections (and their
        # server threads) make arrival times the least regular.
        await self._limiter.acquire(self.burst)
        return self

    @property
    def drain(self) -> float:
        """Requests per second the bucket lets through in the long run."""
        return self.rate * HEADROOM

    @property
    def burst(self) -> int:
        """Bucket capacity: the most requests that may leave back to back."""
        return max(1, int(self.rate - self.drain) - 1)

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def set_header(self, name: str, value: str) -> None:
        """Set a header on every later request (a renewed bearer token, say)."""
        self._headers[name] = value
        if self._client is not None:
            self._client.headers[name] = value

    # -- requests -----------------------------------------------------------------

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any | None:
        """GET ``path``: the decoded JSON body, or ``None`` on 404."""
        return await self.request("GET", path, params=params)

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any | None:
        """POST a JSON body to ``path``: the decoded JSON answer, or ``None`` on 404."""
        return await self.request("POST", path, json_body=body)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> Any | None:
        if self._client is None or self._slots is None or self._limiter is None:
            raise RuntimeError("ProviderHttp used outside `async with`")
        query = {
            **self._default_params,
            **{k: v for k, v in (params or {}).items() if v is not None},
        }
        what = f"{method} {path}"
        started = time.monotonic()
        budget = self.retry.max_wait
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts) | _over_budget(budget),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    if attempts > 1:
                        self.stats.retries += 1
                    return await self._send(
                        method, path, what, query, json_body, give_up_at=started + budget
                    )
        except _Retryable as exc:
            if attempts < self.retry.attempts:  # stopped by the budget
                raise self._gave_up(what, exc.retry_after, started) from None
            raise ProviderError(
                self.provider,
                f"{what}: gave up after {self.retry.attempts} attempts ({exc.reason})",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _gave_up(self, what: str, asked: float | None, started: float) -> ProviderError:
        waited = time.monotonic() - started
        asked_text = (
            f"{self.provider.upper()} asked to wait {asked:g} s"
            if asked is not None
            else f"{self.provider.upper()} kept refusing"
        )
        return ProviderError(
            self.provider,
            f"{what}: {asked_text}; gave up after {waited:.0f} s (a request waits at most "
            f"{self.retry.max_wait:g} s in all: [enrich] max_wait)",
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            # Not capped here: a wait past the request's budget stops it (``_over_budget``).
            return float(retry_after)
        return self.retry.backoff(state.attempt_number)

    async def _send(
        self,
        method: str,
        path: str,
        what: str,
        query: Mapping[str, Any],
        json_body: Mapping[str, Any] | None,
        *,
        give_up_at: float = math.inf,
    ) -> Any | None:
        assert self._client is not None and self._slots is not None and self._limiter is not None
        async with self._slots:
            # A Retry-After pauses the whole provider, not only the request that got it; a
            # pause past this request's budget fails it at once.
            while (delay := self._paused_until - time.monotonic()) > 0:
                if self._paused_until > give_up_at:
                    started = give_up_at - self.retry.max_wait
                    raise self._gave_up(what, self._pause_asked, started)
                await asyncio.sleep(delay)
            async with self._limiter:
                pass
            self.stats.requests += 1
            deadline = self._timeout * DEADLINE_FACTOR
            try:
                async with asyncio.timeout(deadline):
                    async with self._client.stream(
                        method, path, params=query or None, json=json_body
                    ) as response:
                        body = await _read_capped(response, MAX_BODY)
            except TimeoutError:
                self.stats.transport_errors += 1
                raise _Retryable(f"{what}: no whole answer within {deadline:g} s") from None
            except httpx.TimeoutException:
                self.stats.transport_errors += 1
                raise _Retryable(f"{what}: timed out") from None
            except httpx.TransportError as exc:
                self.stats.transport_errors += 1
                kind = type(exc).__name__
                raise _Retryable(f"{what}: connection failed ({kind})") from None
            except httpx.HTTPError as exc:
                raise ProviderError(
                    self.provider, f"{what}: {type(exc).__name__}: {redact(str(exc))}"
                ) from None
        if body is None:
            raise ProviderError(
                self.provider, f"{what}: answer over {MAX_BODY // (1024 * 1024)} MiB: refused"
            )
        return self._interpret(response, body, what)

    def _interpret(self, response: httpx.Response, body: bytes, what: str) -> Any | None:
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429:
                self.stats.throttled += 1
                if retry_after is not None:
                    until = time.monotonic() + retry_after
                    if until > self._paused_until:
                        self._paused_until = until
                        self._pause_asked = retry_after
            else:
                self.stats.server_errors += 1
            raise _Retryable(f"{what}: HTTP {status}", retry_after)
        if status == 401:
            raise ProviderAuthError(
                self.provider,
                f"the API refused the credentials (HTTP 401{_message(body)}); "
                "check the key in the environment",
            )
        if status == 404:
            return None
        if not 200 <= status < 300:
            raise ProviderError(self.provider, f"{what}: HTTP {status}{_message(body)}")
        try:
            return json.loads(body)
        except RecursionError:
            raise ProviderError(
                self.provider, f"{what}: an answer nested too deep to read: refused"
            ) from None
        except ValueError:
            kind = response.headers.get("content-type", "no content-type").split(";")[0]
            raise ProviderError(
                self.provider, f"{what}: malformed JSON in the answer ({kind})"
            ) from None


def _over_budget(budget: float) -> Any:
    """A tenacity stop: the next wait would take the request past ``budget`` seconds of
    waiting in all."""

    def stop(state: RetryCallState) -> bool:
        return state.idle_for + (state.upcoming_sleep or 0.0) > budget

    return stop


async def _read_capped(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over ``limit`` bytes."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _message(content: bytes) -> str:
    """The provider's own short error message, if the body carries one."""
    try:
        body = json.loads(content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("status_message") or body.get("message")
    if not isinstance(text, str) or not text:
        return ""
    return ": " + redact(text[:200])
