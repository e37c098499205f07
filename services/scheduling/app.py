"""scheduling's composition root: which handler answers which message, and the sweep."""

from __future__ import annotations

from services.runtime.service import Periodic, Service, Together, owned_commands, subscribed_events
from services.scheduling import figures, handlers, repository
from services.scheduling.repository import SQL_DIR

SERVICE = Service(
    name="scheduling",
    sql_dir=SQL_DIR,
    commands=owned_commands("scheduling", handlers),
    events=subscribed_events("scheduling", handlers),
    together={"enrollment.candidacy_registered": Together(handlers.candidacies_registered, subject=lambda e: e.ine)},
    periodic=[
        Periodic("plan", interval=0.5, routine=handlers.plan_due_pupils),
        Periodic("sweep", interval=2.0, routine=handlers.sweep),
    ],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
