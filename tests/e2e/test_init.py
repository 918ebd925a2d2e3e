"""`init` on a home that already records a library: the same roots change nothing; other
roots or another store are refused (exit 2, saying what would change) unless --force."""

from __future__ import annotations

from tests.conftest import Lib


def test_init_again_with_the_same_roots_changes_nothing(sqlite_lib: Lib) -> None:
    config = (sqlite_lib.home / "config.toml").read_bytes()
    result = sqlite_lib.cli("init", str(sqlite_lib.root))
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.stderr
    assert (sqlite_lib.home / "config.toml").read_bytes() == config


def test_init_refuses_to_re_point_a_library_without_force(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    config = (lib.home / "config.toml").read_bytes()
    other = lib.root.parent / "elsewhere"
    result = lib.cli("init", str(other), "--video", str(lib.video))
    assert result.exit_code == 2, result.output
    assert f"storage: {lib.storage} -> {other / 'storage'}" in result.stderr
    assert f"trash: {lib.trash} -> {other / 'trash'}" in result.stderr
    assert "video:" not in result.stderr  # unchanged: not listed
    assert "--force" in result.stderr
    assert (lib.home / "config.toml").read_bytes() == config
    assert not other.exists()  # nothing created either

    store = "postgresql://me:Sup3r/S3cret@db.example:5432/vtq"
    result = lib.cli("init", str(lib.root), "--store", store)
    assert result.exit_code == 2
    assert "store: sqlite (in the home) -> postgresql://me:***@db.example:5432/vtq" in (
        result.stderr
    )
    assert "S3cret" not in result.output

    forced = lib.cli("init", str(other), "--video", str(lib.video), "--force")
    assert forced.exit_code == 0, forced.output
    assert "re-pointed (--force)" in forced.stderr
    assert f"storage: {lib.storage} -> {other / 'storage'}" in forced.stderr
    text = (lib.home / "config.toml").read_text()
    assert str(other / "storage") in text and str(lib.video) in text
    # The catalog stayed: the history is still there, now read against the new roots.
    assert lib.json("runs")[-1]["command"] == "import"
