"""``maintain``: one pass of the daily job, each step a run of its own.

Steps, in order: ``import`` (new, moved, vanished; its guard against an unmounted share
stops the whole pass), ``enrich`` (what is new; only confident matches, the rest queued),
``organize`` (and the NFO sidecars when ``[organize] nfo = true``), ``repair`` (``repair-links
--auto``), ``check`` (a rolling ``check --oldest N``), ``notify`` (the media servers told
which folders changed). The pass itself is a run too (command ``maintain``) whose summary
lists its steps' runs. Nothing here deletes anything: each step keeps its own safety.

The pass's exit code says whether anything needs a person: 0 nothing, 1 pending matches,
links left broken, integrity findings, per-file errors or a media server refusing its
credentials, 3 when import's guard stopped the pass (then no later step runs).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from videotheque.commands.adapters.notifiers import (
    changed_folders,
    deliver,
    with_deletions,
)
from videotheque.commands.adapters.providers import tmdb, tvdb
from videotheque.commands.config import (
    DEFAULT_CHECK_OLDEST,
    MAINTAIN_STEPS,
    MaintainSettings,
    ServerConfig,
)
from videotheque.commands.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREACHABLE,
    UsageError,
    VideothequeError,
)
from videotheque.commands.ports import Workspace
from videotheque.commands.progress import Progress
from videotheque.commands.usecases.checker import check_library
from videotheque.commands.usecases.enricher import EnrichOptions, enrich, tuning
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.nfo_writer import write_nfos
from videotheque.commands.usecases.organizer import organize
from videotheque.commands.usecases.repairer import repair_links
from videotheque.domain.media_server import MediaServer, media_server_id
from videotheque.domain.paths import display
from videotheque.projections.maintenance import pending_count, tree_changes

STEPS = MAINTAIN_STEPS


@dataclass
class MaintainOptions:
    steps: tuple[str, ...] = STEPS
    dry_run: bool = False
    min_age: float | None = None
    check_oldest: int = DEFAULT_CHECK_OLDEST
    nfo: bool = False


def options_from_config(
    section: MaintainSettings, skip: list[str] | None = None, **overrides: Any
) -> MaintainOptions:
    """``[maintain]`` of config.toml (``steps = [...]``, or ``enrich = false`` ...), then the
    command line's ``--skip``."""
    for s in [*section.steps, *(skip or [])]:
        if s not in STEPS:
            raise UsageError(f"unknown step {s!r}: the steps are {', '.join(STEPS)}")
    steps = tuple(
        s for s in STEPS
        if s in section.steps and s not in section.switched_off and s not in (skip or [])
    )  # fmt: skip
    if section.check_oldest < 1:
        raise UsageError("config.toml [maintain] check_oldest must be at least 1")
    opts = MaintainOptions(steps=steps, min_age=section.min_age, check_oldest=section.check_oldest)
    for key, value in overrides.items():
        if value is not None:
            setattr(opts, key, value)
    return opts


@dataclass
class StepResult:
    """One step of a pass: its run, its counts, its exit code (or why it did not run)."""

    step: str
    run_id: str | None = None
    exit_code: int = EXIT_OK
    counts: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    more_runs: list[str] = field(default_factory=list)  # runs of its own (the NFO writes)

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "counts": self.counts,
            "skipped": self.skipped,
            "notes": self.notes,
            "error": self.error,
        }


@dataclass
class PassReport:
    run_id: str | None = None
    dry_run: bool = False
    steps: list[StepResult] = field(default_factory=list)
    pending: int = 0
    stopped: str | None = None
    changed: list[dict[str, Any]] = field(default_factory=list)
    started_at: str = ""
    ended_at: str = ""

    @property
    def exit_code(self) -> int:
        if self.stopped is not None:
            return EXIT_UNREACHABLE
        if self.pending or any(s.exit_code != EXIT_OK for s in self.steps):
            return EXIT_FINDINGS
        return EXIT_OK

    @property
    def needs(self) -> list[str]:
        """What needs a person, in words."""
        out = [f"{s.step}: {s.error or _attention(s)}" for s in self.steps
               if s.exit_code != EXIT_OK]  # fmt: skip
        if self.pending:
            out.append(
                f"{self.pending} file(s) wait in the validation queue (`videotheque pending`)"
            )
        return out

    @property
    def run_ids(self) -> list[str]:
        steps = [r for s in self.steps for r in (s.run_id, *s.more_runs)]
        return [r for r in [self.run_id, *steps] if r]

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "stopped": self.stopped,
            "pending": self.pending,
            "changed_folders": self.changed,
            "steps": [s.as_json() for s in self.steps],
        }

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "steps": [
                {"step": s.step, "run_id": s.run_id, "exit_code": s.exit_code,
                 "skipped": s.skipped}
                for s in self.steps
            ],
            "pending": self.pending,
            "changed_folders": len(self.changed),
            "stopped": self.stopped,
        }  # fmt: skip


