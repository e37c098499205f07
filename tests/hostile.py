"""Hostile commands for the fuzz test: malformed, oversized, forged or unreadable, each with the answer it must get.

Every case is built from a valid body of its routing key and a mutation whose outcome is known
(``invalid``, a rule's reason code, unreadable). Plain seeded generation rather than hypothesis: a verdict
exists only once the whole batch has been answered by five processes on a clock that only moves forward,
so hypothesis could neither run its examples one at a time nor shrink a failing one; a failing case is
printed whole instead, and its seed replays the batch.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from contracts import routing
from contracts.campaign import load_campaign
from deploy.topology import MAX_MESSAGE_SIZE

CAMPAIGN = "2013"
ORIGIN = "0930122C"
"""Origin school of the anchor pupil and of the fresh pupils (Seine-Saint-Denis)."""
OTHER_ORIGIN = "0771234Y"
OUTSIDE_ORIGIN = "0750654D"
"""A Paris school: it registers through the SAIO form only (R12)."""
SAIO = "0941918Z"
WAIT_FORMATION = "2nde-pro-agri-production-animale"
"""Fresh pupils apply here: nobody declares slots in its domain while the fuzz runs, so they only wait."""
ANCHOR_DOMAIN = "communication-industries-graphiques"
ANCHOR_FORMATION = "2nde-pro-industries-graphiques"
ANCHOR_RECEPTION = "0771837D"
IN_WINDOW = "2013-03-12T14:00:00+01:00"

_CATALOG = load_campaign()
FOREIGN_RECEPTIONS = tuple(
    sorted(
        {s.uai for s in _CATALOG.reception_schools}
        - set(next(d for d in _CATALOG.domains if d.code == ANCHOR_DOMAIN).reception_uais)
    )
)
"""Reception schools that do not serve the anchor's domain."""

Body = dict[str, Any] | bytes


@dataclass(frozen=True)
class Anchor:
    """A pupil registered and booked before the fuzz, so that forged commands hit something real."""

    ine: str
    interview_id: str


@dataclass(frozen=True)
class Expect:
    """The one answer a command must get: a rejection with one of ``reasons``, or the events in ``success``."""

    service: str
    reasons: frozenset[str] = frozenset()
    success: tuple[str, ...] = ()
    unreadable: bool = False


@dataclass
class Case:
    family: str
    key: str
    body: Body
    message_id: str
    expect: Expect | None
    """None for a copy of an earlier command: it must get no answer at all."""

    @property
    def answer_id(self) -> str:
        """What the answer names: the body's ``command_id`` when it reads as a UUID, else the AMQP message id."""
        data: Any = self.body
        if isinstance(data, bytes):
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                return self.message_id
        command_id = data.get("command_id") if isinstance(data, dict) else None
        if isinstance(command_id, str) and as_uuid(command_id) is not None:
            return command_id
        return self.message_id

    def describe(self, limit: int = 300) -> str:
        raw = self.body if isinstance(self.body, bytes) else json.dumps(self.body, default=str).encode()
        shown = raw[:limit].decode("utf-8", "backslashreplace")
        return f"{self.family} {self.key} id={self.answer_id} ({len(raw)} bytes): {shown}"


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def answerer(key: str) -> str:
    """The service that answers a command: its owner; enrollment alone for the commands every service gets."""
    return routing.COMMAND_OWNERS.get(key, "enrollment")


def new_ine(rng: random.Random) -> str:
    return f"{rng.randrange(10**10):010d}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"


