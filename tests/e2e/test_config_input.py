"""config.toml values of the wrong type: one message naming the key, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Lib
from videotheque.commands.cli.app import app

BAD = [
    ('library = "x"\n', "`library` must be a table"),
    ("import = 3\n", "`import` must be a table"),
    ("store = 5\n", "`store` is a setting of [library]"),
    ("[library]\nstore = 5\n", "[library] store must be a store URL (string)"),
    ('[import]\nmin_age = "old"\n', "[import] min_age must be a number"),
    ('[import]\nextensions = "mkv"\n', "[import] extensions must be a list of strings"),
    ("[enrich]\nrate_tmdb = nan\n", "[enrich] rate_tmdb must be"),
    ("[enrich]\nretries = true\n", "[enrich] retries must be a whole number"),
    ("[media]\nworkers = 1.5\n", "[media] workers must be a whole number"),
    ('[media]\nanalyze_on_import = "no"\n', "[media] analyze_on_import must be true or false"),
    ("[organize]\nmovie = 3\n", "[organize] movie must be a naming template"),
]


@pytest.mark.parametrize(("toml", "message"), BAD)
@pytest.mark.parametrize("command", [["status"], ["import"], ["catalog"], ["enrich"]])
def test_wrong_types_in_config_are_usage_errors(
    tmp_path: Path, sqlite_lib: Lib, toml: str, message: str, command: list[str]
) -> None:
    config = sqlite_lib.home / "config.toml"
    # Replace the file: a table given twice would be a TOML error, not a type error.
    config.write_text(toml)
    result = sqlite_lib.cli(*command)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert str(config) in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("key", ["storage", "video", "trash"])
def test_a_relative_root_in_config_is_refused_wherever_the_command_runs(
    tmp_path: Path, sqlite_lib: Lib, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Resolved against the current folder, `storage = "relative/x"` would be another
    # library from every folder the command is run in.
    config = sqlite_lib.home / "config.toml"
    config.write_text(config.read_text().replace(f'{key} = "{tmp_path}', f'{key} = "relative'))
    assert f'{key} = "relative' in config.read_text()
    monkeypatch.chdir(tmp_path)
    for command in (["status"], ["import"], ["catalog"]):
        result = sqlite_lib.cli(*command)
        assert result.exit_code == 2, result.output
        assert f"[library] {key} must be an absolute folder path" in result.stderr
        assert str(config) in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "relative").exists()


@pytest.mark.parametrize("blank", [" ", "\t", "  \n"])
def test_a_blank_videotheque_home_is_refused(
    tmp_path: Path, blank: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (["status"], ["init", str(tmp_path / "lib")]):
        result = CliRunner().invoke(
            app, argv, env={"VIDEOTHEQUE_HOME": blank}, catch_exceptions=False
        )
        assert result.exit_code == 2, result.output
        assert "is blank" in result.stderr
        assert "Traceback" not in result.output
    # Nothing made in the current folder: not a home named " ", not the library.
    assert list(tmp_path.iterdir()) == []
