"""``passpro ops queues``: which queues an operator should look at, and in which order they are listed."""

from __future__ import annotations

from contracts import routing
from ops.management import QueueStats
from ops.queues import (
    GROWING,
    MISSING,
    NO_CONSUMER,
    OTHER,
    PARKED,
    PARKING,
    RETRY,
    SERVICE,
    WAITING,
    is_growing,
    retry_row_name,
    rows,
    waiting_to_retry,
    warnings,
)


def stats(
    name: str, *, ready: int = 0, unacked: int = 0, consumers: int = 1, publish: float = 0.0, deliver: float = 0.0
) -> QueueStats:
    return QueueStats(name, ready, unacked, consumers, publish, deliver)


def test_a_queue_whose_ready_count_rose_since_the_last_sample_grows() -> None:
    assert is_growing(stats("enrollment.commands", ready=12), stats("enrollment.commands", ready=3))


def test_a_queue_fed_faster_than_it_is_drained_grows_while_messages_wait() -> None:
    assert is_growing(stats("enrollment.commands", ready=40, publish=120.0, deliver=80.0), None)


def test_a_queue_fed_faster_than_drained_with_nothing_waiting_does_not_grow() -> None:
    assert not is_growing(stats("enrollment.commands", ready=0, publish=120.0, deliver=80.0), None)


def test_a_queue_draining_its_backlog_does_not_grow() -> None:
    current = stats("enrollment.commands", ready=30, publish=50.0, deliver=200.0)

    assert not is_growing(current, stats("enrollment.commands", ready=90))


def test_a_service_queue_without_consumer_is_flagged_before_its_growth() -> None:
    current = stats("scheduling.events", ready=5, consumers=0, publish=3.0)

    assert warnings(current, None) == (NO_CONSUMER, GROWING)


def test_a_parking_queue_with_messages_is_flagged_parked_and_never_wants_a_consumer() -> None:
    assert warnings(stats("scheduling.events.parking", ready=2, consumers=0, publish=1.0), None) == (PARKED,)
    assert warnings(stats("scheduling.events.parking", consumers=0), None) == ()


def test_a_healthy_service_queue_has_no_warning() -> None:
    current = stats("opinions.commands", ready=1, publish=5.0, deliver=5.0)

    assert warnings(current, stats("opinions.commands", ready=1)) == ()


def test_queues_are_listed_each_with_its_retries_and_parking_queue_then_the_others_and_missing_ones_flagged() -> None:
    present = [
        stats(name, consumers=0 if name != spec.name else 1)
        for spec in routing.QUEUES
        for name in (spec.name, *spec.retries, spec.parking)
        if name != "enrollment.commands"
    ]
    present += [stats("amq.gen-b", consumers=1), stats("amq.gen-a", consumers=1)]

    listed = rows(present, {})

    expected = [n for spec in routing.QUEUES for n in (spec.name, retry_row_name(spec.name), spec.parking)]
    assert [r.name for r in listed] == [*expected, "amq.gen-a", "amq.gen-b"]
    assert listed[0].stats is None and listed[0].warnings == (MISSING,)
    assert [r.kind for r in listed[:3]] == [SERVICE, RETRY, PARKING] and listed[-1].kind == OTHER
    assert listed[1].warnings == ()


def test_an_outages_backlog_is_summed_per_work_queue_and_flagged_waiting() -> None:
    spec = routing.QUEUES[0]
    waits = {spec.retries[0]: 3, spec.retries[2]: 40}
    present = [stats(name, ready=waits.get(name, 0), consumers=0) for name in spec.retries]

    listed = {r.name: r for r in rows(present, {})}

    retry = listed[retry_row_name(spec.name)]
    assert retry.stats is not None and retry.stats.ready == 43
    assert retry.warnings == (WAITING,)
    assert waiting_to_retry(list(listed.values())) == 43


def test_a_work_queue_whose_retry_queues_are_not_all_there_is_flagged_missing() -> None:
    spec = routing.QUEUES[0]

    listed = {r.name: r for r in rows([stats(spec.retries[0], consumers=0)], {})}

    assert listed[retry_row_name(spec.name)].warnings == (MISSING,)


def test_growth_between_samples_is_judged_against_the_same_queue() -> None:
    listed = rows([stats("opinions.events", ready=9)], {"opinions.events": stats("opinions.events", ready=2)})

    assert next(r for r in listed if r.name == "opinions.events").warnings == (GROWING,)
