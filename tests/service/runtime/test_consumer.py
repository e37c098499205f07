"""The shared consumer against a real PostgreSQL and real AMQP deliveries: inbox, outbox, rejections, clock."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractIncomingMessage

from contracts import routing
from contracts.base import Event
from contracts.campaign import load_campaign
from contracts.commands import WithdrawCandidacy
from contracts.events import CandidacyWithdrawn
from services.runtime.consumer import Consumer
from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.runtime.relay import OutboxRelay
from services.runtime.service import Context, Rejected, Service, Together
from tests.conftest import ADMIN_URL, TEST_DATABASE_URL

SQL = Path(__file__).parent / "sql"
CLOCK = datetime.fromisoformat("2013-02-12T09:00:00+01:00")


async def withdraw(cmd: WithdrawCandidacy, ctx: Context) -> Sequence[Event]:
    """A stand-in use case: writes a row, then refuses some commands after writing."""
    await ctx.conn.execute("INSERT INTO effects (ine) VALUES ($1)", cmd.ine)
    if cmd.reason == "refuse after writing":
        raise Rejected("unknown_candidacy", "Aucune candidature active.", [("ine", "unknown")])
    if cmd.reason == "crash":
        raise RuntimeError("database went away")
    return [withdrawn(cmd, ctx)]


def withdrawn(cmd: WithdrawCandidacy, ctx: Context) -> CandidacyWithdrawn:
    return ctx.event(
        CandidacyWithdrawn,
        ine=cmd.ine,
        formation_code=cmd.formation_code,
        domain_code="d",
        origin_uai=cmd.actor_uai,
        reason=cmd.reason,
        remaining_in_domain=0,
    )


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    streams = {"runtime": RUNTIME_SQL / "migrations", "probe": SQL / "migrations"}
    await migrate(TEST_DATABASE_URL, name, streams)
    yield name
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    await conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    await conn.close()


@pytest.fixture
async def pool(schema: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(TEST_DATABASE_URL, schema, 4)
    yield pool
    await pool.close()


async def purge(conn: asyncpg.Connection, campaign: str) -> int:
    """A stand-in purge: the rows the use case wrote are the campaign's personal data."""
    return int(await conn.fetchval("WITH gone AS (DELETE FROM effects RETURNING 1) SELECT count(*) FROM gone"))


def consumer(pool: asyncpg.Pool, *, virtual: bool = True) -> Consumer:
    service = Service(
        name="enrollment",
        sql_dir=SQL,
        commands={"withdraw_candidacy": withdraw},
        answers_broadcast_rejections=True,
        purge=purge,
    )
    queue = routing.QueueSpec(
        "enrollment.commands", "enrollment", routing.COMMANDS_EXCHANGE, ("withdraw_candidacy", routing.ADVANCE_CLOCK)
    )
    return Consumer(service=service, queue=queue, pool=pool, campaign=load_campaign(), virtual_clock=virtual)


