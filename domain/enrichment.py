"""What enrichment records on a media file: statuses, matches, candidates (pure).

The MediaFile aggregate keeps the match of its content (not of a path: a manual choice
follows the file across moves). Events store only the fields below, never a provider's
raw JSON: the event store's transcoder cannot decode a dict with exactly the keys
``_type_`` and ``_data_``, and a provider answer is not ours to keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from videotheque.domain.errors import DomainError

PROVIDERS = ("tmdb", "tvdb", "nfo")

# match_status values on the aggregate (and in the projection)
ENRICHED = "enriched"  # accepted automatically
PENDING = "pending"  # ambiguous or no match: in the validation queue
FAILED = "failed"  # a provider failed (transient): retried by the next run
VALIDATED = "validated"  # chosen by a person
REJECTED = "rejected"  # a person rejected every proposal; retried with --retry-pending

MAX_CANDIDATES = 5
_CANDIDATE_KEYS = ("provider", "provider_id", "title", "original_title", "year", "score")


def candidate_key(provider: str, provider_id: str) -> str:
    """``tmdb:603``: how a candidate is named in rejections and on the command line."""
    return f"{provider}:{provider_id}"


def parse_key(text: str) -> tuple[str, str]:
    """``tmdb:603`` -> (``tmdb``, ``603``); raises DomainError for anything else."""
    provider, sep, provider_id = text.strip().partition(":")
    provider = provider.lower()
    if not sep or provider not in PROVIDERS or not provider_id.strip():
        raise DomainError(f"{text!r} is not PROVIDER:ID (tmdb:603, tvdb:81189)")
    provider_id = provider_id.strip()
    # ASCII digits, not zero: str.isdigit() also takes "١٢" and "²", which no provider uses.
    if provider != "nfo" and not (
        provider_id.isascii() and provider_id.isdigit() and int(provider_id) > 0
    ):
        raise DomainError(f"{text!r}: a {provider} id is a number")
    return provider, provider_id


def clean_candidate(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate as an event stores it: six plain fields, checked."""
    provider = str(raw.get("provider", ""))
    if provider not in PROVIDERS:
        raise DomainError(f"unknown provider {provider!r}")
    score = float(raw.get("score", 0.0))
    if not 0.0 <= score <= 1.0:
        raise DomainError(f"a score is in [0, 1], not {score}")
    year = raw.get("year")
    return {
        "provider": provider,
        "provider_id": str(raw["provider_id"]),
        "title": str(raw.get("title") or ""),
        "original_title": str(raw["original_title"]) if raw.get("original_title") else None,
        "year": int(year) if isinstance(year, int) else None,
        "score": round(score, 4),
    }


def clean_candidates(
    raw: Iterable[Mapping[str, Any]], rejected: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """At most five candidates, best first, without the ones a person rejected."""
    out = []
    for c in raw:
        clean = clean_candidate(c)
        if candidate_key(clean["provider"], clean["provider_id"]) in rejected:
            continue
        out.append(clean)
    out.sort(key=lambda c: -c["score"])
    return out[:MAX_CANDIDATES]


def clean_query(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What was asked, as plain JSON values (title, year, kind, how, ...)."""
    allowed = ("title", "year", "kind", "via", "provider", "ids", "notes")
    out: dict[str, Any] = {}
    for key in allowed:
        value = raw.get(key)
        if value is None:
            continue
        if key == "ids" and isinstance(value, Mapping):
            value = {str(k): str(v) for k, v in value.items()}
        elif key == "notes":
            value = [str(v) for v in value]
        elif key == "year":
            value = int(value)
        else:
            value = str(value)
        out[key] = value
    return out
