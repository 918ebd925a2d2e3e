"""What a projection is, and the fast ways to write rows into DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any, Protocol

import duckdb

from projections.events import StoredEvent


class Projection(Protocol):
    """A set of DuckDB tables kept up to date from the events.

    ``schema`` names a file in projections/sql/ creating its tables (idempotent);
    ``tables`` lists them so a rebuild can drop them; ``apply`` is called inside the
    projector's transaction with a batch of events in store order.
    """

    name: str
    schema: str
    tables: tuple[str, ...]

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None: ...


def read_sql(name: str) -> str:
    return resources.files("projections").joinpath("sql", name).read_text(encoding="utf-8")


def insert_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, Sequence[Any]]],
) -> None:
    """Insert rows given column-wise: ``{name: (duckdb_type, values)}``.

    One statement binds each column as a list and unnests them together, about a
    hundred times faster than ``executemany``.
    """
    if not columns:
        return
    lengths = {len(values) for _, values in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"columns of {table} differ in length: {lengths}")
    if lengths == {0}:
        return
    names = list(columns)
    selects = ", ".join(f"unnest(${i + 1}::{columns[n][0]}[]) AS {n}" for i, n in enumerate(names))
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {selects}",
        [list(columns[n][1]) for n in names],
    )