async def delivery(
    routing_key: str, body: dict[str, Any] | bytes, *, user_id: str | None = None
) -> AbstractIncomingMessage:
    """A real delivery from the broker: published to a private queue and fetched back."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(None, exclusive=True)
        direct = await channel.get_exchange("amq.direct", ensure=False)
        await queue.bind(direct, routing_key)
        await direct.publish(
            aio_pika.Message(raw, message_id=str(uuid.uuid4()), headers={}, user_id=user_id), routing_key=routing_key
        )
        message = await queue.get(timeout=5)
        await message.ack()
    return message


def command(**fields: Any) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "campaign": "2013",
        "actor_uai": "0930122C",
        "ine": "1234567890A",
        "formation_code": "cap-cuisine",
        **fields,
    }


def advance_clock(to: str) -> dict[str, Any]:
    return {"command_id": str(uuid.uuid4()), "campaign": "2013", "actor_uai": "0941918Z", "to": to}


async def outbox(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT routing_key, body, exchange FROM outbox ORDER BY id")


async def effects(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM effects"))


async def test_a_redelivered_command_has_no_second_effect_and_no_second_event(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy", command())
    handler = consumer(pool)

    await handler.deliver(message)
    await handler.deliver(message)

    assert await effects(pool) == 1
    assert [r["routing_key"] for r in await outbox(pool)] == [
        "enrollment.candidacy_withdrawn",
        "0930122C.enrollment.candidacy_withdrawn",
    ]


async def test_a_rejection_undoes_what_the_handler_wrote_and_is_the_only_event(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy", command(reason="refuse after writing"))

    await consumer(pool).deliver(message)

    rows = await outbox(pool)
    assert await effects(pool) == 0
    # Once on passpro.events, and once for the school that sent it.
    assert [r["routing_key"] for r in rows] == ["enrollment.command_rejected", "0930122C.enrollment.command_rejected"]
    assert json.loads(rows[0]["body"])["reason"] == "unknown_candidacy"


async def test_a_failure_leaves_nothing_behind_so_the_redelivery_can_succeed(pool: asyncpg.Pool) -> None:
    body = command(reason="crash")
    message = await delivery("withdraw_candidacy", body)
    handler = consumer(pool)
    handler_pause = pytest.MonkeyPatch()
    handler_pause.setattr("services.runtime.consumer.MAX_RETRY_PAUSE", 0.0)

    with pytest.raises(RuntimeError):
        await handler.deliver(message)
    handler_pause.undo()

    assert await effects(pool) == 0
    assert await outbox(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_an_unreadable_command_is_answered_once_and_parked_each_time_it_comes(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy", b"{not json")
    handler = consumer(pool)

    await handler.deliver(message)
    await handler.deliver(message)  # redelivered, or replayed by an operator and still unreadable: never dropped

    rows = await outbox(pool)
    assert [(r["exchange"], r["routing_key"]) for r in rows] == [
        ("passpro.events", "enrollment.command_rejected"),
        ("passpro.parking", "enrollment.commands.parking"),
        ("passpro.parking", "enrollment.commands.parking"),
    ]
    assert bytes(rows[1]["body"]) == bytes(rows[2]["body"]) == b"{not json"


async def test_the_wall_clock_cannot_be_advanced(pool: asyncpg.Pool) -> None:
    message = await delivery("advance_clock", advance_clock("2013-03-01T08:00:00+01:00"))

    await consumer(pool, virtual=False).deliver(message)

    body = json.loads((await outbox(pool))[0]["body"])
    assert body["reason"] == "clock_not_virtual"


async def test_the_virtual_clock_moves_forward_and_never_back(pool: asyncpg.Pool) -> None:
    handler = consumer(pool)
    await pool.execute("INSERT INTO clock (base) VALUES ($1)", CLOCK)

    await handler.deliver(await delivery("advance_clock", advance_clock("2013-03-01T08:00:00+01:00")))
    await handler.deliver(await delivery("advance_clock", advance_clock("2013-02-01T08:00:00+01:00")))

    moves = [json.loads(r["body"])["to"] for r in await outbox(pool)]
    assert datetime.fromisoformat(moves[0]) == datetime.fromisoformat("2013-03-01T08:00:00+01:00")
    assert datetime.fromisoformat(moves[1]) >= datetime.fromisoformat(moves[0])


async def test_migrations_apply_once(schema: str) -> None:
    streams = {"runtime": RUNTIME_SQL / "migrations", "probe": SQL / "migrations"}

    assert await migrate(TEST_DATABASE_URL, schema, streams) == []


async def test_the_relay_publishes_with_confirms_then_forgets(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy", command())
    await consumer(pool).deliver(message)
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        events = await channel.get_exchange(routing.EVENTS_EXCHANGE, ensure=False)
        listener = await channel.declare_queue(None, exclusive=True)
        await listener.bind(events, "enrollment.candidacy_withdrawn")
        relay = OutboxRelay(pool, ADMIN_URL, app_id="test")
        await relay.start()
        try:
            received = None
            for _ in range(50):
                received = await listener.get(fail=False, timeout=5)
                if received is not None:
                    break
                relay.notify()
                await _pause()
        finally:
            await relay.stop()

    assert received is not None and received.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert await outbox(pool) == []


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)


async def test_a_command_parked_because_it_was_not_handled_yet_is_handled_when_replayed(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy", command())
    older = consumer(pool)
    older.handlers = {}  # a version of the service that does not carry this command out yet

    await older.deliver(message)
    await consumer(pool).deliver(message)

    assert [(r["exchange"], r["routing_key"]) for r in await outbox(pool)] == [
        ("passpro.parking", "enrollment.commands.parking"),
        ("passpro.events", "enrollment.candidacy_withdrawn"),
        ("passpro.schools", "0930122C.enrollment.candidacy_withdrawn"),
    ]
    assert await effects(pool) == 1


async def test_r12_a_command_whose_key_names_another_school_than_its_actor_is_unauthorized(pool: asyncpg.Pool) -> None:
    message = await delivery("withdraw_candidacy.0941918Z", command())

    await consumer(pool).deliver(message)

    rows = await outbox(pool)
    assert [(r["exchange"], r["routing_key"]) for r in rows] == [
        ("passpro.events", "enrollment.command_rejected"),
        ("passpro.schools", "0941918Z.enrollment.command_rejected"),
    ]
    rejection = json.loads(bytes(rows[0]["body"]))
    assert (rejection["reason"], rejection["command"], rejection["errors"][0]["field"]) == (
        "unauthorized",
        "withdraw_candidacy",
        "actor_uai",
    )
    assert bytes(rows[1]["body"]) == bytes(rows[0]["body"])
    assert await effects(pool) == 0


async def test_r12_a_command_whose_key_names_its_actor_is_carried_out_and_copied_to_that_school(
    pool: asyncpg.Pool,
) -> None:
    body = command()
    await consumer(pool).deliver(await delivery("withdraw_candidacy.0930122C", body))

    rows = await outbox(pool)
    assert [(r["exchange"], r["routing_key"]) for r in rows] == [
        ("passpro.events", "enrollment.candidacy_withdrawn"),
        ("passpro.schools", "0930122C.enrollment.candidacy_withdrawn"),
    ]
    assert json.loads(bytes(rows[0]["body"]))["causation_id"] == body["command_id"]
    assert bytes(rows[1]["body"]) == bytes(rows[0]["body"]) and await effects(pool) == 1


async def test_an_event_whose_account_is_not_its_routing_keys_service_is_parked_with_its_reason(
    pool: asyncpg.Pool,
) -> None:
    async def booked(event: Any, ctx: Context) -> Sequence[Event]:
        raise AssertionError("a forged event must not be handled")

    service = Service(name="enrollment", sql_dir=SQL, events={"scheduling.interview_booked": booked})
    queue = routing.QueueSpec(
        "enrollment.events", "enrollment", routing.EVENTS_EXCHANGE, ("scheduling.interview_booked",)
    )
    handler = Consumer(service=service, queue=queue, pool=pool, campaign=load_campaign(), virtual_clock=True)

    await handler.deliver(
        await delivery("scheduling.interview_booked", {"event_id": str(uuid.uuid4())}, user_id="passpro-admin")
    )
    await handler.deliver(await delivery("scheduling.interview_booked", {"event_id": str(uuid.uuid4())}))

    rows = await pool.fetch("SELECT exchange, routing_key, headers FROM outbox ORDER BY id")
    reasons = [json.loads(r["headers"])["x-passpro-reason"] for r in rows]
    assert {r["routing_key"] for r in rows} == {"enrollment.events.parking"}
    # The operators' account is trusted (it replays parked events); a message vouched for by nobody is not.
    assert reasons[0].startswith("invalid event")
    assert reasons[1].startswith(
        "forged event: published by the account None, but its routing key names the service 'scheduling'"
    )


OPERATORS = "passpro-admin"
"""The account the test connection uses, and the one the consumer trusts for operators' commands."""


