"""NFO sidecars beside the links of the video tree, so media servers take the catalog's match.

For each link videotheque made to a file with a match (enriched or validated), in the
Kodi / Jellyfin schema:

- a film: ``<link name>.nfo`` beside the link, ``<movie>`` with ``<title>``, ``<year>`` and
  ``<uniqueid type="tmdb|tvdb|imdb" default="true">``;
- a show: ``tvshow.nfo`` in the show's folder (the folder above ``Season NN``), ``<tvshow>``
  with the show's title, year and id;
- an episode: ``<link name>.nfo``, ``<episodedetails>`` with ``<title>``, ``<showtitle>``,
  ``<season>``, ``<episode>``.

Text is XML-escaped (``xml.sax.saxutils``); a character XML 1.0 cannot hold at all (a
control character, a lone surrogate from a badly decoded name, U+FFFE/U+FFFF) becomes
U+FFFD, so the file always parses. A user's NFO is never replaced: a path is
written only when nothing is there, or when what is there is exactly what videotheque
wrote last (its hash, from the ``Sidecar`` events). Each write is recorded *before* the
file is put in place (a kill in between leaves an event whose file the next run writes),
and the file is written to a temporary name, then linked to its name, which fails if
anything appeared there meanwhile (no overwrite); replacing our own file is a rename.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape, quoteattr

from videotheque.commands.ports import Workspace
from videotheque.domain.paths import display
from videotheque.domain.sidecar import Sidecar, sidecar_id
from videotheque.projections.maintenance import nfo_targets

_SEASON = re.compile(r"^(season|saison|staffel|temporada|stagione)\s*\d+$|^specials$", re.I)
BATCH = 200


@dataclass
class NfoReport:
    run_id: str | None = None
    written: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)  # a user's file: left alone
    errors: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def summary(self) -> dict[str, Any]:
        return {"written": len(self.written), "unchanged": self.unchanged,
                "kept": len(self.kept), "errors": len(self.errors)}  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "written": self.written, "unchanged": self.unchanged,
                "kept": self.kept, "errors": self.errors, "dry_run": self.dry_run}  # fmt: skip


def _ids(provider: str | None, provider_id: str | None) -> list[tuple[str, str]]:
    """``[(type, value)]`` from a match: ``tmdb``/``603``, or an NFO's ``tmdb:603``."""
    if not provider or not provider_id:
        return []
    if provider == "nfo" and ":" in provider_id:
        provider, _, provider_id = provider_id.partition(":")
    if provider in ("tmdb", "tvdb", "imdb"):
        return [(provider, provider_id)]
    return []


# What XML 1.0 cannot hold, even as a character reference (its ``Char`` production).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """``value`` escaped for XML text or an attribute, with what XML forbids replaced."""
    return escape(_NOT_XML.sub("\ufffd", value))


def _uniqueids(ids: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, (t, v) in enumerate(ids):
        default = ' default="true"' if i == 0 else ""
        kind = quoteattr(_NOT_XML.sub("\ufffd", t))
        out.append(f"  <uniqueid type={kind}{default}>{_text(v)}</uniqueid>")
    return out


def _doc(root: str, lines: list[str]) -> bytes:
    body = "\n".join(
        ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
         "<!-- written by videotheque from its catalog; edit it and it is left alone -->",
         f"<{root}>", *lines, f"</{root}>", ""]
    )  # fmt: skip
    return body.encode("utf-8")


def _el(tag: str, value: Any) -> list[str]:
    return [] if value is None or value == "" else [f"  <{tag}>{_text(str(value))}</{tag}>"]


def movie_nfo(title: str, year: int | None, ids: list[tuple[str, str]]) -> bytes:
    return _doc("movie", [*_el("title", title), *_el("year", year), *_uniqueids(ids)])


def tvshow_nfo(title: str, year: int | None, ids: list[tuple[str, str]]) -> bytes:
    return _doc("tvshow", [*_el("title", title), *_el("year", year), *_uniqueids(ids)])


def episode_nfo(show: str, season: int, episode: int | None, year: int | None) -> bytes:
    number = f"S{season:02d}E{episode:02d}" if episode is not None else f"S{season:02d}"
    return _doc(
        "episodedetails",
        [*_el("title", f"{show} {number}"), *_el("showtitle", show), *_el("season", season),
         *_el("episode", episode), *_el("year", year)],
    )  # fmt: skip


def show_folder(link: str) -> str:
    parent = posixpath.dirname(link)
    if _SEASON.match(posixpath.basename(parent)):
        return posixpath.dirname(parent)
    return parent


