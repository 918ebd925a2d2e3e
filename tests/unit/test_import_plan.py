"""Classifying a scan against the catalog (domain.import_plan), without any I/O.

The catalog is kept as real ``MediaFile`` aggregates in memory: each plan is applied to
them with their own command methods, so the tests also show that every plan the domain
makes is one the aggregates accept.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videotheque.domain.ids import file_id
from videotheque.domain.import_plan import (
    Action,
    Known,
    Plan,
    Seen,
    index_by_path,
    needs_hash,
    plan_import,
)
from videotheque.domain.import_plan import apply_action as record_action
from videotheque.domain.media_file import PRESENT, VANISHED, MediaFile

RUN = "00000000-0000-0000-0000-000000000001"


def fp(content: str) -> str:
    """A fingerprint for a made-up content (its size is part of it, as on disk)."""
    return f"{len(content)}:{content}"


def fid(content: str) -> str:
    return str(file_id(fp(content)))


@dataclass
class Disk:
    """Storage as the scan sees it: path -> (content, mtime)."""

    files: dict[str, tuple[str, float]] = field(default_factory=dict)
    clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def write(self, path: str, content: str) -> None:
        self.files[path] = (content, float(next(self.clock)))

    def move(self, old: str, new: str) -> None:
        """Like ``mv``: the content and its mtime go to the new path."""
        self.files[new] = self.files.pop(old)

    def copy(self, old: str, new: str) -> None:
        """Like ``cp``: same content, a new mtime."""
        self.write(new, self.files[old][0])

    def touch(self, path: str) -> None:
        self.files[path] = (self.files[path][0], float(next(self.clock)))

    def delete(self, path: str) -> None:
        del self.files[path]


@dataclass
class Catalog:
    """The catalog as aggregates; ``scan`` plans against the disk, ``apply`` records."""

    files: dict[str, MediaFile] = field(default_factory=dict)

    def known(self) -> dict[str, Known]:
        return {
            key: Known(key, f.status, {p: (f.size, m) for p, m in f.paths.items()})
            for key, f in self.files.items()
        }

    def scan(self, disk: Disk, protected: tuple[str, ...] = ()) -> Plan:
        known = self.known()
        by_path = index_by_path(known.values())
        seen = [p for p in disk.files if p not in protected]
        hashed = []
        unchanged = 0
        for path in seen:
            content, mtime = disk.files[path]
            if needs_hash(by_path, path, len(content), mtime):
                hashed.append(Seen(path, fp(content), len(content), mtime))
            else:
                unchanged += 1
        return plan_import(known, seen, hashed, protected, unchanged)

    def apply(self, plan: Plan, disk: Disk) -> None:
        for a in plan.actions:
            apply_action(self.files, a, disk)

    def sync(self, disk: Disk, protected: tuple[str, ...] = ()) -> Plan:
        plan = self.scan(disk, protected)
        self.apply(plan, disk)
        return plan

    def present(self) -> dict[str, tuple[str, float]]:
        """path -> (file id, mtime) of every present path."""
        return {
            p: (key, m)
            for key, f in self.files.items()
            if f.status == PRESENT
            for p, m in f.paths.items()
        }


def apply_action(files: dict[str, MediaFile], a: Action, disk: Disk) -> None:
    if a.kind == "import":
        content, mtime = disk.files[a.path]
        assert a.fingerprint == fp(content)
        files[a.file_id] = MediaFile(
            fingerprint=fp(content),
            algorithm="test",
            size=len(content),
            path=a.path,
            mtime=mtime,
            name={"title": content},
            parser="test",
            run_id=RUN,
            replaces=a.replaces,
        )
        assert str(files[a.file_id].id) == a.file_id
        return
    f = files[a.file_id]
    record_action(f, a, RUN)


def kinds(plan: Plan) -> list[tuple[str, str]]:
    return sorted((a.kind, a.path) for a in plan.actions)


def nonzero(plan: Plan) -> dict[str, int]:
    return {k: v for k, v in plan.counts.items() if v}


def catalogued(*paths_and_contents: tuple[str, str]) -> tuple[Disk, Catalog]:
    disk = Disk()
    for path, content in paths_and_contents:
        disk.write(path, content)
    catalog = Catalog()
    catalog.sync(disk)
    return disk, catalog


# -- one classification at a time ------------------------------------------------------


def test_new_files_are_imported_with_their_fingerprint_and_size() -> None:
    disk = Disk()
    disk.write("Films/Alien (1979)/Alien.mkv", "alien")
    disk.write("Series/Dark/S01E01.mkv", "dark-1")
    plan = Catalog().scan(disk)
    assert nonzero(plan) == {"new": 2}
    by_path = {a.path: a for a in plan.actions}
    alien = by_path["Films/Alien (1979)/Alien.mkv"]
    assert alien.kind == "import"
    assert alien.file_id == fid("alien")
    assert alien.fingerprint == fp("alien")
    assert alien.size == len("alien")
    assert alien.mtime == disk.files[alien.path][1]
    assert alien.replaces is None


def test_identical_contents_in_one_scan_are_one_file_and_a_copy() -> None:
    disk = Disk()
    disk.write("a/Film.mkv", "same")
    disk.write("b/Film.mkv", "same")
    plan = Catalog().scan(disk)
    assert nonzero(plan) == {"new": 1, "copies": 1}
    assert kinds(plan) == [("copy", "b/Film.mkv"), ("import", "a/Film.mkv")]


def test_unchanged_files_are_neither_hashed_nor_recorded() -> None:
    disk, catalog = catalogued(("a.mkv", "a"), ("b.mkv", "b"))
    by_path = index_by_path(catalog.known().values())
    for path, (content, mtime) in disk.files.items():
        assert not needs_hash(by_path, path, len(content), mtime)
    assert needs_hash(by_path, "a.mkv", 1, 12345.0)  # another mtime
    assert needs_hash(by_path, "a.mkv", 99, disk.files["a.mkv"][1])  # another size
    assert needs_hash(by_path, "c.mkv", 1, 1.0)  # unknown path
    plan = catalog.scan(disk)
    assert plan.actions == []
    assert nonzero(plan) == {"unchanged": 2}


def test_a_touched_file_keeps_its_identity_and_counts_as_unchanged() -> None:
    disk, catalog = catalogued(("a.mkv", "a"))
    disk.touch("a.mkv")
    plan = catalog.sync(disk)
    assert kinds(plan) == [("touch", "a.mkv")]
    assert nonzero(plan) == {"unchanged": 1}
    assert catalog.present() == {"a.mkv": (fid("a"), disk.files["a.mkv"][1])}


def test_a_moved_file_keeps_its_identity() -> None:
    disk, catalog = catalogued(("in/Film.mkv", "film"), ("other.mkv", "other"))
    disk.move("in/Film.mkv", "Films/Film (2001)/Film.mkv")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"moved": 1, "unchanged": 1}
    (move,) = plan.actions
    assert (move.kind, move.old_path, move.path) == (
        "move",
        "in/Film.mkv",
        "Films/Film (2001)/Film.mkv",
    )
    assert move.file_id == fid("film")
    assert catalog.files[fid("film")].name == {"title": "film"}  # metadata kept


def test_moves_of_several_copies_pair_paths_by_file_name_first() -> None:
    disk, catalog = catalogued(("x/A.mkv", "same"), ("x/B.mkv", "same"))
    disk.move("x/A.mkv", "z/A.mkv")
    disk.move("x/B.mkv", "y/B.mkv")
    plan = catalog.sync(disk)
    pairs = sorted((a.old_path, a.path) for a in plan.actions)
    assert pairs == [("x/A.mkv", "z/A.mkv"), ("x/B.mkv", "y/B.mkv")]
    assert nonzero(plan) == {"moved": 2}


def test_a_rename_pairs_with_the_gone_path_of_its_folder() -> None:
    disk, catalog = catalogued(("a/1.mkv", "same"), ("c/2.mkv", "same"))
    disk.delete("a/1.mkv")
    disk.move("c/2.mkv", "c/3.mkv")
    plan = catalog.sync(disk)
    assert kinds(plan) == [("move", "c/3.mkv"), ("vanish", "a/1.mkv")]
    assert [a.old_path for a in plan.actions if a.kind == "move"] == ["c/2.mkv"]
    assert nonzero(plan) == {"moved": 1, "vanished": 1}


def test_a_copy_is_one_more_path_of_the_same_file() -> None:
    disk, catalog = catalogued(("a/Film.mkv", "film"))
    disk.copy("a/Film.mkv", "backup/Film.mkv")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"copies": 1, "unchanged": 1}
    assert kinds(plan) == [("copy", "backup/Film.mkv")]
    assert sorted(catalog.files[fid("film")].paths) == ["a/Film.mkv", "backup/Film.mkv"]


def test_same_path_with_new_content_is_changed() -> None:
    disk, catalog = catalogued(("Film.mkv", "old cut"))
    disk.write("Film.mkv", "director's cut")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"changed": 1}
    by_kind = {a.kind: a for a in plan.actions}
    assert set(by_kind) == {"import", "replace"}
    assert by_kind["import"].replaces == fid("old cut")
    assert by_kind["replace"].file_id == fid("old cut")
    assert by_kind["replace"].by_file_id == fid("director's cut")
    assert catalog.files[fid("old cut")].status == VANISHED
    assert catalog.present() == {"Film.mkv": (fid("director's cut"), disk.files["Film.mkv"][1])}


def test_changed_to_the_content_of_another_known_file_is_a_changed_copy() -> None:
    disk, catalog = catalogued(("a.mkv", "a"), ("b.mkv", "b"))
    disk.copy("a.mkv", "b.mkv")  # overwrite b with a's content
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"changed": 1, "unchanged": 1}
    assert kinds(plan) == [("copy", "b.mkv"), ("replace", "b.mkv")]
    assert catalog.files[fid("b")].status == VANISHED
    assert sorted(catalog.files[fid("a")].paths) == ["a.mkv", "b.mkv"]


def test_moved_away_then_overwritten_is_a_move_and_a_change() -> None:
    disk, catalog = catalogued(("Film.mkv", "theatrical"))
    disk.move("Film.mkv", "old/Film.mkv")
    disk.write("Film.mkv", "extended")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"moved": 1, "changed": 1}
    moves = [a for a in plan.actions if a.kind == "move"]
    assert [(a.file_id, a.old_path, a.path) for a in moves] == [
        (fid("theatrical"), "Film.mkv", "old/Film.mkv")
    ]
    assert not [a for a in plan.actions if a.kind in ("replace", "vanish")]
    assert catalog.present() == {
        "Film.mkv": (fid("extended"), disk.files["Film.mkv"][1]),
        "old/Film.mkv": (fid("theatrical"), disk.files["old/Film.mkv"][1]),
    }


def test_swapped_contents_are_two_moves() -> None:
    disk, catalog = catalogued(("a.mkv", "aaa"), ("b.mkv", "bbb"))
    a, b = disk.files["a.mkv"], disk.files["b.mkv"]
    disk.files["a.mkv"], disk.files["b.mkv"] = b, a
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"moved": 2}
    assert catalog.present() == {"a.mkv": (fid("bbb"), b[1]), "b.mkv": (fid("aaa"), a[1])}


def test_a_deleted_file_vanishes_and_counts_for_the_guard() -> None:
    disk, catalog = catalogued(("a.mkv", "a"), ("b.mkv", "b"))
    disk.delete("a.mkv")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"vanished": 1, "unchanged": 1}
    assert plan.present_before == 2
    assert plan.files_vanishing == 1
    assert catalog.files[fid("a")].status == VANISHED
    assert catalog.files[fid("a")].paths == {}


def test_a_deleted_copy_leaves_the_file_present() -> None:
    disk, catalog = catalogued(("a.mkv", "a"))
    disk.copy("a.mkv", "b.mkv")
    catalog.sync(disk)
    disk.delete("a.mkv")
    plan = catalog.sync(disk)
    assert kinds(plan) == [("vanish", "a.mkv")]
    assert plan.files_vanishing == 0  # the file still has a path
    assert catalog.files[fid("a")].status == PRESENT
    assert list(catalog.files[fid("a")].paths) == ["b.mkv"]


def test_a_vanished_file_reappears_with_identity_history_and_metadata() -> None:
    disk, catalog = catalogued(("Film.mkv", "film"))
    original = catalog.files[fid("film")]
    disk.delete("Film.mkv")
    catalog.sync(disk)
    version_when_gone = original.version
    disk.write("elsewhere/Film.mkv", "film")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"reappeared": 1}
    (back,) = plan.actions
    assert (back.kind, back.file_id, back.path) == ("reappear", fid("film"), "elsewhere/Film.mkv")
    f = catalog.files[fid("film")]
    assert f is original  # the same aggregate, its events continue
    assert f.version == version_when_gone + 1
    assert f.status == PRESENT
    assert f.name == {"title": "film"}
    assert f.paths == {"elsewhere/Film.mkv": disk.files["elsewhere/Film.mkv"][1]}


def test_a_vanished_file_back_at_two_paths_reappears_once_plus_a_copy() -> None:
    disk, catalog = catalogued(("Film.mkv", "film"))
    disk.delete("Film.mkv")
    catalog.sync(disk)
    disk.write("a/Film.mkv", "film")
    disk.write("b/Film.mkv", "film")
    plan = catalog.sync(disk)
    assert nonzero(plan) == {"reappeared": 1, "copies": 1}
    assert sorted(catalog.files[fid("film")].paths) == ["a/Film.mkv", "b/Film.mkv"]


def test_protected_paths_never_vanish() -> None:
    disk, catalog = catalogued(("locked/a.mkv", "a"), ("downloading.mkv", "d"), ("c.mkv", "c"))
    # The scan could not read locked/a.mkv, and downloading.mkv is too recent: both are
    # protected, so missing from ``seen`` they must not be taken for gone.
    plan = catalog.sync(disk, protected=("locked/a.mkv", "downloading.mkv"))
    assert nonzero(plan) == {"unchanged": 1}
    assert plan.actions == []
    assert plan.files_vanishing == 0
    assert len(catalog.present()) == 3


def test_a_protected_path_does_not_turn_a_move_into_a_copy_or_a_vanish() -> None:
    disk, catalog = catalogued(("a.mkv", "a"), ("b.mkv", "b"))
    disk.copy("a.mkv", "backup/a.mkv")
    plan = catalog.sync(disk, protected=("a.mkv",))
    assert kinds(plan) == [("copy", "backup/a.mkv")]


def test_mass_vanish_counts_files_not_paths() -> None:
    disk, catalog = catalogued(*[(f"{i}.mkv", f"c{i}") for i in range(10)])
    disk.copy("0.mkv", "copy-of-0.mkv")
    catalog.sync(disk)
    for i in range(5):
        disk.delete(f"{i}.mkv")
    plan = catalog.scan(disk)
    assert plan.present_before == 10
    # 0 still has its copy: only 1..4 would end up with no path at all.
    assert plan.files_vanishing == 4
    assert plan.counts["vanished"] == 5


def test_content_changed_in_place_does_not_count_for_the_mass_vanish_guard() -> None:
    disk, catalog = catalogued(("a.mkv", "a"), ("b.mkv", "b"))
    disk.write("a.mkv", "a re-encoded")
    disk.write("b.mkv", "b re-encoded")
    plan = catalog.scan(disk)
    assert nonzero(plan) == {"changed": 2}
    assert plan.files_vanishing == 0


# -- random operations: the planned catalog always equals the disk ---------------------

PATHS = [f"{d}{n}.mkv" for d in ("", "a/", "b/c/") for n in ("x", "y", "z")]
CONTENTS = ["one", "two", "three", "four", "five5"]

ops = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(PATHS), st.sampled_from(CONTENTS)),
    st.tuples(st.just("move"), st.sampled_from(PATHS), st.sampled_from(PATHS)),
    st.tuples(st.just("copy"), st.sampled_from(PATHS), st.sampled_from(PATHS)),
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.just("")),
    st.tuples(st.just("touch"), st.sampled_from(PATHS), st.just("")),
)
rounds = st.lists(st.lists(ops, max_size=6), min_size=1, max_size=6)


def do(disk: Disk, op: tuple[str, str, str]) -> None:
    name, a, b = op
    if name == "write":
        disk.write(a, b)
    elif a not in disk.files:
        return
    elif name in ("move", "copy"):
        if a != b:
            getattr(disk, name)(a, b)
    else:
        getattr(disk, name)(a)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds)
def test_random_operations_keep_the_catalog_equal_to_the_disk(
    history: list[list[tuple[str, str, str]]],
) -> None:
    disk = Disk()
    catalog = Catalog()
    ever_seen: set[str] = set()
    for operations in history:
        for op in operations:
            do(disk, op)
        before = {k: f.status for k, f in catalog.files.items()}
        plan = catalog.sync(disk)
        # The catalog now says exactly what the disk holds, content and mtime.
        assert catalog.present() == {
            path: (fid(content), mtime) for path, (content, mtime) in disk.files.items()
        }
        for f in catalog.files.values():
            assert (f.status == PRESENT) == bool(f.paths)
        # Each content has one identity forever: it is imported once, then comes back.
        imported = {a.file_id for a in plan.actions if a.kind == "import"}
        assert not imported & ever_seen
        ever_seen |= imported
        reappeared = {a.file_id for a in plan.actions if a.kind == "reappear"}
        assert all(before.get(k) == VANISHED for k in reappeared)
        assert plan.counts["reappeared"] == len(reappeared)
        # Re-scanning the unchanged disk finds nothing to do.
        again = catalog.scan(disk)
        assert again.actions == []
        assert again.counts["unchanged"] == len(disk.files)
