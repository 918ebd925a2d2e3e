"""``watch``: a ``maintain`` pass whenever storage changes.

File-system events come from ``watchfiles`` (inotify on Linux, FSEvents on macOS, ...); a
pass starts once storage has been quiet for ``debounce`` seconds, so a download being
copied or a folder being moved is one pass, not hundreds. Network shares send no events:
``poll`` looks every N seconds with a dry-run import (a walk compared with the catalog,
nothing recorded), and runs a pass only when something changed or a media server still
waits for news. A pass runs at start too (it finishes whatever an interrupted one left).

Each pass holds the home lock while it runs and lets go between passes; a command typed
meanwhile waits for nothing but the current pass (``watch`` tries again later when the
home is busy). A storage root that is missing or empty (an unmounted share) stops the pass
before anything is recorded (import's guard, exit 3): ``watch`` says so and waits for the
next change or poll. SIGTERM or Ctrl-C: between passes, it stops at once; during one, the
pass is abandoned where it is (every step is safe to kill: the next pass finishes the job).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from videotheque.commands.config import load_config, resolve_home
from videotheque.commands.errors import (
    EXIT_OK,
    EXIT_UNREACHABLE,
    LockedError,
    VideothequeError,
)
from videotheque.commands.ports import Workspace
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.maintainer import (
    MaintainOptions,
    maintain,
    pass_line,
    undelivered,
)
from videotheque.domain.paths import visible

TICK = 0.5  # seconds between looks at the clock while waiting for events
FALLBACK_POLL = 60.0  # seconds between polls when the kernel gives no events
NOTES_SHOWN = 10  # notes of a step logged (the rest: `runs`, the report)


# opens the library in a home (None: the default) with a store (None: the configured one)
SessionOpener = Callable[[Path | None, str | None], AbstractContextManager[Workspace]]


@dataclass
class WatchSettings:
    home: Path | None = None
    store: str | None = None
    debounce: float = 30.0
    poll: float | None = None
    options: MaintainOptions = field(default_factory=MaintainOptions)
    max_passes: int | None = None  # tests: stop after N passes
    retry: float = 300.0  # seconds between tries of a media server that missed news


def log(message: str) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    sys.stderr.write(f"{stamp} videotheque watch: {visible(message)}\n")
    sys.stderr.flush()


class _Stop(BaseException):
    """SIGTERM / SIGINT arrived during a pass. Not an Exception (like KeyboardInterrupt):
    a step's ``except Exception`` must not take a stop for a failure of the step."""


