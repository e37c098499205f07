"""Operators' queues and parked messages on the real stack: listed without personal data, replayed once, purged.

On a campaign of its own; it moves the clock to the opening only where a registration must be accepted.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from click.testing import Result
from prometheus_client.parser import text_string_to_metric_families

from contracts import routing
from harness.portal import PortalClient
from ops.cli import app
from ops.failed import list_parked, parking_queues, purge_parked
from ops.parked import DEAD_LETTERED, PARKED_BY_SERVICE, ParkedMessage
from ops.settings import OpsSettings
from tests.conftest import ADMIN_URL, TEST_VHOST
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.privacy import invoke_ops
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e

SETTINGS = OpsSettings(vhost=TEST_VHOST)
# Wide enough that no table cell wraps, so the output can be searched for whole identifiers.
ENV = {"PASSPRO_VHOST": TEST_VHOST, "COLUMNS": "400"}


@pytest.fixture(scope="module", autouse=True)
async def no_parked_message_left(stack: ServiceStack) -> AsyncIterator[None]:
    """Later files look for their own parked messages from the head of the parking queues: leave them empty."""
    yield
    await purge_parked(SETTINGS, parking_queues(None), lambda counts: True)


async def cli(*args: str, answer: str | None = None) -> Result:
    return await asyncio.to_thread(invoke_ops, app, ["ops", *args], env=ENV, input=answer)


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        await asyncio.sleep(0.2)
    return result


async def find_parked(wanted: str, queue: str = "enrollment.commands") -> ParkedMessage | None:
    listing = await list_parked(SETTINGS, parking_queues(queue), limit=500)
    return next((m for m in listing.messages if m.matches(wanted)), None)


async def park_as_the_broker_would(body: dict[str, Any], queue: str, routing_key: str) -> None:
    """What a quorum queue's at-least-once dead-lettering puts in the parking queue after the delivery limit."""
    death = {
        "count": 1,
        "reason": "delivery_limit",
        "queue": queue,
        "time": datetime.now(UTC).replace(microsecond=0),
        "exchange": routing.COMMANDS_EXCHANGE,
        "routing-keys": [routing_key],
    }
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        parking = await channel.get_exchange(routing.PARKING_EXCHANGE, ensure=False)
        await parking.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=body["command_id"],
                correlation_id=body["command_id"],
                headers={
                    "x-death": [death],
                    "x-first-death-exchange": routing.COMMANDS_EXCHANGE,
                    "x-first-death-queue": queue,
                    "x-first-death-reason": "delivery_limit",
                    "x-delivery-count": 10,
                },
            ),
            routing_key=routing.parking_queue(queue),
            mandatory=True,
        )