# Values a person would never type but a broken portal or an attacker might send.
HUGE = ("x" * 100_000, "é" * 20_000, "😀" * 10_000, "e\u0301" * 17_000, "\u200f" * 20_000)
"""Far over every field's limit, and about 120 KB each once JSON escapes them (6 to 12 bytes per character): a
body carrying several stays mostly under the broker's 512 KB message limit (``Hostile.case`` draws again when not)."""
SQL = (
    "'; DROP TABLE candidacies; --",
    "0930122C' OR '1'='1",
    "1; DELETE FROM inbox",
    "$$; TRUNCATE outbox; $$",
    "') UNION SELECT * FROM pg_user --",
    "%' AND 1=1 --",
    "\\'; SELECT pg_sleep(10); --",
)
UNICODE = (
    "\u200f\u202e0930122C",
    "０９３０１２２Ｃ",
    "٠٩٣٠١٢٢C",
    "0930122C\u0301",
    "093O122C",
    "😀",
    "e\u0301",
    "\ufeff",
    "\u2028",
    "Ω≈ç√∫",
    "\u0085",
    "ß",
    "İ",
    "ǅ",
    "\u180e",
    "\ud83d\ude00",
)
GARBAGE = SQL + UNICODE + ("", " ", "null", "0", "-1", "*", "%", "../../etc/passwd", "${jndi:ldap://x/a}", "<script>")
BAD_INES = (
    "12345",
    "0000000001",
    "00000000012",
    "000000000123",
    "0000000001a",
    " 0000000001A",
    "0000000001A ",
    "０１２３４５６７８９Ａ",
    "٠١٢٣٤٥٦٧٨٩A",
    "0000000001Ä",
    "0000000001A\u0301",
    "\u200f0000000001A",
    "1234B12345X",
    "'; DROP TABLE needs;--",
    "0000000001AA",
)
BAD_UAIS = (
    "0930122D",
    "0930122c",
    "093O122C",
    "0930122",
    "09301222C",
    "0930122C ",
    "０９３０１２２Ｃ",
    "0930122Ç",
    "'; DROP--",
    "",
    "0930122C\u200f",
    "0930122I",
)
BAD_CODES = (
    "cap-cuisine'; DROP TABLE candidacies;--",
    "сap-cuisine",
    "cap-cuisine\u0301",
    "CAP-CUISINE",
    "cap-cuisine ",
    "cap_cuisine",
    "",
    "%",
    "cap-%",
    "😀",
    "\u202ecap-cuisine",
    "2nde-pro-industries-graphique",
)
BAD_ACTORS = tuple(value for value in (*BAD_UAIS, *GARBAGE) if len(value) <= 16)
"""Strings the contract lets through as a UAI (16 characters at most) that name no school."""
BAD_CAMPAIGNS = ("2012", "2014", "2013 ", " 2013", "２０１３", "2013\u200f", "'; DROP--", "2013.0", "13")
NOT_ELIGIBLE = ("2nde_gt", "2NDE", "4eme", "3EME", "3eme ", "3ème", "3e\u0300me", "terminale", "'; DROP--", "😀")
BLANKS = ("", "   ", "\t\n", "\u3000", "\u00a0\u00a0", "\u2028")
BAD_DATES = (
    "",
    "not-a-date",
    "2013-02-30",
    "2013-13-01",
    "0000-01-01",
    "10000-01-01",
    "20130220",
    "2013-2-3",
    "1998-02-29",
    "31/12/1998",
    "1998-05-14T00:00:00+25:00",
)
BAD_INSTANTS = (
    "2013-02-01T08:00:00",
    "2013-02-01",
    "",
    "demain",
    "2013-02-30T08:00:00+01:00",
    "2013-02-01T25:00:00+01:00",
    "2013-02-01T08:00:00+25:00",
    "10000-01-01T00:00:00+00:00",
    "0000-12-31T23:00:00+00:00",
    "2013-02-01T08:00:00+01:00[Europe/Paris]",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T12:00:00Z",
    "9999-12-31T23:30:00Z",
    "9999-12-31T00:00:00-12:00",
)
"""Not an instant with an offset, or one too close to the ends of the calendar to compute with."""
CONTROL = ("\x00", "a\x00b", "0000000001A\x00", "0000000001A\x1b", "\x1b[31mRouge\x1b[0m", "\x07", "x\x7f", "\x1f")
"""Control characters (U+0000 included, which PostgreSQL cannot store): refused in every text field."""
OUTSIDE_WINDOW = (
    "2013-02-10T23:59:00+01:00",
    "2013-04-18T00:00:00+02:00",
    "2013-04-17T23:56:00+02:00",
    "1900-01-01T09:00:00+00:09",
    "2100-03-01T09:00:00+01:00",
    "9999-06-01T09:00:00+02:00",
    "0001-01-02T09:00:00+00:00",
    "2012-03-12T14:00:00+01:00",
)
"""Slot starts outside the 2013 interview period whatever the duration (5 minutes or more): 23:56 ends on the 18th."""
EARLIER = (
    "2013-01-15T08:00:00+01:00",
    "1970-01-01T00:00:00+00:00",
    "2013-02-01T08:00:00Z",
    "0001-01-02T00:00:00+00:00",
    "2013-02-04T08:00:00.123456+01:00",
)
"""Well-formed instants before the run's start: ``advance_clock`` to them must leave the clock where it is."""
WRONG_TYPES = (12, -1.5, True, False, [], {}, ["x"], {"x": "y"}, float("nan"), float("inf"), ["x"] * 10_000)
EXTRA_KEYS = (
    "favourite_colour",
    "Command_Id",
    "command_id ",
    "__proto__",
    "constructor",
    "$where",
    "'; DROP TABLE inbox;--",
    "é",
    "😀",
    "\u200f",
    "\ud800",
    "k" * 10_000,
    "",
    "ine\u0000",
)

