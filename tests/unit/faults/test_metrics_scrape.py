"""The fault run counts deliveries already handled from the services' own metrics, not from a debug log line."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

from tools.faults.processes import messages_by_outcome


def test_deliveries_are_summed_by_outcome_over_queues_and_routing_keys() -> None:
    registry = CollectorRegistry()
    messages = Counter(
        "passpro_messages_total", "Messages consumed", ["queue", "routing_key", "outcome"], registry=registry
    )
    messages.labels("notifications.events", "scheduling.interview_booked", "duplicate").inc(3)
    messages.labels("opinions.events", "scheduling.interview_booked", "duplicate").inc(2)
    messages.labels("opinions.events", "scheduling.interview_booked", "handled").inc(40)
    messages.labels("opinions.events", "scheduling.interview_cancelled", "retried").inc(7)

    counts = messages_by_outcome(generate_latest(registry).decode())

    assert counts == {"duplicate": 5, "handled": 40, "retried": 7}
