"""Losing a RabbitMQ node mid-campaign (R13–R15): the node the services are connected to, which leads the queues.

A campaign of a few hundred pupils is played through the portal on a three-node cluster; a third of the
way through the registrations, the node every service is connected to, and which leads the quorum
queues, is killed. The services move to another node and the queues elect new leaders. Checked from the
outside (every command answered once) and from each service's tables: exactly one interview per pupil and
domain, no seat over capacity, every event consumed by each service that follows it, nothing parked.
Then the node comes back and every quorum queue has its three members again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import asyncpg

from bench.scheduling import académie
from contracts import routing
from contracts.campaign import load_campaign
from harness.portal import PortalClient
from tests.cluster.conftest import CLOCK, NODES, ClusterStack

PUPILS = 300
SEED = 2013
ANSWERS = {
    "register_candidacy": ("enrollment.candidacy_registered", "enrollment.command_rejected"),
    "declare_interview_slots": ("scheduling.slots_declared", "scheduling.command_rejected"),
}
WORK_QUEUES = [spec.name for spec in routing.QUEUES]


def declarations(need: dict[str, int]) -> list[dict[str, Any]]:
    """Half as many seats again as each domain needs, three per slot, one slot a day from six days on.

    Spread over many half-days so that R16 (one interview per half-day) never leaves a pupil waiting:
    every need must be booked.
    """
    campaign = load_campaign()
    first_day = (datetime.fromisoformat(CLOCK) + timedelta(days=6)).astimezone(campaign.tz)
    bodies = []
    for domain in campaign.domains:
        slots: dict[str, list[dict[str, Any]]] = {uai: [] for uai in domain.reception_uais}
        for i in range(-(-need.get(domain.code, 0) * 3 // 2) // 3 + 1):
            start = (first_day + timedelta(days=i)).replace(hour=(9, 14, 10, 15)[i % 4], minute=0)
            school = domain.reception_uais[i % len(domain.reception_uais)]
            slots[school].append({"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": 3})
        bodies += [
            {
                "command_id": str(uuid.uuid4()),
                "campaign": campaign.campaign,
                "actor_uai": school,
                "domain_code": domain.code,
                "place": "Salle des entretiens",
                "slots": school_slots,
            }
            for school, school_slots in slots.items()
            if school_slots
        ]
    return bodies


class Campaign:
    """The commands of the run, and what the portal saw and retried."""

    def __init__(self) -> None:
        self.registrations, self.need = académie(PUPILS, SEED)
        self.declarations = declarations(self.need)
        self.published = 0
        self.retried = 0

    async def send(self, portal: PortalClient, key: str, body: dict[str, Any]) -> None:
        """Publishes until the broker confirms: a quorum queue electing its leader may refuse for a moment."""
        while True:
            self.published += 1
            try:
                await portal.send(key, body)
                return
            except aio_pika.exceptions.DeliveryError:
                self.retried += 1
                await asyncio.sleep(0.5)

    async def publish(self, portal: PortalClient) -> None:
        commands = [("declare_interview_slots", b) for b in self.declarations]
        commands += [("register_candidacy", b) for b in self.registrations]
        queue = list(reversed(commands))

        async def worker() -> None:
            while queue:
                await self.send(portal, *queue.pop())

        await asyncio.gather(*(worker() for _ in range(32)))


def answers(portal: PortalClient, key: str, command_id: str) -> set[str]:
    """The distinct events answering one command (a relay may publish an event twice, never two events)."""
    return {e["event_id"] for e in portal.caused_by(command_id) if e["_routing_key"] in ANSWERS[key]}


def answered(portal: PortalClient, campaign: Campaign) -> int:
    return sum(1 for b in campaign.registrations if answers(portal, "register_candidacy", b["command_id"]))


async def until(what: str, condition: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def service_connections(cluster: ClusterStack, via: int) -> Counter[str]:
    """Where the services' connections are: node name → count."""
    connections = await cluster.api("connections?columns=user,node", via)
    return Counter(c["node"] for c in connections if c["user"] in routing.SERVICES)


async def quorum_queues(cluster: ClusterStack, via: int) -> dict[str, dict[str, Any]]:
    """Each queue of the vhost with its members, those online, its leader, its messages and their counts."""
    queues = await cluster.api("queues/passpro?columns=name,leader,members,online,messages,message_stats", via)
    return {q["name"]: q for q in queues}


