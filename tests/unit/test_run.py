"""The Run aggregate: one per command invocation, finished once."""

from __future__ import annotations

import uuid

import pytest

from videotheque.domain.errors import DomainError
from videotheque.domain.run import Run


def started() -> Run:
    return Run(
        run_id=str(uuid.UUID(int=7)),
        command="import",
        arguments={"storage": "/mnt/films", "dry_run": False},
        app_version="0.1.0",
        host="nas",
        started_at="2026-01-02T03:04:05+00:00",
    )


def test_the_run_id_is_the_aggregate_id_and_starts_unfinished() -> None:
    run = started()
    assert run.id == uuid.UUID(int=7) == Run.create_id(run.run_id)
    assert (run.command, run.host, run.app_version) == ("import", "nas", "0.1.0")
    assert run.arguments == {"storage": "/mnt/films", "dry_run": False}
    assert (run.ended_at, run.summary, run.exit_code) == (None, None, None)


def test_finish_records_summary_exit_code_and_end_with_the_run_id() -> None:
    run = started()
    run.finish({"new": 3, "errors": 1}, 1, "2026-01-02T03:05:00+00:00")
    assert (run.summary, run.exit_code, run.ended_at) == (
        {"new": 3, "errors": 1},
        1,
        "2026-01-02T03:05:00+00:00",
    )
    events = run.collect_events()
    assert [type(e).__name__ for e in events] == ["Started", "Finished"]
    assert events[-1].run_id == run.run_id  # type: ignore[attr-defined]


def test_a_run_finishes_only_once() -> None:
    run = started()
    run.finish({}, 0, "2026-01-02T03:05:00+00:00")
    with pytest.raises(DomainError, match="already finished"):
        run.finish({}, 1, "2026-01-02T03:06:00+00:00")
    assert run.exit_code == 0
    assert len(run.collect_events()) == 2


def test_the_recorded_arguments_are_a_copy() -> None:
    args = {"storage": "/mnt"}
    run = Run(str(uuid.uuid4()), "import", args, "0.1.0", "nas", "2026-01-02T03:04:05+00:00")
    args["storage"] = "/elsewhere"
    assert run.arguments == {"storage": "/mnt"}
