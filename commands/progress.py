"""Progress bars on stderr, only when stderr is a terminal (never in pipes, CI or tests)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """A thin facade: ``task(name, total)`` returns a callable taking the completed count."""

    def __init__(self, rich_progress: Any | None) -> None:
        self._p = rich_progress

    def task(self, description: str, total: int | None = None) -> Any:
        if self._p is None:
            return lambda completed, **_: None
        bar = self._p
        task_id = bar.add_task(description, total=total)

        def update(completed: int, **fields: Any) -> None:
            bar.update(task_id, completed=completed, **fields)

        return update


@contextmanager
def progress(enabled: bool | None = None) -> Iterator[Progress]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield Progress(None)
        return
    # Rich's progress bars: imported on a terminal only, not at start-up.
    from rich.console import Console  # noqa: TID251 (task labels are ours)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    class RateColumn(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="cyan")

    with RichProgress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as p:
        yield Progress(p)
