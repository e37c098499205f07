"""The fair raw relay: as many queue traversals per candidacy as the service path, from the routing table."""

from __future__ import annotations

from collections import Counter

import pytest

from bench import relay as bench_relay
from bench.relay import DRIVER, plan, reactions, topic_matches
from contracts import routing
from contracts.routing import QueueSpec

EVENTS, COMMANDS = routing.EVENTS_EXCHANGE, routing.COMMANDS_EXCHANGE


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("register_candidacy", "register_candidacy", True),
        ("register_candidacy.*", "register_candidacy", False),
        ("register_candidacy.*", "register_candidacy.0930122C", True),
        ("enrollment.candidacy_registered", "enrollment.candidacy_withdrawn", False),
        ("#", "scheduling.interview_booked", True),
        ("scheduling.#", "scheduling", True),
        ("*.interview_booked", "scheduling.interview_booked", True),
        ("*", "scheduling.interview_booked", False),
    ],
)
def test_topic_bindings_match_as_the_broker_matches_them(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def test_each_fan_out_of_a_small_table_is_one_traversal_per_bound_queue() -> None:
    table = [
        QueueSpec("a.commands", "a", COMMANDS, ("start", "start.*")),
        QueueSpec("b.events", "b", EVENTS, ("a.done",)),
        QueueSpec("c.events", "c", EVENTS, ("a.#", "b.next")),
        QueueSpec("d.events", "d", EVENTS, ("b.other",)),
        QueueSpec("e.commands", "e", COMMANDS, ("a.done",)),  # same key, other exchange: not routed
    ]
    path = ((COMMANDS, "start"), (EVENTS, "a.done"), (EVENTS, "b.next"))

    traversals = plan(table, path)

    assert [(t.key, t.queue) for t in traversals] == [
        ("start", "a.commands"),
        ("a.done", "b.events"),
        ("a.done", "c.events"),
        ("b.next", "c.events"),
        ("b.next", DRIVER),
    ]


def test_the_service_path_crosses_every_queue_bound_to_its_events() -> None:
    traversals = plan()
    queues = Counter(t.queue for t in traversals)

    # register_candidacy to enrollment first, the convocation's event to the benchmark last.
    assert (traversals[0].queue, traversals[-1].queue) == ("enrollment.commands", DRIVER)
    # Scheduling books on the registration; notifications gets both the registration and the booking.
    assert queues["scheduling.events"] >= 1
    assert queues["notifications.events"] == 2
    assert len(traversals) > 3  # more than the path's three hops: each event fans out
    for t in traversals[1:-1]:
        spec = next(s for s in routing.QUEUES if s.name == t.queue)
        assert t.key in spec.bindings


def test_each_service_answers_only_the_key_it_answers_on_the_path() -> None:
    assert reactions() == {
        "register_candidacy": "enrollment.candidacy_registered",
        "enrollment.candidacy_registered": "scheduling.interview_booked",
        "scheduling.interview_booked": "notifications.convocation_sent",
    }
    assert [bench_relay.publisher_of(key) for _, key in bench_relay.PATH] == [
        DRIVER,
        "enrollment",
        "scheduling",
        "notifications",
    ]
