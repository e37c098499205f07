"""A round of mails reads its pupils, interviews and candidacies at once (``RoundRepository``); each read must answer
exactly as the single read of ``NotificationsRepository`` does (R19, R20: names, formations still applied for, the
calendar sequence), on a real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from contracts.campaign import load_campaign
from services.notifications.repository import SQL_DIR, LeasedMail, NotificationsRepository, RoundRepository
from tests.service.outside import migrated_pool

CAMPAIGN = load_campaign().campaign
START = datetime(2013, 3, 5, 8, 0, tzinfo=UTC)
PUPILS = ("0168000181F", "0268000182G", "0368000183H")


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool("notifications", SQL_DIR) as pool:
        yield pool


async def a_campaign(repo: NotificationsRepository) -> list[uuid.UUID]:
    """Three pupils: two domains for the first (one interview cancelled and booked again), a withdrawn formation
    for the second, no interview for the third; returns the interviews."""
    interviews = []
    for n, ine in enumerate(PUPILS):
        await repo.save_pupil(
            ine=ine,
            first_name=f"Prénom {n}",
            last_name=f"Nom {n}",
            origin_uai="0931500A",
            referent_email=f"referent{n}@ac-creteil.fr",
            referent_name=f"Mme Durand {n}",
            revision=1,
            origin_mailbox=None if n else "secretariat@college-jaures.fr",
        )
        for formation, domain in (("cap-cuisine", "hotellerie"), ("bac-pro-crsr", "hotellerie"), ("cap-ebe", "bois")):
            await repo.save_candidacy(ine, formation, domain, "favorable", "")
    await repo.withdraw_candidacy(PUPILS[1], "bac-pro-crsr")
    for ine, domain, cancelled in (
        (0, "hotellerie", True),
        (0, "hotellerie", False),
        (0, "bois", False),
        (1, "hotellerie", False),
    ):
        interview_id = uuid.uuid4()
        await repo.save_interview(
            interview_id=interview_id,
            ine=PUPILS[ine],
            domain_code=domain,
            reception_uai="0940115P",
            place="Salle B2",
            starts_at=START + timedelta(days=len(interviews)),
            ends_at=START + timedelta(days=len(interviews), minutes=30),
            formation_codes=["cap-cuisine"] if domain == "hotellerie" else ["cap-ebe"],
        )
        if cancelled:
            await repo.cancel_interview(interview_id, "slots_cancelled")
        interviews.append(interview_id)
    return interviews


def leased(ine: str, interview_id: uuid.UUID | None) -> LeasedMail:
    return LeasedMail(
        f"convocation:{interview_id}",
        CAMPAIGN,
        "convocation",
        ine,
        interview_id,
        None,
        None,
        0,
        None,
        0,
        None,
        uuid.uuid4(),
    )


async def test_r19_r20_a_round_reads_what_each_mail_would_have_read_alone(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        single = NotificationsRepository(conn, CAMPAIGN)
        interviews = await a_campaign(single)
        round_ = RoundRepository(conn, CAMPAIGN)
        mails = [leased(PUPILS[0], interviews[1]), leased(PUPILS[1], interviews[3]), leased(PUPILS[2], None)]
        await round_.read_round(mails)

        for ine in (*PUPILS, "0468000184J"):  # the last one: no such pupil
            assert await round_.get_pupil(ine) == await single.get_pupil(ine)
            for domain in ("hotellerie", "bois", "sante"):
                assert await round_.domain_candidacies(ine, domain) == await single.domain_candidacies(ine, domain)
                for interview_id in interviews:
                    assert await round_.interview_sequence(
                        ine, domain, interview_id
                    ) == await single.interview_sequence(ine, domain, interview_id)
        for interview_id in (*interviews, uuid.uuid4()):
            assert await round_.get_interview(interview_id) == await single.get_interview(interview_id)


async def test_r19_a_round_reads_three_statements_whatever_its_size(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        interviews = await a_campaign(NotificationsRepository(conn, CAMPAIGN))
        round_ = RoundRepository(conn, CAMPAIGN)
        mails = [leased(PUPILS[0], interviews[1]), leased(PUPILS[0], interviews[2]), leased(PUPILS[1], interviews[3])]
        statements: list[str] = []
        conn.add_query_logger(lambda record: statements.append(record.query))
        await round_.read_round(mails)
        for mail in mails:
            assert mail.ine is not None and mail.interview_id is not None
            interview = await round_.get_interview(mail.interview_id)
            assert interview is not None
            await round_.get_pupil(mail.ine)
            await round_.domain_candidacies(mail.ine, interview.domain_code)
            await round_.interview_sequence(mail.ine, interview.domain_code, mail.interview_id)
    assert len(statements) == 3
