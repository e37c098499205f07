"""enrollment end to end: commands published as a portal, outcomes read from passpro.events."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import aio_pika
import pytest

from harness.portal import PortalClient
from tests.conftest import ADMIN_URL
from tests.e2e.conftest import OPEN, Clock, new_ine, register_body

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


async def outcome_of(portal: PortalClient, command: str, body: dict) -> dict:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"])


async def rejection_of(portal: PortalClient, body: dict, command: str = "register_candidacy") -> dict:
    event = await outcome_of(portal, command, body)
    assert event["_routing_key"] == "enrollment.command_rejected", event
    return event


async def test_a_valid_registration_is_recorded_and_published(portal: PortalClient) -> None:
    body = register_body(formation_code="2nde-pro-restauration")

    event = await outcome_of(portal, "register_candidacy", body)

    assert event["_routing_key"] == "enrollment.candidacy_registered"
    assert event["ine"] == body["pupil"]["ine"]
    assert event["formation_code"] == "2nde-pro-restauration"
    assert event["domain_code"] == "hotellerie-restauration"
    assert event["origin_uai"] == "0930122C"
    assert event["origin_opinion"] == "favorable"
    assert event["revision"] == 1
    assert event["causation_id"] == body["command_id"]
    assert event["_correlation_id"] == body["command_id"]


async def test_a_registration_broadcasts_the_pupils_ine_and_names_but_not_the_birth_date_or_class(
    portal: PortalClient,
) -> None:
    body = register_body()

    event = await outcome_of(portal, "register_candidacy", body)

    sent = body["pupil"]
    assert event["pupil"] == {"ine": sent["ine"], "last_name": sent["last_name"], "first_name": sent["first_name"]}


async def test_the_same_command_id_is_processed_once(portal: PortalClient) -> None:
    body = register_body()

    await portal.send("register_candidacy", body)
    await portal.send("register_candidacy", body)
    await portal.send("register_candidacy", body, message_id=str(uuid.uuid4()))
    await portal.outcome(body["command_id"])
    marker = register_body()
    await outcome_of(portal, "register_candidacy", marker)  # everything sent before has been handled

    assert len(portal.caused_by(body["command_id"])) == 1


async def test_r7_a_pupil_may_apply_to_formations_of_several_domains(portal: PortalClient) -> None:
    ine = new_ine()
    codes = ["cap-cuisine", "cap-patissier", "cap-ebeniste"]

    events = [
        await outcome_of(portal, "register_candidacy", register_body(pupil={"ine": ine}, formation_code=code))
        for code in codes
    ]

    assert [e["_routing_key"] for e in events] == ["enrollment.candidacy_registered"] * 3
    assert {e["domain_code"] for e in events} == {"hotellerie-restauration", "ebenisterie"}


async def test_r9_registering_again_updates_the_opinion(portal: PortalClient) -> None:
    first = register_body()
    await outcome_of(portal, "register_candidacy", first)
    again = register_body(pupil=first["pupil"], origin_opinion="reserve", origin_comment="Projet encore flou.")

    event = await outcome_of(portal, "register_candidacy", again)

    assert event["_routing_key"] == "enrollment.candidacy_registered"
    assert event["origin_opinion"] == "reserve"
    assert event["revision"] == 2


async def test_r9_the_origin_opinion_is_locked_once_the_interview_took_place(
    portal: PortalClient, clock: Clock
) -> None:
    body = register_body()
    await outcome_of(portal, "register_candidacy", body)
    # The scheduling service's booking, as it publishes it, for an interview that already started.
    started = clock.at - timedelta(hours=1)
    booked = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": (started - timedelta(days=6)).isoformat(),
        "campaign": "2013",
        "causation_id": None,
        "interview_id": str(uuid.uuid4()),
        "ine": body["pupil"]["ine"],
        "domain_code": "hotellerie-restauration",
        "reception_uai": "0931584S",
        "starts_at": started.isoformat(),
        "ends_at": (started + timedelta(minutes=30)).isoformat(),
        "place": "Salle 12",
        "formation_codes": ["cap-cuisine"],
    }
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        events = await channel.get_exchange("passpro.events", ensure=False)
        await events.publish(
            aio_pika.Message(
                json.dumps(booked).encode(),
                message_id=booked["event_id"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id="passpro-admin",
            ),
            routing_key="scheduling.interview_booked",
        )
    await portal.wait_for(lambda e: e.get("event_id") == booked["event_id"])
    changed = register_body(pupil=body["pupil"], origin_opinion="assez_favorable")

    for _ in range(50):  # enrollment consumes the booking asynchronously: retry with fresh ids
        event = await outcome_of(portal, "register_candidacy", changed)
        if event["_routing_key"] == "enrollment.command_rejected":
            break
        changed = register_body(pupil=body["pupil"], origin_opinion=changed["origin_opinion"])
        changed["origin_comment"] = f"Essai {uuid.uuid4()}"

    assert event["reason"] == "opinion_locked"


@pytest.mark.parametrize(
    ("overrides", "reason", "field"),
    [
        ({"pupil": {"ine": "12345"}}, "invalid_ine", "ine"),
        ({"origin_uai": "0930122D", "actor_uai": "0930122D"}, "invalid_uai", "origin_uai"),
        ({"actor_uai": "0930122D"}, "invalid_uai", "actor_uai"),
        ({"pupil": {"class_level": "2nde_gt"}}, "not_eligible", "pupil.class_level"),
        ({"pupil": {"class_level": "4eme"}}, "not_eligible", "pupil.class_level"),
        ({"formation_code": "bts-informatique"}, "unknown_formation", "formation_code"),
        ({"actor_uai": "0941918Z"}, "unauthorized", "actor_uai"),
        ({"origin_uai": "0750654D", "actor_uai": "0750654D"}, "unauthorized", "channel"),
        ({"campaign": "2012"}, "unknown_campaign", "campaign"),
    ],
)
async def test_each_bad_registration_gets_one_rejection_with_its_reason(
    portal: PortalClient, overrides: dict, reason: str, field: str
) -> None:
    body = register_body(**overrides)

    event = await rejection_of(portal, body)

    assert event["reason"] == reason
    assert event["message"]
    assert field in [e["field"] for e in event["errors"]]
    assert body["origin_comment"] not in json.dumps(event)


async def test_r12_a_school_outside_the_academie_registers_through_the_saio_form(portal: PortalClient) -> None:
    body = register_body(
        origin_uai="0750654D",
        actor_uai="0750654D",
        channel="saio_form",
        origin_mailbox="secretariat.college-paris@example.org",
    )

    event = await outcome_of(portal, "register_candidacy", body)

    assert event["_routing_key"] == "enrollment.candidacy_registered"
    assert event["channel"] == "saio_form"


async def test_r12_a_pupil_registered_by_one_school_cannot_be_registered_by_another(portal: PortalClient) -> None:
    first = register_body()
    await outcome_of(portal, "register_candidacy", first)
    other = register_body(pupil=first["pupil"], origin_uai="0771234Y", actor_uai="0771234Y")

    event = await rejection_of(portal, other)

    assert event["reason"] == "unauthorized"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b["pupil"].update(birth_date=12), id="wrong-type"),
        pytest.param(lambda b: b.update(favourite_colour="bleu"), id="unknown-field"),
        pytest.param(lambda b: b.pop("origin_comment"), id="missing-comment"),
        pytest.param(lambda b: b.update(origin_comment="   "), id="blank-comment"),
        pytest.param(lambda b: b.update(origin_opinion="tres_favorable"), id="not-an-origin-opinion"),
        pytest.param(lambda b: b["referent"].update(email="pas-une-adresse"), id="bad-email"),
        # Under the broker's max_message_size (512 KB), which refuses bigger ones before any service sees them.
        pytest.param(lambda b: b.update(origin_comment="x" * 400_000), id="400KB-comment"),
    ],
)
async def test_a_malformed_registration_is_rejected_as_invalid_naming_the_fields(portal: PortalClient, mutate) -> None:
    body = register_body()
    mutate(body)

    event = await rejection_of(portal, body)

    assert event["reason"] == "invalid"
    assert event["errors"] and all(e["field"] for e in event["errors"])


async def test_an_unreadable_message_is_answered_parked_with_its_reason_and_does_not_block(
    portal: PortalClient,
) -> None:
    message_id = await portal.send("register_candidacy", b"\xff\xfe not json at all")
    after = register_body()
    await portal.send("register_candidacy", after)

    rejection = await portal.outcome(message_id)
    accepted = await portal.outcome(after["command_id"])

    assert rejection["reason"] == "invalid" and rejection["command_id"] == message_id
    assert accepted["_routing_key"] == "enrollment.candidacy_registered"
    parked = await _find_parked("enrollment.commands.parking", message_id)
    assert parked.headers["x-passpro-reason"]
    assert parked.body == b"\xff\xfe not json at all"


async def _find_parked(queue_name: str, message_id: str) -> aio_pika.abc.AbstractIncomingMessage:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=False)
        for _ in range(100):
            message = await queue.get(no_ack=False, fail=False, timeout=5)
            if message is None:
                break
            if message.headers.get("x-passpro-message-id") == message_id:
                await message.reject(requeue=True)
                return message
            await message.reject(requeue=True)
    raise AssertionError(f"{message_id} not parked in {queue_name}")


async def test_r10_withdrawing_a_candidacy_says_how_many_remain_in_the_domain(portal: PortalClient) -> None:
    ine = new_ine()
    for code in ("cap-cuisine", "cap-patissier"):
        await outcome_of(portal, "register_candidacy", register_body(pupil={"ine": ine}, formation_code=code))
    withdraw = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": "0930122C",
        "ine": ine,
        "formation_code": "cap-cuisine",
        "reason": "a choisi une autre voie",
    }

    event = await outcome_of(portal, "withdraw_candidacy", withdraw)

    assert event["_routing_key"] == "enrollment.candidacy_withdrawn"
    assert event["domain_code"] == "hotellerie-restauration"
    assert event["remaining_in_domain"] == 1


@pytest.mark.parametrize(
    ("actor", "formation", "reason"),
    [
        ("0930122C", "cap-patissier", "unknown_candidacy"),
        ("0941918Z", "cap-cuisine", "unauthorized"),
        ("0930122C", "inconnue", "unknown_formation"),
        ("0930122D", "cap-cuisine", "invalid_uai"),
    ],
)
async def test_each_bad_withdrawal_gets_one_rejection(
    portal: PortalClient, actor: str, formation: str, reason: str
) -> None:
    body = register_body()
    await outcome_of(portal, "register_candidacy", body)
    withdraw = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": actor,
        "ine": body["pupil"]["ine"],
        "formation_code": formation,
    }

    event = await rejection_of(portal, withdraw, "withdraw_candidacy")

    assert event["reason"] == reason


async def test_a_withdrawn_candidacy_cannot_be_withdrawn_twice(portal: PortalClient) -> None:
    body = register_body()
    await outcome_of(portal, "register_candidacy", body)
    withdraw = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": "0930122C",
        "ine": body["pupil"]["ine"],
        "formation_code": "cap-cuisine",
    }
    await outcome_of(portal, "withdraw_candidacy", withdraw)

    event = await rejection_of(portal, {**withdraw, "command_id": str(uuid.uuid4())}, "withdraw_candidacy")

    assert event["reason"] == "unknown_candidacy"


async def test_the_clock_never_moves_backwards(portal: PortalClient, clock: Clock) -> None:
    body = {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": "0941918Z",
        "to": "2013-01-01T00:00:00+01:00",
    }

    await portal.send("advance_clock", body)
    event = await portal.wait_for(
        lambda e: e["_routing_key"] == "enrollment.clock_advanced" and e["causation_id"] == body["command_id"]
    )

    assert datetime.fromisoformat(event["to"]) >= clock.at
