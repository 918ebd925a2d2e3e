"""The home folder and its config.toml.

The home holds ``config.toml``, the SQLite event store (``events.sqlite``), the DuckDB
projection (``catalog.duckdb``) and a lock file. Its location: ``--home``, else
``$VIDEOTHEQUE_HOME``, else ``$XDG_DATA_HOME/videotheque``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from videotheque.commands.errors import NotInitialisedError, UsageError
from videotheque.domain.media_facts import language_code
from videotheque.domain.media_server import KINDS
from videotheque.domain.paths import display, is_exact_utf8

DEFAULT_EXTENSIONS = (
    "mkv", "mp4", "avi", "m4v", "mov", "wmv", "ts", "m2ts", "webm", "mpg", "mpeg",
)  # fmt: skip
CONFIG_NAME = "config.toml"
# Threads reading files at once (analyze --workers, [media] workers): more only adds
# memory and threads waiting on the same disk.
MAX_WORKERS = 64
# The steps of a `maintain` pass, in order; [maintain] may switch each off (``check = false``).
MAINTAIN_STEPS = ("import", "enrich", "organize", "repair", "check", "notify")
DEFAULT_CHECK_OLDEST = 1000
DEFAULT_NOTIFY_TIMEOUT = 10.0


def default_home() -> Path:
    env = os.environ.get("VIDEOTHEQUE_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("videotheque", appauthor=False))


@dataclass(frozen=True)
class EnrichSettings:
    """``[enrich]`` (``language`` is :attr:`Config.language`). ``rates``: requests per second
    by provider, only those given; ``retries`` / ``max_wait`` None: the client's defaults."""

    threshold: float = 0.75
    gap: float = 0.10
    floor: float = 0.50
    rates: dict[str, float] = field(default_factory=dict)
    timeout: float = 10.0
    retries: int | None = None
    max_wait: float | None = None


@dataclass(frozen=True)
class MediaSettings:
    """``[media]``: MediaInfo reading."""

    on_import: bool = True
    workers: int | None = None  # None: commands.adapters.mediainfo.default_workers()
    timeout: float = 60.0
    languages: tuple[str, ...] = ("fr",)


@dataclass(frozen=True)
class OrganizeSettings:
    """``[organize]``: naming templates (None: the default one) and NFO sidecars."""

    movie: str | None = None
    episode: str | None = None
    nfo: bool = False


@dataclass(frozen=True)
class MaintainSettings:
    """``[maintain]``: the steps listed (``steps = [...]``) minus those switched off
    (``check = false``), the rolling check's size, the import's minimum age."""

    steps: tuple[str, ...] = MAINTAIN_STEPS
    switched_off: tuple[str, ...] = ()
    check_oldest: int = DEFAULT_CHECK_OLDEST
    min_age: float | None = None


@dataclass(frozen=True)
class WatchConfig:
    """``[watch]``: seconds of quiet before a pass, between polls (None: no polling), between
    tries of a media server that missed news."""

    debounce: float = 30.0
    poll: float | None = None
    retry: float = 300.0


