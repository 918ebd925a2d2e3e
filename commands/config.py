"""The home folder and its config.toml.

The home holds ``config.toml``, the SQLite event store (``events.sqlite``), the DuckDB
projection (``catalog.duckdb``) and a lock file. Its location: ``--home``, else
``$VIDEOTHEQUE_HOME``, else ``$XDG_DATA_HOME/videotheque``.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from videotheque.commands.errors import NotInitialisedError, UsageError

DEFAULT_EXTENSIONS = (
    "mkv", "mp4", "avi", "m4v", "mov", "wmv", "ts", "m2ts", "webm", "mpg", "mpeg",
)  # fmt: skip
CONFIG_NAME = "config.toml"


def default_home() -> Path:
    env = os.environ.get("VIDEOTHEQUE_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("videotheque", appauthor=False))


@dataclass(frozen=True)
class Config:
    """What ``init`` recorded, plus the settings a user may edit in config.toml."""

    home: Path
    storage: Path | None = None
    video: Path | None = None
    trash: Path | None = None
    store: str | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    min_age: float = 0.0
    language: str = "fr-FR"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def initialised(self) -> bool:
        return self.storage is not None

    def require_library(self) -> Config:
        if self.storage is None:
            raise NotInitialisedError(
                f"no library in {self.home}: run `videotheque init ROOT` first "
                "(or pass --home / set VIDEOTHEQUE_HOME)"
            )
        return self

    def with_roots(
        self,
        storage: Path,
        video: Path,
        trash: Path,
        store: str | None,
    ) -> Config:
        return replace(self, storage=storage, video=video, trash=trash, store=store)

    def section(self, name: str) -> dict[str, Any]:
        value = self.extra.get(name, {})
        return value if isinstance(value, dict) else {}


def load_config(home: Path) -> Config:
    path = home / CONFIG_NAME
    if not path.exists():
        return Config(home=home)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    lib = data.get("library", {})
    imp = data.get("import", {})
    enr = data.get("enrich", {})

    def opt_path(key: str) -> Path | None:
        value = lib.get(key)
        return Path(value) if value else None

    extensions = imp.get("extensions", DEFAULT_EXTENSIONS)
    if not isinstance(extensions, list | tuple) or not all(isinstance(e, str) for e in extensions):
        raise UsageError(f"{path}: [import] extensions must be a list of strings")
    try:
        min_age = float(imp.get("min_age", 0))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{path}: [import] min_age must be a number of seconds") from exc
    return Config(
        home=home,
        storage=opt_path("storage"),
        video=opt_path("video"),
        trash=opt_path("trash"),
        store=lib.get("store") or None,
        extensions=tuple(e.lower().lstrip(".") for e in extensions),
        min_age=min_age,
        language=str(enr.get("language", "fr-FR")),
        extra={k: v for k, v in data.items() if k not in ("library",)},
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string for every UTF-8 value.
    return json.dumps(str(value), ensure_ascii=False)


def save_config(config: Config) -> None:
    """Write config.toml atomically, keeping the sections other commands own."""
    sections: dict[str, dict[str, Any]] = {}
    library: dict[str, Any] = {}
    for key in ("storage", "video", "trash"):
        value = getattr(config, key)
        if value is not None:
            library[key] = os.fsdecode(value)
    if config.store:
        library["store"] = config.store
    sections["library"] = library
    for name, values in config.extra.items():
        if isinstance(values, dict):
            sections[name] = dict(values)
    imp = sections.setdefault("import", {})
    imp["extensions"] = list(config.extensions)
    imp["min_age"] = config.min_age
    sections.setdefault("enrich", {})["language"] = config.language
    lines = ["# videotheque library configuration (written by `videotheque init`)"]
    for name, values in sections.items():
        lines.append(f"\n[{name}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml_value(value)}")
    for name, values in config.extra.items():  # arrays of tables: [[notify]]
        if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
            for table in values:
                lines.append(f"\n[[{name}]]")
                lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    config.home.mkdir(parents=True, exist_ok=True)
    tmp = config.path.with_suffix(".toml.tmp")
    # Owner-only: the store URL may carry a PostgreSQL password.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, config.path)
