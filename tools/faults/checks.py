"""The invariants of a fault run, checked from the outside (events, mails, Affelnet posts) and from the databases.

Every finding names its subject (a command, a candidacy, an interview, a mail, a bonus) once, whatever the
number of sources that saw it, and says whether something was lost, done twice, or is otherwise wrong.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from contracts import routing
from contracts.base import FinalOpinion
from tools.faults.infra import Infra
from tools.faults.outside import Affelnet, Observer, Reception
from tools.faults.script import Command, Report, Script, final_opinion


def message_id(key: str) -> str:
    """The stable Message-ID notifications gives the mail ``key``."""
    return f"<{key.replace(':', '.')}@passpro.ac-creteil.fr>"


@dataclass
class Findings:
    lost: dict[str, str] = field(default_factory=dict)
    duplicated: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, subject: str, evidence: str) -> None:
        getattr(self, kind).setdefault(subject, evidence)

    def once(self, seen: Counter[Any], item: Any, subject: str, source: str) -> None:
        """Exactly one ``item`` in ``seen``: none is a loss, two or more a duplicate."""
        n = seen[item]
        if n == 0:
            self.add("lost", subject, f"none in {source}")
        elif n > 1:
            self.add("duplicated", subject, f"{n} in {source}")


@dataclass
class Outcome:
    """What the checks found, and the figures of the effects they counted."""

    findings: Findings
    effects: Counter[str]
    mails_resent: dict[str, int]
    affelnet_retries: Counter[str]
    parked: list[str]


@dataclass
class Evidence:
    """Everything the run saw, handed to the checks once the system drained."""

    script: Script
    commands: list[Command]
    reports: list[Report]
    unreported: list[str]
    poison: list[Command]
    observer: Observer
    mails: Counter[str]
    affelnet: Affelnet
    infra: Infra
    sender_kills: list[float] = field(default_factory=list)
    """When notifications was killed (``kill -9``), on the same clock."""
    unsure_mails: set[str] = field(default_factory=set)
    """Message-IDs of the mails still ``sending`` when notifications died: whether SMTP took them died with it."""
    mail_log: list[Reception] = field(default_factory=list)
    """Every mail received, in order."""
    by_content: bool = True
    """Mails compared by content too (the crash points count their resent mails themselves)."""

    @property
    def mail_contents(self) -> dict[str, list[Reception]]:
        """Content digest (recipients, subject, body; no Message-ID or Date) -> each copy received with it."""
        copies: dict[str, list[Reception]] = defaultdict(list)
        if self.by_content:
            for received in self.mail_log:
                copies[received.content].append(received)
        return copies


RESEND_WINDOW = 5.0
"""Seconds between a mail's first reception and a kill of its sender within which a second copy is the one window
SMTP cannot close (accepted, then the sender killed before the record). The sender records what SMTP accepted
once the oldest unrecorded mail is 0.2 s old, or at once after a slow mail (``RECORD_AFTER``): the window is that,
plus one mail's sending on a slow link and the record's commit (the crash points measure 65 ms median)."""


async def check(ev: Evidence) -> Outcome:
    findings = Findings()
    effects: Counter[str] = Counter()
    _answers(ev, findings)
    await _candidacies(ev, findings, effects)
    cancelled = await _interviews(ev, findings, effects)
    finals = await _finals(ev, findings, effects)
    resent = await _mails(ev, findings, effects, cancelled)
    retries = await _bonuses(ev, findings, effects, finals)
    parked = await _leftovers(ev, findings, effects)
    return Outcome(findings, effects, resent, retries, parked)


def _answers(ev: Evidence, f: Findings) -> None:
    """Each command answered once: its success event(s), or exactly the one rejection it deserves."""
    for cmd in ev.commands:
        got = ev.observer.answers(cmd)
        subject = f"answer to {cmd.key} {cmd.command_id}"
        if cmd.reason is not None:
            rejections = [
                e for e in ev.observer.by_cause.get(cmd.command_id, ()) if e["_routing_key"] == cmd.owner_rejection
            ]
            if not got[cmd.owner_rejection]:
                f.add("lost", subject, f"no {cmd.owner_rejection}")
            elif got[cmd.owner_rejection] > 1:
                f.add("duplicated", subject, f"{got[cmd.owner_rejection]} distinct {cmd.owner_rejection}")
            elif rejections[0].get("reason") != cmd.reason:
                f.add("wrong", subject, f"reason {rejections[0].get('reason')}, expected {cmd.reason}")
            continue
        if got[cmd.owner_rejection] and cmd.owner_rejection not in cmd.answers:
            reasons = [
                e.get("reason")
                for e in ev.observer.by_cause[cmd.command_id]
                if e["_routing_key"] == cmd.owner_rejection
            ]
            f.add("wrong", subject, f"refused: {reasons}")
            continue
        for key in cmd.answers:
            if got[key] == 0:
                f.add("lost", f"{subject} ({key})", "no answer")
            elif got[key] > 1:
                f.add("duplicated", f"{subject} ({key})", f"{got[key]} distinct events")


async def _candidacies(ev: Evidence, f: Findings, effects: Counter[str]) -> None:
    """Every registered candidacy is in enrollment's table, active unless withdrawn, at its revision (R9)."""
    rows = {
        (r["ine"], r["formation_code"]): r
        for r in await ev.infra.fetch(
            "SELECT ine, formation_code, active, revision FROM enrollment.candidacies WHERE campaign = '2013'"
        )
    }
    for key, c in ev.script.candidacies.items():
        subject = f"candidacy {c.ine}/{c.formation}"
        row = rows.get(key)
        if row is None:
            f.add("lost", subject, "missing from enrollment.candidacies")
        elif row["active"] == c.withdrawn or row["revision"] < c.revision:
            f.add(
                "wrong",
                subject,
                f"active={row['active']} revision={row['revision']}, expected "
                f"active={not c.withdrawn} revision>={c.revision}",
            )
    for key in rows.keys() - ev.script.candidacies.keys():
        f.add("wrong", f"candidacy {key[0]}/{key[1]}", "in enrollment.candidacies but never registered")
    registered = Counter(
        (e["ine"], e["formation_code"], e["revision"])
        for e in ev.observer.by_key.get("enrollment.candidacy_registered", ())
    )
    for c in ev.script.candidacies.values():
        for revision in range(1, c.revision + 1):
            f.once(
                registered,
                (c.ine, c.formation, revision),
                f"candidacy_registered {c.ine}/{c.formation} revision {revision}",
                "the events",
            )
    effects["candidacies registered"] = len(rows)
    effects["candidacies withdrawn"] = sum(1 for r in rows.values() if not r["active"])


