"""The home folder and its config.toml.

The home holds ``config.toml``, the SQLite event store (``events.sqlite``), the DuckDB
projection (``catalog.duckdb``) and a lock file. Its location: ``--home``, else
``$VIDEOTHEQUE_HOME``, else ``$XDG_DATA_HOME/videotheque``.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from videotheque.commands.errors import NotInitialisedError, UsageError

DEFAULT_EXTENSIONS = (
    "mkv", "mp4", "avi", "m4v", "mov", "wmv", "ts", "m2ts", "webm", "mpg", "mpeg",
)  # fmt: skip
CONFIG_NAME = "config.toml"
# Threads reading files at once (analyze --workers, [media] workers): more only adds
# memory and threads waiting on the same disk.
MAX_WORKERS = 64


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


# What config.toml may hold, checked in one place when it is read: section -> key -> (the
# type people are told, a check). A key not listed here is kept as it is (a newer version's
# setting); a listed one of the wrong type is a usage error naming it (exit 2).
Check = Callable[[Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _non_negative(value: Any) -> bool:
    return _is_number(value) and value >= 0


def _rate(value: Any) -> bool:
    return _is_number(value) and 0.01 <= value <= 1000


def _count(low: int) -> Check:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


SCHEMA: dict[str, dict[str, tuple[str, Check]]] = {
    "library": {
        "storage": ("a folder path (string)", _non_empty_str),
        "video": ("a folder path (string)", _non_empty_str),
        "trash": ("a folder path (string)", _non_empty_str),
        "store": ("a store URL (string)", _is_str),
    },
    "import": {
        "extensions": ("a list of strings", _str_list),
        "min_age": ("a number of seconds >= 0", _non_negative),
    },
    "enrich": {
        "language": ("a language tag such as fr-FR (string)", _non_empty_str),
        "threshold": ("a number", _is_number),
        "gap": ("a number", _is_number),
        "floor": ("a number", _is_number),
        "rate_tmdb": ("a number of requests per second from 0.01 to 1000", _rate),
        "rate_tvdb": ("a number of requests per second from 0.01 to 1000", _rate),
        "timeout": ("a number of seconds > 0", _positive),
        "retries": ("a whole number >= 0", _count(0)),
        "max_wait": ("a number of seconds > 0", _positive),
    },
    "media": {
        "analyze_on_import": ("true or false", _is_bool),
        "workers": (
            f"a whole number from 1 to {MAX_WORKERS}",
            lambda v: _count(1)(v) and v <= MAX_WORKERS,
        ),
        "timeout": ("a number of seconds > 0", _positive),
        "languages": ("a list of language codes (strings)", _str_list),
    },
    "organize": {
        "movie": ("a naming template (string)", _is_str),
        "episode": ("a naming template (string)", _is_str),
        "nfo": ("true or false", _is_bool),
    },
    "maintain": {
        "steps": ("a list of step names", _str_list),
        "check_oldest": ("a whole number >= 1", _count(1)),
        "min_age": ("a number of seconds >= 0", _non_negative),
    },
    "watch": {
        "debounce": ("a number of seconds >= 0", _non_negative),
        "poll": ("a number of seconds > 0", _positive),
        "retry": ("a number of seconds > 0", _positive),
    },
}


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string",
             list: "a list", dict: "a table"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def validate_config(data: dict[str, Any], path: Path) -> None:
    """Every known section a table, every known key of its type: else a UsageError naming
    the key, the type expected and the type found."""
    for key, value in data.items():
        homes = [name for name, keys in SCHEMA.items() if key in keys]
        if key not in SCHEMA and homes and not isinstance(value, dict):
            raise UsageError(
                f"{path}: `{key}` is a setting of [{homes[0]}]: write it under that section"
            )
    for section, keys in SCHEMA.items():
        if section not in data:
            continue
        values = data[section]
        if not isinstance(values, dict):
            raise UsageError(
                f"{path}: `{section}` must be a table ([{section}] with keys under it), "
                f"not {_type_name(values)} ({values!r:.40})"
            )
        for key, (expected, check) in keys.items():
            if key in values and not check(values[key]):
                raise UsageError(
                    f"{path}: [{section}] {key} must be {expected}, "
                    f"not {_type_name(values[key])} ({values[key]!r:.40})"
                )


def load_config(home: Path) -> Config:
    path = home / CONFIG_NAME
    try:
        if not path.exists():
            return Config(home=home)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: not UTF-8 ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    validate_config(data, path)
    lib = data.get("library", {})
    imp = data.get("import", {})
    enr = data.get("enrich", {})

    def opt_path(key: str) -> Path | None:
        value = lib.get(key)
        return Path(value) if value else None

    extensions = imp.get("extensions", DEFAULT_EXTENSIONS)
    return Config(
        home=home,
        storage=opt_path("storage"),
        video=opt_path("video"),
        trash=opt_path("trash"),
        store=lib.get("store") or None,
        extensions=tuple(e.lower().lstrip(".") for e in extensions),
        min_age=float(imp.get("min_age", 0)),
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
