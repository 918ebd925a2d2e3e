"""Per-file errors are grouped by reason in the text output; --json keeps every one."""

from __future__ import annotations

import json

from tests.conftest import Lib

MANY = 20_000


def test_twenty_thousand_zero_byte_files_are_one_line(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    (lib.storage / "Empty").mkdir()
    for i in range(MANY):
        (lib.storage / "Empty" / f"clip {i:05d}.mkv").write_bytes(b"")
    lib.write("Films/Heat.1995.mkv")
    dry = lib.cli("import", "--dry-run", "--json")
    assert dry.exit_code == 1
    errors = json.loads(dry.stdout)["errors"]
    zero = [e for e in errors if e["reason"] == errors[0]["reason"]]
    assert len(zero) == MANY  # --json: exact and complete
    assert {e["path"] for e in zero} == {f"Empty/clip {i:05d}.mkv" for i in range(MANY)}

    result = lib.cli("import")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) <= 2, lines[:5]
    grouped = next(line for line in lines if f"{MANY} files" in line)
    reason = zero[0]["reason"]
    assert f"  error: {MANY} files: {reason} (first: Empty/clip 0" in grouped
    assert grouped.endswith("...; all in --json)")
    assert f"{MANY} errors" in result.stdout


def test_a_few_errors_are_listed_one_per_line(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    for i in range(3):
        lib.write(f"Films/Empty {i}.mkv").write_bytes(b"")
    result = lib.cli("import")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert sorted(lines) == [
        f"  error: Films/Empty {i}.mkv: empty file (0 bytes)" for i in range(3)
    ]