async def _interviews(ev: Evidence, f: Findings, effects: Counter[str]) -> set[str]:
    """R13: one live interview per pupil and domain with an active candidacy, none once all are withdrawn (R10);
    no seat over capacity."""
    booked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in ev.observer.by_key.get("scheduling.interview_booked", ()):
        booked[(e["ine"], e["domain_code"])].add(e["interview_id"])
    cancelled = {e["interview_id"] for e in ev.observer.by_key.get("scheduling.interview_cancelled", ())}
    live = {pair: ids - cancelled for pair, ids in booked.items()}
    for ine, domain in sorted(ev.script.needs()):
        ids = live.get((ine, domain), set())
        subject = f"interview of {ine} in {domain}"
        if not ids:
            f.add("lost", subject, "no interview_booked left standing")
        elif len(ids) > 1:
            f.add("duplicated", subject, f"interviews {sorted(ids)}")
    for ine, domain in sorted(ev.script.withdrawn_needs()):
        if live.get((ine, domain)):
            f.add("wrong", f"interview of {ine} in {domain}", "still booked after every candidacy was withdrawn")
    rows = await ev.infra.fetch(
        "SELECT ine, domain_code, array_agg(interview_id::text) AS ids FROM scheduling.interviews "
        "WHERE status <> 'cancelled' GROUP BY ine, domain_code"
    )
    in_db = {(r["ine"], r["domain_code"]): set(r["ids"]) for r in rows}
    for pair in in_db.keys() | {p for p, ids in live.items() if ids}:
        ids, told = in_db.get(pair, set()), live.get(pair, set())
        if len(ids) > 1:
            f.add("duplicated", f"interview of {pair[0]} in {pair[1]}", f"scheduling.interviews: {sorted(ids)}")
        elif ids != told:
            f.add(
                "wrong",
                f"interview of {pair[0]} in {pair[1]}",
                f"scheduling.interviews {sorted(ids)}, events {sorted(told)}",
            )
    seats = await ev.infra.fetch(
        "SELECT s.slot_id::text AS slot, s.capacity, s.booked, count(i.interview_id) "
        "FILTER (WHERE i.status <> 'cancelled') AS taken FROM scheduling.slots s "
        "LEFT JOIN scheduling.interviews i USING (slot_id) GROUP BY s.slot_id"
    )
    for s in seats:
        if s["taken"] > s["capacity"] or s["taken"] != s["booked"]:
            f.add(
                "wrong",
                f"slot {s['slot']}",
                f"capacity {s['capacity']}, counter {s['booked']}, interviews {s['taken']}",
            )
    effects["interviews booked"] = sum(len(ids) for ids in booked.values())
    effects["interviews cancelled"] = len(cancelled)
    effects["seats over capacity"] = sum(1 for s in seats if s["taken"] > s["capacity"])
    return cancelled


