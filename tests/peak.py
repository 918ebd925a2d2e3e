"""Run a command in a subprocess and measure *its own* peak memory and CPU time.

`wait4`'s `ru_maxrss` for a child that pytest spawned is not the child's own peak: Linux
records the high-water RSS of the address space an `exec` replaces, and a child forked (or
vforked) from pytest starts with pytest's. After a thousand tests pytest holds about 500 MB,
so every child looked that big (a memory test failed in CI at 491 MB for a 94 MB command).
Here a small spawner process forks and execs the command and reports the `wait4` figures of
that grandchild, whose address space before `exec` was the spawner's few megabytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

_SPAWNER = r"""
import json, os, sys
report, argv = int(sys.argv[1]), sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.close(report)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
os.write(report, f"{pid}\n".encode())
_, status, usage = os.wait4(pid, 0)
line = json.dumps({"status": status, "maxrss_kib": usage.ru_maxrss,
                   "cpu": usage.ru_utime + usage.ru_stime})
os.write(report, line.encode() + b"\n")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class Measured:
    returncode: int
    peak_rss: int  # bytes
    cpu: float  # user + system seconds


class MeasuredProcess:
    """A command started through the spawner; ``pid`` is the command's own."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        stdout: IO[Any] | int | None = None,
        stderr: IO[Any] | int | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        read, write = os.pipe()
        try:
            self._spawner = subprocess.Popen(
                [sys.executable, "-I", "-c", _SPAWNER, str(write), *argv],
                stdout=stdout,
                stderr=stderr,
                cwd=cwd,
                env=env,
                pass_fds=(write,),
            )
        finally:
            os.close(write)
        self._report = os.fdopen(read, "r", encoding="ascii")
        self.pid = int(self._report.readline())

    def running(self) -> bool:
        return self._spawner.poll() is None

    def wait(self) -> Measured:
        line = self._report.readline()
        self._report.close()
        self._spawner.wait()
        data = json.loads(line)
        return Measured(
            returncode=os.waitstatus_to_exitcode(data["status"]),
            peak_rss=int(data["maxrss_kib"]) * 1024,  # KiB on Linux
            cpu=float(data["cpu"]),
        )


def run_measured(
    argv: Sequence[str],
    *,
    stdout: IO[Any] | int | None = None,
    stderr: IO[Any] | int | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run ``argv`` to completion; its exit code, own peak RSS and CPU seconds."""
    return MeasuredProcess(argv, stdout=stdout, stderr=stderr, cwd=cwd, env=env).wait()
