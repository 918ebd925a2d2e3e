"""What the fault tests share: run the CLI in a subprocess (through ``driver.py``), copy a
prepared library, and read back everything a user relies on, normalised so two runs that
did the same work compare equal.

A *state* is: the disk (storage files, the video tree's links, the trash, leftovers), the
events of the store (every event but the runs' own, without run ids and timestamps), the
DuckDB projection (every table but ``runs``, ``events`` and ``projection_state``, without
the columns that name a run, a time or a store position), and the runs.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")
FAULT_ENV = ("VTQ_FAULT_TRACE", "VTQ_FAULT_KILL_AT", "VTQ_FAULT_KILL_AFTER",
             "VTQ_FAULT_KILL_AT_CHECKPOINT", "VTQ_FAULT_LINK_BATCH")  # fmt: skip
# Columns that differ between two runs doing the same work: who, when, at which position.
VOLATILE = re.compile(r"(^|_)(run_id|position|timestamp|since)$|_at$")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Home:
    """A library copied from a template: its root (storage, video, trash) and home."""

    root: Path
    home: Path
    store: str | None = None

    @property
    def storage(self) -> Path:
        return self.root / "storage"

    @property
    def video(self) -> Path:
        return self.root / "video"

    @property
    def trash(self) -> Path:
        return self.root / "trash"


def copy_library(template: Path, dest: Path) -> Home:
    """``template/{lib,home}`` copied to ``dest`` (sparse files stay sparse, times kept),
    with config.toml pointed at the copy."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["cp", "-a", "--sparse=always", str(template / "lib"), str(template / "home"), str(dest)],
        check=True,
    )
    config = dest / "home" / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(str(template / "lib"), str(dest / "lib")), encoding="utf-8")
    return Home(dest / "lib", dest / "home")


def vtq(
    home: Home,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``videotheque ARGS --home HOME`` in a process of its own, through the instrumented
    driver (forked from this thread's fork server: see ``driver.serve``)."""
    full = {k: v for k, v in os.environ.items() if k not in FAULT_ENV}
    full.update(env or {})
    argv = [*args, "--home", str(home.home)]
    if home.store:
        argv += ["--store", home.store]
    return _server().run(argv, full, timeout)


class ForkServer:
    """``driver.py --serve``: runs each command in a child forked from an interpreter that
    has imported everything once."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), "--serve"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.dir = Path(tempfile.mkdtemp(prefix="vtq-fork-"))

    def run(
        self, argv: list[str], env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = self.dir / "stdout", self.dir / "stderr"
        request = {"argv": argv, "env": env, "cwd": str(REPO), "stdout": str(out),
                   "stderr": str(err)}  # fmt: skip
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            self.proc.stdout.readline()
            raise subprocess.TimeoutExpired(argv, timeout)
        code = json.loads(self.proc.stdout.readline())["returncode"]
        return subprocess.CompletedProcess(
            argv, code, out.read_text(errors="replace"), err.read_text(errors="replace")
        )

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


_servers = threading.local()
_all_servers: list[ForkServer] = []


def _server() -> ForkServer:
    server: ForkServer | None = getattr(_servers, "server", None)
    if server is None or server.proc.poll() is not None:
        server = _servers.server = ForkServer()
        _all_servers.append(server)
    return server


@atexit.register
def _close_servers() -> None:
    for server in _all_servers:
        if server.proc.poll() is None:
            server.close()


def trace(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> tuple[Any, list[str], float]:
    """Run uninterrupted with a trace: (the result, the points in order, the duration)."""
    with tempfile.NamedTemporaryFile("r", suffix=".trace", delete=False) as f:
        path = f.name
    try:
        result = vtq(home, *args, env={**(env or {}), "VTQ_FAULT_TRACE": path})
        lines = [line.split() for line in Path(path).read_text().splitlines()]
    finally:
        os.unlink(path)
    points = [name for name, _ in lines if name != "end"]
    ends = [float(t) for name, t in lines if name == "end"]
    return result, points, (ends[-1] if ends else 0.0)


# -- reading a state back ----------------------------------------------------------------


def disk(home: Home, run_ids: set[str]) -> dict[str, Any]:
    """Storage files (size), every link of video/ and trash/ (its text), anything else."""
    out: dict[str, Any] = {}
    for label, root in (("storage", home.storage), ("video", home.video), ("trash", home.trash)):
        for dirpath, dirnames, filenames in os.walk(root):
            for name in sorted(dirnames + filenames):
                p = os.path.join(dirpath, name)
                rel = _no_runs(os.path.relpath(p, root), run_ids)
                if os.path.islink(p):
                    out[f"{label}/{rel}"] = ("link", os.readlink(p))
                elif os.path.isfile(p):
                    out[f"{label}/{rel}"] = ("file", os.path.getsize(p))
    return out


def leftovers(home: Home) -> list[str]:
    """What an interrupted run may leave and a completed one must not: temporary links,
    journals, a half-built projection."""
    found = [str(p) for p in home.video.rglob(".vtq-*")]
    found += (
        [str(p) for p in (home.home / "journal").glob("*")]
        if (home.home / "journal").exists()
        else []
    )
    found += [str(p) for p in home.home.glob("*.rebuilding*")]
    return found


def _no_runs(text: str, run_ids: set[str]) -> str:
    if not run_ids or not UUID_RE.search(text):
        return text
    return UUID_RE.sub(lambda m: "<run>" if m.group() in run_ids else m.group(), text)


def _normalise(value: Any, run_ids: set[str]) -> Any:
    if isinstance(value, str):
        return _no_runs(value, run_ids)
    if isinstance(value, dict):
        return {
            k: _normalise(v, run_ids)
            for k, v in sorted(value.items())
            if not VOLATILE.search(k) and k != "recovered_by"
        }
    if isinstance(value, list | tuple):
        return [_normalise(v, run_ids) for v in value]
    if isinstance(value, bytes):  # exact paths (BLOB): a trash path names its run
        return "b:" + _no_runs(value.decode("utf-8", "surrogateescape"), run_ids)
    return value


def stored_events(home: Home) -> list[Any]:
    """Every event of the store, decoded (position order)."""
    from videotheque.commands.library import open_library
    from videotheque.projections.projector import Recorder

    library = open_library(home.store, home.home)
    try:
        recorder = Recorder(library.recorder)
        out: list[Any] = []
        while True:
            batch = recorder.read(out[-1].position if out else 0, 5000)
            if not batch:
                return out
            out.extend(batch)
    finally:
        library.close()


def run_ids_of(events: list[Any]) -> set[str]:
    return {str(e.originator_id) for e in events if e.aggregate == "Run"}


def event_multiset(events: list[Any], run_ids: set[str]) -> collections.Counter[str]:
    """The events that are the library's work (not the runs' own), each as comparable
    text: aggregate, type, originator, version and data, without run ids and times."""
    return collections.Counter(
        json.dumps(
            [e.aggregate, e.type, str(e.originator_id), e.version, _normalise(e.data, run_ids)],
            sort_keys=True,
            default=str,
        )
        for e in events
        if e.aggregate != "Run"
    )


def dump(db: Path, exclude: tuple[str, ...] = ("projection_state",)) -> dict[str, list[Any]]:
    """Every base table of a DuckDB file, rows sorted (exact)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
            if r[0] not in exclude
        ]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}
    finally:
        con.close()


