"""Every exchange, routing key and queue name of Passpro, spelled once, with the model each key carries."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from contracts.base import Command, Event, Message
from contracts.commands import (
    AdvanceClock,
    CancelInterviewSlots,
    ConfirmWish,
    DeclareInterviewSlots,
    PurgeCampaign,
    RegisterCandidacy,
    RequestNewInterview,
    SubmitInterviewReport,
    WithdrawCandidacy,
)
from contracts.events import (
    BonusExported,
    CampaignPurged,
    CandidacyRegistered,
    CandidacyWithdrawn,
    CapacityShortfall,
    ClockAdvanced,
    CommandRejected,
    ConvocationSent,
    FinalOpinionComputed,
    InterviewBooked,
    InterviewCancelled,
    InterviewReported,
    InterviewRequested,
    InterviewsAtRisk,
    RecapSent,
    ReportOverdue,
    SlotsCancelled,
    SlotsDeclared,
    WishConfirmed,
)

__all__ = [
    "ADVANCE_CLOCK",
    "BROADCAST_COMMANDS",
    "COMMANDS",
    "COMMANDS_EXCHANGE",
    "COMMAND_OWNERS",
    "EVENTS",
    "EVENTS_EXCHANGE",
    "EVENT_NAMES",
    "EXHAUSTED_PARKING_QUEUE",
    "OPERATOR_COMMANDS",
    "PARKING_EXCHANGE",
    "PORTAL_COMMANDS",
    "PURGE_CAMPAIGN",
    "QUEUES",
    "REPLAY_EXCHANGE",
    "REPLAY_HEADER",
    "RETRY_COUNT_HEADER",
    "RETRY_DELAYS",
    "RETRY_TO_HEADER",
    "RETRY_USER_HEADER",
    "ROUTING_KEY_TO_MODEL",
    "SCHOOLS_EXCHANGE",
    "SERVICES",
    "VHOST",
    "QueueSpec",
    "command_key",
    "command_queue",
    "event_key",
    "events_queue",
    "handlers_of",
    "parking_queue",
    "queues_of",
    "retry_exchange",
    "retry_queue",
    "retry_queues",
    "retry_return_exchange",
    "school_event_key",
    "scoped_command_key",
    "split_command_key",
]

VHOST: Final = "passpro"
COMMANDS_EXCHANGE: Final = "passpro.commands"
EVENTS_EXCHANGE: Final = "passpro.events"
SCHOOLS_EXCHANGE: Final = "passpro.schools"
"""Every public event about a pupil or a school again, once per school concerned: ``<uai>.<service>.<event>``."""
PARKING_EXCHANGE: Final = "passpro.parking"
EXHAUSTED_PARKING_QUEUE: Final = "parking.exhausted"
"""Where a parked message goes once it has been delivered from its parking queue too often: kept for operators."""
REPLAY_EXCHANGE: Final = "passpro.replay"
"""Operators put parked messages back here: a headers exchange that delivers each to the one queue it failed in."""
REPLAY_HEADER: Final = "passpro-replay-to"
"""The header naming that queue; not ``x-``-prefixed, because a headers exchange ignores such keys when matching."""

RETRY_DELAYS: Final = (1, 5, 30, 60, 120)
"""Seconds a delivery that met a transient failure (database or broker away) waits before its next try, by try:
the first retry waits 1 s, the fifth and every later one 2 min, so work resumes at most 2 min after the database
is back, and a 10-minute outage costs each waiting message about 8 cheap failed tries. One broker queue per delay
and work queue."""
RETRY_TO_HEADER: Final = "passpro-retry-to"
"""The retry queue a copy is for, matched by the service's retry exchange (headers)."""
RETRY_COUNT_HEADER: Final = "passpro-retry-count"
"""How many times the message has been sent to wait already; it picks the next delay."""
RETRY_USER_HEADER: Final = "passpro-retry-user"
"""The account that published the original: the copy is published (and so vouched for) by the service itself."""

SERVICES: Final = ("enrollment", "scheduling", "opinions", "notifications", "affelnet_export")

ADVANCE_CLOCK: Final = "advance_clock"
"""A command every service handles: each moves its own virtual clock and says so."""
PURGE_CAMPAIGN: Final = "purge_campaign"
"""A command every service handles: each deletes a finished campaign's personal data and says so."""
BROADCAST_COMMANDS: Final = (ADVANCE_CLOCK, PURGE_CAMPAIGN)
"""Commands every service carries out; one of them (enrollment) answers their rejections, so there is one."""
OPERATOR_COMMANDS: Final = (PURGE_CAMPAIGN,)
"""Commands carried out only when the broker's validated ``user_id`` is the operators' account."""

_M = TypeVar("_M", bound=type[Message])