async def _finals(ev: Evidence, f: Findings, effects: Counter[str]) -> dict[tuple[str, str], str]:
    """R24, R25: each candidacy of an attended interview gets its crossed final opinion, once; overdue told once."""
    expected = {}
    for r in ev.reports:
        for formation, reception in r.opinions.items():
            origin = ev.script.candidacies[(r.ine, formation)].opinion
            expected[(r.ine, formation)] = final_opinion(origin, reception)
    events: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in ev.observer.by_key.get("opinions.final_opinion_computed", ()):
        events[(e["ine"], e["formation_code"])].append(e)
    rows = {
        (r["ine"], r["formation_code"]): r["final_opinion"]
        for r in await ev.infra.fetch(
            "SELECT ine, formation_code, final_opinion FROM opinions.final_opinions WHERE campaign = '2013'"
        )
    }
    for pair, final in expected.items():
        subject = f"final opinion {pair[0]}/{pair[1]}"
        seen = events.get(pair, [])
        if not seen or pair not in rows:
            f.add("lost", subject, f"{len(seen)} events, in opinions.final_opinions: {pair in rows}")
        elif len(seen) > 1:
            f.add("duplicated", subject, f"{len(seen)} final_opinion_computed events")
        elif {seen[0]["final_opinion"], rows[pair]} != {final}:
            f.add("wrong", subject, f"{seen[0]['final_opinion']} / {rows[pair]}, R24 gives {final}")
    for pair in (events.keys() | rows.keys()) - expected.keys():
        f.add("wrong", f"final opinion {pair[0]}/{pair[1]}", "computed without an attended report")
    overdue = Counter(e["interview_id"] for e in ev.observer.by_key.get("opinions.report_overdue", ()))
    for interview_id in ev.unreported:
        f.once(overdue, interview_id, f"report_overdue {interview_id}", "the events")
    for interview_id in overdue.keys() - set(ev.unreported):
        f.add("wrong", f"report_overdue {interview_id}", "the report was submitted in time")
    effects["reports"] = len(ev.reports)
    effects["final opinions"] = len(rows)
    effects["reports overdue"] = len(overdue)
    return expected


