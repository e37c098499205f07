"""R6: before the campaign opens, registrations are refused, naming the window (the file's campaign starts on
1 February, before the opening)."""

from __future__ import annotations

from harness.portal import PortalClient
from tests.e2e.conftest import register_body


async def test_r6_a_registration_before_the_opening_is_rejected_with_the_window(portal: PortalClient) -> None:
    body = register_body()

    await portal.send("register_candidacy", body)
    event = await portal.outcome(body["command_id"])

    assert event["_routing_key"] == "enrollment.command_rejected"
    assert event["reason"] == "registration_not_open"
    assert "04/02/2013" in event["message"] and "29/03/2013" in event["message"]
