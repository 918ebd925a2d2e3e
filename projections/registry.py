"""Every projection the projector feeds, in the order it applies them.

A new projection is one module with a class following ``projections.base.Projection``,
its schema in projections/sql/, and one line here.
"""

from __future__ import annotations

from videotheque.projections.audit import EventsProjection, RunsProjection
from videotheque.projections.base import Projection
from videotheque.projections.catalog import CatalogProjection
from videotheque.projections.enrichment import EnrichmentProjection
from videotheque.projections.integrity import IntegrityProjection
from videotheque.projections.links import LinksProjection
from videotheque.projections.maintenance import MaintenanceProjection
from videotheque.projections.media import MediaProjection


def all_projections() -> list[Projection]:
    return [
        EventsProjection(),
        RunsProjection(),
        CatalogProjection(),
        MediaProjection(),
        EnrichmentProjection(),
        IntegrityProjection(),
        LinksProjection(),
        MaintenanceProjection(),
    ]


# Views are created after every projection's tables exist (they join them).
VIEWS = ["views.sql", "integrity_views.sql"]
