"""Media facts: ``media_facts``, one row per file from its latest ``Analyzed`` event, and
the read functions over it (quality picture for ``status``, unreadable media for ``check``,
durations for ``enrich``, what ``analyze`` still has to do).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from videotheque.domain.media_facts import language_code, media_problem, resolution_label
from videotheque.domain.paths import display
from videotheque.projections.base import insert_columns
from videotheque.projections.events import StoredEvent

_COLUMNS = {
    "file_id": "UUID",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "problem": "VARCHAR",
    "container": "VARCHAR",
    "duration_s": "DOUBLE",
    "overall_bitrate": "BIGINT",
    "embedded_title": "VARCHAR",
    "truncated": "BOOLEAN",
    "video_codec": "VARCHAR",
    "width": "INTEGER",
    "height": "INTEGER",
    "frame_rate": "DOUBLE",
    "hdr": "VARCHAR",
    "resolution": "VARCHAR",
    "audio": "JSON",
    "subtitles": "JSON",
    "audio_languages": "VARCHAR[]",
    "subtitle_languages": "VARCHAR[]",
    "mediainfo_version": "VARCHAR",
    "analyzed_path": "VARCHAR",
    "analyzed_at": "TIMESTAMPTZ",
    "run_id": "VARCHAR",
}


class MediaProjection:
    name = "media"
    schema = "media.sql"
    tables: tuple[str, ...] = ("media_facts",)

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        latest: dict[str, StoredEvent] = {}
        for e in events:
            if e.aggregate == "MediaFile" and e.type == "Analyzed":
                latest[e.originator_id] = e  # store order: the last analysis wins
        if not latest:
            return
        ids = sorted(latest)
        con.execute("DELETE FROM media_facts WHERE file_id IN (SELECT unnest($1::UUID[]))", [ids])
        rows = [_row(latest[i]) for i in ids]
        insert_columns(
            con, "media_facts", {c: (t, [r[c] for r in rows]) for c, t in _COLUMNS.items()}
        )


def _row(e: StoredEvent) -> dict[str, Any]:
    facts: dict[str, Any] = e.data.get("facts") or {}
    video = facts.get("video") or {}
    audio = list(facts.get("audio") or [])
    subtitles = list(facts.get("subtitles") or [])
    return {
        "file_id": e.originator_id,
        "status": facts.get("status"),
        "reason": facts.get("reason"),
        "problem": media_problem(facts),
        "container": facts.get("container"),
        "duration_s": facts.get("duration_s"),
        "overall_bitrate": facts.get("overall_bitrate"),
        "embedded_title": facts.get("title"),
        "truncated": bool(facts.get("truncated")),
        "video_codec": video.get("codec"),
        "width": video.get("width"),
        "height": video.get("height"),
        "frame_rate": video.get("frame_rate"),
        "hdr": video.get("hdr"),
        "resolution": resolution_label(video.get("width"), video.get("height")),
        "audio": json.dumps(audio, ensure_ascii=True),
        "subtitles": json.dumps(subtitles, ensure_ascii=True),
        "audio_languages": _languages(audio),
        "subtitle_languages": _languages(subtitles),
        "mediainfo_version": e.data.get("mediainfo_version"),
        "analyzed_path": display(e.data["path"]) if e.data.get("path") else None,
        "analyzed_at": e.timestamp,
        "run_id": e.data.get("run_id"),
    }


def _languages(tracks: Iterable[dict[str, Any]]) -> list[str]:
    codes = (language_code(t.get("language")) for t in tracks)
    return list(dict.fromkeys(c for c in codes if c))


# ---- reading ------------------------------------------------------------------------------


def analysis_targets(con: duckdb.DuckDBPyConnection, everything: bool) -> list[tuple[str, str]]:
    """``(file_id, stored path)`` of the present files to analyse: those never analysed, or
    every present file when ``everything``."""
    sql = (
        "SELECT f.id, f.raw_path FROM catalog_files f "
        "LEFT JOIN media_facts m ON m.file_id = f.id WHERE f.status = 'present'"
    )
    if not everything:
        sql += " AND m.file_id IS NULL"
    rows = con.execute(sql + " ORDER BY f.path").fetchall()
    return [(str(fid), bytes(raw).decode("utf-8", "surrogateescape")) for fid, raw in rows]


def unreadable_media(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Present files MediaInfo cannot read, of zero duration, or truncated:
    ``[{"path", "reason"}]`` with stored paths (``os.fsdecode`` form; ``display`` them for
    people), by path."""
    rows = con.execute(
        "SELECT f.raw_path, m.problem FROM catalog_files f "
        "JOIN media_facts m ON m.file_id = f.id "
        "WHERE f.status = 'present' AND m.problem IS NOT NULL"
    ).fetchall()
    out = [
        {"path": bytes(raw).decode("utf-8", "surrogateescape"), "reason": problem}
        for raw, problem in rows
    ]
    out.sort(key=lambda u: u["path"])
    return out


