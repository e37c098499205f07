"""enrollment's composition root: which handler answers which message."""

from __future__ import annotations

from services.enrollment import figures, handlers, repository
from services.enrollment.repository import SQL_DIR
from services.runtime.service import Service, owned_commands, subscribed_events

SERVICE = Service(
    name="enrollment",
    sql_dir=SQL_DIR,
    commands=owned_commands("enrollment", handlers),
    events=subscribed_events("enrollment", handlers),
    answers_broadcast_rejections=True,
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
)
