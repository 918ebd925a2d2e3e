"""The MediaServer and Sidecar aggregates: what a server still has to be told, replayed from
its events; the NFO files videotheque knows it wrote."""

from __future__ import annotations

from typing import Any

import pytest

from videotheque.domain.errors import DomainError
from videotheque.domain.media_server import MediaServer, media_server_id
from videotheque.domain.sidecar import Sidecar, sidecar_id

RUN = "11111111-1111-4111-8111-111111111111"
AT = "2026-12-06T20:00:00+00:00"
HEAT = {"folder": "Films/Heat (1995)", "type": "Created"}
SHOW = {"folder": "Series/Kaamelott/Season 01", "type": "Modified"}


def replayed(agg: Any, cls: type) -> Any:
    """The aggregate rebuilt from the events it has collected (what the store gives back)."""
    events = agg.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, cls)
    return copy


def test_what_failed_is_remembered_and_sent_again_with_what_is_new() -> None:
    server = MediaServer.register("living-room", "jellyfin", RUN)
    assert server.id == media_server_id("living-room")
    server.failed([HEAT], "unreachable", None, AT, RUN)
    assert server.undelivered == [HEAT]
    moved = {"folder": "Films/Heat (1995)", "type": "Modified"}
    assert server.to_send([SHOW, moved]) == [moved, SHOW]  # newest kind wins, one per folder
    server.notified([moved, SHOW], [], 204, AT, RUN)
    assert server.undelivered == []
    again = replayed(server, MediaServer)
    assert again.undelivered == [] and again.last_told_at == AT


def test_a_partial_delivery_keeps_the_rest() -> None:
    server = MediaServer.register("plex", "plex", RUN)
    server.failed([HEAT, SHOW], "answered 503", 503, AT, RUN)
    server.notified([HEAT], [], 200, AT, RUN)
    assert replayed(server, MediaServer).undelivered == [SHOW]


def test_bad_updates_and_kinds_are_refused() -> None:
    with pytest.raises(DomainError):
        MediaServer.register("x", "winamp", RUN)
    server = MediaServer.register("x", "kodi", RUN)
    with pytest.raises(DomainError):
        server.notified([{"folder": "/abs/path", "type": "Created"}], [], 200, AT, RUN)
    with pytest.raises(DomainError):
        server.failed([{"folder": "a", "type": "Renamed"}], "x", None, AT, RUN)
    with pytest.raises(DomainError):
        server.notified([], [], 200, AT, RUN)


def test_sidecar_knows_its_hash_and_refuses_a_rewrite_to_the_same_content() -> None:
    nfo = Sidecar.first_written("Films/A (2001)/A (2001).nfo", "movie", "f1", "sha256:aa", RUN)
    assert nfo.id == sidecar_id("Films/A (2001)/A (2001).nfo")
    nfo.rewrite("f1", "sha256:bb", RUN)
    assert replayed(nfo, Sidecar).content_hash == "sha256:bb"
    with pytest.raises(DomainError):
        nfo.rewrite("f1", "sha256:bb", RUN)
    with pytest.raises(DomainError):
        Sidecar.first_written("../escape.nfo", "movie", None, "sha256:aa", RUN)
    with pytest.raises(DomainError):
        Sidecar.first_written("Films/a.txt", "movie", None, "sha256:aa", RUN)