# The counts of each step that ask for a person when not zero.
_ATTENTION = {
    "import": ("errors",),
    "enrich": ("failed",),
    "organize": ("conflicts",),
    "repair": ("skipped", "errors"),
    "check": ("ghosts", "orphans", "broken_links", "stray_links", "duplicates",
              "hash_mismatches", "unreadable_media", "errors", "unreachable"),
    "notify": ("failed",),
}  # fmt: skip


def _attention(s: StepResult) -> str:
    found = [f"{s.counts[k]} {k.replace('_', ' ')}" for k in _ATTENTION.get(s.step, ())
             if s.counts.get(k)]  # fmt: skip
    if s.step == "repair" and s.counts.get("skipped"):
        found[0] = f"{s.counts['skipped']} link(s) left broken"
    return ", ".join(found) or f"exit {s.exit_code}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


StepEcho = Callable[[str, list[str]], None]


def maintain(
    session: Workspace,
    options: MaintainOptions,
    *,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    arguments: dict[str, Any] | None = None,
    on_step: StepEcho | None = None,
) -> PassReport:
    """Run one pass on ``session`` (which holds the home lock throughout)."""
    env = os.environ if env is None else env
    progress = progress or Progress(None)
    servers = list(session.config.notify)  # a bad [[notify]] failed when config.toml was read
    report = PassReport(dry_run=options.dry_run, started_at=now_iso())
    start_position = session.position()  # changes after it are this pass's
    pass_run = None
    if not options.dry_run:
        pass_run = session.start_run("maintain", arguments or {"steps": list(options.steps)})
        report.run_id = pass_run.run_id
        if "notify" in options.steps:
            _register(session, servers, start_position, pass_run.run_id)
    organized: Any = None
    nfos: Any = None
    repaired: Any = None
    try:
        for step in STEPS:
            result = StepResult(step)
            if step not in options.steps:
                result.skipped = "switched off"
                report.steps.append(result)
                continue
            try:
                if step == "import":
                    _import(session, options, progress, result)
                elif step == "enrich":
                    _enrich(session, options, env, progress, result)
                elif step == "organize":
                    organized, nfos = _organize(session, options, result)
                elif step == "repair":
                    repaired = _repair(session, options, result)
                elif step == "check":
                    _check(session, options, progress, result)
                elif step == "notify":
                    _notify(session, servers, start_position, options, env, transport, result)
            except VideothequeError as exc:
                result.exit_code = exc.exit_code
                result.error = str(exc)
                if step == "import" and exc.exit_code == EXIT_UNREACHABLE:
                    report.stopped = str(exc)
            report.steps.append(result)
            if on_step is not None:
                on_step(step_line(result), result.notes)
            if report.stopped is not None:
                break
        with session.read() as con:
            report.pending = pending_count(con)
            if options.dry_run:  # nothing recorded: what the steps' plans would change
                report.changed = changed_folders(organized, repaired, nfos)
            else:
                report.changed = folders_of(tree_changes(con, start_position))
    finally:
        report.ended_at = now_iso()
    # An interrupted pass (Ctrl-C, SIGTERM in watch) is left unfinished, like any run
    # killed midway: the next pass does what it did not.
    if pass_run is not None:
        session.run = pass_run  # each step's run was the session's current one
        session.finish_run(report.summary, report.exit_code)
        session.catch_up()
    return report


def step_line(s: StepResult) -> str:
    """One line per step for people."""
    if s.skipped:
        return f"{s.step:<9} skipped: {s.skipped}"
    counts = ", ".join(f"{v} {k}" for k, v in s.counts.items() if v not in (0, None, [], {}))
    head = f"{s.step:<9} {counts or 'nothing to do'}"
    if s.error:
        head += f" - error: {s.error}"
    if s.run_id:
        head += f" (run {s.run_id[:8]}, exit {s.exit_code})"
    return head


# -- the steps ----------------------------------------------------------------------------


