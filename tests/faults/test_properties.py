"""Property tests (hypothesis), with a fixed seed (``derandomize``) so CI is repeatable.

1. Random sequences of file operations (create, move, copy, delete, change in place,
   touch, rename a folder; odd names: non-UTF-8 bytes, newlines, ``<script>``, dots,
   spaces, 200-byte names) between imports: after every import the catalog equals the
   disk: every path once, exact bytes, each distinct content one identity that never
   changes, content no longer on disk vanished.
2. Random sequences of domain operations on files, links and runs, saved in random
   batches, with the projection caught up at random moments: the incremental projection
   equals a rebuild from the store, table by table.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.faults.harness import dump, first_difference
from videotheque.commands.adapters.fingerprint import fingerprint
from videotheque.commands.bootstrap import open_session
from videotheque.commands.library import Library, store_env
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.setup import init_library
from videotheque.domain.errors import DomainError
from videotheque.domain.ids import file_id
from videotheque.domain.link import Link
from videotheque.domain.media_file import MediaFile
from videotheque.domain.run import Run
from videotheque.projections.projector import Projector

pytestmark = pytest.mark.slow
SETTINGS = settings(
    max_examples=int(os.environ.get("VTQ_PROPERTY_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: a failure prints its (long) example and where the states differ, in
    # seconds, rather than minutes of shrinking in CI.
    phases=[Phase.explicit, Phase.generate],
)
INPUTS: dict[str, int] = {"file operations": 0, "imports": 0, "domain operations": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_inputs() -> Iterator[None]:
    yield
    print(f"\nproperty inputs tried: {INPUTS}")  # shown with -s


# -- 1. the catalog equals the disk -----------------------------------------------------

NAMES = [
    b"plain", b"with space", "ünïcödé".encode(), b"caf\xe9", b"\xff\xfe", b"two\nlines",
    b"<script>alert(1)</script>".replace(b"/", b"_"), b"...x", b" lead", b"trail ",
    b"--rf", b"%2e%2e", b"A" * 200, "日本語".encode(), b"\x1b[31mred",
]  # fmt: skip
DIRS = [b"", b"Films", b"Films/Sub Dir", b"   ", b"...", "Séries/Saison 1".encode(), b"\xe9t\xe9"]
CONTENTS = 6  # few contents, so that copies and reappearances happen


def _parse_trivially(paths: list[str]) -> list[dict[str, Any]]:
    return [{"kind": "movie", "title": os.path.basename(p), "year": None} for p in paths]


@dataclass
class Disk:
    storage: bytes
    clock: int = 1_600_000_000
    identities: dict[bytes, str] = field(default_factory=dict)  # content -> file id

    def files(self) -> dict[bytes, bytes]:
        """Video path (relative, bytes) -> content."""
        out = {}
        for dirpath, _dirs, names in os.walk(self.storage):
            for name in names:
                if name.endswith(b".mkv"):
                    full = os.path.join(dirpath, name)
                    with open(full, "rb") as f:
                        out[os.path.relpath(full, self.storage)] = f.read()
        return out

    def write(self, rel: bytes, content: bytes) -> None:
        path = os.path.join(self.storage, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        self.clock += 10  # a distinct mtime, as a real write some time later would have
        os.utime(path, (self.clock, self.clock))


def _content(n: int) -> bytes:
    return f"content number {n} ".encode() * (50 + n)


op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(DIRS), st.sampled_from(NAMES),
              st.integers(0, CONTENTS - 1)),
    st.tuples(st.just("move"), st.integers(0, 999), st.sampled_from(DIRS),
              st.sampled_from(NAMES)),
    st.tuples(st.just("copy"), st.integers(0, 999), st.sampled_from(DIRS),
              st.sampled_from(NAMES)),
    st.tuples(st.just("delete"), st.integers(0, 999)),
    st.tuples(st.just("change"), st.integers(0, 999), st.integers(0, CONTENTS - 1)),
    st.tuples(st.just("touch"), st.integers(0, 999)),
    st.tuples(st.just("rename-dir"), st.sampled_from(DIRS[1:]), st.sampled_from(NAMES)),
    st.just(("import",)),
)  # fmt: skip


def _apply_op(disk: Disk, step: tuple[Any, ...]) -> None:
    files = sorted(disk.files())
    kind = step[0]
    if kind == "create":
        _, folder, name, n = step
        disk.write(os.path.join(folder, name + b".mkv"), _content(n))
        return
    if kind == "rename-dir":
        _, folder, name = step
        src = os.path.join(disk.storage, folder)
        dst = os.path.join(os.path.dirname(src), name)
        if os.path.isdir(src) and not os.path.exists(dst):
            os.rename(src, dst)
        return
    if not files:
        return
    src = files[step[1] % len(files)]
    full = os.path.join(disk.storage, src)
    if kind in ("move", "copy"):
        dst = os.path.join(step[2], step[3] + b".mkv")
        if dst == src or os.path.exists(os.path.join(disk.storage, dst)):
            return
        if kind == "move":
            os.makedirs(os.path.dirname(os.path.join(disk.storage, dst)), exist_ok=True)
            os.rename(full, os.path.join(disk.storage, dst))
        else:
            with open(full, "rb") as f:
                disk.write(dst, f.read())
    elif kind == "delete":
        os.unlink(full)
    elif kind == "change":
        disk.write(src, _content(step[2]) + b"changed")
    elif kind == "touch":
        disk.clock += 10
        os.utime(full, (disk.clock, disk.clock))


def _catalog(home: Path) -> tuple[dict[bytes, str], dict[str, str]]:
    """(exact path -> file id) of present files, (file id -> status) of every file."""
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        paths = con.execute(
            "SELECT to_base64(p.raw_path), CAST(p.file_id AS VARCHAR) FROM file_paths p "
            "JOIN catalog_files f ON f.id = p.file_id WHERE f.status = 'present'"
        ).fetchall()
        statuses = con.execute("SELECT CAST(id AS VARCHAR), status FROM catalog_files").fetchall()
    finally:
        con.close()
    return {base64.b64decode(p): fid for p, fid in paths}, dict(statuses)


def _check_catalog_equals_disk(disk: Disk, home: Path) -> None:
    on_disk = disk.files()
    at_path, statuses = _catalog(home)
    assert sorted(at_path) == sorted(on_disk)  # every path once, exact bytes
    present_contents: dict[bytes, set[str]] = {}
    for rel, content in on_disk.items():
        present_contents.setdefault(content, set()).add(at_path[rel])
    for content, ids in present_contents.items():
        assert len(ids) == 1, ids  # one identity per content...
        (fid,) = ids
        known = disk.identities.setdefault(content, fid)
        assert known == fid  # ...that never changes
        fp = fingerprint(os.path.join(disk.storage, _first(on_disk, content)))
        assert fid == str(file_id(fp))
    present_ids = {fid for ids in present_contents.values() for fid in ids}
    for fid, status in statuses.items():
        assert status == ("present" if fid in present_ids else "vanished"), (fid, status)


def _first(files: dict[bytes, bytes], content: bytes) -> bytes:
    return next(rel for rel, c in sorted(files.items()) if c == content)


@SETTINGS
@given(steps=st.lists(op, min_size=8, max_size=30))
def test_random_file_operations_keep_the_catalog_equal_to_the_disk(
    steps: list[tuple[Any, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, home = Path(tmp) / "lib", Path(tmp) / "home"
        (root / "storage").mkdir(parents=True)
        (root / "storage" / "README.txt").write_text("keeps the root from looking unmounted")
        init_library(root, home)
        with open(home / "config.toml", "a", encoding="utf-8") as f:
            f.write("\n[media]\nanalyze_on_import = false\n")
        disk = Disk(os.fsencode(root / "storage"))
        for step in [*steps, ("import",)]:
            if step[0] != "import":
                INPUTS["file operations"] += 1
                _apply_op(disk, step)
                continue
            INPUTS["imports"] += 1
            with open_session(home) as session:
                import_storage(session, parser=_parse_trivially, parser_name="trivial",
                               allow_mass_vanish=True)  # fmt: skip
            _check_catalog_equals_disk(disk, home)
        with open_session(home) as session:
            rebuilt_dir = Path(tmp) / "rebuilt"
            rebuilt_dir.mkdir()
            Projector(rebuilt_dir / "catalog.duckdb", session.library.recorder).rebuild()
        assert dump(home / "catalog.duckdb") == dump(rebuilt_dir / "catalog.duckdb")


# -- 2. incremental projection == rebuild ---------------------------------------------------

PATHS = [
    "Films/a.mkv", "Films/b.mkv", "Séries/c.mkv", "caf\udce9.mkv", "two\nlines.mkv",
    "<script>.mkv", " . .mkv", "deep/er/path.mkv",
]  # fmt: skip
LINKS = ["Films/A (2000)/A (2000).mkv", "Films/B.mkv", "Séries/x\udcff.mkv", "odd\nlink.mkv"]
RUN = "00000000-0000-4000-8000-000000000000"


@dataclass
class World:
    files: list[MediaFile] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    dirty: dict[Any, Any] = field(default_factory=dict)

    def touched(self, agg: Any) -> None:
        self.dirty[agg.id] = agg


def _candidate(i: int, score: float) -> dict[str, Any]:
    return {"provider": "tmdb", "provider_id": str(100 + i), "title": f"Title {i}",
            "original_title": None, "year": 1990 + i, "score": score}  # fmt: skip


def _file_op(w: World, kind: str, i: int, j: int) -> None:
    if kind == "import" or not w.files:
        fp = f"{j + 1}:{i:032x}"
        if any(f.fingerprint == fp for f in w.files):
            return
        f = MediaFile(fingerprint=fp, algorithm="test", size=j + 1, path=PATHS[i % len(PATHS)],
                      mtime=float(j), name={"kind": "movie", "title": f"T{i}", "year": None},
                      parser="test", run_id=RUN)  # fmt: skip
        w.files.append(f)
        w.touched(f)
        return
    f = w.files[i % len(w.files)]
    path = PATHS[j % len(PATHS)]
    own = sorted(f.paths)
    actions: dict[str, Callable[[], Any]] = {
        "move": lambda: f.move(own[0] if own else path, path, float(j), RUN),
        "copy": lambda: f.copy(path, float(j), RUN),
        "vanish": lambda: f.vanish(own[j % len(own)] if own else path, RUN),
        "reappear": lambda: f.reappear(path, float(j), RUN),
        "replace": lambda: f.replace_content(own[0] if own else path, str(file_id("x")), RUN),
        "touch": lambda: f.touch(own[0] if own else path, float(j + 1000), RUN),
        "enrich": lambda: f.enrich(_candidate(j, 0.9), {"title": "T"}, [_candidate(j, 0.9)], RUN),
        "queue": lambda: f.queue_match(bool(j % 2), {"title": "T"},
                                       [_candidate(j, 0.5), _candidate(j + 1, 0.4)], RUN),
        "fail": lambda: f.fail_enrichment("tmdb", f"HTTP 50{j % 4}", RUN),
        "validate": lambda: f.validate_match(_candidate(j, 1.0), "id", RUN),
        "reject": lambda: f.reject_match(RUN),
    }  # fmt: skip
    actions[kind]()
    w.touched(f)


def _link_op(w: World, kind: str, i: int, j: int) -> None:
    if kind == "track" or not w.links:
        rel = LINKS[i % len(LINKS)]
        if any(link.link == rel for link in w.links):
            return
        link = Link.track(link=rel, target=f"../storage/{PATHS[j % len(PATHS)]}",
                          target_path=None, file_id=None, run_id=RUN)  # fmt: skip
        w.links.append(link)
        w.touched(link)
        return
    link = w.links[i % len(w.links)]
    target = PATHS[j % len(PATHS)]
    text = f"../../storage/{target}"
    actions: dict[str, Callable[[], Any]] = {
        "repair": lambda: link.repair(link.target or "x", text, target, None, "identity", RUN),
        "quarantine": lambda: link.quarantine(link.target or "x", f"orphans/{RUN}/{link.link}",
                                              RUN),
        "create": lambda: link.create(text, target, None, RUN),
        "retarget": lambda: link.retarget(link.target or "x", text, target, None, RUN),
        "restore": lambda: link.restore(text, target, None, link.target, None, RUN, RUN),
        "remove": lambda: link.remove(link.target or text, f"undo/{RUN}/{link.link}", RUN, RUN),
    }  # fmt: skip
    actions[kind]()
    w.touched(link)


FILE_OPS = ["import", "move", "copy", "vanish", "reappear", "replace", "touch", "enrich",
            "queue", "fail", "validate", "reject"]  # fmt: skip
LINK_OPS = ["track", "repair", "quarantine", "create", "retarget", "restore", "remove"]
step = st.tuples(
    st.sampled_from(["file"] * 3 + ["link"] * 2 + ["run"]),
    st.integers(0, 11),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(["", "", "", "save", "save", "catch-up"]),
)


@SETTINGS
@given(steps=st.lists(step, min_size=20, max_size=80))
@example(  # found by this test: the catalog's mtime depended on the batch boundaries
    steps=[("file", 8, 3, 3, ""), ("file", 0, 23, 10, ""), ("file", 0, 0, 6, ""),
           ("file", 2, 6, 13, ""), ("file", 3, 21, 17, ""), ("link", 0, 11, 20, "catch-up"),
           ("file", 5, 15, 25, "")]
)  # fmt: skip
def test_random_event_sequences_project_the_same_incrementally_and_rebuilt(
    steps: list[tuple[str, int, int, int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(env=store_env(None, Path(tmp)))
        projector = Projector(Path(tmp) / "incremental.duckdb", library.recorder)
        w = World()
        try:
            for what, k, i, j, then in steps:
                INPUTS["domain operations"] += 1
                try:
                    if what == "file":
                        _file_op(w, FILE_OPS[k % len(FILE_OPS)], i, j)
                    elif what == "link":
                        _link_op(w, LINK_OPS[k % len(LINK_OPS)], i, j)
                    elif w.runs and k % 2:
                        run = w.runs[i % len(w.runs)]
                        run.finish(summary={"n": j}, exit_code=j % 2,
                                   ended_at=f"2024-01-01T00:00:{j:02d}+00:00")  # fmt: skip
                        w.touched(run)
                    else:
                        run = Run(run_id=f"00000000-0000-4000-8000-{len(w.runs):012d}",
                                  command="test", arguments={"i": i}, app_version="0",
                                  host="h", started_at="2024-01-01T00:00:00+00:00")  # fmt: skip
                        w.runs.append(run)
                        w.touched(run)
                except DomainError:
                    pass  # an operation the domain refuses records nothing
                if then in ("save", "catch-up") and w.dirty:
                    library.save(*w.dirty.values())
                    w.dirty.clear()
                if then == "catch-up":
                    projector.catch_up()
            if w.dirty:
                library.save(*w.dirty.values())
            projector.catch_up()
            rebuilt = Projector(Path(tmp) / "rebuilt.duckdb", library.recorder)
            rebuilt.rebuild()
        finally:
            library.close()
        incremental = dump(Path(tmp) / "incremental.duckdb")
        rebuilt_rows = dump(Path(tmp) / "rebuilt.duckdb")
        assert incremental == rebuilt_rows, first_difference(incremental, rebuilt_rows)