NAMES = (
    "Lefèvre",
    "E\u0300ve-Marie",
    "Zoë",
    "Zoe\u0308",
    "\u200fעִבְרִית",
    "مريم",
    "😀 Émoji 🎉",
    "Z̴̡a̶l̷g̵o̸",
    "O'Brien",
    "Robert'); DROP TABLE candidacies;--",
    "<script>alert('x')</script>",
    "%s%s%n",
    "\u202eRLO",
    "ß-Strauß",
    "ǅemal",
    "\ufeffBOM",
    "Nguyễn Thị Minh Khai",
    "李小龍",
    "x" * 100,
    "\u2028Lina",
    "Ana\u00a0Lúcia",
    "ﬀ ligature",
    "ΣΊΣΥΦΟΣ",
)
COMMENTS = (
    "Élève motivée, a fait un stage d'observation.",
    "Projet réfléchi 👍 ; stage en entreprise\u2028validé.",
    "'; DROP TABLE candidacies; -- mais motivé",
    "é" * 4000,
    "Ligne 1\nLigne 2\r\n\tTab",
    "Commentaire en arabe : طالب متحمس",
    "e\u0301le\u0300ve (NFD)",
)
EMAILS = (
    "referente.durand@example.org",
    "référente@exemple.fr",
    "a+tag@example.org",
    "x@xn--bcher-kva.example",
    "o'brien@example.org",
)


def _walk(body: Any, parts: list[str]) -> Any:
    for part in parts:
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _get(body: dict[str, Any], path: str) -> Any:
    return _walk(body, path.split("."))


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = _walk(body, parents)
    target[int(last) if isinstance(target, list) else last] = value


def _drop(body: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    del _walk(body, parents)[last]


def _related(path: str, other: str) -> bool:
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


# Each path of a command's body and its kind; list elements are reached through index 0.
_COMMON = {"command_id": "uuid", "campaign": "campaign", "actor_uai": "uai", "channel": "channel"}
FIELDS: dict[str, dict[str, str]] = {
    "register_candidacy": {
        **_COMMON,
        "pupil": "object",
        "pupil.ine": "ine",
        "pupil.last_name": "name",
        "pupil.first_name": "name",
        "pupil.birth_date": "date",
        "pupil.class_level": "class",
        "origin_uai": "uai",
        "referent": "object",
        "referent.name": "name",
        "referent.email": "email",
        "formation_code": "code",
        "origin_opinion": "opinion",
        "origin_comment": "comment",
        "origin_mailbox": "email",
    },
    "withdraw_candidacy": {**_COMMON, "ine": "ine", "formation_code": "code", "reason": "reason"},
    "declare_interview_slots": {
        **_COMMON,
        "domain_code": "code",
        "place": "place",
        "slots": "slots",
        "slots.0": "object",
        "slots.0.starts_at": "instant",
        "slots.0.duration_minutes": "duration",
        "slots.0.capacity": "capacity",
    },
    "cancel_interview_slots": {
        **_COMMON,
        "domain_code": "code",
        "starts_at": "instants",
        "starts_at.0": "instant",
        "reason": "reason",
    },
    "submit_interview_report": {
        **_COMMON,
        "interview_id": "uuid",
        "attended": "bool",
        "report": "report",
        "opinions": "opinions",
        "opinions.0": "object",
        "opinions.0.formation_code": "code",
        "opinions.0.opinion": "opinion",
    },
    "request_new_interview": {**_COMMON, "ine": "ine", "domain_code": "code"},
    "confirm_wish": {
        **_COMMON,
        "ine": "ine",
        "formation_code": "code",
        "family_confirmed": "true",
        "wish_entered_on": "date",
    },
    "advance_clock": {**_COMMON, "to": "instant"},
    "purge_campaign": dict(_COMMON),
}
OPTIONAL = {"channel", "reason", "report", "opinions"}
"""Fields with a default: leaving them out is valid."""
MAX_LENGTH = {
    "campaign": 16,
    "uai": 16,
    "ine": 32,
    "code": 64,
    "name": 100,
    "comment": 4000,
    "report": 8000,
    "place": 300,
    "reason": 500,
    "email": 254,
    "class": 32,
    "channel": 9,
    "opinion": 15,
}
STRING_KINDS = set(MAX_LENGTH)
BOUNDED_KINDS = {
    "slots",
    "instants",
    "opinions",
    "duration",
    "capacity",
    "date",
    "instant",
    "email",
    "channel",
    "opinion",
    "true",
}
# Integers, booleans, floats and numeric strings are left out where the contract coerces them (dates and
# instants from Unix timestamps, ints from "30", booleans from "yes" or 1): those would be valid, not hostile.
WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "string": (12, -1.5, True, False, [], {}, ["x"], {"x": "y"}, float("nan"), float("inf"), ["x"] * 10_000),
    "uuid": (12, True, [], {}, None, "", "not-a-uuid", "12345678-1234-5678-1234-56781234567G", *SQL),
    "number": ("trente", 2.5, None, [], {}, "", float("nan"), float("inf"), ["1"] * 10_000),
    "bool": ("maybe", 2, -1, None, [], {}, "", "peut-être", [True]),
    "time": (True, False, [], {}, None, ["2013-02-20"]),
    "object": ("x", 5, None, True, "{}", [], "[]"),
    "list": ("x", 5, None, True, "{}", {}),
}
SHAPE = {
    "uuid": "uuid",
    "duration": "number",
    "capacity": "number",
    "bool": "bool",
    "true": "bool",
    "date": "time",
    "instant": "time",
    "object": "object",
    "slots": "list",
    "instants": "list",
    "opinions": "list",
}


