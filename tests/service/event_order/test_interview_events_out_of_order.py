"""A cancellation delivered before the booking it cancels, through the real broker into each service that
consumes both, on the real database (R9, R10, R19, R21, R22): retry queues let a later event overtake one that
waits to be tried again, and no service may bring the cancelled interview back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.enrollment.app import SERVICE as ENROLLMENT
from services.notifications.app import SERVICE as NOTIFICATIONS
from services.opinions.app import SERVICE as OPINIONS
from services.runtime.consumer import Consumer
from tests.service.delivering import delivery, envelope, events_consumer, schema, service_pool

__all__ = ["schema"]  # the fixture

INE, DOMAIN, RECEPTION = "0168000181F", "personnes-territoires", "0940784S"
STARTS = datetime(2013, 3, 5, 8, 0, tzinfo=UTC)


def booked(interview_id: uuid.UUID) -> dict[str, Any]:
    return {
        **envelope(datetime(2013, 2, 12, 8, 3, 42, tzinfo=UTC)),
        "interview_id": str(interview_id),
        "ine": INE,
        "domain_code": DOMAIN,
        "reception_uai": RECEPTION,
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(minutes=30)).isoformat(),
        "place": "Salle des entretiens, bâtiment B",
        "formation_codes": ["2nde-pro-agri-service-personnes-territoires"],
    }


def cancelled(interview_id: uuid.UUID) -> dict[str, Any]:
    return {
        **envelope(datetime(2013, 2, 12, 8, 5, tzinfo=UTC)),
        "interview_id": str(interview_id),
        "ine": INE,
        "domain_code": DOMAIN,
        "reason": "candidacies_withdrawn",
    }


async def cancelled_then_booked(consumer: Consumer, interview_id: uuid.UUID) -> None:
    await consumer.deliver(await delivery("scheduling.interview_cancelled", cancelled(interview_id)))
    await consumer.deliver(await delivery("scheduling.interview_booked", booked(interview_id)))


async def test_r10_r19_notifications_mail_nothing_for_a_booking_whose_cancellation_came_first(schema: str) -> None:
    pool = await service_pool(schema, NOTIFICATIONS)
    interview_id = uuid.uuid4()
    try:
        await cancelled_then_booked(events_consumer(pool, NOTIFICATIONS), interview_id)

        row = await pool.fetchrow(
            "SELECT cancelled, reminder_due, cancel_reason FROM interviews WHERE interview_id = $1", interview_id
        )
        mails = await pool.fetch("SELECT key FROM mails WHERE interview_id = $1", interview_id)
    finally:
        await pool.close()
    assert dict(row) == {"cancelled": True, "reminder_due": False, "cancel_reason": "candidacies_withdrawn"}
    assert mails == []  # no convocation, no reminder, and no cancellation of an interview never announced


async def test_r19_notifications_still_convoke_for_a_booking_that_comes_first(schema: str) -> None:
    pool = await service_pool(schema, NOTIFICATIONS)
    interview_id = uuid.uuid4()
    try:
        await events_consumer(pool, NOTIFICATIONS).deliver(
            await delivery("scheduling.interview_booked", booked(interview_id))
        )

        mails = await pool.fetch("SELECT key, state FROM mails WHERE interview_id = $1", interview_id)
    finally:
        await pool.close()
    assert [dict(m) for m in mails] == [{"key": f"convocation:{interview_id}", "state": "pending"}]


async def test_r10_r22_opinions_record_a_late_booking_of_a_cancelled_interview_as_cancelled(schema: str) -> None:
    pool = await service_pool(schema, OPINIONS)
    interview_id = uuid.uuid4()
    try:
        await cancelled_then_booked(events_consumer(pool, OPINIONS), interview_id)

        was_cancelled = await pool.fetchval("SELECT cancelled FROM interviews WHERE interview_id = $1", interview_id)
    finally:
        await pool.close()
    assert was_cancelled is True  # no report due, none chased as overdue


async def test_r9_r10_enrollment_keeps_a_cancelled_interview_cancelled_when_its_booking_comes_late(
    schema: str,
) -> None:
    pool = await service_pool(schema, ENROLLMENT)
    interview_id = uuid.uuid4()
    try:
        await cancelled_then_booked(events_consumer(pool, ENROLLMENT), interview_id)

        row = await pool.fetchrow("SELECT status, starts_at FROM interviews WHERE interview_id = $1", interview_id)
    finally:
        await pool.close()
    assert dict(row) == {"status": "cancelled", "starts_at": STARTS}


async def test_r19_r20b_notifications_convoke_no_one_to_an_interview_reported_before_its_booking_came(
    schema: str,
) -> None:
    pool = await service_pool(schema, NOTIFICATIONS)
    interview_id = uuid.uuid4()
    report = {
        **envelope(datetime(2013, 3, 6, 9, 0, tzinfo=UTC)),
        "interview_id": str(interview_id),
        "ine": INE,
        "domain_code": DOMAIN,
        "attended": False,
        "reception_uai": RECEPTION,
        "report": "",
    }
    try:
        consumer = events_consumer(pool, NOTIFICATIONS)
        await consumer.deliver(await delivery("opinions.interview_reported", report))
        await consumer.deliver(await delivery("scheduling.interview_booked", booked(interview_id)))

        row = await pool.fetchrow(
            "SELECT cancelled, reminder_due FROM interviews WHERE interview_id = $1", interview_id
        )
        mails = await pool.fetch("SELECT key FROM mails WHERE interview_id = $1", interview_id)
    finally:
        await pool.close()
    assert dict(row) == {"cancelled": False, "reminder_due": False}
    assert mails == []  # the pupil was absent: no recap either (R21)