async def settled(conn: asyncpg.Connection, needed: int, deadline: float) -> dict[str, int]:
    """Waits until every need is in scheduling and every service's tables and outbox stopped moving."""
    previous: dict[str, int] | None = None
    while time.monotonic() < deadline:
        row = await conn.fetchrow("""
            SELECT (SELECT count(*) FROM scheduling.needs) AS needs,
                   (SELECT count(*) FROM scheduling.needs WHERE state = 'booked') AS booked,
                   (SELECT count(*) FROM scheduling.interviews WHERE status = 'booked') AS interviews,
                   (SELECT count(*) FROM enrollment.candidacies) AS enrollment,
                   (SELECT count(*) FROM enrollment.interviews) AS enrollment_interviews,
                   (SELECT count(*) FROM opinions.candidacies) AS opinions,
                   (SELECT count(*) FROM opinions.interviews) AS opinions_interviews,
                   (SELECT count(*) FROM notifications.candidacies) AS notifications,
                   (SELECT count(*) FROM notifications.mails WHERE kind = 'convocation') AS convocations,
                   (SELECT count(*) FROM affelnet_export.candidacies) AS affelnet_export,
                   (SELECT count(*) FROM enrollment.outbox) + (SELECT count(*) FROM scheduling.outbox)
                   + (SELECT count(*) FROM opinions.outbox) + (SELECT count(*) FROM notifications.outbox)
                   + (SELECT count(*) FROM affelnet_export.outbox) AS outbox""")
        current = dict(row)
        if current["needs"] == needed and current["outbox"] == 0 and current == previous:
            return current
        previous = current
        await asyncio.sleep(3)  # longer than scheduling's sweep
    raise TimeoutError(f"the campaign did not settle: {previous}")


