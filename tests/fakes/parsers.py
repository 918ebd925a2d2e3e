"""Stand-in name parsers for tests and benchmarks that measure something else than names.

Importing this module changes nothing: a driver that wants the import to use one patches
``videotheque.commands.adapters.naming.default_parser`` itself (in its own process).
"""

from __future__ import annotations

import os
from typing import Any


def parse_trivially(paths: list[str]) -> list[dict[str, Any]]:
    """Every file a film titled after its file name (guessit's cost left out)."""
    return [
        {"kind": "movie", "title": os.path.splitext(os.path.basename(p))[0], "year": None}
        for p in paths
    ]
