"""Planning link repairs: identity first, then names, ranked; what --auto does."""

from __future__ import annotations

from videotheque.domain.link_plan import (
    BASENAME,
    IDENTITY,
    MISSING,
    NAME,
    OUTSIDE,
    QUARANTINE,
    REPAIR,
    SKIP,
    Broken,
    CatalogName,
    NameIndex,
    NameInfo,
    decide_auto,
    identity_candidates,
    identity_keys,
    link_text,
    old_base_name,
    propose,
    quarantine_path,
)


def broken(target_path: str | None, resolved: str, problem: str = MISSING) -> Broken:
    return Broken("Films/X/X.mkv", "../../storage/x.mkv", resolved, target_path, problem)


def test_identity_key_inside_storage_is_the_path_itself() -> None:
    b = broken("Films/old/x.mkv", "/lib/storage/Films/old/x.mkv")
    assert identity_keys(b) == ["Films/old/x.mkv"]


def test_identity_keys_outside_storage_are_suffixes_of_at_least_two_parts() -> None:
    b = broken(None, "/old/mount/Films/x.mkv", OUTSIDE)
    assert identity_keys(b) == ["old/mount/Films/x.mkv", "mount/Films/x.mkv", "Films/x.mkv"]


def test_identity_candidates_are_the_current_paths_of_the_file_that_had_it() -> None:
    holders = {"Films/old/x.mkv": [("f1", 10)]}
    paths = {"f1": ["Films/new/x.mkv"]}
    cands = identity_candidates(["Films/old/x.mkv"], holders, paths)
    assert [(c.path, c.file_id, c.method) for c in cands] == [("Films/new/x.mkv", "f1", IDENTITY)]
    p = propose(broken("Films/old/x.mkv", "/s/Films/old/x.mkv"), cands)
    assert p.certain
    assert decide_auto(p, False).action == REPAIR


def test_copies_make_identity_ambiguous_and_the_old_base_name_ranks_first() -> None:
    holders = {"a/x.mkv": [("f1", 10)]}
    paths = {"f1": ["b/renamed.mkv", "c/x.mkv"]}
    cands = identity_candidates(["a/x.mkv"], holders, paths)
    assert [c.path for c in cands] == ["c/x.mkv", "b/renamed.mkv"]
    p = propose(broken("a/x.mkv", "/s/a/x.mkv"), cands)
    assert not p.certain
    d = decide_auto(p, quarantine_orphans=True)
    assert d.action == SKIP and "ambiguous" in d.reason


def test_the_latest_holder_of_a_path_comes_first() -> None:
    holders = {"x.mkv": [("old", 3), ("new", 9)]}
    paths = {"old": ["o/x.mkv"], "new": ["n/x.mkv"]}
    assert [c.file_id for c in identity_candidates(["x.mkv"], holders, paths)] == ["new", "old"]


def test_a_vanished_holder_gives_no_candidate() -> None:
    assert identity_candidates(["x.mkv"], {"x.mkv": [("f1", 3)]}, {}) == []


def test_longest_known_suffix_wins() -> None:
    holders = {"Films/x.mkv": [("f1", 1)], "x.mkv": [("f2", 2)]}
    cands = identity_candidates(
        ["mount/Films/x.mkv", "Films/x.mkv"], holders, {"f1": ["A/x.mkv"], "f2": ["B/x.mkv"]}
    )
    assert [c.file_id for c in cands] == ["f1"]


def catalog() -> NameIndex:
    return NameIndex.build(
        [
            CatalogName("m1", "Films/Amelie.2001.mkv", "movie", "Amélie", 2001),
            CatalogName("m2", "Films/Amelie.2020.mkv", "movie", "Amelie", 2020),
            CatalogName("m3", "Other/Matrix.mkv", "movie", "The Matrix", None),
            CatalogName("e1", "S/Show.S01E02.mkv", "episode", "Show", None, 1, 2),
            CatalogName("e2", "S/Show.S01E03.mkv", "episode", "Show", None, 1, 3),
        ]
    )


def test_name_match_by_title_and_year_ignores_accents_and_other_years() -> None:
    cands = catalog().candidates([NameInfo("movie", "Amelie", 2001)], "")
    assert [(c.file_id, c.method) for c in cands] == [("m1", NAME)]


def test_name_match_by_title_season_and_episode() -> None:
    cands = catalog().candidates([NameInfo("episode", "show", None, 1, 3)], "")
    assert [c.file_id for c in cands] == ["e2"]


def test_title_without_a_year_matches_weaker() -> None:
    cands = catalog().candidates([NameInfo("movie", "Matrix", 1999)], "")
    assert [c.file_id for c in cands] == ["m3"]
    assert cands[0].score < 0.9


def test_base_name_alone_is_a_candidate_and_with_the_name_ranks_higher() -> None:
    index = catalog()
    only_base = index.candidates([NameInfo("movie", "Unrelated", 1990)], "Amelie.2020.mkv")
    assert [(c.file_id, c.method) for c in only_base] == [("m2", BASENAME)]
    both = index.candidates([NameInfo("movie", "Amelie", 2001)], "Amelie.2001.mkv")
    assert both[0].file_id == "m1" and both[0].score > 0.9 and both[0].method == NAME


def test_name_candidates_are_never_certain_and_orphans_need_the_flag() -> None:
    b = broken(None, "/nowhere/x.mkv", OUTSIDE)
    named = catalog().candidates([NameInfo("movie", "Amelie", 2001)], "")
    p = propose(b, [], named)
    assert not p.certain
    assert decide_auto(p, True).action == SKIP
    orphan = propose(b, [], [])
    assert orphan.orphan
    assert decide_auto(orphan, False).action == SKIP
    assert decide_auto(orphan, True).action == QUARANTINE


def test_identity_candidates_hide_name_ones_and_missing_files_are_excluded() -> None:
    b = broken("a/x.mkv", "/s/a/x.mkv")
    ident = identity_candidates(["a/x.mkv"], {"a/x.mkv": [("f1", 1)]}, {"f1": ["gone/x.mkv"]})
    named = catalog().candidates([NameInfo("movie", "Amelie", 2001)], "")
    p = propose(b, ident, named, exclude=["gone/x.mkv"])
    assert [c.method for c in p.candidates] == [NAME]


def test_link_text_keeps_the_style() -> None:
    assert link_text("/lib/storage/B/x.mkv", "/lib/video/Films/X", False) == (
        "../../../storage/B/x.mkv"
    )
    assert link_text("/lib/storage/B/./x.mkv", "/lib/video/Films/X", True) == (
        "/lib/storage/B/x.mkv"
    )


def test_quarantine_path_and_old_base_name() -> None:
    assert quarantine_path("r1", "Films/X/X.mkv") == "orphans/r1/Films/X/X.mkv"
    assert old_base_name(broken(None, "/a/b/Old Name.mkv")) == "Old Name.mkv"
