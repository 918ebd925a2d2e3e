"""Stored events as the read side sees them: plain dicts, decoded without the domain.

The projector reads notifications straight from the recorder and decodes their JSON
state itself: transcoded values (``{"_type_": ..., "_data_": ...}``: uuids, datetimes,
paths) become their plain data. That is faster than rebuilding domain event objects and
keeps the read side free of the write side's classes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


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


def decode(
    position: int, originator_id: Any, version: int, topic: str, state: bytes
) -> StoredEvent:
    data = _decoder.decode(state.decode("utf-8"))
    qualname = topic.rsplit(":", 1)[-1]
    aggregate, _, type_ = qualname.rpartition(".")
    timestamp = data.pop("timestamp", None)
    data.pop("originator_topic", None)
    return StoredEvent(
        position=position,
        originator_id=str(originator_id),
        version=version,
        topic=topic,
        aggregate=aggregate.rsplit(".", 1)[-1],
        type=type_,
        timestamp=str(timestamp),
        data=data,
    )
