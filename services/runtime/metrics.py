"""Prometheus metrics every service exposes: identifiers and counts only."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "passpro_messages_total",
    "Messages consumed, by queue, routing key and outcome "
    "(handled, rejected, duplicate, unreadable, failed, retried: sent to wait after a transient failure)",
    ["queue", "routing_key", "outcome"],
)
LATENCY = Histogram(
    "passpro_handler_seconds",
    "Time from delivery to commit, by queue and routing key",
    ["queue", "routing_key"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("passpro_outbox_backlog", "Events written but not yet confirmed by the broker")
PUBLISHED = Counter("passpro_published_total", "Messages relayed from the outbox, by exchange", ["exchange"])
BATCHES = Counter(
    "passpro_batches_total",
    "Batches of deliveries, by queue and outcome (committed together, handled again one by one, or transient: "
    "each delivery sent to wait)",
    ["queue", "outcome"],
)
LEASE_LOST = Counter(
    "passpro_lease_lost_total",
    "Results of work done against the outside world (a mail, a bonus) not recorded because the sender's lease ran "
    "out and another sender took it over, by work and result",
    ["work", "result"],
)
RECORD_WAITS = Counter(
    "passpro_record_waits_total",
    "Tries to record a result the outside world already gave (a mail SMTP accepted, a bonus Affelnet took) that "
    "found the database away and waited to try again, by work",
    ["work"],
)
