"""The runtime's consumer loop against a bare aio-pika consumer: deliveries/s and CPU per delivery.

Decision 0003 measured FastStream, the loop the services had, this way against plain aio-pika, and the
services switched to the latter (``services.runtime.subscriptions``); this keeps measuring what the
runtime's loop adds to the bare client. Both consume the same N persistent messages from a quorum queue
of the test vhost with the runtime's settings (prefetch 32, ack after the handler, uvloop), the handler
doing nothing: what is measured is the layer's own cost per delivery, which every message of every
service pays. Each runs in a process of its own, whose CPU time is read with getrusage. Run under the
suite's lock:

    flock /tmp/passpro-e2e.lock .venv/bin/python -m tests.messaging_layer 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import time
import uuid
from typing import Any

import aio_pika

from tests.conftest import ADMIN_URL

PREFETCH = 32


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _runtime(queue: str, n: int) -> tuple[float, float]:
    """The services' consumer loop (``services.runtime.subscriptions``), the handler doing nothing."""
    from services.runtime.subscriptions import Subscriptions

    done = asyncio.Event()
    seen = 0

    async def handle(message: Any) -> None:
        nonlocal seen
        seen += 1
        if seen >= n:
            done.set()

    subscriptions = Subscriptions([ADMIN_URL], prefetch=PREFETCH, connection_name="bench-layer")
    cpu, started = _cpu(), time.perf_counter()
    await subscriptions.start({queue: handle})
    await done.wait()
    elapsed, used = time.perf_counter() - started, _cpu() - cpu
    await subscriptions.stop(5)
    return elapsed, used


async def _aio_pika(queue: str, n: int) -> tuple[float, float]:
    done = asyncio.Event()
    seen = 0
    connection = await aio_pika.connect_robust(ADMIN_URL)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=PREFETCH)
    source = await channel.get_queue(queue, ensure=False)

    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal seen
        try:
            seen += 1
        except Exception:
            await message.nack(requeue=True)
            raise
        await message.ack()
        if seen >= n:
            done.set()

    cpu, started = _cpu(), time.perf_counter()
    await source.consume(handle)
    await done.wait()
    elapsed, used = time.perf_counter() - started, _cpu() - cpu
    await connection.close()
    return elapsed, used


def _consume(layer: str, queue: str, n: int, out: Any) -> None:
    import uvloop

    run = _runtime if layer == "runtime" else _aio_pika
    out.send(uvloop.run(run(queue, n)))


async def _fill(queue: str, n: int) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
        body = json.dumps({"event_id": str(uuid.uuid4()), "padding": "x" * 400}).encode()
        persistent = aio_pika.DeliveryMode.PERSISTENT
        for start in range(0, n, 500):
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(body, message_id=str(uuid.uuid4()), delivery_mode=persistent),
                        routing_key=queue,
                    )
                    for _ in range(start, min(n, start + 500))
                )
            )


async def _drop(queue: str) -> None:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)


def measure(layer: str, n: int) -> dict[str, Any]:
    queue = f"bench.layer.{uuid.uuid4().hex[:8]}"
    asyncio.run(_fill(queue, n))
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=_consume, args=(layer, queue, n, send))
    process.start()
    elapsed, used = receive.recv()
    process.join()
    asyncio.run(_drop(queue))
    return {"layer": layer, "deliveries": n, "per_s": round(n / elapsed), "cpu_us_per_delivery": round(used * 1e6 / n)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for layer in ("runtime", "aio-pika"):
            print(json.dumps(measure(layer, args.n)), flush=True)