class Watcher:
    def __init__(
        self,
        settings: WatchSettings,
        open_session: SessionOpener,
        echo: Callable[[str], None] = log,
    ) -> None:
        self.open_session = open_session
        self.settings = settings
        self.echo = echo
        self.stop = threading.Event()
        self.in_pass = False
        self.passes = 0
        self.recheck_at: float | None = None
        self.last_problem: str | None = None
        self.polling_only = False
        self.last_locked: str | None = None
        self.retry_at = 0.0  # when a server still to be told is tried again
        self.only_notify = False

    def poll_every(self) -> float | None:
        """Seconds between polls: ``--poll``, else a minute when events cannot be had."""
        return self.settings.poll or (FALLBACK_POLL if self.polling_only else None)

    # -- signals ----------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.stop.set()
        if self.in_pass:
            self.echo(f"{name}: abandoning the pass (the next one finishes the job)")
            raise _Stop(name)
        self.echo(f"{name}: stopping")

    # -- passes -----------------------------------------------------------------------------

    def run_pass(self, why: str, only_notify: bool = False) -> int | None:
        """One maintain pass (or only its notify step); None when the home was busy."""
        options = self.settings.options
        if only_notify:
            options = replace(options, steps=("notify",))
        self.echo(f"pass ({why})")
        self.in_pass = True
        try:
            with self.open_session(self.settings.home, self.settings.store) as session:
                report = maintain(session, options,
                                  arguments={"steps": list(options.steps),
                                             "by": "watch", "why": why},
                                  on_step=self._step)  # fmt: skip
        except LockedError as exc:
            if str(exc) != self.last_locked:  # once per holder, not at every try
                self.echo(f"{exc}: trying again later")
                self.last_locked = str(exc)
            return None
        except VideothequeError as exc:
            if self.stop.is_set():  # the abandoned pass failed while unwinding: a stop
                raise _Stop("stopped during a pass") from exc
            self.echo(f"pass failed: {exc}")
            return exc.exit_code
        except Exception as exc:
            # A stop lands anywhere, inside a database transaction too, whose cleanup may
            # then fail ("cannot rollback - no transaction is active"): still a stop.
            if self.stop.is_set():
                raise _Stop("stopped during a pass") from exc
            raise
        finally:
            self.in_pass = False
        self.passes += 1
        self.recheck_at = None
        recent = next((st.counts.get("skipped_recent") for st in report.steps
                       if st.step == "import"), 0)  # fmt: skip
        if recent:  # files still being written: look again once they are old enough
            min_age = self.settings.options.min_age
            if min_age is None:
                min_age = load_config(resolve_home(self.settings.home)).min_age
            self.recheck_at = time.monotonic() + min_age + 1.0
            self.echo(f"  {recent} file(s) too recent: another pass in {min_age + 1.0:g} s")
        self.echo(pass_line(report))
        for need in report.needs:
            self.echo(f"  needs you: {need}")
        if report.exit_code == EXIT_UNREACHABLE:
            self.echo("storage unreachable: nothing recorded; waiting for it to come back")
        return report.exit_code

    def _step(self, line: str, notes: list[str] | None = None) -> None:
        self.echo("  " + line)
        for n in (notes or [])[:NOTES_SHOWN]:
            self.echo("    " + n)

    def probe(self) -> str | None:
        """An idle poll: why a pass is needed, or None (nothing changed; nothing recorded)."""
        try:
            with self.open_session(self.settings.home, self.settings.store) as session:
                waiting = undelivered(session)
                report = import_storage(session, None, dry_run=True,
                                        min_age=self.settings.options.min_age)  # fmt: skip
        except LockedError as exc:
            self.echo(f"{exc}: poll skipped")
            return None
        except VideothequeError as exc:  # an unmounted share: said once, not every poll
            if str(exc) != self.last_problem:
                self.echo(f"poll: {exc}")
                self.last_problem = str(exc)
            return None
        if self.last_problem is not None:
            self.echo("poll: storage is readable again")
            self.last_problem = None
        changed = {k: v for k, v in report.counts.items() if k != "unchanged" and v}
        if changed:
            return "poll: " + ", ".join(f"{v} {k}" for k, v in changed.items())
        if waiting and time.monotonic() >= self.retry_at:
            self.retry_at = time.monotonic() + self.settings.retry
            self.only_notify = True
            return "poll: media servers still to be told (" + ", ".join(waiting) + ")"
        return None

    # -- the loop ---------------------------------------------------------------------------

    def storage_root(self) -> str:
        config = load_config(resolve_home(self.settings.home)).require_library()
        assert config.storage is not None
        return os.fsdecode(os.path.abspath(config.storage))

    def done(self) -> bool:
        limit = self.settings.max_passes
        return self.stop.is_set() or (limit is not None and self.passes >= limit)

    def loop(self) -> int:
        root = self.storage_root()
        s = self.settings
        self.echo(
            f"watching {root} (a pass after {s.debounce:g} s of quiet"
            + (f", a look every {s.poll:g} s" if s.poll else "")
            + ")"
        )
        last_look = time.monotonic()
        dirty_since: float | None = None
        last_change = 0.0
        start_pending = True  # run once the watcher is up: nothing that lands meanwhile is lost
        while not self.done():
            for changes in self._events(root):
                if start_pending:
                    start_pending = False
                    if self.run_pass("start") is None:  # the home was busy: tried again
                        dirty_since = last_change = time.monotonic()
                    last_look = time.monotonic()
                    continue
                now = time.monotonic()
                if changes:
                    last_change = now
                    dirty_since = dirty_since or now
                if self.done():
                    break
                if dirty_since is not None and now - last_change >= s.debounce:
                    dirty_since = None
                    code = self.run_pass("storage changed")
                    last_look = time.monotonic()
                    if code is None:
                        dirty_since = last_change = time.monotonic()  # busy: again later
                    elif code == EXIT_UNREACHABLE:
                        break  # restart the watch: the share may come back as a new mount
                elif self.recheck_at is not None and now >= self.recheck_at:
                    code = self.run_pass("files were too recent")
                    last_look = time.monotonic()
                    if code == EXIT_UNREACHABLE:
                        break
                elif (every := self.poll_every()) and now - last_look >= every:
                    last_look = now
                    self.only_notify = False
                    why = self.probe()
                    if why is not None:
                        code = self.run_pass(why, only_notify=self.only_notify)
                        last_look = time.monotonic()
                        if code == EXIT_UNREACHABLE:
                            break
            else:
                # The watcher ended (the root went away): wait a little, then watch again.
                if not self.done():
                    self.stop.wait(min(s.poll or 5.0, 5.0))
        return EXIT_OK

    def _events(self, root: str) -> Any:
        """Batches of changes (an empty batch every TICK seconds); ends when the root
        cannot be watched (gone, unmounted), after a few empty ticks of polling."""
        import watchfiles  # slow to import: needed once the loop starts, not for `--help`

        if not os.path.isdir(root):
            self.echo(f"storage root {root} is not there: looking again every few seconds")
            for _ in range(int(5 / TICK)):
                if self.done():
                    return
                self.stop.wait(TICK)
                yield set()
            return
        try:
            for changes in watchfiles.watch(
                root,
                stop_event=self.stop,
                rust_timeout=int(TICK * 1000),
                yield_on_timeout=True,
                debounce=int(TICK * 1000),
                step=50,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                yield changes
                if not os.path.isdir(root):
                    self.echo(f"storage root {root} went away")
                    return
        except (OSError, RuntimeError) as exc:
            if not os.path.isdir(root):  # the root vanished under the watcher
                self.echo(f"watching stopped: {exc}")
                return
            # No events to be had (the kernel's limit on watches reached, a file system
            # without them): polling only, from now on.
            if not self.polling_only:
                self.polling_only = True
                self.echo(f"no file-system events ({exc}): looking every "
                          f"{self.poll_every():g} s instead (set --poll to choose)")  # fmt: skip
            while not self.done() and os.path.isdir(root):
                self.stop.wait(TICK)
                yield set()


def watch(
    settings: WatchSettings, open_session: SessionOpener, echo: Callable[[str], None] = log
) -> int:
    """Run until SIGTERM / SIGINT; returns the exit code. ``open_session`` opens the
    library for one pass (``bootstrap.open_session``: the watcher composes passes, it does
    not build sessions itself)."""
    watcher = Watcher(settings, open_session, echo)
    previous = {
        sig: signal.signal(sig, watcher._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        return watcher.loop()
    except _Stop:
        return EXIT_OK
    except Exception:
        if watcher.stop.is_set():  # what a signal interrupted failed as it unwound
            return EXIT_OK
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        echo("stopped")
