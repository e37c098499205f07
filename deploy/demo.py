"""``make demo``: a morning of registrations at the académie, played through the public interface.

Origin schools of the three départements publish ``register_candidacy`` commands as their portal
would: most are right, some carry the mistakes real secretaries make. The demo prints what Passpro
accepted and what it rejected and why, and writes the same under ``var/report/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from contracts.campaign import load_campaign
from contracts.identifiers import uai_check_letter
from deploy.local import VAR
from deploy.portal import PortalClient

FIRST_NAMES = ["Inès", "Yanis", "Chloé", "Mamadou", "Léa", "Rayan", "Anaïs", "Théo", "Fatoumata", "Noé",
               "Maëlys", "Kylian", "Aïcha", "Lucas", "Zoé", "Ibrahim", "Jade", "Enzo", "Sofiane", "Océane"]
LAST_NAMES = ["Martin", "Diallo", "Lefèvre", "Nguyen", "Benali", "Moreau", "Traoré", "Dubois", "Da Silva",
              "Girard", "Haddad", "Lambert", "Keïta", "Fontaine", "Petit", "Cissé", "Rousseau", "Mercier"]
COMMENTS = [
    "Élève investie, a effectué un stage d'observation dans le domaine.",
    "Projet réfléchi, s'est renseignée aux portes ouvertes du lycée.",
    "Motivation réelle mais projet encore à préciser.",
    "Bon engagement en atelier, assiduité à consolider.",
    "A rencontré des professionnels du métier lors du forum des formations.",
]
CLASS_LEVELS = ["3eme"] * 12 + ["3eme_segpa"] * 3 + ["3eme_prepa_metiers"] * 3 + ["classe_accueil", "mgi_niveau_v"]


def uai(departement: str, number: int) -> str:
    digits = f"{departement}{number:04d}"
    return digits + uai_check_letter(digits)


def ine(rng: random.Random) -> str:
    return f"{rng.randrange(10**10):010d}{rng.choice('ABCDEFGHJK')}"


class Batch:
    """A realistic batch: valid registrations and the mistakes portals really send."""

    def __init__(self, seed: int, pupils: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.campaign = load_campaign()
        self.formations = [f.code for f in self.campaign.formations]
        self.schools = [uai(d, self.rng.randrange(1000, 9999)) for d in ("077", "093", "094") for _ in range(4)]
        self.pupils = pupils

    def command(self, origin: str, pupil: dict[str, Any], formation: str, **overrides: Any) -> dict[str, Any]:
        body = {
            "command_id": str(uuid.uuid4()),
            "campaign": self.campaign.campaign,
            "actor_uai": origin,
            "channel": "portal",
            "pupil": pupil,
            "origin_uai": origin,
            "referent": {"name": f"M. {self.rng.choice(LAST_NAMES)}",
                         "email": f"referent.{self.rng.randrange(10**6)}@example.org"},
            "formation_code": formation,
            "origin_opinion": self.rng.choice(["favorable"] * 3 + ["assez_favorable"] * 2 + ["reserve"]),
            "origin_comment": self.rng.choice(COMMENTS),
        }
        body.update(overrides)
        return body

    def pupil(self) -> dict[str, Any]:
        year = self.rng.choice([1997, 1998, 1998, 1998, 1999])
        return {
            "ine": ine(self.rng),
            "last_name": self.rng.choice(LAST_NAMES),
            "first_name": self.rng.choice(FIRST_NAMES),
            "birth_date": date(year, self.rng.randint(1, 12), self.rng.randint(1, 28)).isoformat(),
            "class_level": self.rng.choice(CLASS_LEVELS),
        }

    def commands(self) -> list[tuple[str, str, dict[str, Any] | bytes]]:
        """(label, routing key, body) in publishing order."""
        out: list[tuple[str, str, dict[str, Any] | bytes]] = []
        registered: list[dict[str, Any]] = []
        for _ in range(self.pupils):
            origin = self.rng.choice(self.schools)
            pupil = self.pupil()
            for formation in self.rng.sample(self.formations, self.rng.choice([1, 1, 2, 2, 3, 4])):
                body = self.command(origin, pupil, formation)
                registered.append(body)
                out.append(("valid", "register_candidacy", body))
        some = self.rng.sample(registered, 12)
        paris = uai("075", 654)
        mistakes: list[tuple[str, str, dict[str, Any] | bytes]] = [
            ("2nde GT pupil", "register_candidacy",
             self.command(some[0]["origin_uai"], {**self.pupil(), "class_level": "2nde_gt"}, "cap-cuisine")),
            ("INE mistyped", "register_candidacy",
             self.command(some[1]["origin_uai"], {**self.pupil(), "ine": "12345678"}, "cap-patissier")),
            ("UAI check letter wrong", "register_candidacy",
             self.command(some[2]["origin_uai"][:7] + "Q", self.pupil(), "cap-ebeniste")),
            ("formation not in the catalog", "register_candidacy",
             self.command(some[3]["origin_uai"], self.pupil(), "bts-tourisme")),
            ("another school's pupil", "register_candidacy",
             self.command(self.schools[0] if some[4]["origin_uai"] != self.schools[0] else self.schools[1],
                          some[4]["pupil"], some[4]["formation_code"])),
            ("Paris school on the portal", "register_candidacy", self.command(paris, self.pupil(), "cap-cuisine")),
            ("Paris school via the SAIO form", "register_candidacy",
             self.command(paris, self.pupil(), "cap-cuisine", channel="saio_form")),
            ("comment left empty", "register_candidacy",
             self.command(some[5]["origin_uai"], self.pupil(), "cap-restaurant", origin_comment="")),
            ("wrong campaign", "register_candidacy",
             self.command(some[6]["origin_uai"], self.pupil(), "cap-cuisine", campaign="2012")),
            ("not JSON at all", "register_candidacy", "<candidature>mal formée</candidature>".encode()),
            ("same command sent twice", "register_candidacy", some[7]),
            ("opinion updated before the interview", "register_candidacy",
             {**some[8], "command_id": str(uuid.uuid4()), "origin_opinion": "reserve",
              "origin_comment": "Projet revu avec la famille."}),
            ("withdrawal", "withdraw_candidacy",
             {"command_id": str(uuid.uuid4()), "campaign": self.campaign.campaign, "actor_uai": some[9]["origin_uai"],
              "ine": some[9]["pupil"]["ine"], "formation_code": some[9]["formation_code"],
              "reason": "a renoncé"}),
            ("withdrawal of a candidacy that does not exist", "withdraw_candidacy",
             {"command_id": str(uuid.uuid4()), "campaign": self.campaign.campaign, "actor_uai": some[10]["origin_uai"],
              "ine": some[10]["pupil"]["ine"], "formation_code": "2nde-pro-photographie"}),
        ]
        return out + mistakes


async def run(url: str, seed: int, pupils: int, clock: str) -> dict[str, Any]:
    console = Console(width=None if Console().is_terminal else 140)
    batch = Batch(seed, pupils)
    commands = batch.commands()
    async with PortalClient(url) as portal:
        advance = {"command_id": str(uuid.uuid4()), "campaign": batch.campaign.campaign,
                   "actor_uai": uai("094", 1918), "to": clock}
        await portal.send("advance_clock", advance)
        moved = await portal.outcome(advance["command_id"], timeout=30)
        if moved["_routing_key"].endswith("command_rejected"):
            raise SystemExit(f"the stack runs on the wall clock ({moved['message']}); run `make down` then `make demo`")
        console.print(f"[bold]Passpro {batch.campaign.campaign}[/] — virtual clock at {moved['to']}")
        ids: list[tuple[str, str]] = []
        with Progress(console=console) as progress:
            task = progress.add_task("publishing commands", total=len(commands))
            for label, key, body in commands:
                ids.append((label, await portal.send(key, body)))
                progress.advance(task)
            task = progress.add_task("waiting for outcomes", total=len(ids))
            outcomes: list[tuple[str, dict[str, Any]]] = []
            for label, command_id in ids:
                outcomes.append((label, await portal.outcome(command_id, timeout=60)))
                progress.advance(task)
        summary = report(console, outcomes, batch)
        now = datetime.fromisoformat(moved["to"])
        summary["planning"] = await plan_interviews(console, portal, batch, outcomes, now)
    (VAR / "report" / "enrollment-demo.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return summary


async def plan_interviews(console: Console, portal: PortalClient, batch: Batch,
                          outcomes: list[tuple[str, dict[str, Any]]], now: datetime) -> dict[str, Any]:
    """Reception schools declare seats for 90 % of each domain's pupils: most are convoked, some wait (R15)."""
    pupils: dict[str, set[str]] = defaultdict(set)
    for _, event in outcomes:
        if event["_routing_key"] == "enrollment.candidacy_registered":
            pupils[event["domain_code"]].add(event["ine"])
    declared: dict[str, int] = {}
    # Each run its own times: a slot declared again (same school, domain and start) is the same slot.
    first_day = (now + timedelta(days=6 + batch.seed % 10)).astimezone(batch.campaign.tz).replace(
        hour=9, minute=15 * (batch.seed % 4), second=0, microsecond=0)
    for code, ines in sorted(pupils.items()):
        schools = batch.campaign.domain(code).reception_uais  # type: ignore[union-attr]
        seats = len(ines) * 9 // 10
        declared[code] = seats
        for index, school in enumerate(schools):
            share = seats // len(schools) + (1 if index < seats % len(schools) else 0)
            slots = [{"starts_at": (first_day + timedelta(days=day, hours=2 * (day % 4))).isoformat(),
                      "duration_minutes": 30, "capacity": min(5, share - 5 * day)}
                     for day in range(-(-share // 5))]
            if slots:
                await portal.send("declare_interview_slots", {
                    "command_id": str(uuid.uuid4()), "campaign": batch.campaign.campaign, "actor_uai": school,
                    "domain_code": code, "place": "Salle des entretiens", "slots": slots})
    ours = {ine for ines in pupils.values() for ine in ines}

    def booked() -> Counter[str]:
        """Interviews booked and not cancelled since (a withdrawal may arrive after its pupil was booked)."""
        cancelled = {e["interview_id"] for e in portal.events if e["_routing_key"] == "scheduling.interview_cancelled"}
        return Counter(e["domain_code"] for e in portal.events
                       if e["_routing_key"] == "scheduling.interview_booked" and e["ine"] in ours
                       and e["interview_id"] not in cancelled)

    with Progress(console=console) as progress:
        task = progress.add_task("booking interviews", total=sum(declared.values()))
        last, quiet_since = -1, asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - quiet_since < 4:
            count = sum(booked().values())
            progress.update(task, completed=count)
            if count != last:
                last, quiet_since = count, asyncio.get_running_loop().time()
            await asyncio.sleep(0.25)
    done = booked()
    table = Table(title="Interviews per domain (seats declared for 90 % of the pupils)")
    for column in ("domain", "pupils", "seats", "booked", "waiting"):
        table.add_column(column, justify="left" if column == "domain" else "right")
    rows = {}
    for code, ines in sorted(pupils.items()):
        rows[code] = {"pupils": len(ines), "seats": declared[code], "booked": done[code],
                      "waiting": len(ines) - done[code]}
        table.add_row(batch.campaign.domain(code).label, *(str(v) for v in rows[code].values()))  # type: ignore[union-attr]
    console.print(table)
    mails = sorted((VAR / "mail").glob("*.eml")) if (VAR / "mail").exists() else []
    console.print("Pupils still waiting from an earlier run are booked first (oldest registration first, R15).")
    console.print(f"{sum(done.values())} interviews booked; convocations are e-mailed to the origin schools and "
                  f"referents: {len(mails)} mails so far under {VAR / 'mail'} (open any .eml file).")
    return {"per_domain": rows, "mails": len(mails)}


def report(console: Console, outcomes: list[tuple[str, dict[str, Any]]], batch: Batch) -> dict[str, Any]:
    labels = {f.code: f.label for f in batch.campaign.formations}
    domains = {d.code: d.label for d in batch.campaign.domains}
    accepted = Counter(e["domain_code"] for label, e in outcomes if e["_routing_key"].endswith("candidacy_registered"))
    table = Table(title="Accepted candidacies per domain")
    table.add_column("domain")
    table.add_column("candidacies", justify="right")
    for code, count in accepted.most_common():
        table.add_row(domains.get(code, code), str(count))
    console.print(table)
    special = Table(title="What Passpro answered to each tricky command", show_lines=True)
    special.add_column("command sent")
    special.add_column("outcome")
    special.add_column("reason")
    special.add_column("message to the school")
    rows = []
    for label, event in outcomes:
        if label == "valid":
            continue
        key = event["_routing_key"].split(".", 1)[1]
        if key == "command_rejected":
            fields = ", ".join(e["field"] for e in event.get("errors", []))
            reason, message = event["reason"], f"{event['message']} [{fields}]"
        else:
            reason, message = "", labels.get(event.get("formation_code", ""), "")
        rows.append({"command": label, "outcome": key, "reason": reason, "message": message})
        special.add_row(label, key, reason, message)
    console.print(special)
    valid = sum(1 for label, _ in outcomes if label == "valid")
    registered = sum(accepted.values())
    rejected = Counter(e["reason"] for _, e in outcomes if e["_routing_key"].endswith("command_rejected"))
    console.print(f"{len(outcomes)} commands: {registered} candidacies registered ({valid} valid sent), "
                  f"{sum(rejected.values())} rejected: " + ", ".join(f"{r} {n}" for r, n in rejected.most_common()))
    summary = {"commands": len(outcomes), "registered": registered, "rejected": dict(rejected),
               "per_domain": dict(accepted), "tricky": rows}
    (VAR / "report").mkdir(parents=True, exist_ok=True)
    console.print(f"the summary goes to {VAR / 'report' / 'enrollment-demo.json'}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="amqp://portal:portal@127.0.0.1:5672/passpro")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: a new batch each run)")
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--clock", default="2013-02-12T09:00:00+01:00")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"seed {seed} (replay with: python -m deploy.demo --seed {seed})")
    asyncio.run(run(args.url, seed, args.pupils, args.clock))


if __name__ == "__main__":
    main()