@dataclass(frozen=True)
class ServerConfig:
    """One ``[[notify]]`` entry; ``token_env`` names the variable, the value is never kept."""

    name: str
    kind: str
    url: str
    token_env: str | None = None
    user: str | None = None
    map_from: str | None = None
    map_to: str | None = None
    timeout: float = DEFAULT_NOTIFY_TIMEOUT

    @property
    def shown_url(self) -> str:
        """The URL without any user or password, for messages and events."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return parts._replace(netloc=host, query="", fragment="").geturl()


@dataclass(frozen=True)
class Config:
    """What ``init`` recorded, plus the settings a user may edit in config.toml, each section
    typed and checked once, by :func:`load_config`."""

    home: Path
    storage: Path | None = None
    video: Path | None = None
    trash: Path | None = None
    store: str | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    min_age: float = 0.0
    language: str = "fr-FR"
    enrich: EnrichSettings = EnrichSettings()
    media: MediaSettings = MediaSettings()
    organize: OrganizeSettings = OrganizeSettings()
    maintain: MaintainSettings = MaintainSettings()
    watch: WatchConfig = WatchConfig()
    notify: tuple[ServerConfig, ...] = ()
    # The tables as read (but [library]), written back by save_config: a section this version
    # does not know (a newer version's) is kept.
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


# What config.toml may hold, checked in one place when it is read: section -> key -> (the
# type people are told, a check). A key not listed here is kept as it is (a newer version's
# setting); a listed one of the wrong type is a usage error naming it (exit 2).
Check = Callable[[Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


# The longest wait a setting may ask for (a timeout, a pause): as the CLI's --timeout
# options. Beyond it the system's timers overflow (``1e300`` s is no wait a clock can hold).
MAX_WAIT = 86400


def _wait(value: Any) -> bool:
    return _positive(value) and value <= MAX_WAIT


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


def _absolute_path(value: Any) -> bool:
    # A relative root would be resolved against the folder the command runs in: the same
    # config would then point at another library from every folder. `init` writes absolute.
    return _non_empty_str(value) and os.path.isabs(value)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


SCHEMA: dict[str, dict[str, tuple[str, Check]]] = {
    "library": {
        "storage": ("an absolute folder path (string)", _absolute_path),
        "video": ("an absolute folder path (string)", _absolute_path),
        "trash": ("an absolute folder path (string)", _absolute_path),
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
        "timeout": (f"a number of seconds > 0, at most {MAX_WAIT}", _wait),
        "retries": ("a whole number >= 0", _count(0)),
        "max_wait": (f"a number of seconds > 0, at most {MAX_WAIT}", _wait),
    },
    "media": {
        "analyze_on_import": ("true or false", _is_bool),
        "workers": (
            f"a whole number from 1 to {MAX_WORKERS}",
            lambda v: _count(1)(v) and v <= MAX_WORKERS,
        ),
        "timeout": (f"a number of seconds > 0, at most {MAX_WAIT}", _wait),
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
        "debounce": (
            f"a number of seconds >= 0, at most {MAX_WAIT}",
            lambda v: _non_negative(v) and v <= MAX_WAIT,
        ),
        "poll": (f"a number of seconds > 0, at most {MAX_WAIT}", _wait),
        "retry": (f"a number of seconds > 0, at most {MAX_WAIT}", _wait),
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
    return config_from_tables(home, data)


def config_from_tables(home: Path, data: dict[str, Any]) -> Config:
    """The typed config of config.toml's tables (as ``tomllib`` reads them), checked once:
    a wrong type is a :class:`UsageError` naming the file and the key."""
    path = home / CONFIG_NAME
    validate_config(data, path)
    lib = data.get("library", {})
    imp = data.get("import", {})
    enr = data.get("enrich", {})

    def opt_path(key: str) -> Path | None:
        value = lib.get(key)
        return Path(value) if value else None

    extensions = imp.get("extensions", DEFAULT_EXTENSIONS)
    language = str(enr.get("language", "fr-FR"))
    return Config(
        home=home,
        storage=opt_path("storage"),
        video=opt_path("video"),
        trash=opt_path("trash"),
        store=lib.get("store") or None,
        extensions=tuple(e.lower().lstrip(".") for e in extensions),
        min_age=float(imp.get("min_age", 0)),
        language=language,
        enrich=_enrich(enr),
        media=_media(data.get("media", {}), language),
        organize=_organize(data.get("organize", {})),
        maintain=_maintain(data.get("maintain", {})),
        watch=_watch(data.get("watch", {})),
        notify=_notify(data.get("notify", []), path),
        extra={k: v for k, v in data.items() if k not in ("library",)},
    )


# The sections, from tables validate_config has checked.


def _enrich(section: dict[str, Any]) -> EnrichSettings:
    return EnrichSettings(
        threshold=float(section.get("threshold", 0.75)),
        gap=float(section.get("gap", 0.10)),
        floor=float(section.get("floor", 0.50)),
        rates={n: float(section[f"rate_{n}"]) for n in ("tmdb", "tvdb") if f"rate_{n}" in section},
        timeout=float(section.get("timeout", 10.0)),
        retries=int(section["retries"]) if "retries" in section else None,
        max_wait=float(section["max_wait"]) if "max_wait" in section else None,
    )


def _media(section: dict[str, Any], language: str) -> MediaSettings:
    workers = section.get("workers")
    languages = section.get("languages")
    if languages is None:
        languages = [language_code(language) or "fr"]
    return MediaSettings(
        on_import=bool(section.get("analyze_on_import", True)),
        workers=int(workers) if workers is not None else None,
        timeout=float(section.get("timeout", 60.0)),
        languages=tuple(languages),
    )


def _organize(section: dict[str, Any]) -> OrganizeSettings:
    return OrganizeSettings(
        movie=section.get("movie"), episode=section.get("episode"), nfo=section.get("nfo", False)
    )


def _maintain(section: dict[str, Any]) -> MaintainSettings:
    for name in MAINTAIN_STEPS:
        value = section.get(name)
        if value is not None and not isinstance(value, bool):
            raise UsageError(f"config.toml [maintain] {name} must be true or false")
    min_age = section.get("min_age")
    return MaintainSettings(
        steps=tuple(section.get("steps", MAINTAIN_STEPS)),
        switched_off=tuple(s for s in MAINTAIN_STEPS if section.get(s) is False),
        check_oldest=int(section.get("check_oldest", DEFAULT_CHECK_OLDEST)),
        min_age=float(min_age) if min_age is not None else None,
    )


def _watch(section: dict[str, Any]) -> WatchConfig:
    poll = section.get("poll")
    return WatchConfig(
        debounce=float(section.get("debounce", 30)),
        poll=float(poll) if poll else None,
        retry=float(section.get("retry", 300)),
    )


def _notify(raw: Any, path: Path) -> tuple[ServerConfig, ...]:
    """The ``[[notify]]`` entries (media servers), checked."""
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise UsageError(f"{path}: [[notify]] must be a list of tables")
    out: list[ServerConfig] = []
    names: set[str] = set()
    for i, entry in enumerate(raw, 1):
        where = f"{path}: [[notify]] #{i}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} must be a table")
        _check_server_entry(entry, where)
        kind = str(entry.get("kind", "")).lower()
        if kind not in KINDS:
            raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}")
        url = entry.get("url")
        if not isinstance(url, str) or not _http_url(url):
            raise UsageError(
                f"{where}: url must be an http:// or https:// URL with a host "
                f"(and a port from 1 to 65535), not {url!r:.80}"
            )
        if "token" in entry:
            raise UsageError(
                f"{where}: never write a token in config.toml; put it in an environment "
                "variable and name it with token_env"
            )
        name = str(entry.get("name") or kind)
        if name in names:
            raise UsageError(f"{where}: two servers are named {name!r}")
        names.add(name)
        map_from, map_to = entry.get("from"), entry.get("to")
        if (map_from is None) != (map_to is None):
            raise UsageError(f"{where}: give both from and to (a path mapping), or neither")
        timeout = entry.get("timeout", DEFAULT_NOTIFY_TIMEOUT)
        if not _wait(timeout):
            raise UsageError(
                f"{where}: timeout must be a number of seconds > 0, at most {MAX_WAIT}, "
                f"not {_type_name(timeout)} ({timeout!r:.40})"
            )
        out.append(
            ServerConfig(
                name=name,
                kind=kind,
                url=url.rstrip("/"),
                token_env=str(entry["token_env"]) if entry.get("token_env") else None,
                user=str(entry["user"]) if entry.get("user") else None,
                map_from=str(map_from).rstrip("/") if map_from is not None else None,
                map_to=str(map_to).rstrip("/") if map_to is not None else None,
                timeout=float(timeout),
            )
        )
    return tuple(out)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_server_entry(entry: dict[str, Any], where: str) -> None:
    """The text settings of one ``[[notify]]`` entry are text (a name of ``["a"]`` or a
    ``from = 5`` would be taken as ``"['a']"`` or ``"5"``), and no secret hides in it."""
    for key in ("name", "token_env", "user", "from", "to"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise UsageError(
                f"{where}: {key} must be a non-empty string, not {_type_name(value)} "
                f"({value!r:.40})"
            )
    token_env = entry.get("token_env")
    if token_env is not None and not _ENV_NAME.fullmatch(token_env):
        raise UsageError(
            f"{where}: token_env is the NAME of an environment variable (letters, digits "
            "and _, such as JELLYFIN_TOKEN), not its value nor $NAME"
        )
    map_from = entry.get("from")
    if map_from is not None and not map_from.startswith("/"):
        raise UsageError(
            f"{where}: from must be an absolute path (the video root, or a folder above "
            f"it, as this machine sees it), not {map_from!r:.80}"
        )
    url = entry.get("url")
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
            secret = parts.username is not None or parts.password is not None
        except ValueError:
            secret = False  # the url check says what is wrong with it
        if secret:
            raise UsageError(
                f'{where}: never write a user or password in the url; set user = "..." '
                "and put the password in an environment variable named by token_env"
            )


def _http_url(url: str) -> bool:
    """An http(s) URL whose host and port can be used (``http://[::1`` and a port of
    99999 are not: urllib and httpx would raise on them, later)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


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


def resolve_home(home: Path | None) -> Path:
    """The home a command works in: ``--home``, else $VIDEOTHEQUE_HOME or the default.

    Its path must be valid UTF-8: DuckDB cannot open a file under a name that is not
    (``std::bad_cast``), so such a home is refused before anything is created there."""
    given = home if home is not None else default_home()
    if not str(given).strip():
        # Path(" ") is a folder named " " in the current folder: a blank $VIDEOTHEQUE_HOME
        # (`export VIDEOTHEQUE_HOME=" "`) is a mistake, not a home.
        raise UsageError(
            f"home {str(given)!r} is blank: give a folder with --home or $VIDEOTHEQUE_HOME"
        )
    path = given.expanduser().absolute()
    if not is_exact_utf8(str(path)):
        raise UsageError(
            f"home {display(str(path))}: its path is not valid UTF-8, where the projection "
            "(DuckDB) cannot be opened: choose another folder"
        )
    return path


def resolve_store(store: str | None, config: Config) -> str | None:
    """The event store: ``--store``, else $VIDEOTHEQUE_STORE, else what ``init`` recorded."""
    return store or os.environ.get("VIDEOTHEQUE_STORE") or config.store
