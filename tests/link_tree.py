"""Helpers for the link tests: video trees of real symlinks, and snapshots of the disk."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import Lib


def link(lib: Lib, rel: str, target: str | Path, absolute: bool = False) -> Path:
    """A symlink at ``video/rel`` naming ``target`` (relative text unless ``absolute``)."""
    path = lib.video / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    text = os.fspath(target)
    if not absolute and os.path.isabs(text):
        text = os.path.relpath(text, path.parent)
    os.symlink(text, path)
    return path


def move(lib: Lib, old: str, new: str) -> None:
    """Move a storage file (as a person reorganising storage would)."""
    dst = lib.storage / new
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.rename(lib.storage / old, dst)


def snapshot(*roots: Path) -> dict[str, Any]:
    """Every entry under the roots: links with their text, files with their size."""
    out: dict[str, Any] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                if os.path.islink(p):
                    out[p] = ("link", os.readlink(p))
                elif os.path.isfile(p):
                    out[p] = ("file", os.path.getsize(p))
                else:
                    out[p] = ("dir",)
    return out


def events(lib: Lib, where: str = "true") -> list[dict[str, Any]]:
    result = lib.cli(
        "sql",
        "SELECT position, type, run_id, CAST(originator_id AS VARCHAR) AS id, "
        f"CAST(payload AS VARCHAR) AS payload FROM events WHERE {where} ORDER BY position",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    for r in rows:
        r["payload"] = json.loads(r["payload"])
    return list(rows)


def link_events(lib: Lib) -> list[dict[str, Any]]:
    return events(lib, "aggregate = 'Link'")


def films(lib: Lib, names: list[str], folder: str = "Films") -> dict[str, Path]:
    """Storage files ``<folder>/<name>`` with distinct content."""
    return {n: lib.write(f"{folder}/{n}") for n in names}
