"""The Typer CLI: ``videotheque`` (alias ``vtq``). Thin: parse, call a use case, print.

Each command group is a module of this package that registers its commands on ``app``
(``cli.base``) when imported; the imports below are the whole list, in the order
``--help`` shows them.
"""

from __future__ import annotations

from videotheque.commands.cli import (  # noqa: F401  (imported for their commands)
    analyze,
    check,
    enrich,
    library,
    links,
    maintain,
    report,
)
from videotheque.commands.cli.base import app


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
