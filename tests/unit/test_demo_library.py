"""The demo library generator: realistic, sparse, distinct, deterministic, and careful."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
import xxhash

from videotheque.commands.adapters.fingerprint import fingerprint
from videotheque.commands.demo.library import DemoLibrary, build_demo_library

WINDOW = 64 * 1024
VIDEO_SUFFIXES = {".mkv", ".mp4", ".avi", ".m4v"}


def sampled_fingerprint(path: Path) -> str:
    """size + xxh3_128 over the first, middle and last 64 KiB (whole file when small)."""
    size = path.stat().st_size
    digest = xxhash.xxh3_128()
    with path.open("rb") as f:
        if size <= 3 * WINDOW:
            digest.update(f.read())
        else:
            for offset in (0, (size - WINDOW) // 2, size - WINDOW):
                f.seek(offset)
                digest.update(f.read(WINDOW))
    return f"{size}:{digest.hexdigest()}"


def snapshot(lib: DemoLibrary) -> dict[str, tuple[object, ...]]:
    """Everything observable about a built library, relative to its root."""
    seen: dict[str, tuple[object, ...]] = {}
    for dirpath, _dirs, names in os.walk(lib.root):
        for name in names:
            path = Path(dirpath, name)
            rel = path.relative_to(lib.root).as_posix()
            st = path.lstat()
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path), st.st_mtime)
            else:
                seen[rel] = ("file", st.st_size, st.st_mtime, sampled_fingerprint(path))
    return seen


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> DemoLibrary:
    return build_demo_library(tmp_path_factory.mktemp("demo") / "library")


def test_builds_the_three_roots_and_lists_what_it_created(lib: DemoLibrary) -> None:
    assert (lib.storage, lib.video, lib.trash) == (
        lib.root / "storage",
        lib.root / "video",
        lib.root / "trash",
    )
    assert list(lib.trash.iterdir()) == []
    on_disk = sorted(
        Path(dirpath, name).relative_to(lib.storage)
        for dirpath, _dirs, names in os.walk(lib.storage)
        for name in names
    )
    assert on_disk == list(lib.files)
    assert {m.path for m in lib.media} <= set(lib.files)
    assert sorted(p for p in lib.files if p.suffix in VIDEO_SUFFIXES) == [m.path for m in lib.media]


def test_library_is_realistic(lib: DemoLibrary) -> None:
    kinds = Counter(m.kind for m in lib.media)
    assert 40 <= len(lib.media) <= 60
    assert kinds["movie"] >= 15 and kinds["episode"] >= 12 and kinds["extra"] == 2
    assert {m.path.suffix for m in lib.media} == VIDEO_SUFFIXES
    paths = {m.path.as_posix() for m in lib.media}
    assert "Films/The.Matrix.1999.1080p.BluRay.x264.mkv" in paths
    assert "Series/Breaking Bad/Season 01/Breaking.Bad.S01E01.mkv" in paths
    assert any("/Saison 1/" in p for p in paths)
    assert any("/Livre 1/" in p for p in paths)
    assert any("{tmdb-" in p for p in paths)
    # a remake pair: same title, different years
    dunes = sorted(m.year or 0 for m in lib.media if m.kind == "movie" and m.title == "Dune")
    assert dunes == [1984, 2021]
    assert any(len(m.episodes) == 2 for m in lib.media)
    movies = [m for m in lib.media if m.kind == "movie"]
    assert sum(m.nfo is None for m in movies) >= 1
    assert sum(m.nfo is not None for m in movies) > len(movies) / 2
    for m in lib.media:
        size = m.size
        assert (lib.storage / m.path).stat().st_size == size
        if m.kind == "movie":
            assert 700 * 1024**2 <= size <= 8 * 1024**3, m.path
        elif m.kind == "episode":
            assert 200 * 1024**2 <= size <= 2 * 1024**3, m.path


def test_every_video_file_has_a_distinct_fingerprint(lib: DemoLibrary) -> None:
    fingerprints = [sampled_fingerprint(lib.storage / m.path) for m in lib.media]
    assert len(set(fingerprints)) == len(fingerprints)
    # the same scheme as the importer's
    assert fingerprints == [fingerprint(lib.storage / m.path) for m in lib.media]
    # distinct even without the size, and in each sampled window on its own
    for window in range(3):
        digests = set()
        for m in lib.media:
            path = lib.storage / m.path
            size = path.stat().st_size
            offset = (0, (size - WINDOW) // 2, size - WINDOW)[window]
            with path.open("rb") as f:
                f.seek(offset)
                digests.add(xxhash.xxh3_128_hexdigest(f.read(WINDOW)))
        assert len(digests) == len(lib.media)


def test_files_are_sparse(lib: DemoLibrary) -> None:
    total_blocks = 0
    for rel in lib.files:
        st = (lib.storage / rel).stat()
        total_blocks += st.st_blocks
        assert st.st_blocks * 512 <= 64 * 1024, rel
    assert lib.apparent_size > 50 * 1024**3
    assert total_blocks * 512 < 4 * 1024**2


def test_every_link_is_relative_and_resolves_into_storage(lib: DemoLibrary) -> None:
    storage = lib.storage.resolve()
    on_disk = sorted(
        Path(dirpath, name).relative_to(lib.video)
        for dirpath, _dirs, names in os.walk(lib.video)
        for name in names
    )
    assert on_disk == [link.link for link in lib.links]
    for link in lib.links:
        path = lib.video / link.link
        assert path.is_symlink()
        assert not os.path.isabs(os.readlink(path))
        resolved = path.resolve(strict=True)
        assert resolved.is_relative_to(storage)
        assert resolved == storage / link.target


def test_links_follow_the_media_server_layout_for_most_but_not_all_files(
    lib: DemoLibrary,
) -> None:
    linked = {link.target for link in lib.links}
    wanted = [m for m in lib.media if m.kind != "extra"]
    assert len(wanted) / 2 < len(linked) < len(wanted)
    by_target = {link.target: link.link for link in lib.links}
    amelie = next(m for m in lib.media if "Amélie" in m.title)
    assert by_target[amelie.path] == Path(
        "Films/Le Fabuleux Destin d'Amélie Poulain (2001)/"
        "Le Fabuleux Destin d'Amélie Poulain (2001).mkv"
    )
    bb = Path("Series/Breaking Bad/Season 01/Breaking.Bad.S01E02.720p.BluRay.x264.mkv")
    assert by_target[bb] == Path("Series/Breaking Bad (2008)/Season 01/Breaking Bad - S01E02.mkv")
    double = next(m for m in lib.media if len(m.episodes) == 2)
    assert by_target[double.path].name == "Friends - S01E16-E17.avi"


def test_nfo_files_are_kodi_xml_with_real_ids(lib: DemoLibrary) -> None:
    nfos = [p for p in lib.files if p.suffix == ".nfo"]
    assert len(nfos) >= 15
    roots = {p: DET.parse(lib.storage / p).getroot() for p in nfos}
    for path, root in roots.items():
        assert root.tag == ("tvshow" if path.name == "tvshow.nfo" else "movie"), path
        assert root.findtext("title")
        assert root.findtext("year", "").isdigit()

    def ids(rel: str) -> dict[str, str]:
        root = roots[Path(rel)]
        return {u.get("type"): u.text for u in root.findall("uniqueid")}

    assert ids("Films/The.Matrix.1999.1080p.BluRay.x264.nfo") == {
        "tmdb": "603",
        "imdb": "tt0133093",
    }
    assert ids("Downloads/Fight.Club.1999.720p.BRRip.x264.nfo")["tmdb"] == "550"
    assert ids("Series/Breaking Bad/tvshow.nfo")["tvdb"] == "81189"
    assert ids("Series/Game of Thrones/tvshow.nfo")["tvdb"] == "121361"
    chihiro = roots[Path("Films/Le Voyage de Chihiro (2001)/Le Voyage de Chihiro (2001).nfo")]
    assert chihiro.findtext("originaltitle") == "千と千尋の神隠し"
    # each media's nfo field points at an existing sidecar
    for m in lib.media:
        if m.nfo is not None:
            assert m.nfo in roots


def test_same_seed_builds_the_same_library_and_another_seed_differs(
    lib: DemoLibrary, tmp_path: Path
) -> None:
    again = build_demo_library(tmp_path / "again", seed=lib.seed)
    assert again.files == lib.files and again.links == lib.links
    assert [(m.path, m.size) for m in again.media] == [(m.path, m.size) for m in lib.media]
    assert snapshot(again) == snapshot(lib)

    other = build_demo_library(tmp_path / "other", seed=lib.seed + 1)
    assert other.files == lib.files
    mine = {sampled_fingerprint(lib.storage / m.path) for m in lib.media}
    theirs = {sampled_fingerprint(other.storage / m.path) for m in other.media}
    assert mine.isdisjoint(theirs)


def test_files_look_old_enough_to_import(lib: DemoLibrary) -> None:
    # import skips files modified less than --min-age ago: the demo's files are years old
    for m in lib.media:
        assert (lib.storage / m.path).stat().st_mtime < 1_735_689_600  # 2025-01-01


def test_empty_or_missing_root_is_accepted(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build_demo_library(empty).storage.is_dir()
    assert build_demo_library(tmp_path / "a" / "b").video.is_dir()


def test_refuses_a_non_empty_root_and_touches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "precious"
    root.mkdir()
    (root / "holiday.mkv").write_bytes(b"not a demo")
    with pytest.raises(FileExistsError, match="not empty"):
        build_demo_library(root)
    assert [p.name for p in root.iterdir()] == ["holiday.mkv"]
    assert (root / "holiday.mkv").read_bytes() == b"not a demo"


def test_refuses_a_root_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        build_demo_library(target)
