"""``python tests/faults/driver.py ARGS``: the real ``videotheque`` CLI, instrumented to die.

The fault-injection tests run every command through this driver in a subprocess. It
counts *points*, the moments where a kill could leave something half-done:

- ``save<`` / ``save>``: just before and just after an atomic append to the event store
  (``Application._record``: every ``save``);
- ``fs:symlink``, ``fs:rename``, ``fs:replace``, ``fs:link``, ``fs:unlink``, ``fs:exchange``,
  ``fs:place``, ``fs:put_back``: right after a file-system change (link repairs,
  quarantines, organize, the projection's swap);
- ``journal``: right after the link journal is fsync'd (the checkpoint
  ``videotheque.links.journal``, see checkpoints.py);
- ``projection``: right after the projector commits a batch of rows and its position;
- ``http``: right after an answer from a provider arrives (enrich).

Environment (test-only, read by this file; production code knows nothing of it):

- ``VTQ_FAULT_TRACE=FILE``: append one line per point, ``NAME SECONDS`` (seconds since
  the home lock was taken), and ``end SECONDS`` at a clean exit: an uninterrupted run's
  map of where kills can land;
- ``VTQ_FAULT_KILL_AT=N``: SIGKILL this process at its N-th point (1-based);
- ``VTQ_FAULT_KILL_AFTER=SECONDS``: SIGKILL it that long after the home lock was taken,
  wherever it is then (walking, hashing, parsing, waiting on the network, writing DuckDB);
- ``VTQ_FAULT_RECORD_BATCH=N``: the importer saves every N files instead of every 1,000
  and the enricher every N outcomes (more save points in a small library);
- ``VTQ_FAULT_FAST_PARSER=1``: names parsed trivially instead of by guessit (speed);
- ``VTQ_FAULT_CHUNK=N``: the importer parses and records N files at a time instead of
  2,000 (several chunks in a small library);
- ``VTQ_FAULT_KILL_AT_CHECKPOINT``, ``VTQ_FAULT_LINK_BATCH``: see checkpoints.py, whose
  audit hook this driver installs.

``python tests/faults/driver.py --serve`` is a fork server for the same (see ``serve``).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fakes.parsers import parse_trivially as _parse_trivially
from tests.faults import checkpoints

_TRACE: str | None = None
_KILL_AT = 0
_KILL_AFTER = 0.0
_count = 0
_started: float | None = None
_lock = threading.Lock()


def configure() -> None:
    """Read this run's settings from the environment (at start, or in a forked child)."""
    global _TRACE, _KILL_AT, _KILL_AFTER, _count, _started
    _TRACE = os.environ.get("VTQ_FAULT_TRACE")
    _KILL_AT = int(os.environ.get("VTQ_FAULT_KILL_AT") or 0)
    _KILL_AFTER = float(os.environ.get("VTQ_FAULT_KILL_AFTER") or 0)
    _count, _started = 0, None
    checkpoints.configure()
    batch = os.environ.get("VTQ_FAULT_RECORD_BATCH")
    import videotheque.commands.adapters.naming
    import videotheque.commands.usecases.enricher
    import videotheque.commands.usecases.importer

    videotheque.commands.usecases.importer.RECORD_BATCH = int(batch) if batch else 1000
    chunk = os.environ.get("VTQ_FAULT_CHUNK")
    videotheque.commands.usecases.importer.CHUNK = int(chunk) if chunk else 2000
    videotheque.commands.usecases.enricher._Recorder.BATCH = int(batch) if batch else 500
    if os.environ.get("VTQ_FAULT_FAST_PARSER"):
        videotheque.commands.adapters.naming.default_parser = lambda: _parse_trivially
        videotheque.commands.adapters.naming.parser_label = lambda: "trivial 0"
    else:
        videotheque.commands.adapters.naming.default_parser = _REAL_PARSER[0]
        videotheque.commands.adapters.naming.parser_label = _REAL_PARSER[1]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def point(name: str) -> None:
    """One place a kill may land: count it, trace it, die here if told to."""
    global _count
    with _lock:
        _count += 1
        n = _count
        if _TRACE:
            since = time.monotonic() - (_started or time.monotonic())
            with open(_TRACE, "a", encoding="ascii") as f:
                f.write(f"{name} {since:.4f}\n")
    if n == _KILL_AT:
        _die()


def _around(owner: Any, attr: str, before: str | None, after: str | None) -> None:
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if before:
            point(before)
        result = original(*args, **kwargs)
        if after:
            point(after)
        return result

    setattr(owner, attr, wrapped)


def _around_async(owner: Any, attr: str, after: str) -> None:
    original = getattr(owner, attr)

    @functools.wraps(original)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        point(after)
        return result

    setattr(owner, attr, wrapped)


def _on_lock(original: Any) -> Any:
    @functools.wraps(original)
    def acquire(self: Any) -> None:
        global _started
        original(self)
        if _started is None:
            _started = time.monotonic()
            if _KILL_AFTER > 0:
                timer = threading.Timer(_KILL_AFTER, _die)
                timer.daemon = True
                timer.start()

    return acquire


def _at_exit() -> None:
    if _TRACE and _started is not None:
        with open(_TRACE, "a", encoding="ascii") as f:
            f.write(f"end {time.monotonic() - _started:.4f}\n")


def instrument() -> None:
    import videotheque.commands.adapters.linkops
    import videotheque.commands.adapters.lock
    import videotheque.commands.adapters.naming
    import videotheque.commands.adapters.providers.http
    import videotheque.commands.library
    import videotheque.projections.projector

    videotheque.commands.adapters.lock.HomeLock.acquire = _on_lock(
        videotheque.commands.adapters.lock.HomeLock.acquire
    )  # type: ignore[method-assign]
    _around(videotheque.commands.library.Library, "_record", "save<", "save>")
    for name in ("symlink", "rename", "replace", "link", "unlink"):
        _around(os, name, None, f"fs:{name}")
    for name in ("exchange", "place", "put_back"):  # linkops' steps that never overwrite
        _around(videotheque.commands.adapters.linkops, name, None, f"fs:{name}")
    checkpoints.install()
    checkpoints.listen(_on_checkpoint)
    _around(videotheque.projections.projector.Projector, "_apply", None, "projection")
    _around_async(videotheque.commands.adapters.providers.http.ProviderHttp, "_send", "http")
    _REAL_PARSER[:] = [
        videotheque.commands.adapters.naming.default_parser,
        videotheque.commands.adapters.naming.parser_label,
    ]
    import videotheque.commands.cli.app  # every command, imported once


_REAL_PARSER: list[Any] = []


def _on_checkpoint(name: str, args: tuple[Any, ...]) -> None:
    if name == "videotheque.links.journal":
        point("journal")


def serve() -> None:
    """A fork server: imports everything once, then runs each request (one JSON line on
    stdin: argv, env, cwd, stdout and stderr file names) in a forked child, answering its
    exit status (negative: the signal that killed it). Saves the interpreter's start-up
    (0.4 s) on each of the hundreds of runs the kill tests make; each run is still a
    process of its own, killed by a real SIGKILL."""
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


def _child(request: dict[str, Any]) -> None:
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        configure()
        from videotheque.commands.cli.app import main

        sys.argv = ["videotheque", *request["argv"]]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _at_exit()
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    instrument()
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        configure()
        atexit.register(_at_exit)
        from videotheque.commands.cli.app import main

        sys.argv[0] = "videotheque"
        main()