class Hostile:
    """Builds the cases of one fuzz run from a seed: hostile ones, valid ones, and copies of both."""

    def __init__(self, rng: random.Random, anchor: Anchor) -> None:
        self.rng = rng
        self.anchor = anchor
        self.keys = sorted(routing.COMMANDS)
        missing = set(self.keys) - set(FIELDS)
        if missing:
            raise AssertionError(f"no hostile template for {sorted(missing)}: add one to tests/hostile.py")

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _envelope(self, actor: str = ORIGIN) -> dict[str, Any]:
        return {"command_id": self._id(), "campaign": CAMPAIGN, "actor_uai": actor, "channel": "portal"}

    def registration(self) -> dict[str, Any]:
        """A valid registration of a fresh pupil by the origin school, with unusual but acceptable text."""
        pick = self.rng.choice
        channel = pick(("portal", "saio_form"))
        # The origin school has no mailbox in the directory: through the SAIO form it must give one.
        mailbox = {"origin_mailbox": pick(EMAILS)} if channel == "saio_form" else {}
        return {
            **self._envelope(),
            "channel": channel,
            **mailbox,
            "pupil": {
                "ine": new_ine(self.rng),
                "last_name": pick(NAMES),
                "first_name": pick(NAMES),
                "birth_date": f"{self.rng.randint(1996, 2000)}-{self.rng.randint(1, 12):02d}-"
                f"{self.rng.randint(1, 28):02d}",
                "class_level": pick(("3eme", "3eme_segpa", "3eme_prepa_metiers", "classe_accueil", "mgi_niveau_v")),
            },
            "origin_uai": ORIGIN,
            "referent": {"name": pick(NAMES), "email": pick(EMAILS)},
            "formation_code": WAIT_FORMATION,
            "origin_opinion": pick(("favorable", "assez_favorable", "reserve")),
            "origin_comment": pick(COMMENTS),
        }

    def withdrawal(self, ine: str) -> dict[str, Any]:
        return {
            **self._envelope(),
            "ine": ine,
            "formation_code": WAIT_FORMATION,
            "reason": self.rng.choice((None, "a choisi une autre voie", "déménagement 🚚", "é" * 500)),
        }

    def valid(self, body: dict[str, Any], key: str, *success: str) -> Case:
        return Case("valid", key, body, body["command_id"], Expect(answerer(key), success=success))

    def _baseline(self, key: str) -> tuple[dict[str, Any], Expect]:
        """A body the contract accepts, and what it yields when nothing else is wrong with it."""
        refused = Expect(answerer(key), frozenset({"unknown_candidacy"}))
        if key == "register_candidacy":
            return self.registration(), Expect(answerer(key), success=("enrollment.candidacy_registered",))
        if key == "withdraw_candidacy":
            return self.withdrawal(new_ine(self.rng)), refused
        if key == "declare_interview_slots":
            slot = {"starts_at": IN_WINDOW, "duration_minutes": 30, "capacity": 2}
            return (
                {
                    **self._envelope(self.rng.choice(FOREIGN_RECEPTIONS)),
                    "domain_code": ANCHOR_DOMAIN,
                    "place": "Atelier B",
                    "slots": [slot],
                },
                Expect(answerer(key), frozenset({"unauthorized"})),
            )
        if key == "cancel_interview_slots":  # never from the anchor's school: its slot must stay
            return (
                {
                    **self._envelope(self.rng.choice(FOREIGN_RECEPTIONS)),
                    "domain_code": ANCHOR_DOMAIN,
                    "starts_at": [IN_WINDOW],
                    "reason": "Salle indisponible",
                },
                Expect(answerer(key), frozenset({"unauthorized"})),
            )
        if key == "submit_interview_report":
            opinion = {"formation_code": ANCHOR_FORMATION, "opinion": "favorable"}
            return (
                {
                    **self._envelope(ANCHOR_RECEPTION),
                    "interview_id": self._id(),
                    "attended": True,
                    "report": "Bon entretien.",
                    "opinions": [opinion],
                },
                Expect(answerer(key), frozenset({"unknown_interview"})),
            )
        if key == "request_new_interview":
            return {**self._envelope(), "ine": new_ine(self.rng), "domain_code": ANCHOR_DOMAIN}, refused
        if key == "confirm_wish":
            return (
                {
                    **self._envelope(),
                    "ine": new_ine(self.rng),
                    "formation_code": WAIT_FORMATION,
                    "family_confirmed": True,
                    "wish_entered_on": "2013-05-20",
                },
                refused,
            )
        if key == "advance_clock":
            ticks = tuple(routing.event_key(service, "clock_advanced") for service in routing.SERVICES)
            return {**self._envelope(SAIO), "to": self.rng.choice(EARLIER)}, Expect(answerer(key), success=ticks)
        if key == "purge_campaign":  # an operators' command: a portal is refused, whatever the body says
            return self._envelope(SAIO), Expect(answerer(key), frozenset({"unauthorized"}))
        raise AssertionError(key)

    def case(self) -> Case:
        """One hostile command of a family drawn at random, small enough for the broker to accept.

        A message over the broker's ``max_message_size`` never reaches a service (the broker refuses it and
        closes the publisher's channel, tests/service/broker/test_message_size.py): such a draw is drawn again.
        """
        while True:
            case = self._draw()
            raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body, default=str).encode()
            if len(raw) < MAX_MESSAGE_SIZE:
                return case

    def _draw(self) -> Case:
        key = self.rng.choice(self.keys)
        family = self.rng.choices(("unreadable", "invalid", "rule", "campaign", "ids"), weights=(10, 55, 27, 4, 4))[0]
        if family == "unreadable":
            return self._unreadable(key)
        body, expect = self._baseline(key)
        if family == "invalid" or (family == "rule" and key == "advance_clock"):
            return self._invalid(key, body)
        if family == "ids":
            return self._ids(key, body, expect)
        if family == "campaign" or key == "purge_campaign":
            body["campaign"] = self.rng.choice(BAD_CAMPAIGNS)
            if key != "purge_campaign":
                expect = Expect(answerer(key), frozenset({"unknown_campaign"}))
            return Case(family, key, body, body["command_id"], expect)
        return self._rule(key, body)

    def _unreadable(self, key: str) -> Case:
        rng = self.rng
        valid = json.dumps(self._baseline(key)[0]).encode()
        raw = rng.choice(
            (
                b"",
                b" ",
                b"\xff\xfe not json",
                b"not json at all",
                b"{",
                b'{"command_id": ',
                b"{'command_id': 'x'}",
                b"<command><ine>0000000001A</ine></command>",
                b"null",
                b"true",
                b"42",
                b"-0.0e-0",
                b'"register_candidacy"',
                b"[]",
                b"[" + valid + b"]",
                valid[:-1],
                valid + b"}",
                valid.replace(b'"', b"'"),
                json.dumps({"nom": "Lefèvre"}, ensure_ascii=False).encode("latin-1"),
                b"\xef\xbb\xbf[1]",
                b"[" * 200 + b"]" * 200,
                b"[" * 100_000 + b"]" * 100_000,
                b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
                b'{"command_id": 1' + b"1" * 5000 + b"}",
                b"NaN",
                '[1, "é"]'.encode("utf-16"),
                b"\x93\xa4cmd\xc0",
                b"{{{\x00\x00\x00",
                b"random",
                b"random",
                b"random",
            )
        )
        if raw == b"random":
            raw = rng.randbytes(rng.choice((rng.randint(1, 2000), 100_000)))
        try:
            readable = isinstance(json.loads(raw), dict)
        except (ValueError, RecursionError):
            readable = False
        if readable:  # a random draw that happens to be a JSON object is not what this family is about
            raw = b"\xff" + raw
        return Case("unreadable", key, raw, self._id(), Expect(answerer(key), frozenset({"invalid"}), unreadable=True))

    def _invalid(self, key: str, body: dict[str, Any]) -> Case:
        """One to three mutations the contract refuses, on unrelated fields: the answer is ``invalid``."""
        message_id = body["command_id"]
        fields = FIELDS[key]
        touched: list[str] = []
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            free = [p for p in fields if self._present(body, p) and not any(_related(p, t) for t in touched)]
            if not free:
                break
            path = self.rng.choice(free)
            touched.append(path)
            self._break(body, path, fields[path])
        return Case("invalid", key, body, message_id, Expect(answerer(key), frozenset({"invalid"})))

    @staticmethod
    def _present(body: dict[str, Any], path: str) -> bool:
        try:
            _get(body, path)
        except (KeyError, IndexError, TypeError, ValueError):
            return False
        return True

    def _break(self, body: dict[str, Any], path: str, kind: str) -> None:
        rng = self.rng
        last = path.rsplit(".", 1)[-1]
        moves = ["wrong", "extra_top"]
        if last not in OPTIONAL and not last.isdigit():  # an element less in a list may still be a valid list
            moves.append("drop")
        if kind in STRING_KINDS:
            moves += ["oversize", "surrogate", "control"]
        if kind in ("name", "comment", "place"):
            moves.append("blank")
        if kind == "object":
            moves.append("extra")
        if kind in BOUNDED_KINDS:
            moves += ["bounds", "bounds"]
        move = rng.choice(moves)
        if move == "drop":
            _drop(body, path)
        elif move == "extra_top":
            body[rng.choice(EXTRA_KEYS)] = rng.choice((1, "x", None, [], {"a": [1, {"b": None}]}, rng.choice(HUGE)))
        elif move == "extra":
            _get(body, path)[rng.choice(EXTRA_KEYS)] = rng.choice((1, "x", None))
        elif move == "oversize":
            _set(body, path, rng.choice((*HUGE, "é" * (MAX_LENGTH[kind] + 1))))
        elif move == "control":
            _set(body, path, self.rng.choice(CONTROL))
        elif move == "surrogate":
            _set(body, path, rng.choice(("\ud800", "a\udfffb", "\udc00" + str(_get(body, path))[:8])))
        elif move == "blank":
            _set(body, path, rng.choice(BLANKS))
        elif move == "bounds":
            _set(body, path, self._out_of_bounds(kind))
        else:
            wrong = (*WRONG_TYPES[SHAPE.get(kind, "string")], None)
            _set(body, path, rng.choice([v for v in wrong if v is not None or kind != "reason"]))

    def _out_of_bounds(self, kind: str) -> Any:
        pick = self.rng.choice
        if kind == "slots":
            slot = {"starts_at": IN_WINDOW, "duration_minutes": 30, "capacity": 1}
            return pick(([], [slot] * 201, [slot] * 3_000, [1] * 10_000))  # under the broker's 512 KB
        if kind == "instants":
            return pick(([], [IN_WINDOW] * 201, [IN_WINDOW] * 10_000, [None] * 10_000))
        if kind == "opinions":
            opinion = {"formation_code": ANCHOR_FORMATION, "opinion": "favorable"}
            return pick(([opinion] * 21, [opinion] * 3_000, [None] * 10_000))  # under the broker's 512 KB
        choices: dict[str, tuple[Any, ...]] = {
            "duration": (0, 4, -5, 481, 10**30, -(10**30)),
            "capacity": (0, -1, 501, 10**30),
            "date": BAD_DATES,
            "instant": BAD_INSTANTS,
            "email": (
                "pas-une-adresse",
                "@example.org",
                "a@@b.fr",
                "a b@c.fr",
                "a@b",
                "",
                "a@b.\n",
                "référente@",
                "x" * 250 + "@example.org",
            ),
            "channel": ("", "Portal", "saio", "portal ", "SAIO_FORM", "email", "'; DROP--", None),
            "opinion": ("tres_favorable", "FAVORABLE", "favorable ", "", "défavorable", "peu_favorable"),
            "true": (False, "false", 0, "no", "non"),
        }
        return pick(choices[kind])

    def _ids(self, key: str, body: dict[str, Any], expect: Expect) -> Case:
        """Games with the command's id: non-canonical UUIDs are still ids; anything else makes the body invalid."""
        original = body["command_id"]
        move = self.rng.choice(("upper", "braces", "urn", "hex", "other_message_id", "missing", "not_uuid"))
        if move in ("upper", "braces", "urn", "hex"):
            body["command_id"] = {
                "upper": original.upper(),
                "braces": "{" + original + "}",
                "urn": "urn:uuid:" + original,
                "hex": original.replace("-", ""),
            }[move]
            return Case("ids", key, body, original, expect)
        if move == "other_message_id":
            return Case("ids", key, body, self._id(), expect)
        if move == "missing":
            del body["command_id"]
        else:
            body["command_id"] = self.rng.choice((*SQL, *UNICODE, "", original[:-1], original + "0", "x" * 10_000))
        return Case("ids", key, body, original, Expect(answerer(key), frozenset({"invalid"})))

    def _rule(self, key: str, body: dict[str, Any]) -> Case:
        """A body the contract accepts but a rule refuses: malformed identifiers, forged schools, dates."""
        anchor = self.anchor
        pick = self.rng.choice
        if key == "register_candidacy":
            reason = pick(
                (
                    "invalid_ine",
                    "invalid_uai",
                    "invalid_uai",
                    "not_eligible",
                    "unknown_formation",
                    "unauthorized",
                    "unauthorized",
                    "unauthorized",
                )
            )
            if reason == "invalid_ine":
                body["pupil"]["ine"] = pick(BAD_INES)
            elif reason == "invalid_uai":
                body[pick(("origin_uai", "actor_uai"))] = pick(BAD_UAIS)
            elif reason == "not_eligible":
                body["pupil"]["class_level"] = pick(NOT_ELIGIBLE)
            elif reason == "unknown_formation":
                body["formation_code"] = pick(BAD_CODES)
            else:
                forgery = pick(("other_actor", "outside_on_portal", "anchor_by_other"))
                if forgery == "other_actor":
                    body["actor_uai"] = pick((OTHER_ORIGIN, SAIO, ANCHOR_RECEPTION))
                elif forgery == "outside_on_portal":
                    body.update(actor_uai=OUTSIDE_ORIGIN, origin_uai=OUTSIDE_ORIGIN, channel="portal")
                else:
                    body["pupil"]["ine"], body["formation_code"] = anchor.ine, ANCHOR_FORMATION
                    body.update(actor_uai=OTHER_ORIGIN, origin_uai=OTHER_ORIGIN)
        elif key == "withdraw_candidacy":
            reason = pick(("invalid_uai", "invalid_ine", "unknown_formation", "unauthorized", "unknown_candidacy"))
            if reason == "invalid_uai":
                body["actor_uai"] = pick(BAD_UAIS)
            elif reason == "invalid_ine":
                body["ine"] = pick(BAD_INES)
            elif reason == "unknown_formation":
                body["formation_code"] = pick(BAD_CODES)
            elif reason == "unauthorized":
                body.update(ine=anchor.ine, formation_code=ANCHOR_FORMATION, actor_uai=pick((OTHER_ORIGIN, SAIO)))
            else:  # the anchor never applied to this formation
                body["ine"] = anchor.ine
        elif key == "declare_interview_slots":
            reason = pick(("unknown_domain", "unauthorized", "outside_interview_window", "outside_interview_window"))
            if reason == "unknown_domain":
                body["domain_code"] = pick(BAD_CODES)
            elif reason == "unauthorized":
                body["actor_uai"] = pick((*BAD_ACTORS, ORIGIN, SAIO))
            else:  # one slot out of the period refuses the whole declaration, even from the right school
                outside = {
                    "starts_at": pick(OUTSIDE_WINDOW),
                    "duration_minutes": pick((5, 30, 480)),
                    "capacity": self.rng.randint(1, 500),
                }
                slots = [{"starts_at": IN_WINDOW, "duration_minutes": 30, "capacity": 1}] * self.rng.randint(0, 3)
                slots.insert(self.rng.randint(0, len(slots)), outside)
                body.update(actor_uai=ANCHOR_RECEPTION, slots=slots)
        elif key == "cancel_interview_slots":
            reason = pick(("unknown_domain", "unauthorized", "unknown_slot"))
            if reason == "unknown_domain":
                body["domain_code"] = pick(BAD_CODES)
            elif reason == "unauthorized":
                body["actor_uai"] = pick((*BAD_ACTORS, ORIGIN, SAIO))
            else:  # the anchor's school never declared a slot at these odd minutes
                body.update(
                    actor_uai=ANCHOR_RECEPTION,
                    starts_at=[pick(("2013-03-13T07:13:00+01:00", "2013-04-16T18:47:00+02:00"))],
                )
        elif key == "submit_interview_report":
            reason = pick(("unknown_interview", "unauthorized", "interview_not_held"))
            if reason == "unknown_interview":
                body["actor_uai"] = pick(BAD_ACTORS)
            elif reason == "unauthorized":
                body.update(
                    interview_id=anchor.interview_id, actor_uai=pick((*FOREIGN_RECEPTIONS, ORIGIN, *BAD_ACTORS))
                )
            else:  # the anchor's interview is days ahead on the services' clock
                body.update(
                    interview_id=anchor.interview_id,
                    attended=pick((True, False)),
                    opinions=pick(([], body["opinions"])),
                    report=pick(("", "Très bien.", "é" * 8000)),
                )
        elif key == "request_new_interview":
            reason = pick(("invalid_ine", "unknown_domain", "unauthorized", "unknown_interview"))
            if reason == "invalid_ine":
                body["ine"] = pick(BAD_INES)
            elif reason == "unknown_domain":
                body["domain_code"] = pick(BAD_CODES)
            elif reason == "unauthorized":
                body.update(ine=anchor.ine, actor_uai=pick((OTHER_ORIGIN, SAIO, *BAD_ACTORS)))
            else:  # the anchor has a booked interview, not a missed one
                body["ine"] = anchor.ine
        elif key == "confirm_wish":
            reason = pick(("invalid_ine", "unknown_formation", "unauthorized", "wish_deadline_passed"))
            if reason == "invalid_ine":
                body["ine"] = pick(BAD_INES)
            elif reason == "unknown_formation":
                body["formation_code"] = pick(BAD_CODES)
            else:
                body.update(ine=anchor.ine, formation_code=ANCHOR_FORMATION)
                if reason == "unauthorized":
                    body["actor_uai"] = pick((OTHER_ORIGIN, SAIO, *BAD_ACTORS))
                else:
                    body["wish_entered_on"] = pick(("2013-06-01", "2014-01-01", "9999-12-31"))
        else:
            raise AssertionError(key)
        return Case("rule", key, body, body["command_id"], Expect(answerer(key), frozenset({reason})))

    def copy_of(self, case: Case) -> Case:
        """The same command published again: the inbox must make it a duplicate, with no answer."""
        return Case(f"copy of {case.family}", case.key, case.body, case.message_id, None)

    def same_id_other_body(self, case: Case) -> Case:
        """Another command reusing an id already answered: a duplicate too, whatever it says."""
        assert isinstance(case.body, dict)
        body = self.registration() if case.key == "register_candidacy" else self._baseline(case.key)[0]
        same = str(as_uuid(case.body["command_id"]))  # one UUID, however it is spelt
        body["command_id"] = self.rng.choice((same, same.upper(), "{" + same + "}", "urn:uuid:" + same))
        return Case(f"same id as {case.family}", case.key, body, self.rng.choice((case.message_id, self._id())), None)


def contract_verdict(case: Case) -> str:
    """What the contract makes of a case as the services will read it: unreadable, invalid or valid."""
    raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body, default=str).encode()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return "unreadable"
    if not isinstance(data, dict):
        return "unreadable"
    try:
        routing.COMMANDS[case.key].model_validate(data)
    except ValueError:
        return "invalid"
    return "valid"


def labelled(expect: Expect) -> str:
    if expect.unreadable:
        return "unreadable"
    return "invalid" if expect.reasons == {"invalid"} else "valid"
