"""enrollment's composition root: which handler answers which message."""

from __future__ import annotations

from services.enrollment import figures, handlers, repository
from services.enrollment.repository import SQL_DIR
from services.runtime.service import Service

SERVICE = Service(
    name="enrollment",
    sql_dir=SQL_DIR,
    commands={
        "register_candidacy": handlers.register_candidacy,
        "withdraw_candidacy": handlers.withdraw_candidacy,
    },
    events={
        "scheduling.interview_booked": handlers.interview_booked,
        "scheduling.interview_cancelled": handlers.interview_cancelled,
        "opinions.interview_reported": handlers.interview_reported,
    },
    answers_broadcast_rejections=True,
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
