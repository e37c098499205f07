"""affelnet_export's composition root: handlers, and the sender that talks to Affelnet."""

from __future__ import annotations

from services.affelnet_export import admin, figures, handlers, repository
from services.affelnet_export.repository import SQL_DIR
from services.affelnet_export.sender import send_bonuses
from services.runtime.service import Service, Together, owned_commands, subscribed_events

SERVICE = Service(
    name="affelnet_export",
    sql_dir=SQL_DIR,
    commands=owned_commands("affelnet_export", handlers),
    events=subscribed_events("affelnet_export", handlers),
    together={"enrollment.candidacy_registered": Together(handlers.candidacies_registered, subject=lambda e: e.ine)},
    workers=[send_bonuses],
    figures=figures.campaign_figures,
    purge=repository.purge_campaign,
    reads={"parked_bonuses": admin.parked_view},
    actions={"replay_bonus": admin.replay_bonus},
)