async def _mails(ev: Evidence, f: Findings, effects: Counter[str], cancelled: set[str]) -> dict[str, int]:
    """R19, R26: one convocation per booking (its cancellation if it went out), one recap per attended report;
    every mail recorded as sent was received, none is left waiting."""
    received = ev.mails
    for e in ev.observer.by_key.get("scheduling.interview_booked", ()):
        interview = e["interview_id"]
        convocation = received[message_id(f"convocation:{interview}")]
        cancellation = received[message_id(f"cancellation:{interview}")]
        subject = f"convocation of interview {interview}"
        if interview not in cancelled and not convocation:
            f.add("lost", subject, "never received")
        elif interview in cancelled and convocation and not cancellation:
            f.add("lost", f"cancellation of interview {interview}", "the convocation went out, its cancellation not")
        elif interview in cancelled and cancellation and not convocation:
            if message_id(f"convocation:{interview}") in ev.unsure_mails:
                # Its sender died with the convocation in hand: whether SMTP took it is unknown, so the family is
                # told of the cancellation rather than risk a pupil going to a cancelled interview.
                effects["cancellations sent as their convocation's fate died with its sender"] += 1
            else:
                f.add("wrong", f"cancellation of interview {interview}", "received without its convocation")
    sent_events = Counter(e["interview_id"] for e in ev.observer.by_key.get("notifications.convocation_sent", ()))
    for interview, n in sent_events.items():
        if n > 1:
            f.add("duplicated", f"convocation_sent {interview}", f"{n} events")
    rows = await ev.infra.fetch("SELECT key, kind, state, ine, last_error FROM notifications.mails")
    # R26: a recap sheet saying exactly what the pupil's last one said is dropped, never sent (nor announced);
    # the family has its content from that one, which must have been received.
    identical = {
        r["key"]
        for r in rows
        if r["kind"] == "recap" and r["state"] == "dropped" and r["last_error"] == "same_content_as_the_last_one_sent"
    }
    recap_received = {r["ine"] for r in rows if r["kind"] == "recap" and received[message_id(r["key"])]}
    for r in ev.reports:
        key = f"recap:{r.interview_id}"
        recap = received[message_id(key)]
        if r.attended and not recap and key in identical and r.ine in recap_received:
            effects["recaps dropped as identical to the pupil's last one"] += 1
        elif r.attended and not recap:
            f.add(
                "lost",
                f"recap of interview {r.interview_id}",
                "never received"
                + (", dropped as identical to a recap the pupil never received" if key in identical else ""),
            )
        elif not r.attended and recap:
            f.add("wrong", f"recap of interview {r.interview_id}", "sent for an absent pupil")
    recaps = Counter((e["ine"], e["domain_code"]) for e in ev.observer.by_key.get("notifications.recap_sent", ()))
    for r in ev.reports:
        if r.attended and f"recap:{r.interview_id}" not in identical:
            f.once(recaps, (r.ine, r.domain), f"recap_sent {r.ine}/{r.domain}", "the events")
        elif r.attended and recaps[(r.ine, r.domain)] > 1:
            f.add("duplicated", f"recap_sent {r.ine}/{r.domain}", f"{recaps[(r.ine, r.domain)]} in the events")
    keys = {message_id(r["key"]) for r in rows}
    for r in rows:
        if r["state"] in ("pending", "sending"):
            f.add("lost", f"mail {r['key']}", f"still {r['state']} after the drain")
        elif r["state"] == "sent" and not received[message_id(r["key"])]:
            f.add("lost", f"mail {r['key']}", "recorded as sent, never received")
        effects[f"mails {r['kind']} {r['state']}"] += 1
    for mid in received.keys() - keys:
        f.add("wrong", f"mail {mid}", "received, but notifications has no record of it")
    # A mail received twice is a duplicate to its reader, under the same Message-ID or under two.
    in_window: set[str] = set()
    for copies in ev.mail_contents.values():
        ids = [copy.message_id for copy in copies]
        window = killed_after_250([copy.at for copy in copies], ev.sender_kills)
        if len(ids) == 2 and window is not None:
            in_window.update(ids)
            # Counted, and said apart: the protocol's window, which the design cannot close (docs/reliability).
            effects["mails resent: their sender killed after SMTP's 250, before the record"] += 1
            effects[f"mail resent after a kill, {window * 1000:.0f} ms after its first copy"] += 1
            continue
        if len(ids) > 1 and told_again_after_a_change(ids, ev.mail_log):
            # R15: "n pupils wait" again after other counts of the same domain: news to its reader, not a copy.
            effects["shortfall mails telling a count again after it changed"] += 1
            continue
        if len(ids) > 1:
            same = "the same Message-ID" if len(set(ids)) == 1 else f"{len(set(ids))} Message-IDs"
            f.add(
                "duplicated",
                f"mail {sorted(ids)[0]}",
                f"received {len(ids)} times with the same recipients, subject and body, under {same}",
            )
    effects["mails received"] = sum(received.values())
    effects["mails received, distinct by content"] = len(ev.mail_contents)
    return {mid: n for mid, n in received.items() if n > 1 and mid not in in_window}


