"""Reading a delivery's body: ids as the publisher spelt them, what the runtime learns, errors without values."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError


def field_errors(error: ValidationError) -> list[tuple[str, str]]:
    """Field paths and what is wrong, never the submitted value (pupils are minors)."""
    return [(".".join(str(p) for p in e["loc"]) or "(message)", e["msg"]) for e in error.errors()]


def facts(model: Any) -> dict[str, Any]:
    """What the runtime learns from a valid message (which schools a pupil or interview concerns), as body fields."""
    pupil = getattr(model, "pupil", None)
    interview = getattr(model, "interview_id", None)
    return {
        "campaign": model.campaign,
        "ine": getattr(model, "ine", None) or getattr(pupil, "ine", None),
        "interview_id": str(interview) if interview else None,
        "origin_uai": getattr(model, "origin_uai", None),
        "reception_uai": getattr(model, "reception_uai", None),
    }


def spelling(body: bytes, canonical: str) -> str:
    """The id as the publisher spelt it, which an answer echoes; the canonical form when the body uses it.

    Quoted, so that a spelling which merely contains the canonical form (``{…}``, ``urn:uuid:…``) is not taken for it.
    """
    if b'"' + canonical.encode() + b'"' in body:
        return canonical
    data = json.loads(body)
    spelt = data.get("command_id") or data.get("event_id")
    return spelt if isinstance(spelt, str) else canonical


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
