"""``init``: record where a library's storage, video and trash roots are."""

from __future__ import annotations

import os
from pathlib import Path

from videotheque.commands.adapters.linkscan import check_roots
from videotheque.commands.config import (
    Config,
    load_config,
    resolve_home,
    resolve_store,
    save_config,
)
from videotheque.commands.errors import UsageError
from videotheque.commands.library import open_library, redact, scrub
from videotheque.domain.paths import display, is_exact_utf8


def init_library(
    root: Path,
    home: Path | None = None,
    storage: Path | None = None,
    video: Path | None = None,
    trash: Path | None = None,
    store: str | None = None,
    *,
    force: bool = False,
) -> tuple[Config, list[str]]:
    """Record the library's roots in the home's config.toml; create video/ and trash/.

    A home that already records a library keeps it: re-pointing its roots or its store is
    refused (a UsageError saying what would change) unless ``force``; the same roots again
    change nothing."""
    home_dir = resolve_home(home)
    base = Path(os.path.abspath(root.expanduser()))
    s = Path(os.path.abspath((storage or base / "storage").expanduser()))
    v = Path(os.path.abspath((video or base / "video").expanduser()))
    t = Path(os.path.abspath((trash or base / "trash").expanduser()))
    for name, text in (("storage", str(s)), ("video", str(v)), ("trash", str(t)),
                       ("store", store or "")):  # fmt: skip
        if not is_exact_utf8(text):
            raise UsageError(
                f"the {name} {display(text)}: its path is not valid UTF-8, which config.toml "
                "cannot hold; rename the folder, or give it through a symlink whose name is "
                "UTF-8"
            )
    check_roots(s, v, t)
    for name, path in (("ROOT", base), ("storage", s), ("video", v), ("trash", t),
                       ("home", home_dir)):  # fmt: skip
        if os.path.lexists(path) and not path.is_dir():
            raise UsageError(f"the {name} {path} exists and is not a folder")
    config = load_config(home_dir)
    was = config.initialised
    wanted = config.with_roots(s, v, t, store or config.store)
    changes = _changes(config, wanted) if was else []
    if was and not changes:
        return config, [f"{config.path} already records this library: nothing changed"]
    if changes and not force:
        raise UsageError(
            f"{home_dir} already records a library; init would change "
            + "; ".join(changes)
            + ". Run it again with --force to re-point it (the catalog stays: paths are "
            "relative to the storage root), or use another --home"
        )
    notes: list[str] = []
    if not s.is_dir():
        notes.append(f"storage root {s} does not exist yet (mount it before `import`)")
    for p in (v, t, home_dir):
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {p}: {exc.strerror or exc}") from None
    if not os.access(home_dir, os.W_OK):
        raise UsageError(f"cannot use the home {home_dir}: it is not writable")
    config = wanted
    store_url = resolve_store(store, config)
    # Open (and so create) the event store now: a bad URL fails here, not at import.
    try:
        open_library(store_url, home_dir).close()
    except UsageError:
        raise
    except Exception as exc:
        where = redact(store_url) if store_url else str(home_dir / "events.sqlite")
        raise UsageError(
            f"cannot open the event store {where}: {scrub(str(exc), store_url)}"
        ) from exc
    save_config(config)
    if changes:
        notes.append("re-pointed (--force): " + "; ".join(changes))
    notes.append(("updated" if was else "created") + f" {config.path}")
    return config, notes


def _changes(old: Config, new: Config) -> list[str]:
    """What recording ``new`` over ``old`` would change, as ``name: old -> new``."""
    out = []
    for name in ("storage", "video", "trash"):
        before, after = getattr(old, name), getattr(new, name)
        if before is None or Path(os.path.abspath(before)) != after:
            out.append(f"{name}: {before} -> {after}")
    if (old.store or None) != (new.store or None):
        out.append(
            f"store: {redact(old.store) if old.store else 'sqlite (in the home)'} -> "
            f"{redact(new.store) if new.store else 'sqlite (in the home)'}"
        )
    return out
