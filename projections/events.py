"""Stored events as the read side sees them: plain dicts, decoded without the domain.

The projector reads notifications straight from the recorder and decodes their JSON
state itself: transcoded values (``{"_type_": ..., "_data_": ...}``: uuids, datetimes,
paths) become their plain data. That is faster than rebuilding domain event objects and
keeps the read side free of the write side's classes.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import orjson


class StoredEvent:
    """One stored event. Its ``data`` is decoded on first use: most of a long catch-up is
    made of events every projection takes in SQL from their ``payload`` text (see
    ``staged``), and those are never decoded in Python at all."""

    __slots__ = (
        "_data",
        "_state",
        "aggregate",
        "originator_id",
        "payload",
        "position",
        "timestamp",
        "topic",
        "type",
        "version",
    )  # fmt: skip

    def __init__(
        self,
        position: int,
        originator_id: str,
        version: int,
        topic: str,
        aggregate: str,
        type: str,
        timestamp: str,
        data: dict[str, Any] | None = None,
        *,
        state: bytes | None = None,
        payload: str | None = None,
    ) -> None:
        self.position = position
        self.originator_id = originator_id
        self.version = version
        self.topic = topic
        self.aggregate = aggregate  # MediaFile, Run, Link, ...
        self.type = type  # Imported, Moved, Started, ...
        self.timestamp = timestamp
        # The event's data as JSON text (valid UTF-8, transcoded values unwrapped) when it
        # could be cut from the stored state without decoding it: then the event is staged.
        self.payload = payload
        self._state = state
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            assert self._state is not None
            data = decode_state(self._state)
            data.pop("timestamp", None)
            data.pop("originator_topic", None)
            self._data = data
        return self._data

    @property
    def run_id(self) -> str | None:
        value = self.data.get("run_id")
        return str(value) if value is not None else None

    @property
    def staged(self) -> bool:
        """Its payload went to the ``staged_events`` table the SQL projections read."""
        return self.payload is not None

    @property
    def in_sql(self) -> bool:
        """Staged, and of a type every projection concerned projects in SQL
        (``SQL_TYPES``): the Python projections skip it."""
        return self.payload is not None and (self.aggregate, self.type) in SQL_TYPES

    def __repr__(self) -> str:
        return f"StoredEvent({self.position}, {self.aggregate}.{self.type}, {self.originator_id})"


# The events projected in SQL from ``staged_events`` by every projection that reads them
# (events, catalog_files, file_paths, file_path_log): the bulk of a first import.
# Imported is the first event of its file, so projecting it before the Python projections
# see the rest of a batch keeps the store's order.
SQL_TYPES = frozenset({("MediaFile", "Imported")})


def _unwrap(obj: dict[str, Any]) -> Any:
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        return obj["_data_"]
    return obj


_decoder = json.JSONDecoder(object_hook=_unwrap)
_TRANSCODED = b'"_type_"'


def _unwrap_all(value: Any) -> Any:
    if isinstance(value, dict):
        value = {k: _unwrap_all(v) for k, v in value.items()}
        return _unwrap(value)
    if isinstance(value, list):
        return [_unwrap_all(v) for v in value]
    return value


def decode_state(state: bytes) -> dict[str, Any]:
    """An event's stored JSON as plain data. orjson (several times faster than json: the
    projector decodes every event) when it can; json for what orjson refuses (a non-UTF-8
    file name's lone surrogates). Only the timestamp is transcoded in most events; other
    transcoded values (``{"_type_": ..., "_data_": ...}``) are unwrapped wherever they are.
    (orjson reads integers beyond 64 bits as floats; no event holds one.)"""
    try:
        data: dict[str, Any] = orjson.loads(state)
    except orjson.JSONDecodeError:
        return dict(_decoder.decode(state.decode("utf-8")))
    if state.count(_TRANSCODED) > 1:
        return dict(_unwrap_all(data))
    ts = data.get("timestamp")
    if isinstance(ts, dict):
        data["timestamp"] = _unwrap(ts)
    return data


def decode(
    position: int, originator_id: Any, version: int, topic: str, state: bytes
) -> StoredEvent:
    """A stored event, staged when its state has the usual shape (see ``cut_payload``)."""
    aggregate, type_ = _names(topic)
    cut = cut_payload(state)
    if cut is not None:
        timestamp, payload = cut
        return StoredEvent(
            position, str(originator_id), version, topic, aggregate, type_, timestamp,
            state=state, payload=payload,
        )  # fmt: skip
    data = decode_state(state)
    timestamp = data.pop("timestamp", None)
    data.pop("originator_topic", None)
    return StoredEvent(
        position, str(originator_id), version, topic, aggregate, type_, str(timestamp), data
    )


# What eventsourcing's JSON transcoder writes first: the transcoded timestamp, then, in a
# created event, the aggregate's topic (a module path: no quote, no escape).
_USUAL = re.compile(
    rb'\{"timestamp":\{"_type_":"datetime_iso","_data_":"([0-9T:.+-]+)"\}'
    rb'(?:,"originator_topic":"[^"\\]*")?(?:,|(?=\}$))'
)


def cut_payload(state: bytes) -> tuple[str, str] | None:
    """``(timestamp, payload)`` cut from a stored state without decoding it, or None when
    the state is not of the usual shape and must be decoded.

    The usual shape is what eventsourcing's JSON transcoder writes (ASCII, compact): the
    transcoded timestamp first, ``originator_topic`` next in a created event, then the
    event's own fields, none of them transcoded. The payload is then the rest of the text
    as it is. Not cut: a state with another transcoded value (it must be unwrapped), or
    with a ``\\ud`` escape (a non-UTF-8 file name's lone surrogate, which DuckDB's JSON
    refuses and which ``exact_payload`` must keep byte for byte), or with a ``NaN`` or
    ``Infinity`` (not JSON: DuckDB reads them as such, the Python path stores null), or
    not ASCII."""
    match = _USUAL.match(state)
    if match is None or b"\\ud" in state or state.count(b'"_type_"') != 1:
        return None
    if b"NaN" in state or b"Infinity" in state:
        return None  # Python's json writes them for non-finite floats: not JSON
    if not state.isascii():
        return None
    body = state[match.end() :]
    return match.group(1).decode("ascii"), "{" + body.decode("ascii") if body != b"}" else "{}"


@functools.lru_cache(maxsize=1024)
def _names(topic: str) -> tuple[str, str]:
    """``("MediaFile", "Imported")`` for ``domain.media_file:MediaFile.Imported``."""
    qualname = topic.rsplit(":", 1)[-1]
    aggregate, _, type_ = qualname.rpartition(".")
    return aggregate.rsplit(".", 1)[-1], type_