def projection(db: Path, run_ids: set[str]) -> dict[str, Any]:
    """The projection's tables, less ``runs``/``events`` and the volatile columns."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, Any] = {}
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        for (t,) in tables:
            if t in ("projection_state", "runs", "events"):
                continue
            cols = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [t],
                ).fetchall()
                if not VOLATILE.search(c)
            ]
            rows = con.execute(f'SELECT {", ".join(cols)} FROM "{t}"').fetchall()
            normal = [json.dumps(_normalise(list(r), run_ids), default=str) for r in rows]
            out[t] = (cols, sorted(normal))
        return out
    finally:
        con.close()


def query(home: Home, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the home's projection (read-only; catch it up first)."""
    con = duckdb.connect(str(home.home / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def projected_events(db: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT position, type FROM events ORDER BY position").fetchall()
    finally:
        con.close()


def runs_of(db: Path) -> list[tuple[str, str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            (str(a), str(b), str(c))
            for a, b, c in con.execute(
                "SELECT run_id, command, status FROM runs ORDER BY started_at"
            ).fetchall()
        ]
    finally:
        con.close()


def rebuilt_dump(home: Home, workdir: Path) -> dict[str, list[Any]]:
    """The projection replayed from the store into a new file (the store is only read)."""
    from videotheque.commands.library import open_library
    from videotheque.projections.projector import Projector

    library = open_library(home.store, home.home)
    try:
        db = workdir / "rebuilt.duckdb"
        for p in (db, db.with_name(db.name + ".wal")):
            if p.exists():
                p.unlink()
        Projector(db, library.recorder).rebuild()
    finally:
        library.close()
    try:
        return dump(db)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class State:
    disk: dict[str, Any]
    events: collections.Counter[str]
    projection: dict[str, Any]
    runs: list[tuple[str, str, str]]
    stored: int  # every event in the store, the runs' own included
    leftovers: list[str] = field(default_factory=list)


def catch_up(home: Home) -> None:
    """What every command does first: bring the projection up to the store."""
    from videotheque.commands.library import open_library
    from videotheque.projections.projector import Projector

    library = open_library(home.store, home.home)
    try:
        Projector(home.home / "catalog.duckdb", library.recorder).catch_up()
    finally:
        library.close()


def state_of(home: Home) -> State:
    """Everything a user relies on, after catching the projection up."""
    catch_up(home)
    events = stored_events(home)
    ids = run_ids_of(events)
    db = home.home / "catalog.duckdb"
    projected = projected_events(db)
    assert [p for p, _ in projected] == [e.position for e in events], "projection != store"
    return State(
        disk=disk(home, ids),
        events=event_multiset(events, ids),
        projection=projection(db, ids),
        runs=runs_of(db),
        stored=len(events),
        leftovers=leftovers(home),
    )


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two states differ, shortly (for assertion messages)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'second' if k not in a else 'first'}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if a != b:
        if isinstance(a, collections.Counter) or isinstance(b, collections.Counter):
            extra = a - b
            missing = b - a
            return f"{path}: extra {list(extra.items())[:3]} missing {list(missing.items())[:3]}"
        if isinstance(a, tuple | list) and isinstance(b, tuple | list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                d = first_difference(x, y, f"{path}[{i}]")
                if d:
                    return d
        return f"{path}: {str(a)[:300]} != {str(b)[:300]}"
    return None
