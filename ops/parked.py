"""What a parked message says about itself, read from its headers, and a preview of its body without personal data.

Two kinds land in ``<queue>.parking``: those a service parked itself because it could not read them
(``x-passpro-*`` headers), and those the broker dead-lettered after the queue's delivery limit (``x-death``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from contracts import routing

PARKED_BY_SERVICE = "parked by the service"
DEAD_LETTERED = "dead-lettered by the broker"

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_UAI = re.compile(r"[0-9]{7}[A-Za-z]")
_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_INE = re.compile(r"[A-Za-z0-9]{11}")


def _is_instant(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_IDENTIFIERS: dict[str, Callable[[str], object]] = {
    "command_id": _UUID.fullmatch,
    "event_id": _UUID.fullmatch,
    "causation_id": _UUID.fullmatch,
    "campaign": re.compile(r"[0-9]{4}").fullmatch,
    "actor_uai": _UAI.fullmatch,
    "origin_uai": _UAI.fullmatch,
    "reception_uai": _UAI.fullmatch,
    "channel": {"portal", "saio_form"}.__contains__,
    "formation_code": _CODE.fullmatch,
    "domain_code": _CODE.fullmatch,
    "interview_id": _UUID.fullmatch,
    "command": routing.COMMANDS.__contains__,
    "to": _is_instant,
}
"""Body fields whose values identify a message without telling anything about a pupil, and the shape each must
have to be shown: a value of another shape may be anything a secretary typed, so it stays hidden."""
_KNOWN_FIELDS = frozenset(name for model in routing.ROUTING_KEY_TO_MODEL.values() for name in model.model_fields)
_BOOKKEEPING = ("x-death", "x-first-death-", "x-last-death-", "x-passpro-", "x-delivery-count")
"""Headers the broker or the service added on the way to parking; a replay drops them."""


def mask_ine(value: object) -> str:
    """Enough of an INE to tell two pupils apart in a short list, not to identify one."""
    if isinstance(value, str) and _INE.fullmatch(value):
        return "*" * 8 + value[-3:]
    return "(hidden)"


def _identifier(name: str, value: object) -> str:
    if isinstance(value, str) and _IDENTIFIERS[name](value):
        return value
    return "(hidden)"


def preview(body: bytes, routing_key: str | None) -> str:
    """A short account of a body with identifiers only: never a name, an e-mail, a comment or a report.

    Values are shown only for identifier fields and only when they look like identifiers; the INE is
    masked; every other field is named, not shown, and a field name the contracts do not know is only counted.
    """
    key = f"{routing_key} " if routing_key else ""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"{key}not JSON ({len(body)} bytes)"
    if not isinstance(data, dict):
        return f"{key}JSON {type(data).__name__}, not an object ({len(body)} bytes)"
    parts = [f"{name}={_identifier(name, data[name])}" for name in _IDENTIFIERS if name in data]
    pupil = data.get("pupil")
    ine = data.get("ine", pupil.get("ine") if isinstance(pupil, dict) else None)
    if ine is not None:
        parts.append(f"ine={mask_ine(ine)}")
    others = sorted(name for name in data if name not in _IDENTIFIERS and name != "ine" and name in _KNOWN_FIELDS)
    unknown = sum(1 for name in data if name not in _KNOWN_FIELDS)
    if others:
        parts.append("fields " + ",".join(others))
    if unknown:
        parts.append(f"{unknown} unknown field(s)")
    return key + " ".join(parts)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = _text(value)
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class ParkedMessage:
    """What a parked message says about itself: where and why it failed, and how to replay it."""

    id: str
    """Its AMQP message_id in the parking queue (``sha256:`` of the body when it has none): what replay takes."""
    parking_queue: str
    queue: str | None
    """The service queue it failed in."""
    routing_key: str | None
    """The routing key it was first published with, which the consumer dispatches on."""
    kind: str
    reason: str
    failed_at: datetime | None
    original_id: str | None
    """The message_id it had in the service queue, given back to it by a replay."""
    readable: bool
    """Its body is a JSON object."""
    preview: str

    def matches(self, wanted: str) -> bool:
        return wanted in (self.id, self.original_id)

    def refusal(self) -> str | None:
        """Why replaying it would not help, or None."""
        if self.queue is None or routing.parking_queue(self.queue) != self.parking_queue:
            return f"it does not say which queue of {self.parking_queue} it failed in"
        if self.routing_key is None:
            return "it does not say which routing key it was published with"
        if self.kind == PARKED_BY_SERVICE and not self.readable:
            return "its body is not a JSON object, so no service can read it: have it sent again, corrected"
        return None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["failed_at"] = self.failed_at.isoformat() if self.failed_at else None
        return data


def describe(properties: Mapping[str, Any], body: bytes, parking_queue: str) -> ParkedMessage:
    """Reads a parked message's headers, whether the service parked it or the broker dead-lettered it."""
    headers = properties.get("headers") or {}
    own_id = _text(properties.get("message_id")) or "sha256:" + hashlib.sha256(body).hexdigest()
    deaths = [d for d in headers.get("x-death") or [] if isinstance(d, Mapping)]
    if "x-passpro-queue" in headers:
        queue = _text(headers["x-passpro-queue"])
        routing_key = _text(headers.get("x-passpro-routing-key"))
        kind, reason = PARKED_BY_SERVICE, _text(headers.get("x-passpro-reason")) or "no reason given"
        failed_at = _instant(headers.get("x-passpro-parked-at"))
        original_id = _text(headers.get("x-passpro-message-id"))
    elif deaths:
        latest = deaths[0]  # the broker puts the latest dead-lettering first
        queue = _text(latest.get("queue")) or _text(headers.get("x-first-death-queue"))
        keys = [k for k in (_text(k) for k in latest.get("routing-keys") or []) if k is not None]
        routing_key = keys[0] if keys else None
        why = _text(latest.get("reason")) or _text(headers.get("x-first-death-reason")) or "unknown"
        count = latest.get("count")
        kind, reason = DEAD_LETTERED, why + (f" ({count} times)" if isinstance(count, int) and count > 1 else "")
        times = [t for t in (_instant(d.get("time")) for d in deaths) if t is not None]
        failed_at = min(times) if times else None
        original_id = _text(properties.get("message_id"))
    else:
        queue, routing_key, kind, reason, failed_at, original_id = (
            None,
            None,
            "unknown",
            "no failure headers",
            None,
            _text(properties.get("message_id")),
        )
    return ParkedMessage(
        id=own_id,
        parking_queue=parking_queue,
        queue=queue,
        routing_key=routing_key,
        kind=kind,
        reason=reason,
        failed_at=failed_at,
        original_id=original_id,
        readable=_is_json_object(body),
        preview=preview(body, routing_key),
    )


def replay_headers(headers: Mapping[str, Any], queue: str) -> dict[str, Any]:
    """The message's own headers, without the parking bookkeeping, plus the one that routes it to ``queue``."""
    kept = {k: v for k, v in headers.items() if not k.startswith(_BOOKKEEPING)}
    kept[routing.REPLAY_HEADER] = queue
    return kept
