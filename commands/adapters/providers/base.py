"""What every provider adapter returns and raises."""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from videotheque.commands.errors import UsageError
from videotheque.domain.titles import ExternalIds

MOVIE = "movie"
SERIES = "series"


@dataclass(frozen=True)
class Candidate:
    """One title a provider proposes for a file, with only the fields matching needs.

    ``title`` is in the requested language when the provider has it; ``alt_titles`` holds
    the alternative titles, translations and aliases loaded so far (``detailed`` says
    whether the full list was fetched, or only what a search result carries). ``runtime``
    is in minutes, when the provider gave one (TMDB details, an NFO; not search results).
    """

    provider: str
    provider_id: str
    kind: str
    title: str
    original_title: str | None = None
    year: int | None = None
    alt_titles: tuple[str, ...] = ()
    popularity: float | None = None
    ids: ExternalIds = field(default_factory=ExternalIds)
    detailed: bool = False
    runtime: int | None = None

    def names(self) -> tuple[str, ...]:
        """Every name this candidate is known by, primary first, without duplicates."""
        seen: dict[str, None] = {}
        for name in (self.title, self.original_title, *self.alt_titles):
            if name and name not in seen:
                seen[name] = None
        return tuple(seen)


class ProviderError(Exception):
    """A provider could not answer (after retries): the file's enrichment failed this run.

    The message never holds a secret: it names the provider, the method, the path and the
    status, never the full URL.
    """

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason


class ProviderAuthError(UsageError):
    """The provider refused the credentials: the run stops, nothing is marked failed."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason


class ProviderConfigError(UsageError):
    """A provider was asked for but is not configured (no key, bad URL, bad rate)."""


def year_of(date: object) -> int | None:
    """The year of an ISO date string ("1999-10-15" -> 1999); None when empty or odd."""
    if isinstance(date, int) and not isinstance(date, bool) and 1870 <= date <= 2200:
        return date
    if not isinstance(date, str) or len(date) < 4 or not date[:4].isdigit():
        return None
    year = int(date[:4])
    return year if 1870 <= year <= 2200 else None


# What reading an answer of an unexpected shape can raise (a number where a list was
# expected, a bool for an id, an answer nested too deep for Python's recursion limit).
_SHAPE_ERRORS = (
    TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError, OverflowError,
)  # fmt: skip
P = ParamSpec("P")
R = TypeVar("R")


def _unexpected(provider: str, exc: BaseException) -> ProviderError:
    return ProviderError(provider, f"an answer of an unexpected shape ({type(exc).__name__})")


def parser(provider: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A parser of provider answers raises only :class:`ProviderError`: whatever the
    answer holds, it fails the file that asked, never the run."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except _SHAPE_ERRORS as exc:
                raise _unexpected(provider, exc) from None

        return wrapper

    return decorate


def answer_reader(
    provider: str,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """:func:`parser` for a client's async methods (a request and the reading of its
    answer)."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except _SHAPE_ERRORS as exc:
                raise _unexpected(provider, exc) from None

        return wrapper

    return decorate


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_id(value: Any) -> int | None:
    """A positive integer id (``true`` is not one, though Python calls it an int)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def as_number(value: Any) -> float | None:
    """A finite number (not a bool, not NaN, not Infinity)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None
