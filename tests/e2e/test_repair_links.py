"""`repair-links` through the CLI, on real symlinks: --auto, --dry-run, the interactive loop,
quarantine, styles kept, findings of every kind, a link changed under the plan, history."""

from __future__ import annotations

import json
import os

from tests.conftest import Lib
from tests.link_tree import films, link, link_events, move, snapshot
from videotheque.commands.bootstrap import open_session
from videotheque.commands.usecases.repairer import repair_links
from videotheque.domain.link_plan import REPAIR, LinkDecision, Proposal

AMELIE = "Films/Amelie (2001)/Amelie (2001).mkv"
MATRIX = "Films/The Matrix (1999)/The Matrix (1999).mkv"
HEAT = "Films/Heat (1995)/Heat (1995).mkv"
NOTHING = "Films/Nothing (2000)/Nothing (2000).mkv"


def moved_library(lib: Lib) -> None:
    """Two films linked (one relative, one absolute link), then moved within storage."""
    f = films(lib, ["Amelie.2001.1080p.mkv", "The.Matrix.1999.mkv"])
    assert lib.cli("import").exit_code == 0
    link(lib, AMELIE, f["Amelie.2001.1080p.mkv"])
    link(lib, MATRIX, f["The.Matrix.1999.mkv"], absolute=True)
    move(lib, "Films/Amelie.2001.1080p.mkv", "Moved/Amelie.2001.1080p.mkv")
    move(lib, "Films/The.Matrix.1999.mkv", "Moved/Matrix/The.Matrix.1999.mkv")
    assert lib.cli("import").exit_code == 0


def test_auto_repairs_by_identity_and_keeps_each_link_style(lib: Lib) -> None:
    moved_library(lib)
    result = lib.cli("repair-links", "--auto", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"run_id", "broken", "repaired", "quarantined", "skipped"}
    assert report["broken"] == 2
    assert report["quarantined"] == [] and report["skipped"] == []
    by = {r["link"]: r for r in report["repaired"]}
    assert set(by) == {AMELIE, MATRIX}
    for r in by.values():
        assert set(r) >= {"link", "old_target", "new_target", "method"}
        assert r["method"] == "identity"
    # relative stays relative, absolute stays absolute, and both now open the moved files
    amelie, matrix = lib.video / AMELIE, lib.video / MATRIX
    assert os.readlink(amelie) == "../../../storage/Moved/Amelie.2001.1080p.mkv"
    assert os.readlink(matrix) == str(lib.storage / "Moved/Matrix/The.Matrix.1999.mkv")
    assert amelie.read_bytes() == b"content of Films/Amelie.2001.1080p.mkv"
    assert matrix.read_bytes() == b"content of Films/The.Matrix.1999.mkv"
    # recorded: Tracked + LinkRepaired per link, with the run id and the file id
    evs = [e for e in link_events(lib) if e["type"] == "LinkRepaired"]
    assert {e["payload"]["run_id"] for e in evs} == {report["run_id"]}
    assert all(e["payload"]["file_id"] for e in evs)
    # nothing left to do
    again = lib.json("repair-links", "--auto")
    assert again["broken"] == 0 and again["repaired"] == []


def test_dry_run_prints_the_plan_and_changes_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")
    before = snapshot(lib.video, lib.trash, lib.storage)
    events_before = len(link_events(lib))
    runs_before = len(lib.json("runs"))
    result = lib.cli("repair-links", "--auto", "--quarantine-orphans", "--dry-run", "--json")
    assert result.exit_code == 1  # findings
    plan = json.loads(result.stdout)
    assert plan["run_id"] is None and plan["broken"] == 3
    assert {r["link"] for r in plan["repaired"]} == {AMELIE, MATRIX}
    assert [q["link"] for q in plan["quarantined"]] == [NOTHING]
    assert snapshot(lib.video, lib.trash, lib.storage) == before
    assert len(link_events(lib)) == events_before
    assert len(lib.json("runs")) == runs_before