def _import(
    session: Workspace, options: MaintainOptions, progress: Progress, result: StepResult
) -> None:
    report = import_storage(
        session,
        None,
        dry_run=options.dry_run,
        min_age=options.min_age,
        allow_mass_vanish=False,  # never from a pass: a person decides that
        progress=progress,
        arguments={"storage": None, "dry_run": options.dry_run, "min_age": options.min_age,
                   "allow_mass_vanish": False, "by": "maintain"},
    )  # fmt: skip
    result.run_id = report.run_id
    result.counts = {**report.counts, "errors": len(report.errors),
                     "skipped_recent": report.skipped_recent}  # fmt: skip
    result.notes = [f"{display(e.path)}: {e.reason}" for e in report.errors[:20]]
    result.exit_code = EXIT_FINDINGS if report.errors else EXIT_OK


def has_provider_key(env: Mapping[str, str]) -> bool:
    return bool(tmdb.has_credentials(env) or tvdb.has_credentials(env))


def _enrich(
    session: Workspace,
    options: MaintainOptions,
    env: Mapping[str, str],
    progress: Progress,
    result: StepResult,
) -> None:
    provider = "auto"
    if not has_provider_key(env):
        # Offline, only the NFO sidecars beside the files are read: a file without one is
        # skipped (not queued), so nothing waits for a person because a key is missing.
        provider = "nfo"
        result.notes.append(
            "no TMDB_API_KEY / TMDB_READ_TOKEN nor TVDB_API_KEY: only NFO sidecars read"
        )
    enrich_options = EnrichOptions(
        provider=provider,
        dry_run=options.dry_run,
        language=session.config.language or "fr-FR",
        **tuning(session.config.enrich, {}),
    )
    report = enrich(session, enrich_options, env=env, progress=progress,
                    arguments={"provider": provider, "dry_run": options.dry_run,
                               "by": "maintain"})  # fmt: skip
    result.run_id = report.run_id
    result.counts = {k: v for k, v in report.as_json().items() if k != "run_id"}
    result.notes += [n for n in report.notes if n not in result.notes]
    result.exit_code = report.exit_code


def _organize(session: Workspace, options: MaintainOptions, result: StepResult) -> tuple[Any, Any]:
    report = organize(session, dry_run=options.dry_run,
                      arguments={"dry_run": options.dry_run, "by": "maintain"})  # fmt: skip
    result.run_id = report.run_id
    result.counts = dict(report.summary)
    result.notes = list(report.notes) + [
        f"conflict: {c['link']}: {c['reason']}" for c in report.conflicts[:20]
    ]
    result.exit_code = report.exit_code
    nfos = None
    if options.nfo or _nfo_on(session):
        nfos = write_nfos(session, dry_run=options.dry_run)
        result.counts["nfo_written"] = len(nfos.written)
        result.counts["nfo_kept"] = len(nfos.kept)
        if nfos.run_id:
            result.notes.append(f"NFO sidecars: run {nfos.run_id}")
            result.more_runs.append(nfos.run_id)  # in the pass's report (-o) too
    return report, nfos


def _nfo_on(session: Workspace) -> bool:
    return session.config.organize.nfo


def _repair(session: Workspace, options: MaintainOptions, result: StepResult) -> Any:
    report = repair_links(session, None, auto=True, dry_run=options.dry_run,
                          arguments={"video_dir": None, "auto": True, "dry_run": options.dry_run,
                                     "quarantine_orphans": False, "by": "maintain"})  # fmt: skip
    result.run_id = report.run_id
    result.counts = dict(report.summary)
    result.notes = list(report.notes) + [
        f"left broken: {s['link']}: {s['reason']}" for s in report.skipped[:20]
    ]
    result.exit_code = report.exit_code
    return report


def _check(
    session: Workspace, options: MaintainOptions, progress: Progress, result: StepResult
) -> None:
    if options.dry_run:
        result.skipped = "check records what it finds: not run in a dry run"
        return

    arguments = {"verify_hash": True, "full": False, "oldest": options.check_oldest,
                 "by": "maintain"}  # fmt: skip
    report = check_library(
        session,
        oldest=options.check_oldest,
        progress=progress,
        arguments=arguments,
    )
    result.run_id = report.run_id
    result.counts = {k: v for k, v in report.summary.items() if k != "verified_bytes"}
    result.exit_code = report.exit_code
    for p in report.unreachable:
        result.notes.append(str(p.get("reason")))


def _register(session: Workspace, servers: list[ServerConfig], position: int, run_id: str) -> None:
    """Servers configured since the last pass follow the changes from this pass on: they
    are recorded first, so a pass killed before its notify step is told by the next."""
    new = []
    for s in servers:
        try:
            session.get(media_server_id(s.name))
        except Exception:  # AggregateNotFound
            new.append(MediaServer.register(s.name, s.kind, run_id, position))
    if new:
        session.save(*new)


