"""R12 end to end: a school's portal sends commands under its school's key and reads only the copies about it."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from contracts import routing
from deploy import topology
from harness.portal import PortalClient
from tests.conftest import AMQP_HOST, TEST_VHOST
from tests.e2e.conftest import Clock, register_body

OWN, OTHER_OWN = "0930122C", "0931500A"
"""Both schools of ``portal-93`` in the bundled campaign."""


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least("2013-02-04T09:00:00+01:00")


def _url(account: str) -> str:
    password = next(a.password for a in topology.accounts() if a.name == account)
    return f"amqp://{account}:{quote(password, safe='')}@{AMQP_HOST.split('://', 1)[1]}/{TEST_VHOST}"


async def test_r12_a_school_portal_registers_under_its_key_and_reads_the_event_about_its_school(
    portal: PortalClient,
) -> None:
    body = register_body()
    async with PortalClient(_url("portal-93"), bindings=(f"{OWN}.#",), events=routing.SCHOOLS_EXCHANGE) as school:
        await school.send(routing.scoped_command_key("register_candidacy", OWN), body)

        copy = await school.outcome(body["command_id"], timeout=30)
        public = await portal.outcome(body["command_id"], timeout=30)

    assert copy["_routing_key"] == f"{OWN}.enrollment.candidacy_registered"
    assert copy["event_id"] == public["event_id"] and copy["_user_id"] == "enrollment"
    assert {k: v for k, v in copy.items() if not k.startswith("_")} == {
        k: v for k, v in public.items() if not k.startswith("_")
    }


async def test_r12_a_key_naming_another_school_than_the_actor_is_unauthorized(portal: PortalClient) -> None:
    body = register_body(command_id=str(uuid.uuid4()))
    async with PortalClient(_url("portal-93"), bindings=(f"{OTHER_OWN}.#",), events=routing.SCHOOLS_EXCHANGE) as school:
        # Its own school in the key, another in actor_uai: the broker lets the key through, the service refuses.
        await school.send(routing.scoped_command_key("register_candidacy", OTHER_OWN), body)

        rejection = await school.outcome(body["command_id"], timeout=30)

    assert rejection["_routing_key"] == f"{OTHER_OWN}.enrollment.command_rejected"
    assert (rejection["reason"], rejection["command"]) == ("unauthorized", "register_candidacy")
    assert rejection["errors"][0]["field"] == "actor_uai"
    assert [e["reason"] for e in portal.caused_by(body["command_id"])] in ([], ["unauthorized"])
