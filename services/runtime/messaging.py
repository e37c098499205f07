"""The runtime's messaging names in one place, for code written before they were split by who uses them.

Handlers import ``services.runtime.service``; the outbox is ``services.runtime.outbox``; the consumer
(the only one that knows the broker client) ``services.runtime.consumer``.
"""

from services.runtime.consumer import Consumer
from services.runtime.outbox import HandOff, Outgoing, outbox_row, write_outbox
from services.runtime.periodic import run_periodic
from services.runtime.service import (
    Context,
    Figures,
    Handler,
    Periodic,
    Purge,
    Read,
    ReadRefused,
    Rejected,
    Routine,
    Service,
    Worker,
    WorkerContext,
    per_campaign,
)

__all__ = [
    "Consumer",
    "Context",
    "Figures",
    "HandOff",
    "Handler",
    "Outgoing",
    "Periodic",
    "Purge",
    "Read",
    "ReadRefused",
    "Rejected",
    "Routine",
    "Service",
    "Worker",
    "WorkerContext",
    "outbox_row",
    "per_campaign",
    "run_periodic",
    "write_outbox",
]