def folders_of(changes: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """One update per folder of the video tree from ``tree_changes`` rows: ``Created``
    when a link was created there, else ``Modified``."""
    kinds: dict[str, str] = {}
    for _, path, change in changes:
        folder = posixpath.dirname(path)
        if kinds.get(folder) != "Created":
            kinds[folder] = change
    return [{"folder": f, "type": kinds[f]} for f in sorted(kinds)]


def _notify(
    session: Workspace,
    servers: list[ServerConfig],
    start_position: int,
    options: MaintainOptions,
    env: Mapping[str, str],
    transport: httpx.BaseTransport | None,
    result: StepResult,
) -> None:
    """Tell each server what changed in the video tree since it was last told: the
    changes are read from the store (this pass's, an interrupted pass's, those of
    commands typed by hand), not from this pass's reports."""
    if not servers:
        result.skipped = "no media server configured ([[notify]] in config.toml)"
        return
    if options.dry_run:
        result.skipped = "a dry run changes nothing to tell"
        return
    video = session.config.video
    assert video is not None
    video_root = os.fsdecode(os.path.abspath(video))
    known: dict[str, MediaServer | None] = {}
    for s in servers:
        try:
            known[s.name] = session.get(media_server_id(s.name))
        except Exception:  # AggregateNotFound: never told anything yet
            known[s.name] = None
    since = {n: (m.upto if m is not None else start_position) for n, m in known.items()}
    with session.read() as con:
        changes = tree_changes(con, min(since.values()))
    top = max([since[n] for n in since] + [pos for pos, _, _ in changes])
    fresh = {n: folders_of([c for c in changes if c[0] > since[n]]) for n in since}
    waiting = {n: (m.undelivered if m is not None else []) for n, m in known.items()}
    if not any(fresh.values()) and not any(waiting.values()):
        result.skipped = "the video tree did not change"
        return
    counts = {"servers": len(servers), "told": 0, "failed": 0,
              "folders": len({u["folder"] for f in fresh.values() for u in f})}  # fmt: skip
    result.counts = counts
    run = session.start_run("notify", {"servers": [s.name for s in servers],
                                       "folders": counts["folders"], "by": "maintain"})  # fmt: skip
    result.run_id = run.run_id
    auth_failed = False
    for s in servers:
        server = known[s.name] or MediaServer.register(s.name, s.kind, run.run_id, start_position)
        updates = with_deletions(video_root, server.to_send(fresh[s.name]))
        if not updates:
            continue
        delivery = deliver(s, video_root, updates, env=env, transport=transport)
        at = now_iso()
        if delivery.ok:
            server.notified(updates, delivery.told, delivery.status, at, run.run_id, top)
            counts["told"] += 1
            line = f"told {s.name} ({s.kind}): {len(updates)} folder(s)"
            if delivery.reason:
                line += f"; {delivery.reason}"
            result.notes.append(line)
        else:
            server.failed(updates, delivery.reason or "failed", delivery.status, at, run.run_id,
                          top)  # fmt: skip
            counts["failed"] += 1
            auth_failed = auth_failed or delivery.auth
            result.notes.append(
                f"{s.name} ({s.kind}, {s.shown_url}) not told: {delivery.reason}; "
                + ("fix its credentials" if delivery.auth else "retried by the next pass")
            )
        session.save(server)
    # A server that is down is retried by the next pass and fails nothing; one that refuses
    # its credentials (or has none set) needs a person.
    result.exit_code = EXIT_FINDINGS if auth_failed else EXIT_OK
    session.finish_run(dict(counts), result.exit_code)
    session.catch_up()


def pass_line(report: PassReport) -> str:
    """The one line that ends a pass (``maintain``, each pass of ``watch``)."""
    head = "dry run: " if report.dry_run else ""
    if report.stopped:
        return f"{head}pass stopped: {report.stopped}"
    run = f" (run {report.run_id})" if report.run_id else ""
    state = "nothing needs you" if report.exit_code == 0 else "something needs you"
    return f"{head}pass done{run}: {len(report.changed)} folder(s) changed, {state}"


def undelivered(session: Workspace) -> dict[str, list[dict[str, Any]]]:
    """What each configured server still has to be told (for ``watch``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for s in session.config.notify:
        try:
            server: MediaServer = session.get(media_server_id(s.name))
        except Exception:
            continue
        if server.undelivered:
            out[s.name] = list(server.undelivered)
    return out
