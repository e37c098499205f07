"""Hostile input through the portal: every malformed, forged or unreadable command gets exactly one answer.

``PASSPRO_FUZZ_COMMANDS`` hostile commands (2,000 by default, ``make fuzz`` sends 10,000) over every command
routing key, drawn from ``PASSPRO_FUZZ_SEED``, interleaved with registrations and withdrawals of fresh
pupils, some of them published twice. Checked from the outside only: the answers on ``passpro.events``, the
service processes, their logs, their metrics and the parking queues. Runs on a campaign of its own, once
registrations are open.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts import routing
from harness.portal import PortalClient
from ops.failed import parking_queues, purge_parked
from ops.settings import OpsSettings
from tests.conftest import ADMIN_URL, TEST_VHOST
from tests.e2e.conftest import OPEN, Clock, register_body
from tests.hostile import (
    ANCHOR_DOMAIN,
    ANCHOR_FORMATION,
    ANCHOR_RECEPTION,
    FOREIGN_RECEPTIONS,
    ORIGIN,
    OTHER_ORIGIN,
    SAIO,
    WAIT_FORMATION,
    Anchor,
    Case,
    Expect,
    Hostile,
    answerer,
    as_uuid,
    contract_verdict,
    labelled,
)
from tests.stack import LOGS, ServiceStack

pytestmark = pytest.mark.e2e

COUNT = int(os.environ.get("PASSPRO_FUZZ_COMMANDS", "2000"))
SEED = int(os.environ.get("PASSPRO_FUZZ_SEED", "2013"))
IN_FLIGHT = 64
FAILURE_EVENTS = {"message_failed", "outbox_relay_failed"}


@pytest.fixture(autouse=True)
async def registrations_open(clock: Clock) -> None:
    await clock.at_least(OPEN)


async def answer_of(portal: PortalClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"], timeout=30)


@pytest.fixture(scope="module")
async def anchor(portal: PortalClient, clock: Clock) -> AsyncIterator[Anchor]:
    """A pupil registered and booked in a domain of its own, known to every service, withdrawn afterwards."""
    await clock.at_least(OPEN)
    start = (clock.at + timedelta(days=6)).replace(hour=10, minute=0, second=0, microsecond=0)
    declared = await answer_of(
        portal,
        "declare_interview_slots",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": ANCHOR_RECEPTION,
            "domain_code": ANCHOR_DOMAIN,
            "place": "Atelier PAO",
            "slots": [{"starts_at": start.isoformat(), "duration_minutes": 30, "capacity": 1}],
        },
    )
    assert declared["_routing_key"] == "scheduling.slots_declared", declared
    pupil = register_body(formation_code=ANCHOR_FORMATION)
    registered = await answer_of(portal, "register_candidacy", pupil)
    assert registered["_routing_key"] == "enrollment.candidacy_registered", registered
    ine = pupil["pupil"]["ine"]
    booked = await portal.wait_for(
        lambda e: e["_routing_key"] == "scheduling.interview_booked" and e["ine"] == ine, timeout=30
    )
    # opinions and affelnet_export learn of the pupil from events: forged commands must find it there.
    probes = {
        "submit_interview_report": {
            "actor_uai": FOREIGN_RECEPTIONS[0],
            "interview_id": booked["interview_id"],
            "attended": False,
        },
        "confirm_wish": {
            "actor_uai": OTHER_ORIGIN,
            "ine": ine,
            "formation_code": ANCHOR_FORMATION,
            "family_confirmed": True,
            "wish_entered_on": "2013-05-20",
        },
    }
    for command, fields in probes.items():
        for _ in range(50):
            probe = await answer_of(portal, command, {"command_id": str(uuid.uuid4()), "campaign": "2013", **fields})
            if probe.get("reason") == "unauthorized":
                break
            await asyncio.sleep(0.2)
        assert probe.get("reason") == "unauthorized", probe
    yield Anchor(ine, booked["interview_id"])
    withdrawn = await answer_of(
        portal,
        "withdraw_candidacy",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": ORIGIN,
            "ine": ine,
            "formation_code": ANCHOR_FORMATION,
        },
    )
    assert withdrawn["_routing_key"] == "enrollment.candidacy_withdrawn", withdrawn
    await portal.wait_for(
        lambda e: e["_routing_key"] == "scheduling.interview_cancelled" and e["interview_id"] == booked["interview_id"],
        timeout=30,
    )


@dataclass
class Answers:
    """The portal's events indexed as a portal finds its answers: rejections by ``command_id``, the rest by cause."""

    portal: PortalClient
    seen: int = 0
    rejections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    caused: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    registered_ines: set[str] = field(default_factory=set)

    def refresh(self) -> None:
        for event in self.portal.events[self.seen :]:
            key = event["_routing_key"]
            if key.endswith(".command_rejected"):
                self.rejections[str(event["command_id"])][event["event_id"]] = event
            elif event.get("causation_id"):
                self.caused[str(event["causation_id"])][event["event_id"]] = event
            if key == "enrollment.candidacy_registered":
                self.registered_ines.add(event["ine"])
        self.seen = len(self.portal.events)

    def of(self, case: Case) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The rejections naming the case, and the other events it caused (each event once)."""
        cause = as_uuid(case.answer_id)
        caused = self.caused.get(str(cause), {}) if cause else {}
        return list(self.rejections.get(case.answer_id, {}).values()), list(caused.values())

    def complete(self, case: Case) -> bool:
        assert case.expect is not None
        rejections, caused = self.of(case)
        # Any answer completes a case; a wrong one is reported with the others once everything is in.
        return bool(rejections) or len(caused) >= max(1, len(case.expect.success))

    async def wait(self, cases: list[Case], timeout: float, wave: str) -> None:
        deadline = time.monotonic() + timeout
        pending = cases
        while True:
            self.refresh()
            pending = [case for case in pending if not self.complete(case)]
            if not pending:
                return
            if time.monotonic() > deadline:
                shown = "\n".join(case.describe() for case in pending[:20])
                raise AssertionError(
                    f"{len(pending)} commands of the {wave} wave unanswered after {timeout:.0f} s "
                    f"(seed {SEED}):\n{shown}"
                )
            await asyncio.sleep(0.5)


async def publish(portal: PortalClient, cases: Iterable[Case]) -> None:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(case: Case) -> None:
        async with gate:
            await portal.send(case.key, case.body, message_id=case.message_id)

    await asyncio.gather(*(one(case) for case in cases))


async def until(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Polls ``condition`` until it holds; fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if await condition():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def delivery_outcomes(stack: ServiceStack, key: str | None = None) -> dict[str, Counter[str]]:
    """Per service, the outcomes counted on its commands queue (``passpro_messages_total``), for ``key`` or all."""
    outcomes: dict[str, Counter[str]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for service in routing.SERVICES:
            text = (await client.get(f"http://127.0.0.1:{stack.port(service)}/metrics")).text
            counts: Counter[str] = Counter()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = sample.labels
                    if (
                        sample.name == "passpro_messages_total"
                        and labels["queue"] == f"{service}.commands"
                        and key in (None, labels["routing_key"])
                    ):
                        counts[labels["outcome"]] += int(sample.value)
            outcomes[service] = counts
    return outcomes


async def parked_counts() -> dict[str, int]:
    connection = await aio_pika.connect(ADMIN_URL)
    async with connection:
        channel = await connection.channel()
        counts = {}
        for service in routing.SERVICES:
            queue = await channel.declare_queue(routing.parking_queue(f"{service}.commands"), passive=True)
            assert queue.declaration_result.message_count is not None
            counts[service] = queue.declaration_result.message_count
        return counts


def log_sizes() -> dict[str, int]:
    return {path.name: path.stat().st_size for path in LOGS.glob("*.log")}


def failures_logged_since(sizes: dict[str, int], *, message_ids: set[str] | None = None) -> list[str]:
    """The failure lines services wrote after ``sizes`` was taken (only those naming ``message_ids``, if given)."""
    found = []
    for path in LOGS.glob("*.log"):
        with path.open("rb") as log:
            log.seek(sizes.get(path.name, 0))
            lines = log.read().decode("utf-8", "replace").splitlines()
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") in FAILURE_EVENTS and (message_ids is None or entry.get("message_id") in message_ids):
                found.append(
                    f"{path.name}: {entry.get('event')} {entry.get('routing_key')} {entry.get('message_id')}: "
                    f"{str(entry.get('exception', '')).strip().splitlines()[-1:]}"
                )
    return found


def withdrawals_of(cases: Iterable[Case], answers: Answers, hostile: Hostile) -> list[Case]:
    """A withdrawal of every pupil ``cases`` registered: the fuzz leaves nobody waiting for a seat."""
    answers.refresh()
    ines = {
        event["ine"]
        for case in cases
        if case.expect is not None and case.key == "register_candidacy"
        for event in answers.of(case)[1]
        if event["_routing_key"] == "enrollment.candidacy_registered"
    }
    return [
        hostile.valid(hostile.withdrawal(ine), "withdraw_candidacy", "enrollment.candidacy_withdrawn")
        for ine in sorted(ines)
    ]


def check_answer(case: Case, answers: Answers, clock: Clock) -> str | None:
    """What is wrong with the answers a case got, or None."""
    assert case.expect is not None
    expect = case.expect
    rejections, caused = answers.of(case)
    if expect.success:
        keys = sorted(e["_routing_key"] for e in caused)
        if rejections or keys != sorted(expect.success):
            return f"expected {list(expect.success)}, got {keys} and rejections {[r['reason'] for r in rejections]}"
        return check_effect(case, caused, clock)
    if caused:
        return f"expected one rejection, but it was carried out: {[e['_routing_key'] for e in caused]}"
    if len(rejections) != 1:
        return f"expected exactly one rejection, got {[(r['_routing_key'], r['reason']) for r in rejections]}"
    [rejection] = rejections
    if rejection["_routing_key"] != f"{expect.service}.command_rejected":
        return f"answered by {rejection['_routing_key']}, not by {expect.service}"
    if rejection["reason"] not in expect.reasons or rejection["command"] != case.key:
        return f"rejected as {rejection['reason']} ({rejection['command']}), expected {sorted(expect.reasons)}"
    if not rejection["message"] or not all(error["field"] for error in rejection["errors"]):
        return f"a rejection without its message or fields: {rejection}"
    return None


def check_effect(case: Case, events: list[dict[str, Any]], clock: Clock) -> str | None:
    """A command carried out says exactly what was sent: unusual text comes back unchanged."""
    assert isinstance(case.body, dict)
    sent = json.loads(json.dumps(case.body, default=str))
    for event in events:
        if event["_routing_key"] == "enrollment.candidacy_registered":
            got = {k: event[k] for k in ("pupil", "referent", "origin_comment", "formation_code")}
            # The event carries the pupil's identity only (data minimisation: no birth date, no class level).
            expected = {k: sent[k] for k in got} | {"pupil": {k: sent["pupil"][k] for k in got["pupil"]}}
            if got != expected or set(got["pupil"]) != {"ine", "last_name", "first_name"}:
                return f"registered as {got!r}"
        if event["_routing_key"].endswith(".clock_advanced") and datetime.fromisoformat(event["to"]) < clock.at:
            return f"the clock moved back to {event['to']}"
    return None


async def test_every_hostile_command_gets_exactly_one_answer_and_no_consumer_fails(
    stack: ServiceStack, portal: PortalClient, clock: Clock, anchor: Anchor
) -> None:
    rng = random.Random(SEED)
    hostile = Hostile(rng, anchor)
    first = [hostile.case() for _ in range(COUNT - COUNT // 5)]
    later = [hostile.case() for _ in range(COUNT // 5)]
    fresh = [
        hostile.valid(hostile.registration(), "register_candidacy", "enrollment.candidacy_registered")
        for _ in range(max(2, COUNT // 20))
    ]
    ticks = tuple(routing.event_key(service, "clock_advanced") for service in routing.SERVICES)
    earlier = [
        hostile.valid(
            {"command_id": str(uuid.uuid4()), "campaign": "2013", "actor_uai": SAIO, "to": instant},
            "advance_clock",
            *ticks,
        )
        for instant in ("2013-02-01T08:00:00+01:00", "1970-01-01T00:00:00Z")
    ]
    for case in (*first, *later, *fresh, *earlier):
        assert case.expect is not None
        verdict = contract_verdict(case)
        assert verdict == labelled(case.expect), f"the generator is wrong about a case ({verdict}): {case.describe()}"
    phase_one = [*first, *fresh, *earlier, *(hostile.copy_of(case) for case in rng.sample(first, COUNT // 50))]
    rng.shuffle(phase_one)
    sizes, before, parked_before = log_sizes(), await delivery_outcomes(stack), await parked_counts()
    answers = Answers(portal)
    started = time.monotonic()

    await publish(portal, phase_one)
    await answers.wait([case for case in phase_one if case.expect is not None], 120 + COUNT * 0.1, "first")
    reused = [
        hostile.same_id_other_body(case)
        for case in rng.sample([*first, *fresh], COUNT // 100)
        if isinstance(case.body, dict) and case.answer_id == case.body.get("command_id")
    ]
    copies = [hostile.copy_of(case) for case in rng.sample([*first, *fresh], COUNT // 20)]
    phase_two = [*later, *withdrawals_of(phase_one, answers, hostile), *reused, *copies]
    rng.shuffle(phase_two)
    await publish(portal, phase_two)
    await answers.wait([case for case in phase_two if case.expect is not None], 120 + COUNT * 0.05, "second")
    # Pupils the second wave registered (an odd id is still an id) leave too: later files count who waits.
    phase_three = withdrawals_of(phase_two, answers, hostile)
    await publish(portal, phase_three)
    await answers.wait(phase_three, 120, "third")
    sent = [*phase_one, *phase_two, *phase_three]
    expected = Counter(service for case in sent for service in routing.handlers_of(case.key))
    # Each delivery of an unreadable body is parked (answered once only): copies are parked again.
    parked_expected = Counter(answerer(case.key) for case in sent if isinstance(case.body, bytes))

    async def all_delivered() -> bool:
        now = await delivery_outcomes(stack)
        return all(sum((now[s] - before[s]).values()) >= expected[s] for s in routing.SERVICES)

    async def all_parked() -> bool:
        now = await parked_counts()
        return all(now[s] - parked_before[s] >= parked_expected[s] for s in routing.SERVICES)

    await until(all_delivered, 60, "the services did not take every delivery")
    await until(all_parked, 60, "the unreadable bodies were not all parked")
    elapsed = time.monotonic() - started
    answers.refresh()
    after, parked_after = await delivery_outcomes(stack), await parked_counts()

    problems = [
        f"{case.describe()}\n    {problem}"
        for case in sent
        if case.expect is not None
        if (problem := check_answer(case, answers, clock))
    ]
    problems += [
        f"{case.describe()}\n    a reused id registered its pupil"
        for case in reused
        if case.key == "register_candidacy"
        and isinstance(case.body, dict)
        and case.body["pupil"]["ine"] in answers.registered_ines
    ]
    problems += [f"{name} exited with {proc.poll()}" for name, proc in stack.procs.items() if proc.poll() is not None]
    problems += failures_logged_since(sizes)
    for service in routing.SERVICES:
        delta = after[service] - before[service]
        if delta["failed"] or sum(delta.values()) != expected[service]:
            problems.append(f"{service}.commands: {dict(delta)} for {expected[service]} deliveries")
        if parked_after[service] - parked_before[service] != parked_expected[service]:
            problems.append(
                f"{service}.commands.parking: {parked_after[service] - parked_before[service]} parked, "
                f"{parked_expected[service]} unreadable bodies sent"
            )
    families = Counter(case.family for case in sent)
    print(f"\nfuzz: {len(sent)} commands ({dict(families)}) answered in {elapsed:.1f} s, seed {SEED}")
    assert not problems, (
        f"{len(problems)} problems; replay with PASSPRO_FUZZ_SEED={SEED} "
        f"PASSPRO_FUZZ_COMMANDS={COUNT}:\n" + "\n".join(problems[:40])
    )


@pytest.fixture(scope="module", autouse=True)
async def no_parked_message_left(stack: ServiceStack) -> AsyncIterator[None]:
    """Later files look for their own parked messages from the head of the parking queues: leave them empty."""
    yield
    await purge_parked(OpsSettings(vhost=TEST_VHOST), parking_queues(None), lambda counts: True)


async def answered_once(
    portal: PortalClient,
    key: str,
    body: dict[str, Any] | bytes,
    *,
    reasons: Iterable[str] = (),
    success: tuple[str, ...] = (),
    timeout: float = 20,
) -> list[str]:
    """Publishes one command; the problems if it does not get exactly one answer of the kinds allowed."""
    message_id = str(uuid.uuid4()) if isinstance(body, bytes) else body["command_id"]
    case = Case("found by the fuzz", key, body, message_id, Expect(answerer(key), frozenset(reasons), success))
    sizes, answers = log_sizes(), Answers(portal)
    await portal.send(key, body, message_id=message_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers.refresh()
        rejections, caused = answers.of(case)
        if rejections or (caused and len(caused) >= len(success)):
            break
        await asyncio.sleep(0.2)
    rejections, caused = answers.of(case)
    problems = failures_logged_since(sizes, message_ids={message_id})
    if not rejections and not caused:
        problems.append(f"no answer within {timeout:.0f} s")
    elif not (
        (len(rejections) == 1 and not caused and rejections[0]["reason"] in case.expect.reasons)
        or (not rejections and sorted(e["_routing_key"] for e in caused) == sorted(success))
    ):
        problems.append(f"answered {[(e['_routing_key'], e.get('reason')) for e in [*rejections, *caused]]}")
    return problems


async def answers_to_one_id(
    stack: ServiceStack, portal: PortalClient, key: str, first: dict[str, Any], second: dict[str, Any]
) -> list[str]:
    """Publishes two commands the services must take as one (same id): the problems if both are answered."""
    services = routing.handlers_of(key)
    before = await delivery_outcomes(stack, key)
    await answer_of(portal, key, first)
    await portal.send(key, second, message_id=second["command_id"])

    async def both_taken() -> bool:  # failed deliveries are another reproduction's, still being retried
        now = await delivery_outcomes(stack, key)
        return all(sum((now[s] - before[s]).values()) - (now[s] - before[s])["failed"] >= 2 for s in services)

    await until(both_taken, 20, f"{services} did not take both deliveries")
    answers = Answers(portal)
    answers.refresh()
    events = [
        event
        for body in (first, second)
        for event in [
            *answers.rejections.get(body["command_id"], {}).values(),
            *answers.caused.get(str(as_uuid(body["command_id"])), {}).values(),
        ]
    ]
    unique = {event["event_id"]: event for event in events}.values()
    if len(unique) != 1:
        return [f"one id, {len(unique)} answers: {sorted(event['_routing_key'] for event in unique)}"]
    return []


def _command(**fields: Any) -> dict[str, Any]:
    return {"command_id": str(uuid.uuid4()), "campaign": "2013", "actor_uai": ORIGIN, **fields}


Reproduction = Callable[[ServiceStack, PortalClient], Awaitable[list[str]]]


async def _nul_in_a_stored_name(stack: ServiceStack, portal: PortalClient) -> list[str]:
    body = register_body(pupil={"last_name": "Du\u0000pont"}, formation_code=WAIT_FORMATION)
    return await answered_once(
        portal, "register_candidacy", body, reasons={"invalid"}, success=("enrollment.candidacy_registered",)
    )


async def _nul_in_an_ine_scheduling(stack: ServiceStack, portal: PortalClient) -> list[str]:
    body = _command(ine="\u0000", domain_code=ANCHOR_DOMAIN)
    return await answered_once(portal, "request_new_interview", body, reasons={"invalid", "invalid_ine"})


async def _nul_in_an_ine_affelnet(stack: ServiceStack, portal: PortalClient) -> list[str]:
    body = _command(
        ine="0000000001\u0000", formation_code=WAIT_FORMATION, family_confirmed=True, wish_entered_on="2013-05-20"
    )
    return await answered_once(portal, "confirm_wish", body, reasons={"invalid", "invalid_ine"})


async def _deep_json(stack: ServiceStack, portal: PortalClient) -> list[str]:
    return await answered_once(portal, "register_candidacy", b"[" * 100_000 + b"]" * 100_000, reasons={"invalid"})


async def _clock_before_year_1(stack: ServiceStack, portal: PortalClient) -> list[str]:
    ticks = tuple(routing.event_key(service, "clock_advanced") for service in routing.SERVICES)
    body = _command(actor_uai=SAIO, to="0001-01-01T00:00:00+14:00")  # earlier than now: the clock stays
    return await answered_once(portal, "advance_clock", body, reasons={"invalid"}, success=ticks)


async def _slot_before_year_1(stack: ServiceStack, portal: PortalClient) -> list[str]:
    body = _command(
        actor_uai=ANCHOR_RECEPTION,
        domain_code=ANCHOR_DOMAIN,
        place="Atelier",
        slots=[{"starts_at": "0001-01-01T00:00:00+14:00", "duration_minutes": 30, "capacity": 1}],
    )
    return await answered_once(portal, "declare_interview_slots", body, reasons={"invalid", "outside_interview_window"})


async def _same_uuid_in_upper_case(stack: ServiceStack, portal: PortalClient) -> list[str]:
    first = _command(ine="0000000009Z", formation_code=WAIT_FORMATION)
    upper = {**first, "command_id": first["command_id"].upper()}
    return await answers_to_one_id(stack, portal, "withdraw_candidacy", first, upper)


async def _refused_broadcast_id_reused(stack: ServiceStack, portal: PortalClient) -> list[str]:
    refused = _command(actor_uai=SAIO)  # no "to": invalid
    return await answers_to_one_id(
        stack, portal, "advance_clock", refused, {**refused, "to": "2013-02-01T08:00:00+01:00"}
    )


FOUND_BY_THE_FUZZ: dict[str, Reproduction] = {
    # Contract: control characters are refused in every text field (PostgreSQL cannot store U+0000).
    "nul-in-a-stored-name": _nul_in_a_stored_name,
    "nul-in-an-ine-read-before-its-check-scheduling": _nul_in_an_ine_scheduling,
    "nul-in-an-ine-read-before-its-check-affelnet": _nul_in_an_ine_affelnet,
    # Runtime: a body nested deeper than the decoder allows is unreadable, answered and parked.
    "json-nested-deeper-than-the-decoder-allows": _deep_json,
    # Contract: an instant must stay representable in UTC and local time, a day from the calendar's ends.
    "clock-before-year-1-in-utc": _clock_before_year_1,
    "slot-before-year-1-in-utc": _slot_before_year_1,
    # Runtime: the inbox keys a command by its UUID, not by how the UUID is spelt.
    "same-uuid-in-upper-case": _same_uuid_in_upper_case,
    # Runtime: every service records the id of a broadcast command it refuses, not only the one answering.
    "id-of-a-refused-broadcast-command-reused": _refused_broadcast_id_reused,
}
"""Bugs the fuzz found, now fixed: each one's reproduction, kept so that it stays fixed."""


@pytest.fixture(scope="module")
async def found_by_the_fuzz(
    stack: ServiceStack, portal: PortalClient, clock: Clock
) -> dict[str, asyncio.Task[list[str]]]:
    """Every reproduction at once: a message retried with back-off would take long to give up, so they overlap."""
    await clock.at_least(OPEN)
    return {name: asyncio.create_task(play(stack, portal)) for name, play in FOUND_BY_THE_FUZZ.items()}


@pytest.mark.parametrize("bug", FOUND_BY_THE_FUZZ)
async def test_input_that_once_broke_a_service_gets_exactly_one_answer(
    bug: str, found_by_the_fuzz: dict[str, asyncio.Task[list[str]]]
) -> None:
    problems = await found_by_the_fuzz[bug]

    assert not problems, problems
