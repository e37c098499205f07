"""What the mail server's answers mean for a mail (R19, R20b, R22, R26): tried again, refused for good, or sent
without some of its recipients, who are then named by role, never by address.

Pure: the sender passes the SMTP codes and texts it got, and gets a decision back.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from enum import StrEnum

from services.notifications.domain import Mailboxes


class Verdict(StrEnum):
    RETRY = "retry"
    """No answer, or a 4xx one: transient, tried again with a growing back-off."""
    REFUSED = "refused"
    """A 5xx answer to the whole mail: no more attempts until an operator, having fixed the address, replays it."""


def is_permanent(code: int | None) -> bool:
    """RFC 5321: 5xx is a permanent failure; 4xx (and no answer at all) a transient one."""
    return code is not None and 500 <= code < 600


def whole_mail_verdict(code: int | None) -> Verdict:
    """R19: a 5xx answer to MAIL FROM or DATA refuses the mail for good; a 4xx one, or none (connection lost,
    time-out), is tried again."""
    return Verdict.REFUSED if is_permanent(code) else Verdict.RETRY


def all_recipients_refused_verdict(codes: Collection[int]) -> Verdict:
    """R19: every recipient refused. For good only when each refusal is permanent: a recipient refused with a 4xx
    may be taken next time (the others are then recorded as refused roles of a sent mail)."""
    return Verdict.REFUSED if codes and all(is_permanent(code) for code in codes) else Verdict.RETRY


_ADDRESS = re.compile(r"<[^<>]*>|[^\s<>]+@[^\s<>]+")
"""What a server quotes of an address: ``<referent@example.org>`` or a bare ``referent@example.org``."""
REASON_LENGTH = 160


def refusal_reason(code: int, text: str) -> str:
    """The SMTP code and a short text, without any address the server quoted (a referent's, a school's): what
    operators read and logs may carry."""
    cleaned = " ".join(_ADDRESS.sub("<adresse>", text).split())
    return f"{code} {cleaned}".strip()[:REASON_LENGTH]


def roles(boxes: Mailboxes) -> dict[str, str]:
    """Each address a mail may go to, in lower case, with who it is: ``origin_school``, ``referent``,
    ``reception_school``, ``operators`` (one address for two roles names both)."""
    named: dict[str, list[str]] = {}
    pairs = [
        (boxes.origin, "origin_school"),
        (boxes.referent, "referent"),
        (boxes.reception, "reception_school"),
        *((address, "reception_school") for address in boxes.domain_receptions),
        (boxes.operators, "operators"),
    ]
    for address, role in pairs:
        if address is not None and role not in named.setdefault(address.lower(), []):
            named[address.lower()].append(role)
    return {address: "+".join(names) for address, names in named.items()}


def refused_roles(known: Mapping[str, str], refused: Collection[str]) -> tuple[str, ...]:
    """R19: who did not get a mail the server took for the others, by role (``unknown`` for an address the mail
    did not name, which a server would not refuse); sorted, each once."""
    return tuple(sorted({known.get(address.lower(), "unknown") for address in refused}))


def partial_refusal(known: Mapping[str, str], refused: Mapping[str, tuple[int, str]]) -> str:
    """R19: why each refused recipient was refused, by role: ``referent: 550 …; origin_school: 451 …``."""
    reasons = sorted(
        f"{known.get(address.lower(), 'unknown')}: {refusal_reason(code, text)}"
        for address, (code, text) in refused.items()
    )
    return "; ".join(reasons)


def not_ascii_reason(known: Mapping[str, str], addresses: Collection[str]) -> str:
    """R19: the server does not take addresses that are not ASCII (no SMTPUTF8), and the mail names some: whose, by
    role (``sender`` for the sending address), never the address itself."""
    whose = sorted({known.get(address.lower(), "sender") for address in addresses})
    return f"the mail server takes no address that is not ASCII (no SMTPUTF8): {', '.join(whose)}"