def purge_campaign() -> dict[str, Any]:
    return {"command_id": str(uuid.uuid4()), "campaign": "2013", "actor_uai": "0941918Z"}


async def campaign_over(pool: asyncpg.Pool, handler: Consumer) -> None:
    """Moves the clock to the day after the campaign's last day, with one effect written before."""
    await pool.execute("INSERT INTO clock (base) VALUES ($1)", CLOCK)
    await handler.deliver(await delivery("withdraw_candidacy", command()))
    day_after = (load_campaign().calendar.last_day + timedelta(days=1)).isoformat()
    await handler.deliver(await delivery("advance_clock", advance_clock(f"{day_after}T00:00:00+02:00")))
    await handler.deliver(await delivery("advance_clock", advance_clock(f"{day_after}T12:00:00+02:00")))


async def rejections(pool: asyncpg.Pool) -> list[str]:
    return [
        json.loads(r["body"])["reason"] for r in await outbox(pool) if r["routing_key"] == "enrollment.command_rejected"
    ]


async def test_a_purge_not_vouched_for_by_the_broker_as_the_operators_is_refused(pool: asyncpg.Pool) -> None:
    handler = consumer(pool)
    await campaign_over(pool, handler)

    await handler.deliver(await delivery("purge_campaign", purge_campaign()))

    assert await rejections(pool) == ["unauthorized"]
    assert await effects(pool) == 1


