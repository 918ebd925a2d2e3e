"""Time travel: the projections as they were at a moment, rebuilt by replaying the store.

Nothing is kept per date. A :class:`RecorderUntil` shows the projector the prefix of the
event log that ends at a timestamp (or a position), and :func:`replay_until` replays that
prefix into a temporary DuckDB file with every registered projection, so ``files``,
``runs``, ``events`` and whatever tables other commands add look exactly as an incremental
projection would have looked then. The file is deleted afterwards.

The cut is a prefix of the log: the first event stamped after the moment ends it. Events
are appended in order, so a prefix is always a state the projection really went through.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from videotheque.projections.events import StoredEvent
from videotheque.projections.projector import CatchUp, Projector, Recorder


def event_time(event: StoredEvent) -> datetime:
    """An event's timestamp as an aware datetime (naive ones are UTC)."""
    stamp = datetime.fromisoformat(event.timestamp)
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


class RecorderUntil(Recorder):
    """A recorder that ends at ``until`` (aware datetime) and/or at ``position``."""

    def __init__(
        self,
        recorder: Any,
        until: datetime | None = None,
        position: int | None = None,
    ) -> None:
        inner = recorder._recorder if isinstance(recorder, Recorder) else recorder
        super().__init__(inner)
        if until is not None and until.tzinfo is None:
            raise ValueError("until must be an aware datetime")
        self.until = until
        self.position = position
        self.ended = False  # True once an event past the cut has been seen
        self.last_position = 0

    def max_position(self) -> int:
        top = super().max_position()
        return min(top, self.position) if self.position is not None else top

    def read(self, after: int, limit: int) -> list[StoredEvent]:
        if self.ended:
            return []
        events = super().read(after, limit)
        kept: list[StoredEvent] = []
        for e in events:
            if (self.position is not None and e.position > self.position) or (
                self.until is not None and event_time(e) > self.until
            ):
                self.ended = True
                break
            kept.append(e)
        if kept:
            self.last_position = kept[-1].position
        return kept


@dataclass
class Replay:
    """A projection replayed up to a moment: its projector and what the replay did."""

    projector: Projector
    catch_up: CatchUp
    until: datetime | None
    position: int  # the last event position included
    store_position: int  # where the store is now


@contextmanager
def replay_until(
    recorder: Any,
    until: datetime | None = None,
    *,
    position: int | None = None,
    directory: Path | None = None,
) -> Iterator[Replay]:
    """Replay the store up to ``until`` / ``position`` into a temporary DuckDB file."""
    bounded = RecorderUntil(recorder, until, position)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=".as-of-", dir=str(directory) if directory else None
    ) as tmp:
        projector = Projector(Path(tmp) / "as-of.duckdb", bounded)
        result = projector.catch_up()
        yield Replay(
            projector=projector,
            catch_up=result,
            until=until,
            position=bounded.last_position,
            store_position=Recorder.max_position(bounded),
        )
