"""opinions' composition root: which handler answers which message, and the overdue-report sweep."""

from __future__ import annotations

from services.opinions import figures, handlers, repository
from services.opinions.repository import SQL_DIR
from services.runtime.service import Periodic, Service

SERVICE = Service(
    name="opinions",
    sql_dir=SQL_DIR,
    commands={"submit_interview_report": handlers.submit_interview_report},
    events={
        "enrollment.candidacy_registered": handlers.candidacy_registered,
        "enrollment.candidacy_withdrawn": handlers.candidacy_withdrawn,
        "scheduling.interview_booked": handlers.interview_booked,
        "scheduling.interview_cancelled": handlers.interview_cancelled,
    },
    periodic=[Periodic("overdue_reports", interval=5.0, routine=handlers.overdue_sweep)],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
