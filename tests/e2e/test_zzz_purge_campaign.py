"""Once the campaign is over, operators delete its personal data from every service (pupils are minors).

On a small campaign of its own, played first; it moves the clock past the campaign's last day.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from contracts import routing
from harness.portal import PortalClient
from ops.funnel import collect, funnel
from ops.retention import OPERATORS_UAI, purge_campaign
from ops.settings import OpsSettings, local_service_urls
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import CAMPAIGN, Clock
from tests.e2e.played import play_one_pupil
from tests.stack import HEALTH_BASE_PORT, ServiceStack

AFTER_THE_CAMPAIGN = "2013-06-03T08:00:00+02:00"
PERSONAL_TABLES = (
    "enrollment.candidacies",
    "enrollment.interviews",
    "notifications.pupils",
    "notifications.mails",
    "notifications.planning_sheets",
    "opinions.interviews",
    "scheduling.needs",
    "affelnet_export.bonuses",
    *(f"{service}.school_links" for service in routing.SERVICES),
)
"""Tables about the campaign's pupils, and each service's links from a pupil's INE to their schools."""


def _settings() -> OpsSettings:
    return OpsSettings(vhost="passpro_test", service_urls=local_service_urls(HEALTH_BASE_PORT))


async def _rows(table: str) -> int:
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table} WHERE campaign = $1", CAMPAIGN))
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def campaign_played(portal: PortalClient, clock: Clock) -> None:
    """A small campaign of the file's own, played first: every service holds a pupil's data to purge."""
    await play_one_pupil(portal, clock)


async def test_a_portal_cannot_purge_a_campaign(
    stack: ServiceStack, portal: PortalClient, clock: Clock, campaign_played: None
) -> None:
    await clock.at_least(AFTER_THE_CAMPAIGN)
    command_id = str(uuid.uuid4())
    before = await _rows("enrollment.candidacies")

    await portal.send("purge_campaign", {"command_id": command_id, "campaign": CAMPAIGN, "actor_uai": OPERATORS_UAI})
    answer = await portal.outcome(command_id)

    assert answer["_routing_key"] == "enrollment.command_rejected"
    assert answer["reason"] == "unauthorized"
    assert await _rows("enrollment.candidacies") == before


async def test_the_operators_purge_deletes_every_services_data_about_the_campaigns_pupils(
    stack: ServiceStack, portal: PortalClient, clock: Clock, campaign_played: None
) -> None:
    await clock.at_least(AFTER_THE_CAMPAIGN)
    before = {table: await _rows(table) for table in PERSONAL_TABLES}
    assert before["enrollment.candidacies"]

    outcome = await purge_campaign(_settings(), CAMPAIGN)

    assert outcome.rejection is None
    assert outcome.complete, outcome.deleted
    assert outcome.deleted["enrollment"] == (
        before["enrollment.candidacies"] + before["enrollment.interviews"] + before["enrollment.school_links"]
    )
    for table in PERSONAL_TABLES:
        assert await _rows(table) == 0, table
    f = funnel(await collect(_settings()))
    assert f["candidacies"]["registered"] == 0
    assert sum(f["finals_by_value"].values()) == 0
