"""The installed package: one import package, every module of the repository in it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import videotheque
from videotheque.commands.cli.app import app

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("domain", "projections", "commands", "reports")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            if rel.parts[:2] == ("commands", "toplevel"):
                rel = Path(*rel.parts[2:]) if len(rel.parts) > 2 else Path()
            parts = [p for p in rel.parts if p != "__init__"]
            found.append((".".join(["videotheque", *parts]), path))
    return found


@pytest.mark.parametrize(("name", "source"), _modules(), ids=lambda v: str(v))
def test_every_module_of_the_repository_is_installed_under_videotheque(
    name: str, source: Path
) -> None:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, (
        f"{name} is not installed: a new module? run the README's install command again"
    )
    assert os.path.realpath(spec.origin) == str(source)


def test_the_version_is_the_distributions() -> None:
    from importlib.metadata import version

    assert videotheque.__version__ == version("videotheque")
    result = subprocess.run(
        [sys.executable, "-I", "-m", "videotheque", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"videotheque {videotheque.__version__}"


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_and_store_are_taken_before_or_after_the_command(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    # The global options set these in os.environ: set then delete them through
    # monkeypatch, so that they are removed after the test (a bare delenv of a missing
    # variable records nothing to undo, and the store leaked into the next tests).
    for name in ("VIDEOTHEQUE_HOME", "VIDEOTHEQUE_STORE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    home, root = tmp_path / "home", tmp_path / "lib"
    for sub in ("storage", "video", "trash"):
        (root / sub).mkdir(parents=True)
    store = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    opts = ["--home", str(home), "--store", store]
    runner = CliRunner()

    def run(*args: str) -> object:
        argv = [*opts, *args] if where == "before" else [*args, *opts]
        return runner.invoke(app, argv)

    init = run("init", str(root))
    assert init.exit_code == 0, init.output
    (root / "storage" / "Film (2001).mkv").write_bytes(b"x" * 5000)
    imported = run("import", "--json")
    assert imported.exit_code == 0, imported.output
    assert (tmp_path / "elsewhere.sqlite").exists()
    status = run("status", "--json")
    assert status.exit_code == 0, status.output
    assert [row["files"] for row in json.loads(status.stdout)["by_kind"]] == [1]
    # Typed before the command, they hold for that invocation only (not the next one).
    assert "VIDEOTHEQUE_HOME" not in os.environ
    assert "VIDEOTHEQUE_STORE" not in os.environ


def test_the_option_after_the_command_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv("VIDEOTHEQUE_HOME", "")
    monkeypatch.delenv("VIDEOTHEQUE_HOME")
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path / "a"), "status", "--home", str(tmp_path / "b")]
    )
    assert result.exit_code == 2
    assert str(tmp_path / "b") in result.output
    assert str(tmp_path / "a") not in result.output
