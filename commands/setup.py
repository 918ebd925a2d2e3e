"""``init``: record where a library's storage, video and trash roots are."""

from __future__ import annotations

import os
from pathlib import Path

from videotheque.commands.bootstrap import resolve_home, resolve_store
from videotheque.commands.config import Config, load_config, save_config
from videotheque.commands.errors import UsageError
from videotheque.commands.library import open_library, redact, scrub


def check_roots(storage: Path, video: Path, trash: Path) -> None:
    """Refuse overlapping roots: links inside storage, storage inside the trash, ..."""
    named = {"storage": storage, "video": video, "trash": trash}
    for a, pa in named.items():
        for b, pb in named.items():
            if a >= b:
                continue
            if pa == pb:
                raise UsageError(f"the {a} and {b} roots are the same folder: {pa}")
            if pa.is_relative_to(pb) or pb.is_relative_to(pa):
                inner, outer = (a, b) if pa.is_relative_to(pb) else (b, a)
                raise UsageError(
                    f"the {inner} root ({named[inner]}) lies inside the {outer} root "
                    f"({named[outer]}): roots must not overlap"
                )


def init_library(
    root: Path,
    home: Path | None = None,
    storage: Path | None = None,
    video: Path | None = None,
    trash: Path | None = None,
    store: str | None = None,
) -> tuple[Config, list[str]]:
    """Record the library's roots in the home's config.toml; create video/ and trash/."""
    home_dir = resolve_home(home)
    base = Path(os.path.abspath(root.expanduser()))
    s = Path(os.path.abspath((storage or base / "storage").expanduser()))
    v = Path(os.path.abspath((video or base / "video").expanduser()))
    t = Path(os.path.abspath((trash or base / "trash").expanduser()))
    check_roots(s, v, t)
    notes: list[str] = []
    if not s.is_dir():
        notes.append(f"storage root {s} does not exist yet (mount it before `import`)")
    for p in (v, t, home_dir):
        p.mkdir(parents=True, exist_ok=True)
    config = load_config(home_dir)
    was = config.initialised
    config = config.with_roots(s, v, t, store or config.store)
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
    notes.append(("updated" if was else "created") + f" {config.path}")
    return config, notes
