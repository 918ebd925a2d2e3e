"""The one save path (``Session.save``, ``Session.save_all``) on eventsourcing's in-memory
store: atomic appends a batch at a time, and one error policy (the store's failures are
``StoreError``, a concurrent writer's ``StoreConflictError``, anything else as it is)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from videotheque.commands.bootstrap import Session
from videotheque.commands.config import Config
from videotheque.commands.errors import EXIT_FINDINGS, StoreConflictError, StoreError
from videotheque.commands.library import Library
from videotheque.domain.run import Run
from videotheque.projections.projector import Projector


class RecordingRecorder(POPOApplicationRecorder):
    """The in-memory recorder, noting each append's size; ``fail_at``: the append (1 for
    the first) that fails as SQLite does when its disk is full."""

    def __init__(self) -> None:
        super().__init__()
        self.appends: list[int] = []
        self.fail_at: int | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        if self.fail_at == len(self.appends) + 1:
            raise OperationalError("disk I/O error")
        result = super().insert_events(stored_events, **kwargs)
        self.appends.append(len(stored_events))
        return result


class RecordingStore(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return RecordingRecorder()


@pytest.fixture
def session(tmp_path: Path) -> Session:
    library = Library(env={"PERSISTENCE_MODULE": f"{__name__}:RecordingStore"})
    projector = Projector(tmp_path / "catalog.duckdb", library.recorder)
    return Session(config=Config(home=tmp_path), library=library, projector=projector)


def recorder(session: Session) -> RecordingRecorder:
    rec = session.library.recorder
    assert isinstance(rec, RecordingRecorder)
    return rec


def runs(n: int) -> list[Run]:
    return [
        Run(run_id=str(uuid.uuid4()), command="import", arguments={"i": i},
            app_version="test", host="here", started_at="2026-01-01T00:00:00+00:00")
        for i in range(n)
    ]  # fmt: skip


def test_save_is_one_append_and_the_aggregates_read_back(session: Session) -> None:
    made = runs(3)
    made[0].finish(summary={"ok": True}, exit_code=0, ended_at="2026-01-01T00:01:00+00:00")
    assert session.save(*made) == 4
    assert recorder(session).appends == [4]
    again: Run = session.get(made[0].id)
    assert (again.version, again.exit_code, again.arguments) == (2, 0, {"i": 0})
    assert session.position() == 4
    session.catch_up()
    with session.read() as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (3,)


def test_save_all_appends_a_batch_at_a_time(session: Session) -> None:
    assert session.save_all(iter(runs(5)), batch=2) == 5
    assert recorder(session).appends == [2, 2, 1]
    assert session.save_all([]) == 0
    assert recorder(session).appends == [2, 2, 1]


def test_a_failing_store_is_a_store_error_and_the_batches_before_it_are_kept(
    session: Session,
) -> None:
    recorder(session).fail_at = 3
    made = runs(5)
    with pytest.raises(StoreError) as caught:
        session.save_all(made, batch=2)
    assert str(caught.value).startswith("cannot write the event store: disk I/O error")
    assert caught.value.exit_code == EXIT_FINDINGS
    assert isinstance(caught.value.__cause__, OperationalError)
    assert not isinstance(caught.value, StoreConflictError)
    assert recorder(session).appends == [2, 2]
    assert session.position() == 4
    assert session.get(made[3].id).version == 1


def test_a_concurrent_writer_is_a_store_conflict(session: Session) -> None:
    (run,) = runs(1)
    session.save(run)
    first: Run = session.get(run.id)
    second: Run = session.get(run.id)
    first.record_findings("ghosts", [{"path": "a.mkv"}])
    session.save(first)
    second.record_findings("ghosts", [{"path": "b.mkv"}])
    with pytest.raises(StoreConflictError) as caught:
        session.save(second)
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert session.position() == 2


def test_what_is_not_the_store_propagates_as_it_is(session: Session) -> None:
    (run,) = runs(1)
    run.record_findings("odd", [{"what": object()}])  # no transcoding for it
    with pytest.raises(TypeError):
        session.save(run)
    assert session.position() == 0