def _unique(pairs: Iterable[tuple[str, _M]]) -> dict[str, _M]:
    table: dict[str, _M] = {}
    for key, model in pairs:
        if key in table:
            raise ValueError(f"routing key {key!r} is spelled twice")
        table[key] = model
    return table


COMMANDS: Final[dict[str, type[Command]]] = _unique(
    [
        ("register_candidacy", RegisterCandidacy),
        ("withdraw_candidacy", WithdrawCandidacy),
        ("declare_interview_slots", DeclareInterviewSlots),
        ("cancel_interview_slots", CancelInterviewSlots),
        ("submit_interview_report", SubmitInterviewReport),
        ("request_new_interview", RequestNewInterview),
        ("confirm_wish", ConfirmWish),
        (ADVANCE_CLOCK, AdvanceClock),
        (PURGE_CAMPAIGN, PurgeCampaign),
    ]
)
"""Routing key on `passpro.commands` -> the model of the command's body."""

COMMAND_OWNERS: Final[dict[str, str]] = {
    "register_candidacy": "enrollment",
    "withdraw_candidacy": "enrollment",
    "declare_interview_slots": "scheduling",
    "cancel_interview_slots": "scheduling",
    "request_new_interview": "scheduling",
    "submit_interview_report": "opinions",
    "confirm_wish": "affelnet_export",
}
"""Command routing key -> the one service that carries it out; `ADVANCE_CLOCK` goes to every service."""

PORTAL_COMMANDS: Final = tuple(COMMAND_OWNERS)
"""The commands a school's portal sends; only these have the scoped key form ``<command>.<uai>``."""


def scoped_command_key(command: str, uai: str) -> str:
    """The routing key ``<command>.<uai>`` a [[portals]] account publishes a command with, for its school ``uai``."""
    if command not in PORTAL_COMMANDS:
        raise ValueError(f"{command!r} has no per-school form; expected one of {', '.join(PORTAL_COMMANDS)}")
    return f"{command}.{uai}"


def split_command_key(key: str) -> tuple[str, str | None]:
    """``register_candidacy.0931500A`` -> (``register_candidacy``, ``0931500A``); a bare key has no school."""
    command, _, uai = key.partition(".")
    return command, (uai or None)


EVENT_NAMES: Final[dict[type[Event], str]] = {
    CandidacyRegistered: "candidacy_registered",
    CandidacyWithdrawn: "candidacy_withdrawn",
    InterviewBooked: "interview_booked",
    InterviewCancelled: "interview_cancelled",
    CapacityShortfall: "capacity_shortfall",
    SlotsDeclared: "slots_declared",
    SlotsCancelled: "slots_cancelled",
    InterviewRequested: "interview_requested",
    InterviewsAtRisk: "interviews_at_risk",
    FinalOpinionComputed: "final_opinion_computed",
    ReportOverdue: "report_overdue",
    InterviewReported: "interview_reported",
    ConvocationSent: "convocation_sent",
    RecapSent: "recap_sent",
    BonusExported: "bonus_exported",
    WishConfirmed: "wish_confirmed",
    ClockAdvanced: "clock_advanced",
    CampaignPurged: "campaign_purged",
    CommandRejected: "command_rejected",
}
"""Event model -> its name, the part of the routing key after `<service>.`."""

_PUBLISHED: Final[Mapping[str, tuple[type[Event], ...]]] = {
    "enrollment": (CandidacyRegistered, CandidacyWithdrawn),
    "scheduling": (
        InterviewBooked,
        InterviewCancelled,
        CapacityShortfall,
        SlotsDeclared,
        InterviewRequested,
        SlotsCancelled,
        InterviewsAtRisk,
    ),
    "opinions": (FinalOpinionComputed, ReportOverdue, InterviewReported),
    "notifications": (ConvocationSent, RecapSent),
    "affelnet_export": (BonusExported, WishConfirmed),
}
# Every service answers the broadcast commands and may reject a command: these events exist once per service.
_PUBLISHED_BY_EVERY_SERVICE: Final[tuple[type[Event], ...]] = (ClockAdvanced, CampaignPurged, CommandRejected)


def event_key(service: str, name: str) -> str:
    """The routing key `<service>.<event>` of an event on `passpro.events`."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return f"{service}.{name}"


def school_event_key(uai: str, event_routing_key: str) -> str:
    """The routing key ``<uai>.<service>.<event>`` of an event's copy on `passpro.schools` for the school ``uai``."""
    return f"{uai}.{event_routing_key}"


EVENTS: Final[dict[str, type[Event]]] = _unique(
    [
        (event_key(service, EVENT_NAMES[model]), model)
        for service in SERVICES
        for model in (*_PUBLISHED[service], *_PUBLISHED_BY_EVERY_SERVICE)
    ]
)
"""Routing key on `passpro.events` -> the model of the event's body."""

