"""The PostgreSQL store's connection, with every libpq parameter of the store URL.

eventsourcing 9.5's ``PostgresFactory`` hands psycopg only dbname, host, port, user and
password. This factory builds the same datastore, then gives its pool the connection
keywords ``commands.library.store_env`` resolved from the URL (``sslmode``,
``sslrootcert``, ``application_name``, ``options``, ...), with no value where the URL gives
none, so libpq applies its own defaults and the ``PG*`` environment (``PGHOST``,
``PGPASSWORD``, ``PGSSLMODE``, a ``~/.pgpass`` file, ...).
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.postgres import PostgresFactory
from psycopg.rows import dict_row

# The store_env key holding the connection keywords (a JSON object).
CONNECT_KEY = "VIDEOTHEQUE_PG_CONNECT"


def connect_kwargs(env: Any) -> dict[str, Any]:
    raw = env.get(CONNECT_KEY) or "{}"
    kwargs = json.loads(raw)
    assert isinstance(kwargs, dict)
    return kwargs


class LibpqPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, connecting with the store URL's parameters."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        kwargs = connect_kwargs(self.env)
        # The pool opens on first use: its keywords can still be replaced here.
        self.datastore.pool.kwargs = {**kwargs, "row_factory": dict_row}