def planned(targets: list[dict[str, Any]]) -> dict[str, tuple[str, str | None, bytes]]:
    """NFO path (relative to the video root) -> (kind, file id, content)."""
    out: dict[str, tuple[str, str | None, bytes]] = {}
    for t in targets:
        ids = _ids(t["provider"], t["provider_id"])
        stem = posixpath.splitext(t["link"])[0]
        if t["kind"] == "movie":
            if ids:
                out[stem + ".nfo"] = ("movie", t["file_id"], movie_nfo(t["title"], t["year"], ids))
            continue
        if t["season"] is None:
            continue
        episode = t["episode"] if t["episode"] is not None else (t["episodes"] or [None])[0]
        out[stem + ".nfo"] = ("episode", t["file_id"],
                              episode_nfo(t["title"], t["season"], episode, None))  # fmt: skip
        folder = show_folder(t["link"])
        show = posixpath.join(folder, "tvshow.nfo") if folder else "tvshow.nfo"
        if ids and show not in out:
            out[show] = ("tvshow", None, tvshow_nfo(t["title"], t["year"], ids))
    return out


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _on_disk(path: str) -> str | None:
    """The hash of the regular file at ``path``; "" for something else there; None: free."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not os.path.isfile(path) or os.path.islink(path):
        return ""
    del st
    with open(path, "rb") as f:
        return content_hash(f.read(4 * 1024 * 1024))


def write_nfos(session: Workspace, *, dry_run: bool = False) -> NfoReport:
    """Write (or refresh) the NFO sidecars of the video tree; a run of its own."""
    report = NfoReport(dry_run=dry_run)
    video = session.config.video
    assert video is not None
    root = os.fsdecode(os.path.abspath(video))
    with session.read() as con:
        plan = planned(nfo_targets(con))
    # Decide first (nothing recorded), then record: a run only when something is written.
    decided: list[tuple[str, str, str | None, str, Sidecar | None, str | None]] = []
    for rel, (kind, file_id, data) in plan.items():
        path = os.path.join(root, rel)
        if not os.path.isdir(os.path.dirname(path)):
            continue  # the link's folder is gone (quarantined, undone): nothing to describe
        digest = content_hash(data)
        try:
            known: Sidecar | None = session.get(sidecar_id(rel))
        except Exception:
            known = None
        there = _on_disk(path)
        if there == digest:
            report.unchanged += 1
            continue
        ours = known is not None and there in (known.content_hash, None)
        if there is not None and not ours:
            report.kept.append(
                {
                    "path": display(rel),
                    "reason": "not written by videotheque"
                    if known is None
                    else "changed since videotheque wrote it",
                }
            )
            continue
        beside = os.path.join(os.path.dirname(path), "movie.nfo")
        if kind == "movie" and os.path.lexists(beside):
            # Someone's movie.nfo describes this film (videotheque never writes that name):
            # a <name>.nfo beside it would win in Kodi and Jellyfin, overriding theirs.
            why = "a movie.nfo not written by videotheque is beside it"
            report.kept.append({"path": display(rel), "reason": why})
            continue
        decided.append((rel, kind, file_id, digest, known, there))
        report.written.append({"path": display(rel), "kind": kind, "file_id": file_id})
    run_id = "dry-run"
    if not dry_run and decided:
        run = session.start_run("nfo", {"sidecars": len(decided)})
        run_id = report.run_id = run.run_id
    # (path, data, to save, hash of our own file there to replace: None when nothing is)
    todo: list[tuple[str, bytes, Sidecar | None, str | None]] = []
    for rel, kind, file_id, digest, known, replace in decided:
        data = plan[rel][2]
        path = os.path.join(root, rel)
        if dry_run:
            continue
        if known is None:
            todo.append((path, data, Sidecar.first_written(rel, kind, file_id, digest, run_id),
                         replace))  # fmt: skip
        elif known.content_hash == digest:  # recorded, but not on disk (a kill, a person)
            todo.append((path, data, None, replace))
        else:
            known.rewrite(file_id, digest, run_id)
            todo.append((path, data, known, replace))
    if dry_run:
        return report
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        to_save = [agg for _, _, agg, _ in batch if agg is not None]
        if to_save:
            session.save(*to_save)  # recorded first, then put on disk
        for path, data, _, replace in batch:
            try:
                _put(path, data, replace, run_id)
            except OSError as exc:
                report.errors.append({"path": display(os.path.relpath(path, root)),
                                      "reason": exc.strerror or str(exc)})  # fmt: skip
    if report.run_id:
        session.finish_run(report.summary, 1 if report.errors else 0)
        session.catch_up()
    return report


def _put(path: str, data: bytes, replace: str | None, run_id: str) -> None:
    """Put ``data`` at ``path``: only where nothing is, or over our own file whose hash is
    ``replace`` (looked at again now: a person may have edited it since the run decided)."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{run_id[:8]}.vtq-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        there = _on_disk(path) if replace is not None else None
        if there is not None and there != replace:
            raise OSError(17, "changed since this run looked at it: left alone")
        if there is not None:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if anything appeared there: never overwrites
            except FileExistsError:
                raise OSError(17, "a file appeared there meanwhile: left alone") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _uuid(value: str) -> UUID:
    return UUID(value)
