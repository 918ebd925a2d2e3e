"""The test side of the one fault-injection seam: kill the CLI at a checkpoint it announces.

Production code names the moments a kill must be survived with the standard library's
``sys.audit("videotheque.<area>.<checkpoint>", ...)``; without an audit hook that costs
nothing and does nothing (the production modules hold no test switch). This module listens:
``install()`` adds an audit hook (once per process; hooks cannot be removed) that counts
the checkpoints, passes them to the listeners (the fault driver's trace) and SIGKILLs the
process the N-th time it reaches the one named in ``VTQ_FAULT_KILL_AT_CHECKPOINT``.

The checkpoints (``CHECKPOINTS``):

- ``videotheque.import.saved``: the import saved to the store (its run's start, each batch
  of files, its run's end);
- ``videotheque.links.journal``: a batch of link ops is journaled, nothing done yet;
- ``videotheque.links.tmp``: a retarget's temporary link exists;
- ``videotheque.links.moved``: a moved link exists at both names;
- ``videotheque.links.applied``: a link op is done on disk (not recorded yet);
- ``videotheque.links.saved``: a batch's link events are in the store.

Environment (read here only):

- ``VTQ_FAULT_KILL_AT_CHECKPOINT=NAME:N``: SIGKILL at the N-th ``NAME`` (N defaults to 1);
- ``VTQ_FAULT_LINK_BATCH=N``: link ops journaled, done and saved N at a time instead of
  1,000 (several batches in a small library).

``python tests/faults/checkpoints.py ARGS``: the real ``videotheque`` CLI with the hook
installed, for tests that run it in a subprocess of its own.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

CHECKPOINTS = frozenset(
    {
        "videotheque.import.saved",
        "videotheque.links.journal",
        "videotheque.links.tmp",
        "videotheque.links.moved",
        "videotheque.links.applied",
        "videotheque.links.saved",
    }
)
KILL_ENV = "VTQ_FAULT_KILL_AT_CHECKPOINT"
LINK_BATCH_ENV = "VTQ_FAULT_LINK_BATCH"
PREFIX = "videotheque."

Listener = Callable[[str, tuple[Any, ...]], None]
_listeners: list[Listener] = []
_counts: collections.Counter[str] = collections.Counter()
_kill: tuple[str, int] | None = None
_installed = False
_link_batch: list[int] = []  # linkops.BATCH as shipped


def kill_at(checkpoint: str, n: int = 1) -> dict[str, str]:
    """The environment that makes a run die at the ``n``-th ``checkpoint``."""
    if checkpoint not in CHECKPOINTS:
        raise ValueError(f"no checkpoint {checkpoint!r}: one of {sorted(CHECKPOINTS)}")
    return {KILL_ENV: f"{checkpoint}:{n}"}


def listen(listener: Listener) -> None:
    """Call ``listener(name, args)`` at every checkpoint (before a kill there)."""
    _listeners.append(listener)


def install() -> None:
    """Add the audit hook to this process (once)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def configure() -> None:
    """Read this run's settings from the environment (at start, or in a forked child)."""
    global _kill
    _counts.clear()
    _kill = None
    spec = os.environ.get(KILL_ENV)
    if spec:
        name, _, n = spec.partition(":")
        kill_at(name)  # a checkpoint that exists, or ValueError
        _kill = (name, int(n or 1))
    import videotheque.commands.adapters.linkops as linkops

    if not _link_batch:
        _link_batch.append(linkops.BATCH)
    batch = os.environ.get(LINK_BATCH_ENV)
    linkops.BATCH = int(batch) if batch else _link_batch[0]


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith(PREFIX):  # every audit event of the process comes here
        return
    _counts[event] += 1
    for listener in _listeners:
        listener(event, args)
    if _kill is not None and _kill[0] == event and _counts[event] == _kill[1]:
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    install()
    configure()
    from videotheque.commands.cli.app import main

    sys.argv[0] = "videotheque"
    main()