def handled(stack: ServiceStack, service: str, routing_key: str) -> dict[str, float]:
    """What ``service`` did with the deliveries of ``routing_key``: outcome -> count, from its metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.port(service)}/metrics", timeout=5) as response:
        text = response.read().decode()
    outcomes: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "passpro_messages_total" and sample.labels["routing_key"] == routing_key:
                outcomes[sample.labels["outcome"]] = outcomes.get(sample.labels["outcome"], 0) + sample.value
    return outcomes


def personal_data(body: dict[str, Any]) -> list[str]:
    pupil, referent = body["pupil"], body["referent"]
    return [
        pupil["ine"],
        pupil["last_name"],
        pupil["first_name"],
        pupil["birth_date"],
        referent["name"],
        referent["email"],
        body["origin_comment"],
    ]


async def test_a_message_the_service_could_not_read_is_listed_with_its_reason_and_kept_from_replay(
    portal: PortalClient,
) -> None:
    message_id = await portal.send("register_candidacy", "Inès Lefèvre, referente.durand@example.org".encode())
    await portal.outcome(message_id)
    parked = await eventually(lambda: find_parked(message_id), "the unreadable command parked")

    table = await cli("failed", "--queue", "enrollment.commands")
    as_json = await cli("failed", "--json")
    replay = await cli("replay", parked.id)

    assert table.exit_code == 0 and as_json.exit_code == 0, table.output + as_json.output
    line = next(line for line in table.output.splitlines() if parked.id in line)
    assert "register_candidacy" in line and "the body is not a JSON object" in line
    listed = next(m for m in json.loads(as_json.output)["messages"] if m["id"] == parked.id)
    assert (listed["queue"], listed["routing_key"], listed["kind"]) == (
        "enrollment.commands",
        "register_candidacy",
        PARKED_BY_SERVICE,
    )
    assert listed["reason"] == "the body is not a JSON object" and listed["failed_at"]
    for shown in (table.output, as_json.output):
        assert "Lefèvre" not in shown and "Inès" not in shown and "referente.durand" not in shown
    assert replay.exit_code == 1 and "not a JSON object" in replay.output
    assert await find_parked(parked.id) is not None


async def test_a_dead_lettered_registration_is_replayed_into_its_queue_once(
    portal: PortalClient, clock: Clock, stack: ServiceStack
) -> None:
    await clock.at_least(OPEN)
    body = register_body()
    command_id = body["command_id"]
    await park_as_the_broker_would(body, "enrollment.commands", "register_candidacy")
    await eventually(lambda: find_parked(command_id), "the registration parked")

    table = await cli("failed")
    as_json = await cli("failed", "--queue", "enrollment.commands", "--json")
    first = await cli("replay", command_id)
    registered = await portal.wait_for(
        lambda e: e["_routing_key"] == "enrollment.candidacy_registered" and e["causation_id"] == command_id
    )
    left_after_first = await find_parked(command_id)
    duplicates_before = handled(stack, "enrollment", "register_candidacy").get("duplicate", 0)
    await park_as_the_broker_would(body, "enrollment.commands", "register_candidacy")
    await eventually(lambda: find_parked(command_id), "the same registration parked again")
    second = await cli("replay", command_id)
    await eventually(
        lambda: asyncio.to_thread(
            lambda: handled(stack, "enrollment", "register_candidacy").get("duplicate", 0) > duplicates_before
        ),
        "the second replay delivered to enrollment",
    )

    assert table.exit_code == 0 and command_id in table.output
    listed = next(m for m in json.loads(as_json.output)["messages"] if m["id"] == command_id)
    assert (listed["queue"], listed["routing_key"], listed["kind"]) == (
        "enrollment.commands",
        "register_candidacy",
        DEAD_LETTERED,
    )
    assert listed["reason"] == "delivery_limit" and listed["failed_at"]
    assert f"command_id={command_id}" in listed["preview"] and "ine=********" in listed["preview"]
    for shown in (table.output, as_json.output):
        assert not [value for value in personal_data(body) if value in shown]
    assert first.exit_code == 0 and f"replayed {command_id} into enrollment.commands" in first.output
    assert registered["ine"] == body["pupil"]["ine"] and registered["_correlation_id"] == command_id
    assert left_after_first is None
    assert second.exit_code == 0 and command_id in second.output
    assert [e["_routing_key"] for e in portal.caused_by(command_id)] == ["enrollment.candidacy_registered"]
    assert await find_parked(command_id) is None
    for service in routing.SERVICES[1:]:
        assert handled(stack, service, "register_candidacy") == {}, f"{service} received the replay"


async def test_replay_all_puts_back_every_replayable_message_of_a_queue_and_keeps_the_others(
    portal: PortalClient, clock: Clock
) -> None:
    await clock.at_least(OPEN)
    bodies = [register_body(), register_body()]
    for body in bodies:
        await park_as_the_broker_would(body, "enrollment.commands", "register_candidacy")
    unreadable = await portal.send("register_candidacy", b"{not json")
    for wanted in [b["command_id"] for b in bodies] + [unreadable]:
        await eventually(lambda wanted=wanted: find_parked(wanted), f"{wanted} parked")

    result = await cli("replay", "--all", "--queue", "enrollment.commands")
    registered = [
        await portal.wait_for(
            lambda e, b=b: (
                e["_routing_key"] == "enrollment.candidacy_registered" and e["causation_id"] == b["command_id"]
            )
        )
        for b in bodies
    ]

    assert result.exit_code == 1, result.output
    assert [e["ine"] for e in registered] == [b["pupil"]["ine"] for b in bodies]
    assert [await find_parked(b["command_id"]) for b in bodies] == [None, None]
    assert await find_parked(unreadable) is not None
    assert "kept parked:enrollment.commands:" in result.output


async def test_purge_deletes_parked_messages_only_once_confirmed(portal: PortalClient) -> None:
    command, event = register_body(), register_body()
    await park_as_the_broker_would(command, "enrollment.commands", "register_candidacy")
    await park_as_the_broker_would(event, "scheduling.events", "enrollment.candidacy_registered")
    await eventually(lambda: find_parked(command["command_id"]), "the command parked")
    await eventually(lambda: find_parked(event["command_id"], "scheduling.events"), "the event parked")

    declined = await cli("purge", "--queue", "enrollment.commands", answer="n\n")
    kept = await find_parked(command["command_id"]), await find_parked(event["command_id"], "scheduling.events")
    confirmed = await cli("purge", "--yes")
    left = await list_parked(SETTINGS, parking_queues(None), limit=500)

    assert declined.exit_code == 1 and "Nothing deleted" in declined.output
    assert "enrollment.commands.parking:" in declined.output and "scheduling" not in declined.output
    assert None not in kept
    assert confirmed.exit_code == 0 and "Deleted" in confirmed.output
    assert sum(left.totals.values()) == 0 and len(left.totals) == len(routing.QUEUES) + 1  # and parking.exhausted


def queue_rows(output: str) -> dict[str, list[str]]:
    """The cells of each row of the printed table, by queue name."""
    rows = ([cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if "│" in line)
    return {row[0]: row for row in rows if row}


async def test_queues_shows_every_service_queue_with_its_consumer(stack: ServiceStack) -> None:
    async def every_consumer_counted() -> Result | None:
        # The broker refreshes the figures the management API gives every 5 s: a fresh stack may not show yet.
        result = await cli("queues")
        rows = queue_rows(result.output)
        return result if all(rows.get(spec.name, ["?"] * 5)[4] == "1" for spec in routing.QUEUES) else None

    result = await eventually(every_consumer_counted, "one consumer counted on each service queue")

    assert result.exit_code == 0, result.output
    rows = queue_rows(result.output)
    for spec in routing.QUEUES:
        _name, kind, _ready, _unacked, consumers, _in, _out, status = rows[spec.name]
        assert (kind, consumers) == ("service", "1"), rows[spec.name]
        assert "no consumer" not in status
        assert rows[spec.parking][1] == "parking"
