"""Repairing broken links: which files a broken link may have meant, ranked.

Pure logic. The adapters observe the disk (commands/adapters/linkscan.py), read the catalog and
parse names; this module decides:

1. by identity: the link's old target is a path the catalog knows (a file had it, or has it
   still); that file's current paths are the candidates. One candidate is *certain*.
   A target outside the storage root (the root moved: ``/old/mount/Films/X/x.mkv``) is
   looked up by its trailing components, longest first, at least a folder and a file name.
2. by name: same parsed title and year (films) or title, season and episode (episodes),
   and same base name; scored and ranked, never certain.
3. none: an orphan.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from videotheque.domain.titles import normalize_title

# Why a link is a finding.
MISSING = "missing"  # its target does not exist
LOOP = "loop"  # resolving it loops
OUTSIDE = "outside"  # it resolves outside the storage root
UNREADABLE = "unreadable"  # stat failed otherwise (permissions, I/O error)

# How a candidate was found.
IDENTITY = "identity"
NAME = "name"
BASENAME = "basename"

# What to do with a broken link.
REPAIR = "repair"
QUARANTINE = "quarantine"
SKIP = "skip"

MAX_CANDIDATES = 9
MIN_SUFFIX_PARTS = 2


@dataclass(frozen=True)
class Broken:
    """A broken link: path relative to the video root, its text, what it resolves to
    (absolute, normalised), that relative to storage (None: outside) and why it is broken."""

    link: str
    target: str
    resolved: str
    target_path: str | None
    problem: str

    @property
    def absolute(self) -> bool:
        return self.target.startswith("/")


@dataclass(frozen=True)
class NameInfo:
    """What a name parses to (from the link's path, or its old target's)."""

    kind: str | None
    title: str | None
    year: int | None = None
    season: int | None = None
    episode: int | None = None


@dataclass(frozen=True)
class CatalogName:
    """A present catalogued file and its parsed (or enriched) name, for matching by name."""

    file_id: str
    path: str
    kind: str | None
    title: str | None
    year: int | None = None
    season: int | None = None
    episode: int | None = None


@dataclass(frozen=True)
class LinkCandidate:
    path: str  # relative to the storage root
    file_id: str | None
    method: str  # identity | name | basename
    score: float
    reason: str


@dataclass(frozen=True)
class Proposal:
    broken: Broken
    candidates: tuple[LinkCandidate, ...] = ()

    @property
    def certain(self) -> bool:
        """One candidate, found by identity: safe to apply without asking."""
        return len(self.candidates) == 1 and self.candidates[0].method == IDENTITY

    @property
    def orphan(self) -> bool:
        return not self.candidates


@dataclass(frozen=True)
class LinkDecision:
    action: str  # repair | quarantine | skip
    candidate: LinkCandidate | None = None
    reason: str = ""


# -- identity -------------------------------------------------------------------------


def identity_keys(b: Broken) -> list[str]:
    """Storage-relative paths the old target may be known by, best first."""
    if b.target_path:
        return [b.target_path]
    parts = [p for p in b.resolved.split("/") if p]
    return ["/".join(parts[i:]) for i in range(0, len(parts) - MIN_SUFFIX_PARTS + 1) if parts[i:]]


def identity_candidates(
    keys: Sequence[str],
    holders: Mapping[str, Sequence[tuple[str, int]]],
    current_paths: Mapping[str, Sequence[str]],
) -> list[LinkCandidate]:
    """The current paths of the files that had the first known key.

    ``holders``: path -> [(file_id, position of the last event that gave it that path)];
    ``current_paths``: file_id -> its paths now. The latest holder comes first; a file's
    path with the old base name comes before its other copies.
    """
    for key in keys:
        found = holders.get(key)
        if not found:
            continue
        base = posixpath.basename(key)
        out: list[LinkCandidate] = []
        seen: set[str] = set()
        for fid, _ in sorted(found, key=lambda h: (-h[1], h[0])):
            paths = sorted(current_paths.get(fid, ()), key=lambda p: (_base(p) != base, p))
            for p in paths:
                if p in seen:
                    continue
                seen.add(p)
                why = "same content, was at " + key if p != key else "same content"
                out.append(LinkCandidate(p, fid, IDENTITY, 1.0, why))
        if out:
            return out
    return []


def _base(path: str) -> str:
    return posixpath.basename(path)


# -- names ----------------------------------------------------------------------------


@dataclass
class NameIndex:
    """The catalog's present files indexed by normalised name and base name."""

    movies: dict[tuple[str, int | None], list[CatalogName]] = field(default_factory=dict)
    titles: dict[str, list[CatalogName]] = field(default_factory=dict)
    episodes: dict[tuple[str, int, int], list[CatalogName]] = field(default_factory=dict)
    bases: dict[str, list[CatalogName]] = field(default_factory=dict)

    @classmethod
    def build(cls, files: Iterable[CatalogName]) -> NameIndex:
        index = cls()
        for f in files:
            index.bases.setdefault(_base(f.path).casefold(), []).append(f)
            if not f.title:
                continue
            norm = normalize_title(f.title)
            if not norm:
                continue
            if f.kind == "episode":
                if f.season is not None and f.episode is not None:
                    index.episodes.setdefault((norm, f.season, f.episode), []).append(f)
            elif f.kind == "movie":
                index.movies.setdefault((norm, f.year), []).append(f)
                index.titles.setdefault(norm, []).append(f)
        return index

    def candidates(self, names: Sequence[NameInfo], base: str) -> list[LinkCandidate]:
        """Files with the same parsed name as any of ``names``, or the same base name."""
        scored: dict[str, tuple[float, str, str, str]] = {}  # path -> (score, method, why, id)

        def add(f: CatalogName, score: float, method: str, why: str) -> None:
            old = scored.get(f.path)
            if old is None:
                scored[f.path] = (score, method, why, f.file_id)
                return
            # a second, independent reason makes it likelier: name and base name agree
            best = max(old[0], score)
            combined = min(0.99, best + 0.05) if old[2] != why else best
            method = NAME if NAME in (old[1], method) else method
            text = old[2] if old[0] >= score else why
            if old[2] != why:
                text = f"{old[2]}; {why}"
            scored[f.path] = (combined, method, text, f.file_id)

        for info in names:
            if not info.title:
                continue
            norm = normalize_title(info.title)
            if not norm:
                continue
            if info.kind == "episode" and info.season is not None and info.episode is not None:
                for f in self.episodes.get((norm, info.season, info.episode), []):
                    add(f, 0.9, NAME, "same title, season and episode")
            elif info.kind != "episode":
                if info.year is not None:
                    for f in self.movies.get((norm, info.year), []):
                        add(f, 0.9, NAME, "same title and year")
                for f in self.titles.get(norm, []):
                    if f.year is None or info.year is None:
                        add(f, 0.6, NAME, "same title (a year is unknown)")
        if base:
            for f in self.bases.get(base.casefold(), []):
                add(f, 0.7, BASENAME, "same file name")
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [
            LinkCandidate(path, fid, method, round(score, 2), why)
            for path, (score, method, why, fid) in ranked
        ]


