"""opinions' composition root: which handler answers which message, and the overdue-report sweep."""

from __future__ import annotations

from services.opinions import figures, handlers, repository
from services.opinions.repository import SQL_DIR
from services.runtime.service import Periodic, Service, Together, owned_commands, subscribed_events

SERVICE = Service(
    name="opinions",
    sql_dir=SQL_DIR,
    commands=owned_commands("opinions", handlers),
    events=subscribed_events("opinions", handlers),
    together={
        "enrollment.candidacy_registered": Together(handlers.candidacies_registered, subject=lambda e: e.ine),
        "scheduling.interview_booked": Together(handlers.interviews_booked, subject=lambda e: e.interview_id),
    },
    periodic=[Periodic("overdue_reports", interval=5.0, routine=handlers.overdue_sweep)],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
