"""notifications' composition root: handlers, the interview-reminder sweep, and the sender."""

from __future__ import annotations

from services.notifications import figures, handlers, planning, refusals, repository
from services.notifications.repository import SQL_DIR
from services.notifications.sender import send_mails
from services.runtime.service import Periodic, Service, Together, subscribed_events

SERVICE = Service(
    name="notifications",
    sql_dir=SQL_DIR,
    events=subscribed_events("notifications", handlers),
    together={
        "enrollment.candidacy_registered": Together(handlers.candidacies_registered, subject=lambda e: e.ine),
        "scheduling.interview_booked": Together(handlers.interviews_booked, subject=lambda e: e.interview_id),
    },
    periodic=[
        Periodic("interview_reminders", interval=5.0, routine=handlers.interview_reminders),
        Periodic("planning_sheets", interval=10.0, routine=planning.planning_sheets),
    ],
    workers=[send_mails],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
    reads={"planning": planning.planning_view, "refusals": refusals.refusals_view},
    actions={"replay_refused": refusals.replay_refused},
)