def test_orphans_are_quarantined_only_when_asked_and_nothing_is_deleted(lib: Lib) -> None:
    (lib.storage / "keep.mkv").write_bytes(b"keep")
    assert lib.cli("import").exit_code == 0
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")
    link(lib, "Films/loop.mkv", "loop.mkv")  # a link to itself: resolving it loops
    outside = lib.root / "outside.mkv"
    outside.write_bytes(b"not in storage")
    link(lib, "Films/outside.mkv", outside, absolute=True)

    first = lib.json("repair-links", "--auto")
    assert first["broken"] == 3 and first["quarantined"] == []
    assert {s["problem"] for s in first["skipped"]} == {"missing", "loop", "outside"}
    assert os.path.islink(lib.video / NOTHING)

    result = lib.cli("repair-links", "--auto", "--quarantine-orphans", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    run = report["run_id"]
    assert len(report["quarantined"]) == 3
    for q in report["quarantined"]:
        assert q["trash_path"] == f"orphans/{run}/{q['link']}"
        moved = lib.trash / q["trash_path"]
        assert os.readlink(moved) == q["dangling_target"]
        assert not os.path.lexists(lib.video / q["link"])
    assert outside.read_bytes() == b"not in storage"  # the target is never touched
    assert (lib.storage / "keep.mkv").read_bytes() == b"keep"


def test_a_moved_storage_root_is_repaired_by_path_suffix(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    films(lib, ["Heat.1995.mkv"])
    assert lib.cli("import").exit_code == 0
    # absolute links into where storage used to be mounted
    link(lib, HEAT, "/mnt/old-disk/storage/Films/Heat.1995.mkv", absolute=True)
    report = lib.json("repair-links", "--auto")
    assert [(r["link"], r["method"]) for r in report["repaired"]] == [(HEAT, "identity")]
    assert os.readlink(lib.video / HEAT) == str(lib.storage / "Films/Heat.1995.mkv")


def interactive_library(lib: Lib) -> None:
    moved_library(lib)
    films(lib, ["Heat.1995.mkv"])
    films(lib, ["Heat.1995.720p.mkv"], folder="Archive")
    assert lib.cli("import").exit_code == 0
    link(lib, HEAT, lib.storage / "Old/heat-old.mkv")  # never catalogued: only names help
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")  # an orphan


def test_interactive_loop_repair_by_number_quarantine_and_skip(lib: Lib) -> None:
    interactive_library(lib)
    # order: Amelie (certain: Enter takes candidate 1), Heat (2 name candidates: pick 2
    # after a wrong answer), Nothing (quarantine), The Matrix (skip)
    result = lib.cli("repair-links", input="\n9\n2\nt\ns\n")
    assert result.exit_code == 1, result.output  # one link left broken
    out = result.output
    assert "[1/4] " + AMELIE in out and "[4/4] " + MATRIX in out
    assert "1) Moved/Amelie.2001.1080p.mkv" in out
    assert "not an answer: '9'" in out
    heat = os.readlink(lib.video / HEAT)
    assert heat.endswith(("Archive/Heat.1995.720p.mkv", "Films/Heat.1995.mkv"))
    shown = out[out.index("[2/4]") : out.index("[3/4]")]
    second = shown.split("2) ")[1].split()[0]
    assert heat.endswith(second)  # the second candidate shown is the one applied
    assert os.readlink(lib.video / AMELIE).endswith("Moved/Amelie.2001.1080p.mkv")
    assert not os.path.lexists(lib.video / NOTHING)
    assert os.readlink(lib.video / MATRIX).endswith("Films/The.Matrix.1999.mkv")  # skipped
    methods = {
        e["payload"]["link"]: e["payload"]["method"]
        for e in link_events(lib)
        if e["type"] == "LinkRepaired"
    }
    assert methods == {AMELIE: "identity", HEAT: "name"}


def test_interactive_quit_leaves_the_rest_alone(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    interactive_library(lib)
    before = snapshot(lib.video)
    result = lib.cli("repair-links", "--json", input="s\nq\n")
    assert result.exit_code == 1
    # prompts go to stderr; CliRunner echoes the typed answers into stdout (a terminal
    # would show them on the tty), so the document starts after them
    echoed, _, document = result.stdout.partition("{")
    assert echoed.split() == ["s", "q"]
    report = json.loads("{" + document)
    assert report["repaired"] == [] and report["quarantined"] == []
    reasons = [s["reason"] for s in report["skipped"]]
    assert reasons[0] == "skipped by the user"
    assert reasons[1:] == ["not reviewed (quit)"] * 3
    assert snapshot(lib.video) == before


def test_a_link_changed_between_plan_and_apply_is_left_alone(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)

    def person_meddles(p: Proposal, index: int, total: int) -> LinkDecision | None:
        path = lib.video / p.broken.link
        os.unlink(path)
        os.symlink("somewhere/else.mkv", path)  # someone fixes it their own way meanwhile
        return LinkDecision(REPAIR, p.candidates[0])

    with open_session(lib.home) as session:
        report = repair_links(session, chooser=person_meddles)
    assert report.repaired == []
    assert len(report.skipped) == 2
    assert all("changed since the plan" in s["reason"] for s in report.skipped)
    assert os.readlink(lib.video / AMELIE) == "somewhere/else.mkv"
    assert [e for e in link_events(lib) if e["type"] == "LinkRepaired"] == []


def test_history_of_a_link_path_and_of_its_file(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)
    run = lib.json("repair-links", "--auto")["run_id"]
    for arg in (AMELIE, str(lib.video / AMELIE)):
        hist = lib.json("history", arg)
        types = [h["type"] for h in hist]
        assert "Tracked" in types and "LinkRepaired" in types, arg
        assert "Imported" in types and "Moved" in types  # the file behind the link
    file_hist = lib.json("history", "Moved/Amelie.2001.1080p.mkv")
    repaired = [h for h in file_hist if h["type"] == "LinkRepaired"]
    assert [h["run_id"] for h in repaired] == [run]


def test_non_utf8_names_are_repaired_byte_for_byte(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    raw_name = b"Caf\xe9.2001.mkv"
    src = os.fsencode(lib.storage) + b"/Films/" + raw_name
    os.makedirs(os.path.dirname(src), exist_ok=True)
    with open(src, "wb") as f:
        f.write(b"latin-1 named film")
    assert lib.cli("import").exit_code == 0
    link_path = os.fsencode(lib.video) + b"/Films/Caf\xe9 (2001).mkv"
    os.makedirs(os.path.dirname(link_path), exist_ok=True)
    os.symlink(b"../../storage/Films/" + raw_name, link_path)
    os.makedirs(os.fsencode(lib.storage) + b"/New", exist_ok=True)
    os.rename(src, os.fsencode(lib.storage) + b"/New/" + raw_name)
    assert lib.cli("import").exit_code == 0
    report = lib.json("repair-links", "--auto")
    assert len(report["repaired"]) == 1
    assert "\ufffd" in report["repaired"][0]["link"]  # shown readable
    assert os.readlink(link_path) == b"../../storage/New/" + raw_name


def test_a_video_dir_outside_the_video_root_is_refused(sqlite_lib: Lib) -> None:
    result = sqlite_lib.cli("repair-links", str(sqlite_lib.storage), "--auto")
    assert result.exit_code == 2
    assert "not inside the video root" in result.stderr


def test_only_the_given_sub_folder_is_repaired(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)
    report = lib.json("repair-links", str(lib.video / "Films" / "Amelie (2001)"), "--auto")
    assert [r["link"] for r in report["repaired"]] == [AMELIE]
    assert os.readlink(lib.video / MATRIX).endswith("Films/The.Matrix.1999.mkv")


def test_overlapping_roots_are_refused(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    config = lib.home / "config.toml"
    text = config.read_text(encoding="utf-8")
    inside = lib.storage / "video"
    inside.mkdir()
    config.write_text(text.replace(str(lib.video), str(inside)), encoding="utf-8")
    for args in (["repair-links", "--auto"], ["organize"]):
        result = lib.cli(*args)
        assert result.exit_code == 2, args
        assert "must not overlap" in result.stderr


def test_no_repair_leads_out_of_storage_through_a_symlinked_folder(sqlite_lib: Lib) -> None:
    """The catalog says the file moved to Moved/; since, Moved/ was replaced by a symlink
    to a folder outside storage holding a file of the same name. The path looks inside
    storage; where it really leads is not: judged as `check` judges links, by the kernel."""
    lib = sqlite_lib
    moved_library(lib)
    outside = lib.root.parent / "outside"
    os.rename(lib.storage / "Moved", outside)  # the files leave storage...
    (lib.storage / "Moved").symlink_to(outside)  # ...and a symlink takes their place
    before = snapshot(lib.video)

    for args in (("--auto",), ("--auto", "--dry-run")):
        result = lib.cli("repair-links", *args, "--json")
        assert result.exit_code == 1, result.output  # the links stay broken
        report = json.loads(result.stdout)
        assert report["repaired"] == []
        assert snapshot(lib.video) == before
    # organize, which writes links to catalogued paths, does not follow it out either
    organized = lib.json("organize")
    assert all(not os.path.realpath(lib.video / c["link"]).startswith(str(outside))
               for c in organized["created"] + organized["retargeted"])  # fmt: skip
    check = json.loads(lib.cli("check", "--json").stdout)["summary"]
    assert check["stray_links"] == 0