def old_base_name(b: Broken) -> str:
    """The file name the link pointed at (its target's last component)."""
    return posixpath.basename(b.resolved.rstrip("/"))


def propose(
    b: Broken,
    by_identity: Sequence[LinkCandidate],
    by_name: Sequence[LinkCandidate] = (),
    exclude: Iterable[str] = (),
) -> Proposal:
    """The ranked candidates: identity ones when there are any, else name ones.

    ``exclude`` lists storage paths that cannot be targets (they do not exist on disk).
    """
    banned = set(exclude)
    first = [c for c in by_identity if c.path not in banned]
    chosen = first or [c for c in by_name if c.path not in banned]
    return Proposal(b, tuple(chosen[:MAX_CANDIDATES]))


def decide_auto(p: Proposal, quarantine_orphans: bool) -> LinkDecision:
    """What ``--auto`` does: certain repairs; orphans only with ``--quarantine-orphans``."""
    if p.certain:
        return LinkDecision(REPAIR, p.candidates[0])
    if p.orphan:
        if quarantine_orphans:
            return LinkDecision(QUARANTINE)
        return LinkDecision(SKIP, reason="orphan: no candidate (use --quarantine-orphans)")
    if p.candidates[0].method == IDENTITY:
        reason = f"ambiguous: {len(p.candidates)} copies of the same content"
        return LinkDecision(SKIP, reason=reason)
    return LinkDecision(SKIP, reason=f"not certain: {len(p.candidates)} candidate(s) by name")


# -- writing links ----------------------------------------------------------------------


def link_text(target_abs: str, link_dir_abs: str, absolute: bool) -> str:
    """The text of a link at a file in ``link_dir_abs`` naming ``target_abs``: absolute,
    or relative to the link's folder (both given absolute and free of symlinks)."""
    if absolute:
        return posixpath.normpath(target_abs)
    return posixpath.relpath(target_abs, link_dir_abs)


def quarantine_path(run_id: str, link: str) -> str:
    """Where a quarantined link goes, relative to the trash root."""
    return f"orphans/{run_id}/{link}"


def undo_trash_path(run_id: str, link: str) -> str:
    """Where an undo puts a link it takes away, relative to the trash root."""
    return f"undo/{run_id}/{link}"