async def test_a_purge_before_the_campaign_is_over_is_refused(pool: asyncpg.Pool) -> None:
    handler = consumer(pool)
    await pool.execute("INSERT INTO clock (base) VALUES ($1)", CLOCK)
    await handler.deliver(await delivery("withdraw_candidacy", command()))

    await handler.deliver(await delivery("purge_campaign", purge_campaign(), user_id=OPERATORS))

    assert await rejections(pool) == ["campaign_not_finished"]
    assert await effects(pool) == 1


async def test_the_operators_purge_of_a_finished_campaign_deletes_its_data_once(pool: asyncpg.Pool) -> None:
    handler = consumer(pool)
    await campaign_over(pool, handler)
    message = await delivery("purge_campaign", purge_campaign(), user_id=OPERATORS)

    await handler.deliver(message)
    await handler.deliver(message)

    purged = [json.loads(r["body"]) for r in await outbox(pool) if r["routing_key"] == "enrollment.campaign_purged"]
    assert await effects(pool) == 0
    # The effect row and what the runtime learnt of the pupil's school.
    assert [p["rows_deleted"] for p in purged] == [2]


async def _listening(channel: aio_pika.abc.AbstractChannel, key: str) -> aio_pika.abc.AbstractQueue:
    events = await channel.get_exchange(routing.EVENTS_EXCHANGE, ensure=False)
    listener = await channel.declare_queue(None, exclusive=True)
    await listener.bind(events, key)
    return listener


async def _until_outbox_empty(pool: asyncpg.Pool, seconds: float) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + seconds
    while await outbox(pool):
        assert time.monotonic() < deadline, "the outbox was not emptied in time"
        await asyncio.sleep(0.05)


async def _drain(listener: aio_pika.abc.AbstractQueue) -> list[AbstractIncomingMessage]:
    got = []
    while (message := await listener.get(fail=False, timeout=5)) is not None:
        got.append(message)
    return got


async def test_rows_handed_over_after_the_commit_are_published_without_reading_the_outbox(pool: asyncpg.Pool) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        listener = await _listening(await connection.channel(), "enrollment.candidacy_withdrawn")
        # Recovery far off and never notified: only the hand-off can publish the row.
        relay = OutboxRelay(pool, ADMIN_URL, app_id="test", recovery_seconds=3600)
        await relay.start()
        try:
            handler = consumer(pool)
            handler.hand_off = relay.submit
            await handler.deliver(await delivery("withdraw_candidacy", command()))
            await _until_outbox_empty(pool, 10)
        finally:
            await relay.stop()
        received = await _drain(listener)

    assert [m.routing_key for m in received] == ["enrollment.candidacy_withdrawn"]


