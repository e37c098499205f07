"""enrollment's composition root: which handler answers which message."""

from __future__ import annotations

from services.enrollment import figures, handlers, repository
from services.enrollment.repository import SQL_DIR
from services.runtime.service import Service, Together, owned_commands, subscribed_events

SERVICE = Service(
    name="enrollment",
    sql_dir=SQL_DIR,
    commands=owned_commands("enrollment", handlers),
    events=subscribed_events("enrollment", handlers),
    together={
        "register_candidacy": Together(handlers.register_candidacies, subject=lambda cmd: cmd.pupil.ine),
        **{
            key: Together(handlers.interview_news, subject=lambda event: event.interview_id)
            for key in ("scheduling.interview_booked", "scheduling.interview_cancelled", "opinions.interview_reported")
        },
    },
    answers_broadcast_rejections=True,
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
