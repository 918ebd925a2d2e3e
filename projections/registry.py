"""Every projection the projector feeds, in the order it applies them.

A new projection is one module with a class following ``projections.base.Projection``,
its schema in projections/sql/, and one line here.
"""

from __future__ import annotations

from projections.audit import EventsProjection, RunsProjection
from projections.base import Projection
from projections.catalog import CatalogProjection


def all_projections() -> list[Projection]:
    return [
        EventsProjection(),
        RunsProjection(),
        CatalogProjection(),
    ]


# Views are created after every projection's tables exist (they join them).
VIEWS = ["views.sql"]