async def test_a_process_killed_between_commit_and_hand_off_has_its_row_published_once_by_recovery(
    pool: asyncpg.Pool,
    schema: str,
) -> None:
    import asyncio
    import sys

    from tests.service.runtime.crash_after_commit import DIED

    body = command()
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        listener = await _listening(await connection.channel(), "enrollment.candidacy_withdrawn")
        crashed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.service.runtime.crash_after_commit", schema, json.dumps(body)
        )
        assert await asyncio.wait_for(crashed.wait(), 30) == DIED
        assert [r["routing_key"] for r in await outbox(pool)] == [
            "enrollment.candidacy_withdrawn",
            "0930122C.enrollment.candidacy_withdrawn",
        ]
        relay = OutboxRelay(pool, ADMIN_URL, app_id="test", recovery_seconds=0.2, recovery_grace=0.5)
        await relay.start()
        try:
            await _until_outbox_empty(pool, 10)
        finally:
            await relay.stop()
        received = await _drain(listener)

    assert [json.loads(m.body)["ine"] for m in received] == [body["ine"]]
    assert await effects(pool) == 1


def batching(pool: asyncpg.Pool) -> Consumer:
    handler = consumer(pool)
    handler.batches.size = 16
    return handler


async def _together(handler: Consumer, messages: list[AbstractIncomingMessage]) -> list[Any]:
    """Delivered as the broker does with a prefetch: all in flight at once, each in its own task."""
    import asyncio

    return list(await asyncio.gather(*(handler.deliver(m) for m in messages), return_exceptions=True))


