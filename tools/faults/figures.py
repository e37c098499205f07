"""A fault run in numbers: what was sent, the faults, what was lost or duplicated, and the redeliveries seen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from contracts import routing

LOGGED = (
    "message_failed",
    "outbox_relay_failed",
    "mail_not_sent",
    "periodic_failed",
    "mail_round_failed",
    "bonus_delivery_round_failed",
    "message_retry_later",
    "message_retry_not_sent",
)
"""The services' log events that tell of a fault (docs/operations.md, Logs)."""


@dataclass
class Figures:
    seed: int
    pupils: int
    candidacies: int
    commands: int
    published: int
    resent_on_purpose: int
    republished_unconfirmed: int
    events: int
    faults: dict[str, int]
    """Per fault kind, how many were injected (an episode counts once, however many answers it scripted)."""
    lost: int
    duplicated: int
    wrong: int
    redelivered: dict[str, int]
    parked: list[str]
    effects: dict[str, int]
    seconds: float
    mails_resent: dict[str, int] = field(default_factory=dict)
    """Message-IDs the SMTP server received more than once (the same mail sent again, not a second mail)."""
    findings: dict[str, dict[str, str]] = field(default_factory=dict)
    timeline: list[str] = field(default_factory=list)
    fired: dict[str, str] = field(default_factory=dict)
    """Per fault kind, the evidence that it fired (what the services or the outside saw), or "NOT SEEN"."""
    scripted: dict[str, int] = field(default_factory=dict)
    """Answers scripted at a stand-in (Affelnet's 503s): they exercise the senders, they are not faults."""

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.wrong == 0 and sum(self.redelivered.values()) > 0


def count_logs(log: Path) -> Counter[str]:
    """What the services logged of the faults: failures, duplicates, and the outside calls that failed."""
    counts: Counter[str] = Counter()
    for service in routing.SERVICES:
        path = log / f"{service}.log"
        if not path.exists():
            continue
        with path.open(errors="replace") as lines:
            for line in lines:
                for name in LOGGED:
                    if f'"event": "{name}"' in line:
                        counts[name] += 1
                if '"event": "bonus_attempt"' in line and '"status": null' in line:
                    counts["bonus_attempt without an answer"] += 1
                if '"event": "service_started"' in line:
                    counts[f"service_started {service}"] += 1
                if '"event": "service_stopped"' in line:
                    counts[f"service_stopped {service}"] += 1
                if '"event": "message_retry_later"' in line:
                    # Which failure sent it to wait: e.g. ConnectionRefusedError while PostgreSQL is stopped.
                    error = line.partition('"error": "')[2].partition('"')[0] or "?"
                    counts[f"message_retry_later {error}"] += 1
    return counts


def render(figures: Figures, findings_shown: int = 15) -> str:
    """The figures as text: one summary line first, then the detail."""
    redelivered = sum(figures.redelivered.values())
    lines = [
        f"messages sent {figures.published} ({figures.commands} commands, {figures.resent_on_purpose} of them "
        f"sent twice on purpose, {figures.republished_unconfirmed} publishes retried after a broker failure) / "
        f"faults {sum(figures.faults.values())} / lost {figures.lost} / duplicated {figures.duplicated} / "
        f"wrong {figures.wrong} / redelivered {redelivered} / parked {len(figures.parked)} / "
        f"{figures.seconds:.0f} s / {'PASSED' if figures.passed else 'FAILED'}",
        f"seed {figures.seed}: {figures.pupils} pupils, {figures.candidacies} candidacies, "
        f"{figures.events} distinct events observed",
        "faults injected: " + ", ".join(f"{kind} {n}" for kind, n in figures.faults.items()),
        *(
            f"fault {kind}: injected {figures.faults.get(kind, 0)}, fired: {evidence}"
            for kind, evidence in figures.fired.items()
        ),
        "answers scripted at a stand-in (not faults): "
        + (", ".join(f"{kind} {n}" for kind, n in figures.scripted.items()) or "none"),
        "redeliveries seen: " + ", ".join(f"{kind} {n}" for kind, n in figures.redelivered.items()),
        "effects: " + ", ".join(f"{kind} {n}" for kind, n in figures.effects.items()),
    ]
    if "PostgreSQL outage" in figures.faults:
        lines.append(outage_line(figures))
    lines += [f"parked: {p}" for p in figures.parked]
    lines += [f"mail received {n} times: {mid}" for mid, n in figures.mails_resent.items()]
    for kind, items in figures.findings.items():
        for subject, evidence in list(items.items())[:findings_shown]:
            lines.append(f"{kind.upper()}: {subject}: {evidence}")
        if len(items) > findings_shown:
            lines.append(f"{kind.upper()}: … and {len(items) - findings_shown} more in the report")
    return "\n".join(lines)


def outage_line(figures: Figures) -> str:
    """What a PostgreSQL outage must leave: nothing parked but the poison, nothing lost, each effect once."""
    besides = figures.effects.get("parked besides the poison", 0)
    retried = figures.redelivered.get("deliveries sent to wait in a retry queue (transient failures)", 0)
    return (
        f"PostgreSQL outage: parked {besides} (besides {len(figures.parked) - besides} deliberate poison), "
        f"lost {figures.lost}, effects once each: {'yes' if figures.duplicated == 0 else 'NO'} "
        f"(duplicated {figures.duplicated}), retries counted {retried}"
    )
