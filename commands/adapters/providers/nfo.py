"""NFO sidecars written by Kodi, Jellyfin and tinyMediaManager: the offline provider.

A film's sidecar is ``<name>.nfo`` beside it, else ``movie.nfo`` in its folder; a
series' is ``tvshow.nfo`` in the episode's folder or one or two levels up
(``Show/Season 1/episode.mkv``). What is read: the ids (``<uniqueid type=...>``,
``<tmdbid>``, ``<tvdbid>``, ``<imdbid>``, ``<id>``), ``<title>``, ``<originaltitle>`` and
``<year>`` (or ``<premiered>``), ``<runtime>`` (minutes). Kodi also accepts an NFO that
is only a provider URL: that form is understood too.

Parsing uses defusedxml: entity declarations (billion laughs), external entities and
files over :data:`MAX_BYTES` are refused with a clear reason, never expanded.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as DET

from videotheque.commands.adapters.providers.base import MOVIE, SERIES, Candidate, year_of
from videotheque.domain.titles import ExternalIds, extract_ids

PROVIDER = "nfo"
MAX_BYTES = 2 * 1024 * 1024

_ROOTS = {"movie": MOVIE, "tvshow": SERIES, "episodedetails": "episode"}
_URL_TMDB = re.compile(r"themoviedb\.org/(movie|tv)/(\d+)", re.IGNORECASE)
_URL_TVDB = re.compile(
    r"thetvdb\.com/(?:\?tab=series&id=|series/|dereferrer/series/)(\d+)", re.IGNORECASE
)
_URL_IMDB = re.compile(r"imdb\.com/title/(tt\d{7,9})", re.IGNORECASE)


class NfoError(Exception):
    """A sidecar that cannot be used; ``reason`` says why in words for people."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class NfoInfo:
    """What one sidecar says. ``kind`` is movie, series, episode or None (URL-only)."""

    path: Path
    kind: str | None
    title: str | None = None
    original_title: str | None = None
    year: int | None = None
    ids: ExternalIds = field(default_factory=ExternalIds)
    runtime: int | None = None  # minutes

    def candidate(self, kind: str) -> Candidate | None:
        """This sidecar as an offline candidate: needs an id and a title."""
        best = (
            ("tmdb", self.ids.tmdb),
            ("tvdb", self.ids.tvdb),
            ("imdb", self.ids.imdb),
        )
        if kind == SERIES:
            best = (best[1], best[0], best[2])
        qualified = next((f"{name}:{value}" for name, value in best if value), None)
        title = self.title or self.original_title
        if qualified is None or title is None:
            return None
        return Candidate(
            provider=PROVIDER,
            provider_id=qualified,
            kind=kind,
            title=title,
            original_title=self.original_title,
            year=self.year,
            ids=self.ids,
            detailed=True,
            runtime=self.runtime,
        )


def sidecars(storage: Path, relative: str, kind: str) -> list[Path]:
    """Existing sidecar paths for the media file at ``storage/relative``, best first."""
    media = storage / relative
    folder = media.parent
    found: list[Path] = []
    if kind == SERIES:
        here = folder
        for _ in range(3):
            found.append(here / "tvshow.nfo")
            if here == storage or here.parent == here:
                break
            here = here.parent
    else:
        found += [media.with_suffix(".nfo"), folder / "movie.nfo"]
    return [p for p in found if p.is_file()]


def read_nfo(path: Path, *, max_bytes: int = MAX_BYTES) -> NfoInfo:
    """Parse one sidecar. Raises :class:`NfoError` with a reason when it is unusable."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise NfoError(path, f"refused: {size} bytes is over the {max_bytes}-byte limit")
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise NfoError(path, f"unreadable ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > max_bytes:
        raise NfoError(path, f"refused: over the {max_bytes}-byte limit")
    # Windows editors save "Unicode" as UTF-16 with a byte-order mark (the XML parser
    # reads it from the bytes; the test for XML or a URL needs the text).
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    text = raw.decode("utf-16" if utf16 else "utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return _from_urls(path, text)
    try:
        root = DET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise NfoError(path, "refused: it declares XML entities (a billion-laughs risk)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise NfoError(path, "refused: it references external XML resources") from None
    except defusedxml.DefusedXmlException as exc:
        raise NfoError(path, f"refused: unsafe XML ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        # Kodi allows XML followed by a URL; a URL anywhere still identifies the title.
        info = _from_urls(path, text, strict=False)
        if info.ids:
            return info
        raise NfoError(path, f"not well-formed XML ({exc})") from None
    return _from_xml(path, root)


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = " ".join(element.text.split())
    return value or None


def _from_xml(path: Path, root: ET.Element) -> NfoInfo:
    kind = _ROOTS.get(root.tag.lower())
    ids: dict[str, str] = {}
    for unique in root.findall("uniqueid"):
        source = (unique.get("type") or "").lower()
        value = _text(unique)
        if value and source in ("tmdb", "tvdb", "imdb"):
            ids.setdefault(source, value)
    for tag, source in (
        ("tmdbid", "tmdb"),
        ("tvdbid", "tvdb"),
        ("imdbid", "imdb"),
        ("imdb_id", "imdb"),
    ):
        value = _text(root.find(tag))
        if value:
            ids.setdefault(source, value)
    legacy = _text(root.find("id"))  # old Kodi: the IMDb id of a film, TVDB id of a show
    if legacy:
        if legacy.lower().startswith("tt"):
            ids.setdefault("imdb", legacy)
        elif legacy.isdigit() and kind == SERIES:
            ids.setdefault("tvdb", legacy)
    found = ExternalIds(
        tmdb=ids.get("tmdb") if ids.get("tmdb", "").isdigit() else None,
        tvdb=ids.get("tvdb") if ids.get("tvdb", "").isdigit() else None,
        imdb=ids["imdb"].lower() if re.fullmatch(r"tt\d{7,9}", ids.get("imdb", ""), re.I) else None,
    )
    year = year_of(_text(root.find("year"))) or year_of(_text(root.find("premiered")))
    return NfoInfo(
        path=path,
        kind=kind,
        title=_text(root.find("title")),
        original_title=_text(root.find("originaltitle")),
        year=year,
        ids=found,
        runtime=_minutes(_text(root.find("runtime"))),
    )


def _minutes(text: str | None) -> int | None:
    """``<runtime>`` in minutes ("136", sometimes "136 min"); None when absent or odd."""
    match = re.match(r"\d{1,4}", text or "")
    value = int(match.group()) if match else 0
    return value if 0 < value < 2000 else None


def _from_urls(path: Path, text: str, *, strict: bool = True) -> NfoInfo:
    tmdb = _URL_TMDB.search(text)
    tvdb = _URL_TVDB.search(text)
    imdb = _URL_IMDB.search(text)
    ids = ExternalIds(
        tmdb=tmdb.group(2) if tmdb else None,
        tvdb=tvdb.group(1) if tvdb else None,
        imdb=imdb.group(1).lower() if imdb else None,
    ).merged(extract_ids(text[:4096]))
    if strict and not ids:
        raise NfoError(path, "neither XML nor a provider URL")
    kind = None
    if tmdb:
        kind = SERIES if tmdb.group(1).lower() == "tv" else MOVIE
    return NfoInfo(path=path, kind=kind, ids=ids)