ROUTING_KEY_TO_MODEL: Final[dict[str, type[Message]]] = _unique([*COMMANDS.items(), *EVENTS.items()])
"""Every public routing key, command or event, -> its model."""


def command_key(model: type[Command]) -> str:
    """The routing key a command model is published with."""
    for key, candidate in COMMANDS.items():
        if candidate is model:
            return key
    raise KeyError(model.__name__)


def handlers_of(command: str) -> tuple[str, ...]:
    """The services that consume a command routing key: its owner, or all five for a broadcast command."""
    if command in BROADCAST_COMMANDS:
        return SERVICES
    return (COMMAND_OWNERS[command],)


@dataclass(frozen=True)
class QueueSpec:
    """A durable queue a service consumes, the exchange it is bound to and its binding keys."""

    name: str
    service: str
    exchange: str
    bindings: tuple[str, ...]

    @property
    def parking(self) -> str:
        """Name of the queue where this queue's unreadable or poison messages are parked."""
        return parking_queue(self.name)

    @property
    def retries(self) -> tuple[str, ...]:
        """Names of the queues where this queue's deliveries wait after a transient failure, shortest first."""
        return retry_queues(self.name)


def command_queue(service: str) -> str:
    """Name of the queue a service reads its commands from."""
    return f"{service}.commands"


def events_queue(service: str) -> str:
    """Name of the queue a service reads the other services' events from."""
    return f"{service}.events"


def parking_queue(name: str) -> str:
    """Name of the parking queue (on `passpro.parking`) of the queue `name`."""
    return f"{name}.parking"


def retry_queue(name: str, delay: int) -> str:
    """Name of the queue where deliveries of the queue `name` wait `delay` seconds before coming back to it."""
    return f"{name}.retry.{delay}s"


def retry_queues(name: str) -> tuple[str, ...]:
    """The retry queues of the queue `name`, shortest delay first."""
    return tuple(retry_queue(name, delay) for delay in RETRY_DELAYS)


def retry_exchange(service: str) -> str:
    """The headers exchange a service publishes its waiting copies to (only its own retry queues are bound)."""
    return f"passpro.retry.{service}"


def retry_return_exchange(name: str) -> str:
    """The fanout exchange the retry queues of `name` dead-letter to: bound to `name` alone, keeping the routing key."""
    return f"passpro.return.{name}"


_SUBSCRIPTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "enrollment": (
        event_key("scheduling", "interview_booked"),
        event_key("scheduling", "interview_cancelled"),
        event_key("opinions", "interview_reported"),
    ),
    # A service binds the events it consumes today, no more: an event nobody handles would only
    # cost a delivery. Each service's issue adds its subscriptions here (a contract test checks that
    # the bindings and the service's handlers agree).
    "scheduling": (
        event_key("enrollment", "candidacy_registered"),
        event_key("enrollment", "candidacy_withdrawn"),
        event_key("opinions", "interview_reported"),
    ),
    "opinions": (
        event_key("enrollment", "candidacy_registered"),
        event_key("enrollment", "candidacy_withdrawn"),
        event_key("scheduling", "interview_booked"),
        event_key("scheduling", "interview_cancelled"),
    ),
    "notifications": (
        event_key("enrollment", "candidacy_registered"),
        event_key("enrollment", "candidacy_withdrawn"),
        event_key("scheduling", "interview_booked"),
        event_key("scheduling", "interview_cancelled"),
        event_key("scheduling", "capacity_shortfall"),
        event_key("opinions", "interview_reported"),
        event_key("opinions", "final_opinion_computed"),
        event_key("opinions", "report_overdue"),
    ),
    "affelnet_export": (
        event_key("enrollment", "candidacy_registered"),
        event_key("enrollment", "candidacy_withdrawn"),
        event_key("opinions", "final_opinion_computed"),
    ),
}
"""Service -> the event routing keys its `<service>.events` queue is bound to."""


def _command_bindings(service: str) -> tuple[str, ...]:
    owned = tuple(key for key, owner in COMMAND_OWNERS.items() if owner == service)
    # Both key forms: the académie's portal sends ``<command>``, a school's portal ``<command>.<uai>``.
    return (*owned, *(f"{key}.*" for key in owned), *BROADCAST_COMMANDS)


QUEUES: Final[tuple[QueueSpec, ...]] = tuple(
    spec
    for service in SERVICES
    for spec in (
        QueueSpec(command_queue(service), service, COMMANDS_EXCHANGE, _command_bindings(service)),
        QueueSpec(events_queue(service), service, EVENTS_EXCHANGE, _SUBSCRIPTIONS[service]),
    )
    if spec.bindings
)
"""Every service's durable queues: `<service>.commands` on the commands exchange, `<service>.events`."""


def queues_of(service: str) -> tuple[QueueSpec, ...]:
    """The queues a service consumes."""
    return tuple(spec for spec in QUEUES if spec.service == service)
