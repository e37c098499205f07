"""A convocation whose sender died while sending it may have reached the family (R10, R19): if it is dropped at its
next lease because the interview was cancelled meanwhile, the cancellation must still go. On a real database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from contracts.campaign import load_campaign
from services.notifications import domain
from services.notifications.domain import MailKind
from services.notifications.repository import SQL_DIR, NotificationsRepository
from tests.service.outside import migrated_pool

CAMPAIGN = load_campaign().campaign
INE = "0168000181F"


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool("notifications", SQL_DIR) as pool:
        yield pool


async def convocation(repo: NotificationsRepository) -> str:
    interview_id = uuid.uuid4()
    key = domain.convocation_key(interview_id)
    await repo.request_mail(key, MailKind.CONVOCATION, ine=INE, interview_id=interview_id, domain_code="bois")
    return key


async def test_r10_a_convocation_dropped_after_its_sender_s_lease_ran_out_may_have_gone(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        repo = NotificationsRepository(conn, CAMPAIGN)
        key = await convocation(repo)
        (first,) = await repo.claim_due(1, lease_seconds=0)  # the sender dies holding it: its lease runs out at once
        await asyncio.sleep(0.01)
        (second,) = await repo.claim_due(1, lease_seconds=120)  # taken over; the interview is cancelled meanwhile
        assert (first.key, second.key) == (key, key)
        assert await repo.drop_leased(key, second.lease_token, "interview_cancelled")

        assert await repo.mail_went_out(key)


async def test_r10_a_convocation_dropped_at_its_first_lease_never_went(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        repo = NotificationsRepository(conn, CAMPAIGN)
        key = await convocation(repo)
        (leased,) = await repo.claim_due(1, lease_seconds=120)
        assert await repo.drop_leased(key, leased.lease_token, "interview_cancelled")

        assert not await repo.mail_went_out(key)