def durations(
    con: duckdb.DuckDBPyConnection, file_ids: Iterable[str] | None = None
) -> dict[str, float]:
    """Duration in seconds of each analysed file (of ``file_ids`` when given): the evidence
    ``enrich`` weighs with ``domain.media_facts.runtime_penalty`` and ``looks_partial``."""
    sql = "SELECT file_id, duration_s FROM media_facts WHERE duration_s > 0"
    params: list[Any] = []
    if file_ids is not None:
        sql += " AND file_id IN (SELECT unnest($1::UUID[]))"
        params.append(list(file_ids))
    return {str(fid): float(d) for fid, d in con.execute(sql, params).fetchall()}


def media_summary(
    con: duckdb.DuckDBPyConnection, languages: Sequence[str] = ("fr",)
) -> dict[str, Any]:
    """The quality picture of the present files: how many were analysed, their total
    hours, resolutions, video codecs, HDR, and the films lacking ``languages``."""
    wanted = [c for c in (language_code(x) for x in languages) if c]
    base = (
        "FROM catalog_files f LEFT JOIN media_facts m ON m.file_id = f.id "
        "WHERE f.status = 'present'"
    )
    analyzed, missing, hours, unreadable = con.execute(
        "SELECT count(m.file_id), count(*) - count(m.file_id), "
        "coalesce(sum(m.duration_s) FILTER (WHERE m.status = 'ok'), 0) / 3600.0, "
        "count(m.problem) " + base
    ).fetchone() or (0, 0, 0.0, 0)

    def distribution(column: str) -> list[dict[str, Any]]:
        rows = con.execute(
            f"SELECT m.{column}, count(*) AS n {base} AND m.status = 'ok' "
            f"AND m.{column} IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1"
        ).fetchall()
        return [{"value": value, "files": int(n)} for value, n in rows]

    without_audio, without_either = con.execute(
        "SELECT count(*) FILTER (WHERE NOT list_has_any(m.audio_languages, $1::VARCHAR[])), "
        "count(*) FILTER (WHERE NOT list_has_any(m.audio_languages, $1::VARCHAR[]) "
        "AND NOT list_has_any(m.subtitle_languages, $1::VARCHAR[])) "
        + base
        + " AND f.kind = 'movie' AND m.status = 'ok' AND json_array_length(m.audio) > 0",
        [wanted],
    ).fetchone() or (0, 0)
    by_status = dict(
        con.execute(
            f"SELECT m.status, count(*) {base} AND m.status IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    return {
        "analyzed": int(analyzed),
        "not_analyzed": int(missing),
        "by_status": {k: int(v) for k, v in sorted(by_status.items())},
        "unreadable_media": int(unreadable),
        "total_hours": round(float(hours), 2),
        "resolutions": distribution("resolution"),
        "video_codecs": distribution("video_codec"),
        "hdr": distribution("hdr"),
        "languages": wanted,
        "movies_without_audio_language": int(without_audio),
        "movies_without_audio_or_subtitle_language": int(without_either),
    }
