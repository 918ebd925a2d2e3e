"""Content fingerprints: size plus xxh3_128 of the first, middle and last 64 KiB, exactly
as plain reads see the bytes, whether the file is dense or sparse (holes hashed as the
zeros they read as, without reading them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import videotheque.commands.adapters.fingerprint
from videotheque.commands.adapters.fingerprint import CHUNK, fingerprint, fingerprint_many


def reference(path: Path) -> str:
    """The scheme, written the plainest way."""
    data = path.read_bytes()
    size = len(data)
    if size <= 3 * CHUNK:
        sampled = data
    else:
        middle = (size - CHUNK) // 2
        sampled = data[:CHUNK] + data[middle : middle + CHUNK] + data[size - CHUNK :]
    return f"{size}:{xxhash.xxh3_128(sampled).hexdigest()}"


def sparse(path: Path, size: int, writes: list[tuple[int, bytes]]) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, data in writes:
            f.seek(offset)
            f.write(data)
    return path


LAYOUTS = {
    "one byte": (1, [(0, b"x")]),
    "small dense": (5000, [(0, os.urandom(5000))]),
    "exactly three chunks": (3 * CHUNK, [(0, os.urandom(3 * CHUNK))]),
    "three chunks and one byte": (3 * CHUNK + 1, [(0, os.urandom(3 * CHUNK + 1))]),
    "big dense": (1 << 20, [(0, os.urandom(1 << 20))]),
    "all hole": (8 << 20, []),
    "small all hole": (100_000, []),
    "marks in every chunk": (
        64 << 20,
        [(1024, b"first"), ((64 << 20) // 2, b"middle"), ((64 << 20) - 100, b"last")],
    ),
    "data across a chunk boundary": (10 << 20, [(CHUNK - 10, os.urandom(8192))]),
    "data only in the middle": (10 << 20, [((10 << 20) // 2 - 5000, os.urandom(20_000))]),
    "hole then data at the end": (10 << 20, [((10 << 20) - 4096, os.urandom(4096))]),
    "small with a hole inside": (150_000, [(0, b"head"), (140_000, b"tail")]),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_dense_and_sparse_files_hash_as_plain_reads_see_them(tmp_path: Path, layout: str) -> None:
    size, writes = LAYOUTS[layout]
    path = sparse(tmp_path / "f.mkv", size, writes)
    assert fingerprint(path) == reference(path)


def test_a_sparse_file_and_its_dense_copy_have_one_fingerprint(tmp_path: Path) -> None:
    holey = sparse(tmp_path / "sparse.mkv", 32 << 20, [(4096, b"a"), (20 << 20, b"b")])
    dense = tmp_path / "dense.mkv"
    with open(holey, "rb") as src, open(dense, "wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)  # written out: no holes left
    assert os.stat(dense).st_blocks > os.stat(holey).st_blocks
    assert fingerprint(holey) == fingerprint(dense)


@pytest.mark.parametrize("pool", ["threads", "fork", "forkserver"])
def test_fingerprint_many_keeps_order_and_reports_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: str
) -> None:
    if pool != "threads":  # a big import's way (worker processes), on fewer files
        monkeypatch.setattr(videotheque.commands.adapters.fingerprint, "PROCESS_THRESHOLD", 100)
        monkeypatch.setattr(videotheque.commands.adapters.fingerprint, "SLICE", 16)
        # forkserver when other threads run in the process, fork when none does
        monkeypatch.setattr(
            videotheque.commands.adapters.fingerprint,
            "_threads",
            lambda: 1 if pool == "fork" else 3,
        )
        assert (
            videotheque.commands.adapters.fingerprint.worker_pool_context().get_start_method()
            == pool
        )
    paths = []
    for i in range(300):  # enough to go through the pool
        p = tmp_path / f"{i:03d}.mkv"
        p.write_bytes(f"file {i}".encode())
        paths.append(str(p))
    paths.insert(150, str(tmp_path / "missing.mkv"))
    sparse(tmp_path / "holes.mkv", 8 << 20, [(0, b"head"), (4 << 20, b"middle")])
    paths.append(str(tmp_path / "holes.mkv"))
    done: list[int] = []
    results = fingerprint_many(paths, on_done=done.append, workers=2)
    assert [r[0] for r in results] == paths
    assert results[150][1:] == (None, "No such file or directory")
    assert all(fp == reference(Path(p)) for p, fp, _ in results if fp is not None)
    assert done[-1] == len(paths)


def test_a_fifo_fails_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "race.mkv"  # a file swapped for a FIFO after the walk
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        fingerprint(fifo)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(min_value=0, max_value=3 << 20),
    writes=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3 << 20), st.binary(min_size=1, max_size=9000)
        ),
        max_size=6,
    ),
)
def test_any_layout_hashes_as_plain_reads_see_it(tmp_path: Path, size: int, writes: list) -> None:
    """Holes and data anywhere (around the sampled chunks, across their edges, files
    grown by a late write): the holes-skipping reads agree with plain ones."""
    path = sparse(tmp_path / "any.mkv", size, writes)
    assert fingerprint(path) == reference(path)
