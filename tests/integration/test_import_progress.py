"""A first import shows its name-parsing phase: a progress task with a count that reaches the
number of new files (the CLI's progress bar, recorded instead of drawn)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import videotheque.commands.cli.library
import videotheque.commands.progress
from tests.conftest import Lib


class RecordingBar:
    """What rich.progress.Progress is told: tasks and their updates."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []

    def add_task(self, description: str, total: int | None = None) -> int:
        self.tasks.append({"description": description, "total": total, "counts": []})
        return len(self.tasks) - 1

    def update(self, task_id: int, completed: int, **_: Any) -> None:
        self.tasks[task_id]["counts"].append(completed)


def test_first_import_shows_a_parse_phase_counting_the_names(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    bar = RecordingBar()

    @contextmanager
    def recorded(enabled: bool | None = None) -> Iterator[videotheque.commands.progress.Progress]:
        yield videotheque.commands.progress.Progress(bar)

    monkeypatch.setattr(videotheque.commands.cli.library, "progress", recorded)  # `import`'s
    names = [f"Films/Film {chr(65 + i % 26)}{'x' * (i // 26)} (2001)/f.mkv" for i in range(40)]
    names += [f"Series/Show/Season 01/Show - S01E{e:02d}.mkv" for e in range(1, 41)]
    for name in names:
        lib.write(name)
    assert lib.cli("import").exit_code == 0

    parse = [t for t in bar.tasks if t["description"] == "parse names"]
    assert len(parse) == 1 and parse[0]["total"] == len(names)
    counts = parse[0]["counts"]
    assert counts == sorted(counts) and counts[-1] == len(names)
    assert len(set(counts)) > 1  # counted as the chunks came back, not only at the end
    order = [t["description"] for t in bar.tasks]
    assert order.index("parse names") < order.index("record")

    # nothing new: no parsing phase
    bar.tasks.clear()
    assert lib.cli("import").exit_code == 0
    assert "parse names" not in [t["description"] for t in bar.tasks]
