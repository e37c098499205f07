"""scheduling's composition root: which handler answers which message, and the sweep."""

from __future__ import annotations

from services.runtime.service import Periodic, Service
from services.scheduling import figures, handlers, repository
from services.scheduling.repository import SQL_DIR

SERVICE = Service(
    name="scheduling",
    sql_dir=SQL_DIR,
    commands={
        "declare_interview_slots": handlers.declare_interview_slots,
        "cancel_interview_slots": handlers.cancel_interview_slots,
        "request_new_interview": handlers.request_new_interview,
    },
    events={
        "enrollment.candidacy_registered": handlers.candidacy_registered,
        "enrollment.candidacy_withdrawn": handlers.candidacy_withdrawn,
        "opinions.interview_reported": handlers.interview_reported,
    },
    periodic=[
        Periodic("plan", interval=0.5, routine=handlers.plan_due_pupils),
        Periodic("sweep", interval=2.0, routine=handlers.sweep),
    ],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
