"""structlog configured once: JSON lines, identifiers only, never a pupil's personal data."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "last_name",
        "first_name",
        "name",
        "email",
        "referent",
        "pupil",
        "origin_comment",
        "comment",
        "report",
        "birth_date",
        "body",
        "recipients",
        "ine",
        "idempotency_key",
    }
)


def pseudonym(value: str) -> str:
    """A stable stand-in for a value holding an INE, where logs need a correlation key (keyed hash).

    Keyed (``PASSPRO_LOG_KEY``) because INEs are few enough to be hashed one by one: without the key,
    the log line does not give the INE back; with it, an operator finds the lines of a known pupil.
    """
    key = os.environ.get("PASSPRO_LOG_KEY", "passpro-local").encode()
    return "h:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


def redact_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Pupils are minors: drop any field that could carry a name, an e-mail, a comment or a report."""
    for key in PERSONAL_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


def configure(service: str, level: int = logging.INFO) -> None:
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger() -> Any:
    return structlog.get_logger()
