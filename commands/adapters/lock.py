"""One writer at a time per home: an advisory lock the kernel drops when the process dies."""

from __future__ import annotations

import fcntl
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from videotheque.commands.errors import LockedError, UsageError

LOCK_NAME = "lock"
WATCH_LOCK_NAME = "watch.lock"  # held by `watch` for its whole life: one watcher per home

# What this process runs (the CLI sets the command's name): written in the lock file, so
# that a reader can say "an import is running".
activity: str | None = None


class HomeLock:
    """``flock`` on ``<home>/lock``; the file says who holds it and since when."""

    def __init__(self, home: Path, wait: float = 0.0, name: str = LOCK_NAME) -> None:
        self.path = home / name
        self.wait = wait
        self.holder: str | None = None  # who held it when acquire() gave up
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a home that cannot be written: choose another
            raise UsageError(
                f"cannot use the home {self.path.parent}: {exc.strerror or exc} "
                "(give a writable folder with --home or $VIDEOTHEQUE_HOME)"
            ) from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.holder = _read_holder(fd)
                    os.close(fd)
                    raise LockedError(f"library locked by {self.holder}") from None
                time.sleep(0.1)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            os.ftruncate(fd, 0)
            what = f" ({activity})" if activity else ""
            os.pwrite(fd, f"pid {os.getpid()} since {since}{what}\n".encode(), 0)
        except OSError as exc:  # a full disk: say where, and let go of the lock
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HomeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "another process"


_HOLDER = re.compile(r"pid (\d+) since (\S+)(?: \((.+)\))?")


def describe_holder(holder: str) -> str:
    """``an import is running: pid 123`` from ``pid 123 since T (import)``."""
    m = _HOLDER.match(holder)
    if m is None:
        return f"locked by {holder}"
    pid, since, what = m.groups()
    if what is None:
        return f"another command is writing: pid {pid} since {since}"
    article = "an" if what[:1] in "aeiou" else "a"
    return f"{article} {what} is running: pid {pid}"
