"""Every event names its publisher: the service's broker account as user_id, which the broker has checked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from contracts import routing
from harness.portal import PortalClient
from tests.e2e.conftest import CAMPAIGN, START


def clock_answer(service: str, command_id: str) -> Callable[[dict[str, Any]], bool]:
    key = routing.event_key(service, "clock_advanced")
    return lambda event: event["_routing_key"] == key and event.get("causation_id") == command_id


async def test_each_service_publishes_its_events_under_its_own_account(portal: PortalClient) -> None:
    command_id = str(uuid.uuid4())

    # Asking for the run's first instant moves no clock (time only goes forward), yet every service answers.
    await portal.send(
        "advance_clock", {"command_id": command_id, "campaign": CAMPAIGN, "actor_uai": "0941918Z", "to": START}
    )
    answers = {service: await portal.wait_for(clock_answer(service, command_id)) for service in routing.SERVICES}

    assert {service: event["_user_id"] for service, event in answers.items()} == {s: s for s in routing.SERVICES}
