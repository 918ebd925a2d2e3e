"""Stored events as the read side sees them: plain dicts, decoded without the domain.

The projector reads notifications straight from the recorder and decodes their JSON
state itself: transcoded values (``{"_type_": ..., "_data_": ...}``: uuids, datetimes,
paths) become their plain data. That is faster than rebuilding domain event objects and
keeps the read side free of the write side's classes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    originator_id: str
    version: int
    topic: str
    aggregate: str  # MediaFile, Run, Link, ...
    type: str  # Imported, Moved, Started, ...
    timestamp: str
    data: dict[str, Any]

    @property
    def run_id(self) -> str | None:
        value = self.data.get("run_id")
        return str(value) if value is not None else None


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
    data = decode_state(state)
    aggregate, type_ = _names(topic)
    timestamp = data.pop("timestamp", None)
    data.pop("originator_topic", None)
    return StoredEvent(
        position, str(originator_id), version, topic, aggregate, type_, str(timestamp), data
    )


@functools.lru_cache(maxsize=1024)
def _names(topic: str) -> tuple[str, str]:
    """``("MediaFile", "Imported")`` for ``domain.media_file:MediaFile.Imported``."""
    qualname = topic.rsplit(":", 1)[-1]
    aggregate, _, type_ = qualname.rpartition(".")
    return aggregate.rsplit(".", 1)[-1], type_
