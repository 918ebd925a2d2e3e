"""A run: one invocation of a command, with what it was asked and what it did."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from videotheque.domain.errors import DomainError


class Run(Aggregate):
    """One command invocation. Every event a run causes carries its id."""

    command: str
    arguments: dict[str, Any]
    app_version: str
    host: str
    started_at: str
    ended_at: str | None
    summary: dict[str, Any] | None
    exit_code: int | None
    run_id: str

    @staticmethod
    def create_id(run_id: str) -> UUID:
        return UUID(run_id)

    @event("Started")
    def __init__(
        self,
        run_id: str,
        command: str,
        arguments: dict[str, Any],
        app_version: str,
        host: str,
        started_at: str,
    ) -> None:
        self.run_id = run_id
        self.command = command
        self.arguments = dict(arguments)
        self.app_version = app_version
        self.host = host
        self.started_at = started_at
        self.ended_at = None
        self.summary = None
        self.exit_code = None

    def finish(self, summary: dict[str, Any], exit_code: int, ended_at: str) -> None:
        if self.ended_at is not None:
            raise DomainError(f"run {self.id} has already finished")
        self._finished(summary=summary, exit_code=exit_code, ended_at=ended_at, run_id=self.run_id)

    def record_findings(self, category: str, items: list[dict[str, Any]]) -> None:
        """What this run found (``check``: ghosts, orphans, broken links, ...), recorded
        so the read side can list and chart it; a long list comes in several calls."""
        if self.ended_at is not None:
            raise DomainError(f"run {self.id} has already finished")
        self._findings_recorded(category=category, items=list(items), run_id=self.run_id)

    @event("FindingsRecorded")
    def _findings_recorded(self, category: str, items: list[dict[str, Any]], run_id: str) -> None:
        pass  # the findings are for the read side; the run's own state does not change

    def record_verifications(self, items: list[dict[str, Any]]) -> None:
        """Paths whose content this run read again and found unchanged (``check
        --verify-hash``): ``{"file_id", "path", "full"}`` each, in bulk; a mismatch is an
        event of its file (``MediaFile.HashVerified``, ``ok`` false)."""
        if self.ended_at is not None:
            raise DomainError(f"run {self.id} has already finished")
        self._hashes_verified(items=list(items), run_id=self.run_id)

    @event("HashesVerified")
    def _hashes_verified(self, items: list[dict[str, Any]], run_id: str) -> None:
        pass  # for the read side: when each path was last verified

    @event("Finished")
    def _finished(
        self, summary: dict[str, Any], exit_code: int, ended_at: str, run_id: str
    ) -> None:
        self.summary = dict(summary)
        self.exit_code = exit_code
        self.ended_at = ended_at
