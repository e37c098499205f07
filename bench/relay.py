"""The fair raw relay of ``make bench``: the service path's queue traversals on the same broker, without Passpro.

The service path register → booked → convocation mailed crosses the broker more often than its three
hops suggest: each event goes to every queue bound to it. The relay takes the path's published keys
(``PATH``), routes them through the real subscriptions of ``contracts.routing`` (``plan``), and builds the
same shape with plain aio-pika: one quorum queue per service queue on the path, bound to the keys of
the path it receives, one process per service consuming its queues, and the driver's own exclusive queue
for the last event, as the portal has. A process that receives the key its service answers on the path
publishes the next one (persistent, confirmed) before acknowledging; the others only acknowledge, as a
service does with a copy it merely records. Deep pipelines: prefetch ``PREFETCH`` per queue, as many
confirms in flight, uvloop as in the services.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import uvloop

from bench import cpu
from contracts import routing

PREFETCH = 512
"""Deliveries each relay queue has in flight, and so confirms awaited per queue at once."""
PREFIX = "bench.raw"
DRIVER = "driver"
"""Who consumes the path's last event: the benchmark itself, on its own exclusive queue."""

PATH: tuple[tuple[str, str], ...] = (
    (routing.COMMANDS_EXCHANGE, "register_candidacy"),
    (routing.EVENTS_EXCHANGE, routing.event_key("enrollment", "candidacy_registered")),
    (routing.EVENTS_EXCHANGE, routing.event_key("scheduling", "interview_booked")),
    (routing.EVENTS_EXCHANGE, routing.event_key("notifications", "convocation_sent")),
)
"""(exchange, routing key) published once per candidacy on the path, in order: the portal's command,
then the event of the service that answers the one before (enrollment registers, scheduling books,
notifications mails the convocation)."""

FINAL_BINDINGS = (PATH[-1][1],)
"""What the driver listens to: the last event of the path, as the benchmark's portal does."""


