"""What a projection is, and the fast ways to write rows into DuckDB."""

from __future__ import annotations

import base64
import gc
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any, Protocol

import duckdb
import orjson

from videotheque.domain.paths import display
from videotheque.projections.events import StoredEvent


class Projection(Protocol):
    """A set of DuckDB tables kept up to date from the events.

    ``schema`` names a file in projections/sql/ creating its tables (idempotent);
    ``tables`` lists them so a rebuild can drop them; ``apply`` is called inside the
    projector's transaction with a batch of events in store order.

    A projection may also define ``apply_staged(con)``: it is called first, when the batch
    holds staged events (``StoredEvent.staged``: their payload text is in the temporary
    table ``staged_events``), to project in SQL those it can. The events of
    ``events.SQL_TYPES`` must be projected there by every projection that reads them:
    ``apply`` does not see them (the others it sees, staged or not).
    """

    name: str
    schema: str
    tables: tuple[str, ...]

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None: ...


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are made at once (a catch-up,
    an import's records): its passes over every live object cost more than the work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """The interpreter's thread switch interval, for a while (it is process-wide).

    When one thread runs Python while another mostly waits in C (DuckDB, system calls),
    the waiting one gets the GIL back only when the first lets go of it, after up to the
    switch interval: 5 ms by default, paid at every return from C. A short interval keeps
    such a pair from queueing behind each other."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def read_sql(name: str) -> str:
    return resources.files(__package__).joinpath("sql", name).read_text(encoding="utf-8")


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
    values = [
        _valid_text(columns[n][1]) if columns[n][0] in ("VARCHAR", "JSON") else columns[n][1]
        for n in names
    ]
    selects = ", ".join(f"unnest(${i + 1}::{columns[n][0]}[]) AS {n}" for i, n in enumerate(names))
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {selects}",
        [list(v) for v in values],
    )


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    types: dict[str, str],
    rows: Sequence[dict[str, Any]],
    fix: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Insert rows given as dicts (``types``: column -> DuckDB type), several times
    faster than ``insert_columns`` for wide tables.

    Each row travels as one JSON text (orjson) and DuckDB's ``json_transform`` turns the
    lot into typed columns in C++: one Python value per row crosses into DuckDB instead of
    one per cell. ``BLOB`` values (bytes) travel as base64; ``JSON`` values as the nested
    data; strings that are not valid UTF-8 (non-UTF-8 file names) in display form, or as
    ``fix(row)`` makes them when given.
    """
    if not rows:
        return
    blobs = [c for c, t in types.items() if t == "BLOB"]
    lines: list[str] = []
    for row in rows:
        if blobs:
            row = dict(row)
            for c in blobs:
                value = row.get(c)
                if value is not None:
                    row[c] = base64.b64encode(value).decode("ascii")
        try:
            lines.append(orjson.dumps(row).decode("utf-8"))
        except orjson.JSONEncodeError:  # a lone surrogate: store the display form
            lines.append(orjson.dumps(_displayed(fix(row) if fix else row)).decode("utf-8"))
    spec = json.dumps({c: _json_type(t) for c, t in types.items()})
    columns = ", ".join(types)
    selects = ", ".join(
        f"from_base64(r.{c})" if t == "BLOB" else f"r.{c}" for c, t in types.items()
    )
    con.execute(
        f"INSERT INTO {table} ({columns}) SELECT {selects} FROM "
        f"(SELECT json_transform(j, '{spec}') AS r FROM (SELECT unnest($1::VARCHAR[]) AS j))",
        [lines],
    )


def _json_type(duckdb_type: str) -> Any:
    """The ``json_transform`` structure for a column type (BLOBs arrive as base64 text)."""
    if duckdb_type.endswith("[]"):
        return [_json_type(duckdb_type[:-2])]
    return "VARCHAR" if duckdb_type == "BLOB" else duckdb_type


def _valid_text(values: Sequence[Any]) -> Sequence[Any]:
    """DuckDB refuses strings that are not valid UTF-8 (a non-UTF-8 file name decoded with
    surrogateescape): such a value is stored in its display form (U+FFFD), so one odd name
    can never stop the projector. Exact bytes live in the BLOB columns."""
    if all(v is None or not isinstance(v, str) or v.isascii() or _is_utf8(v) for v in values):
        return values
    return [display(v) if isinstance(v, str) and not _is_utf8(v) else v for v in values]


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_text(value: Any) -> str:
    """``value`` as JSON text DuckDB accepts: non-ASCII as is, and strings that are not
    valid UTF-8 (lone surrogates from non-UTF-8 file names) in their display form."""
    return json_texts(value)[0]


def json_texts(value: Any) -> tuple[str, str | None]:
    """``(json_text(value), exact)``: ``exact`` is None unless ``json_text`` had to change
    a string; then it is the exact JSON, ASCII with ``\\udcXX`` escapes, which Python's json
    module reads back byte for byte."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isascii() or _is_utf8(text):
        return text, None
    return json.dumps(_displayed(value), ensure_ascii=False), json.dumps(value, ensure_ascii=True)


def _displayed(value: Any) -> Any:
    if isinstance(value, str):
        return display(value)
    if isinstance(value, dict):
        return {_displayed(k): _displayed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_displayed(v) for v in value]
    return value