def _shortfall_domain(message_id: str) -> str | None:
    """The domain a shortfall mail is about, from its Message-ID (``<shortfall.<domain>.<episode>.<count>@…>``)."""
    parts = message_id.strip("<>").partition("@")[0].split(".")
    return parts[1] if len(parts) == 4 and parts[0] == "shortfall" else None


def told_again_after_a_change(ids: list[str], log: list[Reception]) -> bool:
    """Whether copies of one content under distinct Message-IDs are shortfall mails of one domain, each told after
    another mail of that domain that said something else: the reader's last word on the domain had changed.

    ``log``: every mail received, in order."""
    domains = {_shortfall_domain(message_id) for message_id in ids}
    if len(set(ids)) != len(ids) or len(domains) != 1 or None in domains:
        return False
    (subject,) = domains
    about = [(r.message_id, r.content) for r in log if _shortfall_domain(r.message_id) == subject]
    copies = [i for i, (message_id, _) in enumerate(about) if message_id in ids]
    content = about[copies[0]][1]
    return all(any(other != content for _, other in about[before + 1 : after]) for before, after in pairwise(copies))


def killed_after_250(times: list[float], kills: list[float]) -> float | None:
    """Seconds from a mail's first copy to a kill of its sender before its second copy, when the kill came within
    ``RESEND_WINDOW``; None when no kill explains the second copy."""
    if len(times) != 2:
        return None
    first, second = times
    return next((kill - first for kill in sorted(kills) if first <= kill <= min(second, first + RESEND_WINDOW)), None)