@dataclass(frozen=True)
class Traversal:
    """One message entering one queue once per candidacy: the key it carries and who consumes it."""

    exchange: str
    key: str
    queue: str
    service: str


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` zero or more."""

    def match(p: Sequence[str], k: Sequence[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and p[0] in ("*", k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), key.split("."))


def plan(
    queues: Iterable[routing.QueueSpec] = routing.QUEUES, path: Sequence[tuple[str, str]] = PATH
) -> list[Traversal]:
    """Every queue traversal of one candidacy on ``path``, in path order: the services' queues the bindings
    route each key to, and the driver's queue for the last key."""
    specs = list(queues)
    out = []
    for index, (exchange, key) in enumerate(path):
        for spec in specs:
            if spec.exchange == exchange and any(topic_matches(b, key) for b in spec.bindings):
                out.append(Traversal(exchange, key, spec.name, spec.service))
        if index == len(path) - 1:
            out.append(Traversal(exchange, key, DRIVER, DRIVER))
    return out


def reactions(path: Sequence[tuple[str, str]] = PATH) -> dict[str, str]:
    """Received key -> the key its service publishes next on the path (``enrollment.x`` is enrollment's)."""
    out = {}
    for (_, received), (_, published) in itertools.pairwise(path):
        out[received] = published
    return out


def publisher_of(key: str) -> str:
    """The service that publishes an event key; the driver (the portal) publishes the commands."""
    service = key.partition(".")[0]
    return service if service in routing.SERVICES else DRIVER


def _name(queue: str) -> str:
    return f"{PREFIX}.{queue}"


def _exchange(exchange: str) -> str:
    return f"{PREFIX}.{exchange}"


def _hop(service: str, traversals: list[Traversal], url: str, n: int, ready: Any, done: Any, release: Any) -> None:
    """One relay process standing for ``service``: consumes its queues until each got its ``n`` messages."""
    next_key = reactions()
    expected = Counter(t.queue for t in traversals)

    async def relay() -> None:
        connection = await aio_pika.connect(url)
        async with connection:
            consume = await connection.channel()
            await consume.set_qos(prefetch_count=PREFETCH)
            publish = await connection.channel(publisher_confirms=True)
            exchanges = {
                name: await publish.get_exchange(_exchange(name), ensure=False) for name in (routing.EVENTS_EXCHANGE,)
            }
            received: Counter[str] = Counter()
            finished = asyncio.Event()

            def on_message(queue: str) -> Any:
                async def forward(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                    key = message.routing_key or ""
                    if key in next_key and publisher_of(next_key[key]) == service:
                        await exchanges[routing.EVENTS_EXCHANGE].publish(
                            aio_pika.Message(
                                message.body,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                message_id=str(uuid.uuid4()),
                                correlation_id=message.message_id,
                            ),
                            routing_key=next_key[key],
                        )
                    await message.ack()
                    received[queue] += 1
                    if all(received[q] >= n * count for q, count in expected.items()):
                        finished.set()

                return forward

            for queue in expected:
                await (await consume.get_queue(_name(queue), ensure=False)).consume(on_message(queue))
            ready.set()
            await finished.wait()
            done.set()
            # Kept alive until the benchmark has read this process's CPU: a reaped child's time joins its parent's.
            while not release.is_set():
                await asyncio.sleep(0.05)

    uvloop.run(relay())


class Relay:
    """The relay's queues and processes on the broker at ``url`` (the administrators' account), for ``n`` messages."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        self.traversals = plan()
        self._context = multiprocessing.get_context("spawn")
        self._release = self._context.Event()
        self._procs: dict[str, Any] = {}
        self._done: list[Any] = []

    @property
    def pids(self) -> dict[str, list[int]]:
        """CPU part name -> the pid of the process standing for that service."""
        return {f"relay {service}": [proc.pid] for service, proc in self._procs.items()}

    async def declare(self, channel: aio_pika.abc.AbstractChannel) -> None:
        await self.delete(channel)
        for exchange in {t.exchange for t in self.traversals}:
            await channel.declare_exchange(_exchange(exchange), aio_pika.ExchangeType.TOPIC, durable=True)
        for queue in sorted({t.queue for t in self.traversals if t.queue != DRIVER}):
            declared = await channel.declare_queue(_name(queue), durable=True, arguments={"x-queue-type": "quorum"})
            for t in self.traversals:
                if t.queue == queue:
                    await declared.bind(_exchange(t.exchange), routing_key=t.key)

    async def delete(self, channel: aio_pika.abc.AbstractChannel) -> None:
        for queue in {t.queue for t in self.traversals if t.queue != DRIVER}:
            await channel.queue_delete(_name(queue))
        for exchange in {t.exchange for t in self.traversals}:
            await channel.exchange_delete(_exchange(exchange))

    def start(self) -> None:
        for service in sorted({t.service for t in self.traversals if t.service != DRIVER}):
            ready, done = self._context.Event(), self._context.Event()
            proc = self._context.Process(
                target=_hop,
                args=(
                    service,
                    [t for t in self.traversals if t.service == service],
                    self.url,
                    self.n,
                    ready,
                    done,
                    self._release,
                ),
                daemon=True,
            )
            proc.start()
            if not ready.wait(60):
                raise RuntimeError(f"the relay process for {service} did not start")
            self._procs[service] = proc
            self._done.append(done)

    async def wait_done(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(done.is_set() for done in self._done):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the relay's processes did not get their messages within {timeout:.0f} s")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._release.set()
        for proc in self._procs.values():
            proc.join(10)
            if proc.is_alive():
                proc.kill()


async def run(url: str, n: int, concurrency: int, body: bytes) -> dict[str, Any]:
    """Publishes ``n`` commands as the portal does, ``concurrency`` awaiting their confirm, and waits for the
    ``n`` last events; the CPU of each relay process is read apart from the driver's while it still runs."""
    relay = Relay(url, n)
    connection = await aio_pika.connect(url)
    async with connection:
        admin = await connection.channel()
        await relay.declare(admin)
        try:
            relay.start()
            listen = await connection.channel()
            await listen.set_qos(prefetch_count=1000)
            driver = await listen.declare_queue(None, exclusive=True, auto_delete=True)
            for key in FINAL_BINDINGS:
                await driver.bind(_exchange(routing.EVENTS_EXCHANGE), routing_key=key)
            arrived = asyncio.Event()
            received = 0

            async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal received
                received += 1
                if received >= n:
                    arrived.set()

            await driver.consume(on_event, no_ack=True)
            publish = await connection.channel(publisher_confirms=True)
            commands = await publish.get_exchange(_exchange(routing.COMMANDS_EXCHANGE), ensure=False)
            key = PATH[0][1]
            counter = iter(range(n))

            async def publisher() -> None:
                for _ in counter:
                    await commands.publish(
                        aio_pika.Message(
                            body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(uuid.uuid4())
                        ),
                        routing_key=key,
                    )

            before = cpu.stack_cpu(apart=relay.pids)
            started = time.perf_counter()
            await asyncio.gather(*(publisher() for _ in range(concurrency)))
            await asyncio.wait_for(arrived.wait(), 1800)
            elapsed = time.perf_counter() - started
            await relay.wait_done(60)
            after = cpu.stack_cpu(apart=relay.pids)
        finally:
            relay.stop()
            await relay.delete(admin)
    traversals = len(relay.traversals)
    return {
        "messages": n,
        "traversals_per_message": traversals,
        "processes": len(relay.pids),
        "prefetch": PREFETCH,
        "loop": "uvloop",
        "total_s": round(elapsed, 1),
        "per_s": round(n / elapsed, 1),
        "traversals_per_s": round(n * traversals / elapsed),
        "cpu_s": {part: round(seconds, 2) for part, seconds in cpu.spent(before, after).items()},
    }
