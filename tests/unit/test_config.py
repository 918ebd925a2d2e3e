"""commands/config.py: config.toml read once into typed sections, with their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from videotheque.commands.config import (
    MAINTAIN_STEPS,
    EnrichSettings,
    MaintainSettings,
    MediaSettings,
    OrganizeSettings,
    WatchConfig,
    load_config,
)
from videotheque.commands.errors import UsageError


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")
    return home


def test_no_file_gives_every_default(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.enrich == EnrichSettings()
    assert config.media == MediaSettings(languages=("fr",))
    assert config.organize == OrganizeSettings()
    assert config.maintain == MaintainSettings(steps=MAINTAIN_STEPS)
    assert config.watch == WatchConfig(debounce=30.0, poll=None, retry=300.0)
    assert config.notify == ()


def test_sections_are_read_typed(tmp_path: Path) -> None:
    home = write(
        tmp_path,
        '[enrich]\nlanguage = "en-US"\nthreshold = 0.8\nrate_tmdb = 5\nretries = 2\n'
        "[media]\nanalyze_on_import = false\nworkers = 4\n"
        '[organize]\nmovie = "Films/{title}{ext}"\nnfo = true\n'
        '[maintain]\nsteps = ["import", "check"]\ncheck = false\ncheck_oldest = 50\n'
        "[watch]\ndebounce = 5\npoll = 60\n"
        '[[notify]]\nkind = "jellyfin"\nurl = "http://127.0.0.1:8096/"\ntoken_env = "JF"\n',
    )
    config = load_config(home)
    assert config.language == "en-US"
    assert config.enrich.threshold == 0.8 and config.enrich.rates == {"tmdb": 5.0}
    assert config.enrich.retries == 2 and config.enrich.max_wait is None
    # [media] languages follow the title language unless given
    assert config.media == MediaSettings(on_import=False, workers=4, languages=("en",))
    assert config.organize == OrganizeSettings(movie="Films/{title}{ext}", nfo=True)
    assert config.maintain.steps == ("import", "check")
    assert config.maintain.switched_off == ("check",)
    assert config.maintain.check_oldest == 50
    assert config.watch == WatchConfig(debounce=5.0, poll=60.0)
    (server,) = config.notify
    assert (server.name, server.url) == ("jellyfin", "http://127.0.0.1:8096")
    assert server.token_env == "JF"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[maintain]\ncheck = "no"\n', "[maintain] check must be true or false"),
        ('[[notify]]\nkind = "plex"\nurl = "http://h"\ntoken = "x"\n', "token_env"),
        ('[[notify]]\nkind = "tivo"\nurl = "http://h"\n', "kind must be one of"),
    ],
)
def test_a_bad_section_is_a_usage_error_when_read(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text))
