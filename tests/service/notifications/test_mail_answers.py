"""The mail sender against a real SMTP server and database (R19, R20b): fenced leases, permanent refusals parked and
replayed, transient ones retried with back-off, partly refused recipient lists recorded by role.

The server's refusals (550 at RCPT or MAIL FROM, 554 or 451 at DATA, a slow DATA) are answers scripted on a real
aiosmtpd server: they exercise how the sender reads each answer, they are not fault injections.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from contracts.campaign import load_campaign
from services.notifications import domain, refusals
from services.notifications.repository import SQL_DIR, NotificationsRepository
from services.notifications.sender import Mailer, send_due
from services.runtime.settings import ServiceSettings
from tests.service.outside import ScriptedSmtp, migrated_pool, run_out_lease, smtp_server, worker_context

CAMPAIGN = load_campaign()
DOMAIN = CAMPAIGN.domains[0]
FORMATION = next(f for f in CAMPAIGN.formations if f.domain == DOMAIN.code)
ORIGIN_UAI = "0930122C"
ORIGIN_BOX = "ce.0930122c@ac-creteil.fr"
"""The origin school is not in the directory: its mailbox is ce.<uai>@<mail domain> (the public interface)."""
STARTS = datetime(2013, 3, 12, 9, 0, tzinfo=CAMPAIGN.tz)


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool("notifications", SQL_DIR) as pool:
        yield pool


@pytest.fixture
def smtp() -> Iterator[tuple[ScriptedSmtp, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def smtputf8() -> Iterator[tuple[ScriptedSmtp, int]]:
    """A server that takes addresses that are not ASCII."""
    with smtp_server(smtputf8=True) as server:
        yield server


def settings(port: int) -> ServiceSettings:
    return ServiceSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        mail_domain="ac-creteil.fr",
        mail_from="passpro@ac-creteil.fr",
    )


async def convocation(pool: asyncpg.Pool, referent: str) -> str:
    """A booked interview whose convocation is asked for; returns the mail's key."""
    ine, interview_id = f"{uuid.uuid4().int % 10**10:010d}A", uuid.uuid4()
    async with pool.acquire() as conn:
        repo = NotificationsRepository(conn, CAMPAIGN.campaign)
        await repo.save_pupil(
            ine=ine,
            first_name="Inès",
            last_name="Lefèvre",
            origin_uai=ORIGIN_UAI,
            referent_email=referent,
            referent_name="Mme Durand",
            revision=1,
        )
        await repo.save_candidacy(ine, FORMATION.code, DOMAIN.code, "favorable", "Élève motivée.")
        await repo.save_interview(
            interview_id=interview_id,
            ine=ine,
            domain_code=DOMAIN.code,
            reception_uai=DOMAIN.reception_uais[0],
            place="Salle 12",
            starts_at=STARTS,
            ends_at=STARTS + timedelta(minutes=30),
            formation_codes=[FORMATION.code],
        )
        key = domain.convocation_key(interview_id)
        await repo.request_mail(
            key, "convocation", ine=ine, interview_id=interview_id, stamped_at=STARTS - timedelta(days=10)
        )
    return key


async def mail(pool: asyncpg.Pool, key: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT state, attempts, recipients, refusal, refused_roles, last_error,"
        " extract(epoch FROM next_attempt_at - clock_timestamp()) AS wait_s FROM mails WHERE key = $1",
        key,
    )
    assert row is not None
    return row


