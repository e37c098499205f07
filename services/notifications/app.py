"""notifications' composition root: handlers, the interview-reminder sweep, and the sender."""

from __future__ import annotations

from services.notifications import figures, handlers, planning, refusals, repository
from services.notifications.repository import SQL_DIR
from services.notifications.sender import send_mails
from services.runtime.service import Periodic, Service

SERVICE = Service(
    name="notifications",
    sql_dir=SQL_DIR,
    events={
        "enrollment.candidacy_registered": handlers.candidacy_registered,
        "enrollment.candidacy_withdrawn": handlers.candidacy_withdrawn,
        "scheduling.interview_booked": handlers.interview_booked,
        "scheduling.interview_cancelled": handlers.interview_cancelled,
        "scheduling.capacity_shortfall": handlers.capacity_shortfall,
        "opinions.interview_reported": handlers.interview_reported,
        "opinions.final_opinion_computed": handlers.final_opinion_computed,
        "opinions.report_overdue": handlers.report_overdue,
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
