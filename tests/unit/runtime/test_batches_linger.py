"""A lingering batch never leaves a delivery waiting: one that arrives just after the last flusher looked at what
waits starts a new flusher (the batch's transaction is stood in for; no database here)."""

from __future__ import annotations

import asyncio

from services.runtime.batches import Batches, Delivery

HANDLED: list[list[str]] = []


async def alone(d: Delivery) -> str:
    HANDLED.append([d.inbox_key])
    return "handled"


async def together(batch: list[Delivery]) -> list[str]:
    HANDLED.append([d.inbox_key for d in batch])
    return ["handled"] * len(batch)


def delivery(key: str) -> Delivery:
    return Delivery(key, "c", None, "withdraw_candidacy", {}, None, key, None)  # type: ignore[arg-type]


async def test_a_delivery_arriving_right_after_the_last_flusher_looked_is_handled() -> None:
    HANDLED.clear()
    batches = Batches("q", 16, alone=alone, together=together, linger=0.01)

    assert await batches.handle(delivery("first")) == "handled"
    # The first delivery's answer comes before its flusher's end is told to the loop: this one comes in between
    # (awaited inline, in the same turn of the loop).
    async with asyncio.timeout(2):
        second = await batches.handle(delivery("second"))

    assert second == "handled" and HANDLED == [["first"], ["second"]]


async def test_deliveries_arriving_while_a_batch_lingers_join_it() -> None:
    HANDLED.clear()
    batches = Batches("q", 16, alone=alone, together=together, linger=0.05)

    async def later(key: str, after: float) -> str:
        await asyncio.sleep(after)
        return await batches.handle(delivery(key))

    outcomes = await asyncio.gather(*(later(f"d{i}", i * 0.01) for i in range(4)))

    assert outcomes == ["handled"] * 4 and HANDLED == [["d0", "d1", "d2", "d3"]]
