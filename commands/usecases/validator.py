"""``pending`` and ``validate``: the validation queue and a person's decisions on it.

``validate FILE --choose N`` takes the N-th candidate, ``--id tmdb:603`` any title (its
details are fetched when the provider is configured), ``--reject`` refuses every title
proposed for the file (none is proposed again), ``--skip`` leaves it queued. Without an
action, an interactive loop asks for each queued file. The choice is recorded on the
file's content (MediaFile), so it follows the file across moves.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from videotheque.commands.adapters.providers import tmdb, tvdb
from videotheque.commands.adapters.providers.base import SERIES, Candidate, ProviderError
from videotheque.commands.errors import EXIT_USAGE, UsageError, VideothequeError
from videotheque.commands.ports import Workspace
from videotheque.domain.enrichment import candidate_key, parse_key
from videotheque.domain.errors import DomainError
from videotheque.domain.paths import display
from videotheque.projections import queries
from videotheque.projections.queries_enrich import pending_queue

ACTIONS = ("choose", "id", "reject", "skip", "quit")


class NotPendingError(VideothequeError):
    """Asked of a file that cannot take it (unknown, nothing to reject or choose): a
    usage error like any other."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class ValidationAnswer:
    kind: str  # choose | id | reject | skip | quit
    n: int | None = None
    key: str | None = None


def parse_answer(text: str) -> ValidationAnswer:
    """What a person typed at the prompt: a number, ``tmdb:603``, r, s or q."""
    answer = text.strip().lower()
    if answer.isdigit():
        return ValidationAnswer("choose", n=int(answer))
    if answer in ("r", "reject"):
        return ValidationAnswer("reject")
    if answer in ("s", "skip", ""):
        return ValidationAnswer("skip")
    if answer in ("q", "quit"):
        return ValidationAnswer("quit")
    try:
        provider, provider_id = parse_key(answer)
    except DomainError as exc:
        raise UsageError(str(exc)) from None
    return ValidationAnswer("id", key=candidate_key(provider, provider_id))


def resolve_file(session: Workspace, argument: str) -> str:
    """The one file id meant by a path (storage-relative or absolute) or an id prefix."""
    target = argument
    if os.path.isabs(argument):
        absolute = os.path.abspath(argument)
        # Under storage: the file's path; under the video root: the link's path.
        for root in (session.config.storage, session.config.video):
            if root is not None and Path(absolute).is_relative_to(os.path.abspath(root)):
                target = os.path.relpath(absolute, os.path.abspath(root))
                break
    with session.read() as con:
        ids = queries.resolve_file_ids(con, target)
        # A link path names the link and its file: the link is not a second file (the
        # default layout gives a link the relative path of its target).
        if len(ids) > 1:
            ids = queries.catalogued_ids(con, ids)
    if not ids:
        raise NotPendingError(f"no file known by {argument!r}")
    if len(ids) > 1:
        raise UsageError(f"{argument!r} names {len(ids)} files: give a file id")
    return ids[0]


def queue(session: Workspace, file_ids: list[str] | None = None) -> list[dict[str, Any]]:
    with session.read() as con:
        return pending_queue(con, file_ids)


Lookup = Callable[[str, str], dict[str, Any] | None]


def apply(
    session: Workspace,
    file_id: str,
    action: ValidationAnswer,
    run_id: str,
    entry: dict[str, Any] | None,
    lookup: Lookup,
) -> str:
    """Record one decision on one file; a sentence saying what was recorded."""
    if action.kind in ("skip", "quit"):
        return "skipped"
    file: Any = session.get(UUID(file_id))
    kind = SERIES if (file.name or {}).get("kind") == "episode" else "movie"
    if action.kind == "reject":
        try:
            keys = file.reject_match(run_id)
        except DomainError as exc:
            raise NotPendingError(str(exc)) from None
        session.save(file)
        return f"rejected {', '.join(keys)}"
    if action.kind == "choose":
        candidates = (entry or {}).get("candidates") or []
        if entry is None or not candidates:
            raise NotPendingError("this file has no proposed titles to choose from")
        if action.n is None or not 1 <= action.n <= len(candidates):
            raise UsageError(f"--choose takes 1 to {len(candidates)} here")
        chosen = candidates[action.n - 1]
        how = "candidate"
    else:
        assert action.key is not None
        provider, provider_id = parse_key(action.key)
        known = [
            c for c in (entry or {}).get("candidates") or []
            if (c["provider"], c["provider_id"]) == (provider, provider_id)
        ]  # fmt: skip
        chosen = (
            lookup(action.key, kind)
            or (known[0] if known else None)
            or {
                "provider": provider,
                "provider_id": provider_id,
                "title": (file.name or {}).get("title") or "",
                "original_title": None,
                "year": (file.name or {}).get("year"),
            }
        )
        how = "id"
    try:
        file.validate_match(dict(chosen), how, run_id)
    except DomainError as exc:
        raise UsageError(str(exc)) from None
    session.save(file)
    year = f" ({chosen['year']})" if chosen.get("year") else ""
    return f"validated {chosen['provider']}:{chosen['provider_id']} {chosen['title']}{year}"


# What a lookup gives when the provider answered that it knows no such id.
NOT_FOUND: Any = object()


def online_lookup(env: Mapping[str, str], language: str, home: Any) -> Lookup:
    """Fetch a title's details for ``--id`` when its provider is configured."""

    def lookup(key: str, kind: str) -> dict[str, Any] | None:
        provider, provider_id = parse_key(key)
        found: Any = None
        if provider == "tmdb" and tmdb.has_credentials(env):
            found = asyncio.run(_tmdb(env, language, provider_id, kind))
        elif provider == "tvdb" and tvdb.has_credentials(env):
            found = asyncio.run(_tvdb(env, language, provider_id, home))
        if found is NOT_FOUND:  # the provider answered: no such title (a typo in the id)
            what = "series" if kind == SERIES or provider == "tvdb" else "film"
            raise UsageError(
                f"{key}: {provider.upper()} has no {what} with this id; nothing recorded"
            )
        return cast("dict[str, Any] | None", found)

    return lookup


def _plain(c: Candidate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"provider": c.provider, "provider_id": c.provider_id, "title": c.title,
            "original_title": c.original_title, "year": c.year}  # fmt: skip


async def _tmdb(env: Mapping[str, str], language: str, tmdb_id: str, kind: str) -> Any:
    async with tmdb.make_http(env) as http:
        client = tmdb.TmdbClient(http, language)
        try:
            found = await (client.tv(tmdb_id) if kind == SERIES else client.movie(tmdb_id))
        except ProviderError:  # down, refused, a body it cannot read: no details
            return None
        return _plain(found) if found is not None else NOT_FOUND


async def _tvdb(env: Mapping[str, str], language: str, tvdb_id: str, home: Any) -> Any:
    async with tvdb.make_http(env) as http:
        client = tvdb.TvdbClient.from_env(http, env, token_path=home / "tvdb-token.json",
                                          language=language)  # fmt: skip
        try:
            found = await client.series(tvdb_id)
        except ProviderError:
            return None
        return _plain(found) if found is not None else NOT_FOUND


def describe(entry: dict[str, Any]) -> str:
    """One queued file in words, for the prompt."""
    what = entry.get("title") or "?"
    if entry.get("year"):
        what += f" ({entry['year']})"
    if entry.get("season") is not None:
        what += f" S{entry['season']:02d}"
    return f"{display(entry['path'])}: {what}, {entry['reason'].replace('_', ' ')}"