async def test_losing_the_node_the_services_use_mid_campaign_loses_and_doubles_nothing(
    cluster: ClusterStack,
) -> None:
    started = time.monotonic()
    campaign = Campaign()
    needed = sum(campaign.need.values())
    before = await quorum_queues(cluster, via=NODES)
    assert all(len(before[name]["online"]) == NODES for name in WORK_QUEUES), "every queue on every node"

    async def every_service_connected() -> bool:
        # The management API lists a connection a few seconds after it opened.
        return sum((await service_connections(cluster, via=NODES)).values()) == 2 * len(routing.SERVICES)

    await until("the services' connections listed", every_service_connected, 30)
    victim_name, _ = (await service_connections(cluster, via=NODES)).most_common(1)[0]
    victim = next(k for k in range(1, NODES + 1) if cluster.node(k) == victim_name)
    led = [name for name in WORK_QUEUES if before[name]["leader"] == victim_name]
    portal_node = next(k for k in range(NODES, 0, -1) if k != victim)

    async with PortalClient(
        cluster.portal_url(portal_node),
        bindings=(
            "enrollment.candidacy_registered",
            "enrollment.command_rejected",
            "scheduling.slots_declared",
            "scheduling.command_rejected",
            "scheduling.interview_booked",
        ),
    ) as portal:
        publishing = asyncio.create_task(campaign.publish(portal))

        async def a_third_answered() -> bool:
            return answered(portal, campaign) >= len(campaign.registrations) // 3

        async def all_answered() -> bool:
            return answered(portal, campaign) == len(campaign.registrations)

        await until("a third of the registrations answered", a_third_answered, 120)
        await cluster.kill(victim)
        killed_at = time.monotonic()
        await publishing
        await until("every registration answered", all_answered, 300)
        conn = await asyncpg.connect(cluster.database_url)
        try:
            counts = await settled(conn, needed, time.monotonic() + 300)
            recovered_s = time.monotonic() - killed_at
            doubles = await conn.fetchval(
                "SELECT count(*) FROM (SELECT 1 FROM scheduling.interviews WHERE status = 'booked'"
                " GROUP BY ine, domain_code HAVING count(*) > 1) d"
            )
            unbooked = await conn.fetchval(
                "SELECT count(*) FROM scheduling.needs n WHERE NOT EXISTS (SELECT 1 FROM scheduling.interviews i"
                " WHERE i.ine = n.ine AND i.domain_code = n.domain_code AND i.status = 'booked')"
            )
            over = await conn.fetchval(
                "SELECT count(*) FROM scheduling.slots s WHERE s.booked > s.capacity OR s.booked <>"
                " (SELECT count(*) FROM scheduling.interviews i WHERE i.slot_id = s.slot_id AND i.status = 'booked')"
            )
        finally:
            await conn.close()
        bookings = {e["event_id"]: e for e in portal.events if e["_routing_key"] == "scheduling.interview_booked"}
        seen_twice = len(portal.events) - len({e["event_id"] for e in portal.events})

    listing: dict[str, dict[str, Any]] = {}
    counted = [*WORK_QUEUES, *(routing.parking_queue(name) for name in WORK_QUEUES)]

    async def drained() -> bool:
        """The tables settle before the queues: copies re-published after the loss are still being dropped. The
        management API leaves a queue's counts out until it has collected them (for a while after a node loss)."""
        nonlocal listing
        listing = await quorum_queues(cluster, via=portal_node)
        if not all("messages" in listing[name] for name in counted):
            return False
        return all(listing[name]["messages"] == 0 for name in WORK_QUEUES)

    await until("every work queue drained", drained, 120)
    after = listing
    await until("the services' connections listed", every_service_connected, 30)
    moved = await service_connections(cluster, via=portal_node)
    redelivered = sum(after[name].get("message_stats", {}).get("redeliver", 0) for name in WORK_QUEUES)
    filtered = await cluster.metric("passpro_messages_total", 'outcome="duplicate"')
    parked = sum(after[routing.parking_queue(name)]["messages"] for name in WORK_QUEUES)
    commands = [("register_candidacy", b) for b in campaign.registrations]
    commands += [("declare_interview_slots", b) for b in campaign.declarations]
    answer_counts = Counter(len(answers(portal, key, b["command_id"])) for key, b in commands)
    pairs = Counter((e["ine"], e["domain_code"]) for e in bookings.values())
    candidacies = len(campaign.registrations)

    took = await cluster.deploy("up", "--virtual")
    everyone = sorted(cluster.node(k) for k in range(1, NODES + 1))

    async def back_in_every_queue() -> bool:
        queues = await quorum_queues(cluster, via=victim)
        return all(sorted(queues[name]["online"]) == everyone for name in WORK_QUEUES)

    await until("the node back in every quorum queue", back_in_every_queue, 60)
    print(
        f"\nnode loss: {victim_name} killed, leader of {len(led)} of {len(WORK_QUEUES)} work queues; "
        f"{sum(campaign.need.values())} interviews for {PUPILS} pupils ({candidacies} candidacies)"
    )
    print(
        f"attempts {campaign.published} / confirmed {campaign.published - campaign.retried} / "
        f"lost {answer_counts[0]} / duplicated effects {doubles + over} / redelivered {redelivered:.0f} / "
        f"parked {parked}; duplicates dropped by the inboxes {filtered:.0f}, events seen twice {seen_twice}; "
        f"settled {recovered_s:.0f} s after the kill; node back in {took:.0f} s; "
        f"whole run {time.monotonic() - started:.0f} s"
    )

    assert victim_name not in moved and sum(moved.values()) == 2 * len(routing.SERVICES), moved
    assert led and all(after[name]["leader"] != victim_name for name in WORK_QUEUES)
    assert redelivered + filtered > 0, "no delivery was interrupted: the node was lost while idle"
    assert answer_counts == Counter({1: candidacies + len(campaign.declarations)}), answer_counts
    assert not [e for e in portal.events if e["_routing_key"].endswith("command_rejected")]
    assert doubles == 0 and over == 0 and unbooked == 0
    assert len(bookings) == needed and max(pairs.values()) == 1
    assert counts["interviews"] == counts["booked"] == needed
    assert (
        counts["enrollment"]
        == counts["opinions"]
        == counts["notifications"]
        == counts["affelnet_export"]
        == candidacies
    )
    assert counts["enrollment_interviews"] == counts["opinions_interviews"] == counts["convocations"] == needed
    assert parked == 0 and all(after[name]["messages"] == 0 for name in WORK_QUEUES)