async def _transactions(pool: asyncpg.Pool) -> int:
    """How many transactions wrote the inbox rows (one xmin per transaction)."""
    return int(await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM inbox"))


async def test_deliveries_that_arrive_together_are_committed_in_one_transaction(pool: asyncpg.Pool) -> None:
    messages = [await delivery("withdraw_candidacy", command(ine=f"12345678{i:02d}A")) for i in range(5)]

    await _together(batching(pool), messages)

    assert await effects(pool) == 5
    assert await _transactions(pool) == 1
    assert len([r for r in await outbox(pool) if r["exchange"] == routing.EVENTS_EXCHANGE]) == 5


async def test_a_refusal_in_a_batch_gets_its_single_answer_and_the_others_their_effects(pool: asyncpg.Pool) -> None:
    refused = command(reason="refuse after writing")
    messages = [
        await delivery("withdraw_candidacy", body)
        for body in (command(ine="1234567801A"), refused, command(ine="1234567802A"))
    ]

    await _together(batching(pool), messages)

    rows = [json.loads(r["body"]) for r in await outbox(pool) if r["exchange"] == routing.EVENTS_EXCHANGE]
    assert sorted(r.get("command_id", r.get("ine")) for r in rows) == sorted(
        [refused["command_id"], "1234567801A", "1234567802A"]
    )
    assert [r["reason"] for r in rows if "reason" in r and "command_id" in r] == ["unknown_candidacy"]
    assert await effects(pool) == 2


async def test_a_poison_message_in_a_batch_is_redelivered_alone_and_the_others_are_handled(
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("services.runtime.consumer.MAX_RETRY_PAUSE", 0.0)
    poison = await delivery("withdraw_candidacy", command(reason="crash"))
    good = [await delivery("withdraw_candidacy", command(ine=f"12345678{i:02d}A")) for i in range(3)]

    results = await _together(batching(pool), [good[0], poison, *good[1:]])

    assert [type(r).__name__ for r in results] == ["NoneType", "RuntimeError", "NoneType", "NoneType"]
    assert await effects(pool) == 3
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 3  # the poison one claims nothing: redelivered


async def test_a_whole_batch_redelivered_has_no_second_effect_and_no_second_event(pool: asyncpg.Pool) -> None:
    messages = [await delivery("withdraw_candidacy", command(ine=f"12345678{i:02d}A")) for i in range(4)]
    handler = batching(pool)
    await _together(handler, messages)
    first = await outbox(pool)

    await _together(handler, messages)

    assert await effects(pool) == 4
    assert await outbox(pool) == first


SETS: list[list[str]] = []
"""The pupils of each set the set-based stand-in handled, in order."""


async def withdraw_all(commands: Sequence[tuple[WithdrawCandidacy, Context]]) -> list[Sequence[Event]]:
    """A set-based stand-in: one statement for the whole set, and each command's events, in order."""
    SETS.append([cmd.ine for cmd, _ in commands])
    _, first = commands[0]
    await first.conn.execute("INSERT INTO effects (ine) SELECT unnest($1::text[])", [cmd.ine for cmd, _ in commands])
    if any(cmd.reason == "refuse after writing" for cmd, _ in commands):
        raise Rejected("unknown_candidacy", "Aucune candidature active.", [("ine", "unknown")])
    return [[withdrawn(cmd, ctx)] for cmd, ctx in commands]


def set_based(pool: asyncpg.Pool) -> Consumer:
    """Deliveries of ``withdraw_candidacy`` in a batch handled as sets of distinct pupils; alone, one by one."""
    handler = batching(pool)
    handler.service = Service(
        name="enrollment",
        sql_dir=SQL,
        commands={"withdraw_candidacy": withdraw},
        together={"withdraw_candidacy": Together(withdraw_all, subject=lambda cmd: cmd.ine)},
        answers_broadcast_rejections=True,
        purge=purge,
    )
    SETS.clear()
    return handler


async def test_a_batch_is_handled_as_sets_of_distinct_subjects_in_order_in_one_transaction(pool: asyncpg.Pool) -> None:
    pupils = ["1234567801A", "1234567802A", "1234567801A", "1234567803A"]
    messages = [await delivery("withdraw_candidacy", command(ine=ine)) for ine in pupils]

    await _together(set_based(pool), messages)

    assert SETS == [["1234567801A", "1234567802A"], ["1234567801A", "1234567803A"]]
    assert [r["ine"] for r in await pool.fetch("SELECT ine FROM effects ORDER BY n")] == pupils
    assert await _transactions(pool) == 1
    events = [json.loads(r["body"]) for r in await outbox(pool) if r["exchange"] == routing.EVENTS_EXCHANGE]
    assert [e["ine"] for e in events] == pupils
    causes = {str(uuid.UUID(e["causation_id"])) for e in events}
    assert causes == {json.loads(m.body)["command_id"] for m in messages}


async def test_a_refusal_in_a_set_gets_its_single_answer_and_the_others_their_effects(pool: asyncpg.Pool) -> None:
    refused = command(ine="1234567802A", reason="refuse after writing")
    bodies = [command(ine="1234567801A"), refused, command(ine="1234567803A")]
    messages = [await delivery("withdraw_candidacy", body) for body in bodies]

    await _together(set_based(pool), messages)

    rows = [json.loads(r["body"]) for r in await outbox(pool) if r["exchange"] == routing.EVENTS_EXCHANGE]
    assert sorted(r["ine"] for r in rows if "ine" in r) == ["1234567801A", "1234567803A"]
    assert [r["reason"] for r in rows if r.get("command_id") == refused["command_id"]] == ["unknown_candidacy"]
    assert sorted(r["ine"] for r in await pool.fetch("SELECT ine FROM effects")) == ["1234567801A", "1234567803A"]


async def _staggered(handler: Consumer, messages: list[AbstractIncomingMessage], gap: float) -> None:
    """Delivered one at a time, ``gap`` seconds apart, as a queue that keeps up receives them."""
    import asyncio

    tasks = []
    for message in messages:
        tasks.append(asyncio.create_task(handler.deliver(message)))
        await asyncio.sleep(gap)
    await asyncio.gather(*tasks)


@pytest.mark.parametrize(("linger", "fewest", "most"), [(0.0, 2, 4), (0.5, 1, 1)])
async def test_a_lingering_batch_gathers_deliveries_that_come_one_at_a_time(
    pool: asyncpg.Pool, linger: float, fewest: int, most: int
) -> None:
    messages = [await delivery("withdraw_candidacy", command(ine=f"12345678{i:02d}A")) for i in range(4)]
    handler = batching(pool)
    handler.batches.linger = linger

    await _staggered(handler, messages, 0.05)

    assert fewest <= await _transactions(pool) <= most
    assert await effects(pool) == 4