async def _bonuses(
    ev: Evidence, f: Findings, effects: Counter[str], finals: dict[tuple[str, str], str]
) -> Counter[str]:
    """R27–R30: one accepted post per confirmed final opinion, under its one Idempotency-Key; retries only."""
    points = ev.script.campaign.bonus_points
    due = {
        pair: final
        for pair, final in finals.items()
        if pair in ev.script.confirmed and not ev.script.candidacies[pair].withdrawn
    }
    accepted: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    retries: Counter[str] = Counter()
    for key, body, status in ev.affelnet.posts:
        keys[(body.get("ine", ""), body.get("formation_code", ""))].add(key)
        if status == 201:
            accepted[(body.get("ine", ""), body.get("formation_code", ""))].append((key, body))
        else:
            retries[str(status)] += 1
    exported = Counter(
        (e["ine"], e["formation_code"]) for e in ev.observer.by_key.get("affelnet_export.bonus_exported", ())
    )
    rows = {
        (r["ine"], r["formation_code"]): r["state"]
        for r in await ev.infra.fetch(
            "SELECT ine, formation_code, state FROM affelnet_export.bonuses WHERE campaign = '2013'"
        )
    }
    for pair, final in due.items():
        subject = f"bonus {pair[0]}/{pair[1]}"
        posts = accepted.get(pair, [])
        if not posts:
            f.add("lost", subject, f"never accepted by Affelnet (state {rows.get(pair)})")
            continue
        if len({key for key, _ in posts}) > 1 or len(posts) > 1:
            f.add("duplicated", subject, f"accepted {len(posts)} times, keys {sorted({k for k, _ in posts})}")
        key, body = posts[0]
        wanted = {
            "campaign": "2013",
            "ine": pair[0],
            "formation_code": pair[1],
            "final_opinion": final,
            "bonus_points": points.points_for(FinalOpinion(final)),
        }
        if key != f"passpro-2013-{pair[0]}-{pair[1]}" or body != wanted:
            f.add("wrong", subject, f"posted {key} {body}, expected {wanted}")
        f.once(exported, pair, f"bonus_exported {pair[0]}/{pair[1]}", "the events")
        if rows.get(pair) != "delivered":
            f.add("wrong", subject, f"state {rows.get(pair)} in affelnet_export.bonuses")
    for pair in accepted.keys() - due.keys():
        f.add("wrong", f"bonus {pair[0]}/{pair[1]}", "accepted by Affelnet without a confirmed final opinion")
    for pair, used in keys.items():
        if len(used) > 1:
            f.add("duplicated", f"bonus {pair[0]}/{pair[1]}", f"posted under several Idempotency-Keys {sorted(used)}")
    effects["bonuses due"] = len(due)
    effects["bonuses accepted"] = sum(len(p) for p in accepted.values())
    return retries


async def _leftovers(ev: Evidence, f: Findings, effects: Counter[str]) -> list[str]:
    """Nothing left unprocessed: work queues and outboxes empty; the parking queues hold only the poison.

    A poison message may be parked more than once: seen again after a crash between parking and ack, or its
    parked copy re-published by a relay that lost the broker before the confirm. A parking queue has no inbox,
    and a second copy there is harmless (replayed, the inbox makes it one), so copies are counted, not
    called duplicates; the poison's answer is checked for exactly once elsewhere.
    """
    queues = await ev.infra.queues()
    parked: list[str] = []
    poison = Counter[str]()
    for spec in routing.QUEUES:
        left = queues.get(spec.name, {}).get("messages", 0)
        if left:
            f.add("lost", f"queue {spec.name}", f"{left} messages never handled")
        for retry in spec.retries:
            if waits := queues.get(retry, {}).get("messages", 0):
                f.add("lost", f"queue {retry}", f"{waits} messages still waiting to be tried again")
        waiting = queues.get(spec.parking, {}).get("messages", 0)
        for message in await ev.infra.peek(spec.parking, waiting) if waiting else []:
            properties = message.get("properties", {})
            headers = properties.get("headers") or {}
            mid = str(headers.get("x-passpro-message-id") or properties.get("message_id"))
            reason = headers.get("x-passpro-reason") or f"broker: {headers.get('x-first-death-reason')}"
            line = f"{spec.parking}: {mid} {message.get('routing_key')} ({reason})"
            if mid in {p.command_id for p in ev.poison} and "x-passpro-reason" in headers:
                poison[mid] += 1
                if poison[mid] > 1:
                    continue
            else:
                f.add("wrong", f"parked {mid}", f"in {spec.parking}: {reason}")
                effects["parked besides the poison"] += 1
            parked.append(line)
    for p in ev.poison:
        if poison[p.command_id] == 0:
            f.add("lost", f"parked poison {p.command_id}", "none in enrollment.commands.parking")
    effects["parked besides the poison"] += 0
    effects["poison copies parked again"] = sum(n - 1 for n in poison.values() if n > 1)
    for service in routing.SERVICES:
        rows = await ev.infra.fetch(f'SELECT count(*) AS n FROM "{service}".outbox')
        if rows[0]["n"]:
            f.add("lost", f"outbox of {service}", f"{rows[0]['n']} messages never published")
    return parked