async def announced(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT body FROM outbox WHERE routing_key = 'notifications.convocation_sent'"))


def lease_lost(result: str) -> float:
    return REGISTRY.get_sample_value("passpro_lease_lost_total", {"work": "mail", "result": result}) or 0.0


async def send_round(pool: asyncpg.Pool, port: int) -> int:
    mailer = Mailer(settings(port))
    try:
        return await send_due(worker_context(pool, CAMPAIGN, "notifications"), settings(port), mailer)
    finally:
        await mailer.close()


async def make_due(pool: asyncpg.Pool, key: str) -> None:
    """The back-off has elapsed."""
    await pool.execute("UPDATE mails SET next_attempt_at = clock_timestamp() WHERE key = $1", key)


def referent() -> str:
    return f"referente.{uuid.uuid4().hex[:8]}@example.org"


async def test_r19_a_late_result_of_a_lease_taken_over_is_refused_by_the_fence(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    key = await convocation(pool, referent())
    lost_before = lease_lost("sent")
    server.held_data = 1  # the first sender's DATA is slow
    first = asyncio.create_task(send_round(pool, port))
    assert await asyncio.to_thread(server.holding.wait, 20), "the first sender never reached DATA"

    await run_out_lease(pool, "mails")
    second = await send_round(pool, port)
    after_second = await mail(pool, key)
    server.release.set()
    await asyncio.wait_for(first, 20)

    assert second == 1
    assert after_second["state"] == "sent" and after_second["attempts"] == 1
    final = await mail(pool, key)
    assert (final["state"], final["attempts"]) == ("sent", 1)  # the first sender's late result was not recorded
    assert len(await announced(pool)) == 1
    assert lease_lost("sent") == lost_before + 1
    # Both went out (the window a lease cannot close), with one Message-ID that mail systems recognise.
    assert len(server.received) == 2
    assert {m["Message-ID"].strip() for _, m in server.received} == {domain.message_id(key)}


async def test_r19_a_mail_every_recipient_refuses_with_550_is_parked_then_replayed_after_the_fix(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    wrong = referent()
    key = await convocation(pool, wrong)
    server.refuse = {wrong, ORIGIN_BOX}

    await send_round(pool, port)
    parked = await mail(pool, key)
    await make_due(pool, key)
    again = await send_round(pool, port)

    assert parked["state"] == "refused" and parked["attempts"] == 1
    assert "550" in parked["refusal"] and "@" not in parked["refusal"]
    assert "referent" in parked["refusal"] and "origin_school" in parked["refusal"]
    assert again == 0 and server.received == []  # no more attempts by itself
    async with pool.acquire() as conn:
        listed = await refusals.refusals_view(conn, CAMPAIGN, STARTS, {})
    shown = next(m for m in listed["mails"] if m["key"] == key)
    assert shown["state"] == "refused" and wrong not in str(listed) and ORIGIN_BOX not in str(listed)

    # The operator has the addresses corrected (the candidacy registered again through the SAIO form), then replays.
    fixed_referent, fixed_origin = referent(), "secretariat.college@example.org"
    ine = await pool.fetchval("SELECT ine FROM mails WHERE key = $1", key)
    async with pool.acquire() as conn:
        await NotificationsRepository(conn, CAMPAIGN.campaign).save_pupil(
            ine=ine,
            first_name="Inès",
            last_name="Lefèvre",
            origin_uai=ORIGIN_UAI,
            referent_email=fixed_referent,
            referent_name="Mme Durand",
            revision=2,
            origin_mailbox=fixed_origin,
        )
        replayed = await refusals.replay_refused(conn, CAMPAIGN, STARTS, {"key": key})
        unknown = await refusals.replay_refused(conn, CAMPAIGN, STARTS, {"key": "convocation:nothing"})
    await send_round(pool, port)

    assert (replayed, unknown) == ({"replayed": 1}, {"replayed": 0})
    sent = await mail(pool, key)
    assert sent["state"] == "sent" and sorted(sent["recipients"]) == sorted([fixed_origin, fixed_referent])
    assert [sorted(to) for to, _ in server.received] == [sorted([fixed_origin, fixed_referent])]
    assert len(await announced(pool)) == 1


@pytest.mark.parametrize(
    ("where", "answer"),
    [
        ("sender", "553 5.7.1 <passpro@ac-creteil.fr>: Sender address rejected"),
        ("data", "554 5.7.1 Message rejected as spam"),
    ],
)
async def test_r19_a_5xx_to_mail_from_or_data_parks_the_mail_with_its_code(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int], where: str, answer: str
) -> None:
    server, port = smtp
    key = await convocation(pool, referent())
    if where == "sender":
        server.sender_answer = answer
    else:
        server.data_answers.append(answer)

    await send_round(pool, port)

    parked = await mail(pool, key)
    assert parked["state"] == "refused" and parked["refusal"].startswith(answer[:3])
    assert "@" not in parked["refusal"] and server.received == []


async def test_r19_a_451_is_tried_again_with_a_growing_back_off_then_sent(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    key = await convocation(pool, referent())
    server.data_answers.extend(["451 4.3.0 Temporary local problem", "451 4.3.0 Temporary local problem"])

    await send_round(pool, port)
    first = await mail(pool, key)
    await make_due(pool, key)
    await send_round(pool, port)
    second = await mail(pool, key)
    await make_due(pool, key)
    await send_round(pool, port)
    third = await mail(pool, key)

    assert (first["state"], first["attempts"]) == ("pending", 1) and "451" in first["last_error"]
    assert 0.9 <= first["wait_s"] <= 2.0  # 2 s base, jittered down to half
    assert (second["state"], second["attempts"]) == ("pending", 2) and 1.9 <= second["wait_s"] <= 4.0
    assert (third["state"], third["attempts"]) == ("sent", 3) and len(server.received) == 1


async def test_r19_a_convocation_the_server_refuses_for_the_referent_only_is_sent_with_the_referent_recorded(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    wrong = referent()
    key = await convocation(pool, wrong)
    server.refuse = {wrong}

    await send_round(pool, port)

    sent = await mail(pool, key)
    assert sent["state"] == "sent" and sent["recipients"] == [ORIGIN_BOX]
    assert sent["refused_roles"] == ["referent"]
    assert sent["refusal"].startswith("referent: 550") and "@" not in sent["refusal"]
    assert [to for to, _ in server.received] == [[ORIGIN_BOX]]
    [event] = await announced(pool)
    assert wrong not in event["body"].decode() and ORIGIN_BOX in event["body"].decode()
    async with pool.acquire() as conn:
        listed = await refusals.refusals_view(conn, CAMPAIGN, STARTS, {})
    shown = next(m for m in listed["mails"] if m["key"] == key)
    assert (shown["state"], shown["refused_roles"]) == ("sent", ["referent"]) and wrong not in str(listed)


async def test_r19_a_convocation_of_an_interview_cancelled_while_leased_is_dropped_under_its_lease(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    key = await convocation(pool, referent())
    interview_id = await pool.fetchval("SELECT interview_id FROM mails WHERE key = $1", key)
    async with pool.acquire() as conn:
        await NotificationsRepository(conn, CAMPAIGN.campaign).cancel_interview(interview_id, "withdrawn")

    await send_round(pool, port)

    assert (await mail(pool, key))["state"] == "dropped" and server.received == []


async def test_r19_a_referent_address_that_is_not_ascii_goes_out_over_smtputf8(
    pool: asyncpg.Pool, smtputf8: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtputf8
    accented = f"élodie.{uuid.uuid4().hex[:8]}@exemple.fr"
    key = await convocation(pool, accented)

    await send_round(pool, port)

    sent = await mail(pool, key)
    assert sent["state"] == "sent" and sorted(sent["recipients"]) == sorted([ORIGIN_BOX, accented])
    [(envelope, received)] = server.received
    assert sorted(envelope) == sorted([ORIGIN_BOX, accented])
    assert accented in str(received["To"]) and received["Subject"] is not None


async def test_r19_an_address_a_server_without_smtputf8_cannot_take_parks_that_mail_only(
    pool: asyncpg.Pool, smtp: tuple[ScriptedSmtp, int]
) -> None:
    server, port = smtp
    accented, plain = f"élodie.{uuid.uuid4().hex[:8]}@exemple.fr", referent()
    unwritable = await convocation(pool, accented)
    written = await convocation(pool, plain)

    await send_round(pool, port)

    parked, sent = await mail(pool, unwritable), await mail(pool, written)
    assert (parked["state"], parked["attempts"]) == ("refused", 1)
    assert parked["refusal"] == "the mail server takes no address that is not ASCII (no SMTPUTF8): referent"
    assert sent["state"] == "sent" and [sorted(to) for to, _ in server.received] == [sorted([ORIGIN_BOX, plain])]
