"""The bonus sender against the Affelnet stand-in and a real database (R30): fenced leases, 409 as the first answer
and a time-out after Affelnet applied the bonus each delivered once, 500/503 retried, 400/422 parked and replayed.

The stand-in (harness/affelnet_receiver.py) records a new Idempotency-Key and answers 201, a known one 409; the
500, 503, 422 and slow answers are scripted there per key: they exercise how the sender reads Affelnet's answers,
they are not fault injections.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY

from contracts.campaign import load_campaign
from harness.affelnet_receiver import AffelnetReceiver, Scripted, serve
from services.affelnet_export import admin, domain
from services.affelnet_export.repository import SQL_DIR, ExportRepository
from services.affelnet_export.sender import deliver_due
from tests.service.outside import free_port, migrated_pool, run_out_lease, worker_context

CAMPAIGN = load_campaign()
TOKEN = "affelnet-test"
FORMATION = CAMPAIGN.formations[0].code


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool("affelnet_export", SQL_DIR) as pool:
        yield pool


@pytest.fixture
async def affelnet() -> AsyncIterator[tuple[AffelnetReceiver, str]]:
    receiver, port = AffelnetReceiver(TOKEN), free_port()
    server, task = await serve(receiver, port)
    yield receiver, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def bonus(pool: asyncpg.Pool) -> tuple[str, str]:
    """A due bonus; returns its INE and Idempotency-Key."""
    ine = f"{uuid.uuid4().int % 10**10:010d}A"
    key = domain.idempotency_key(CAMPAIGN.campaign, ine, FORMATION)
    async with pool.acquire() as conn:
        await ExportRepository(conn, CAMPAIGN.campaign).create_bonus(ine, FORMATION, "favorable", 30, key, None)
    return ine, key


async def deliver(pool: asyncpg.Pool, url: str, timeout: float = 10.0) -> int:
    async with httpx.AsyncClient(
        base_url=url, timeout=httpx.Timeout(timeout), headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        return await deliver_due(worker_context(pool, CAMPAIGN, "affelnet_export"), client, 4)


async def state(pool: asyncpg.Pool, ine: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT state, attempts, last_status, extract(epoch FROM next_attempt_at - clock_timestamp()) AS wait_s"
        " FROM bonuses WHERE ine = $1",
        ine,
    )
    assert row is not None
    return row


async def exported(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'affelnet_export.bonus_exported'"))


async def make_due(pool: asyncpg.Pool, ine: str) -> None:
    """The back-off has elapsed."""
    await pool.execute("UPDATE bonuses SET next_attempt_at = clock_timestamp() WHERE ine = $1", ine)


def lease_lost(result: str) -> float:
    return REGISTRY.get_sample_value("passpro_lease_lost_total", {"work": "bonus", "result": result}) or 0.0


async def test_r30_a_late_answer_to_a_lease_taken_over_is_refused_by_the_fence(
    pool: asyncpg.Pool, affelnet: tuple[AffelnetReceiver, str]
) -> None:
    receiver, url = affelnet
    ine, key = await bonus(pool)
    lost_before = lease_lost("delivered")
    receiver.answer(key, Scripted(201, delay=1.5))  # the first sender's request is slow to be answered
    first = asyncio.create_task(deliver(pool, url))
    async with asyncio.timeout(10):
        while receiver.attempts[key] == 0:
            await asyncio.sleep(0.01)

    await run_out_lease(pool, "bonuses")
    await deliver(pool, url)
    after_second = await state(pool, ine)
    await asyncio.wait_for(first, 10)

    assert (after_second["state"], after_second["attempts"], after_second["last_status"]) == ("delivered", 1, 201)
    final = await state(pool, ine)
    assert (final["state"], final["attempts"], final["last_status"]) == ("delivered", 1, 201)
    assert lease_lost("delivered") == lost_before + 1  # the first sender's 409 was not recorded
    assert receiver.attempts[key] == 2 and list(receiver.accepted) == [key]
    assert await exported(pool) == 1


async def test_r30_a_409_as_the_first_answer_counts_as_delivered_once(
    pool: asyncpg.Pool, affelnet: tuple[AffelnetReceiver, str]
) -> None:
    receiver, url = affelnet
    ine, key = await bonus(pool)
    receiver.accepted[key] = {"already": "applied under this key"}

    await deliver(pool, url)

    assert tuple((await state(pool, ine))[:3]) == ("delivered", 1, 409)
    assert receiver.attempts[key] == 1 and await exported(pool) == 1


async def test_r30_a_time_out_after_affelnet_applied_the_bonus_is_retried_under_the_same_key_and_counted_once(
    pool: asyncpg.Pool, affelnet: tuple[AffelnetReceiver, str]
) -> None:
    receiver, url = affelnet
    ine, key = await bonus(pool)
    receiver.answer(key, Scripted(201, delay=1.0, applied_first=True))  # applied, answered after the sender gave up

    await deliver(pool, url, timeout=0.3)
    timed_out = await state(pool, ine)
    await make_due(pool, ine)
    await deliver(pool, url, timeout=0.3)

    assert (timed_out["state"], timed_out["attempts"], timed_out["last_status"]) == ("pending", 1, None)
    assert tuple((await state(pool, ine))[:3]) == ("delivered", 2, 409)
    assert receiver.attempts[key] == 2 and list(receiver.accepted) == [key]
    assert await exported(pool) == 1


async def test_r30_500_and_503_are_retried_with_a_growing_back_off_then_delivered(
    pool: asyncpg.Pool, affelnet: tuple[AffelnetReceiver, str]
) -> None:
    receiver, url = affelnet
    ine, key = await bonus(pool)
    receiver.answer(key, Scripted(500), Scripted(503))

    await deliver(pool, url)
    first = await state(pool, ine)
    await make_due(pool, ine)
    await deliver(pool, url)
    second = await state(pool, ine)
    await make_due(pool, ine)
    await deliver(pool, url)

    assert (first["state"], first["last_status"]) == ("pending", 500) and 0.9 <= first["wait_s"] <= 2.0
    assert (second["state"], second["last_status"]) == ("pending", 503) and 1.9 <= second["wait_s"] <= 4.0
    assert tuple((await state(pool, ine))[:3]) == ("delivered", 3, 201)
    assert await exported(pool) == 1


@pytest.mark.parametrize("status", [400, 422])
async def test_r30_a_permanent_refusal_is_parked_visibly_and_replayed_after_the_fix(
    pool: asyncpg.Pool, affelnet: tuple[AffelnetReceiver, str], status: int
) -> None:
    receiver, url = affelnet
    ine, key = await bonus(pool)
    receiver.answer(key, Scripted(status))

    await deliver(pool, url)
    parked = await state(pool, ine)
    await make_due(pool, ine)
    again = await deliver(pool, url)
    async with pool.acquire() as conn:
        listed = await admin.parked_view(conn, CAMPAIGN, None, {})  # type: ignore[arg-type]
        [shown] = [b for b in listed["bonuses"] if b["formation_code"] == FORMATION]
        replayed = await admin.replay_bonus(conn, CAMPAIGN, None, {"id": shown["id"]})  # type: ignore[arg-type]
    await deliver(pool, url)

    assert (parked["state"], parked["last_status"]) == ("parked", status) and again == 0
    assert shown["ine"] == "********" + ine[-3:] and ine not in str(listed) and shown["status"] == status
    assert replayed == {"replayed": 1}
    assert tuple((await state(pool, ine))[:3]) == ("delivered", 2, 201)
    assert receiver.attempts[key] == 2 and await exported(pool) == 1
