"""The simulation's report under ``--out``: index.html (charts inline), the numbers as CSV, example mails and PDFs."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from contracts.campaign import Campaign
from ops.simulation import charts
from ops.simulation.figures import Figures, compute
from ops.simulation.mailbox import Mailbox
from ops.simulation.runner import Result

DATA, EXAMPLES = "donnees", "exemples"
MAIL_FIGURES = ("convocations_sent", "recaps_sent", "mails_total")
EXAMPLE_FILES = {
    "Convocation": "convocation",
    "Annulation": "annulation",
    "Rappel avant l'entretien": "rappel",
    "Fiche récapitulative": "fiche-recapitulative",
    "Relance des comptes rendus en retard": "relance",
    "Planning d'une journée d'entretiens": "planning",
    "Manque de places": "manque-de-places",
}


def write(
    result: Result, campaign: Campaign, mailbox: Mailbox, out: Path, command: str, mails_pending: int | None = None
) -> Figures:
    """Writes the whole report; returns its numbers. ``mails_pending``: what the sender had still to send."""
    mailbox.refresh()
    figures = compute(result, campaign, list(mailbox.subjects.values()), mails_pending)
    for sub in (DATA, EXAMPLES):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    for name, header, rows in tables(figures):
        with (out / DATA / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    examples = copy_examples(mailbox, out / EXAMPLES)
    (out / "index.html").write_text(page(result, campaign, figures, examples, command, mails_pending), encoding="utf-8")
    summary = {
        "seed": result.scenario.seed,
        "seconds": round(result.seconds, 1),
        "warnings": result.warnings,
        "mails_pending": mails_pending,
        **{key: value for key, _, value in figures.funnel},
        "final_opinions": {code: n for code, _, n in figures.finals},
        "mails": dict(figures.mails),
    }
    (out / "simulation.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return figures


def tables(f: Figures) -> list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]:
    """(file name, header, rows) of every CSV: the numbers behind each chart and table."""
    return [
        ("chiffres_cles", ("indicateur", "libelle", "valeur"), f.funnel),
        (
            "entretiens_par_jour",
            ("jour", "tenus", "absences", "sans_compte_rendu"),
            [(d.isoformat(), *rest) for d, *rest in f.per_day],
        ),
        ("entretiens_par_lycee", ("uai", "lycee", "tenus", "absences", "comptes_rendus_en_retard"), f.per_school),
        ("places_par_domaine", ("domaine", "libelle", "places_declarees", "places_occupees"), f.seats),
        ("avis_finals", ("avis_final", "libelle", "candidatures"), f.finals),
        (
            "absences_par_college",
            ("uai", "college", "entretiens", "absences", "taux_absence"),
            [(*row, f"{row[3] / row[2]:.3f}") for row in f.no_shows],
        ),
        ("delais_comptes_rendus", ("jours", "comptes_rendus"), f.delays),
        (
            "bonus_affelnet",
            ("avis_final", "libelle", "bonus_transmis", "points_par_bonus", "points"),
            [(*row, row[2] * row[3]) for row in f.bonuses],
        ),
        (
            "attente_par_domaine",
            ("instant", "domaine", "eleves_en_attente"),
            [(t.isoformat(), d, n) for t, d, n in f.waiting],
        ),
        ("refus_par_motif", ("motif", "commandes", "message"), f.rejections),
        ("commandes_erronees", ("commande", "nombre", "reponse", "motif", "message"), f.mistakes),
        ("courriels", ("type", "nombre"), f.mails),
    ]


EMPTY_RECAP = b"Aucun domaine."


def copy_examples(mailbox: Mailbox, target: Path) -> list[tuple[str, list[str]]]:
    """The first telling mail of each kind as .eml, with its attachments beside it: (kind, file names)."""
    out = []
    for kind, stem in EXAMPLE_FILES.items():
        mails = mailbox.of_kind(kind)
        # A recap sent after every candidacy of the pupil was withdrawn shows no domain: a poor example.
        found = next((path for path in mails if EMPTY_RECAP not in path.read_bytes()), mails[0] if mails else None)
        if found is None:
            continue
        files = [f"{stem}.eml"]
        shutil.copyfile(found, target / files[0])
        message = email.message_from_bytes(found.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        for part in message.iter_attachments():
            name = part.get_filename()
            payload = part.get_payload(decode=True)
            if name and isinstance(payload, bytes):
                extension = Path(name).suffix
                name = f"{stem}{extension}" if f"{stem}{extension}" not in files else f"{stem}-{len(files)}{extension}"
                files.append(name)
                (target / files[-1]).write_bytes(payload)
        out.append((kind, files))
    return out


def _e(value: object) -> str:
    return html.escape(str(value))


def _n(value: int) -> str:
    """A number as French readers write it: 3 000."""
    return f"{value:,}".replace(",", "\u202f")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if i >= numeric_from and isinstance(v, int | float) else ""}">{_e(v)}</td>'
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, svg: str, csv_name: str, note: str = "") -> str:
    link = f'<p class="data">Données : <a href="{DATA}/{csv_name}.csv">{csv_name}.csv</a></p>'
    return f"<section><h2>{_e(title)}</h2>{f'<p>{note}</p>' if note else ''}<figure>{svg}</figure>{link}</section>"


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
header{background:#1e3a5f;color:#fff;padding:20px 32px}header h1{margin:0;font-size:24px}
header p{margin:6px 0 0;opacity:.9}.banner{background:#fefcbf;border:1px solid #ecc94b;padding:10px 16px;
margin:16px 32px;border-radius:6px}main{padding:0 32px 32px}section{background:#fff;border-radius:8px;
padding:16px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:17px;margin:0 0 8px}
figure{margin:0}figure svg{max-width:100%;height:auto}.cards{display:grid;
grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}.card{background:#fff;border-radius:8px;
padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}.card b{display:block;font-size:22px;color:#1e3a5f}
.card span{font-size:12px;color:#4a5568}table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.data{font-size:12px;color:#4a5568}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media(max-width:900px){.two{grid-template-columns:1fr}}
footer{font-size:12px;color:#4a5568;padding:0 32px 24px}code{background:#edf2f7;padding:1px 4px;border-radius:3px}
"""


def page(
    result: Result,
    campaign: Campaign,
    f: Figures,
    examples: list[tuple[str, list[str]]],
    command: str,
    mails_pending: int | None,
) -> str:
    scenario, cal = result.scenario, campaign.calendar
    funnel = {key: value for key, _, value in f.funnel}
    # Mails have their own section, which says how many were still queued when the run ended.
    cards = "".join(
        f'<div class="card"><b>{_n(value)}</b><span>{_e(label)}</span></div>'
        for key, label, value in f.funnel
        if key not in MAIL_FIGURES
    )
    labels = {d.code: d.label for d in campaign.domains}
    short = ", ".join(labels[d] for d in scenario.short_domains)
    recovery = scenario.recovery_on.strftime("%d/%m/%Y") if scenario.recovery_on else "—"
    example_rows = "".join(
        f"<tr><td>{_e(kind)}</td><td>"
        + " · ".join(f'<a href="{EXAMPLES}/{_e(name)}">{_e(name)}</a>' for name in files)
        + "</td></tr>"
        for kind, files in examples
    )
    reported = funnel["interviews_held"] + funnel["interviews_absent"]
    rate = 100 * funnel["interviews_absent"] / reported if reported else 0.0
    parts = [
        f'<section><h2>Chiffres clés</h2><div class="cards">{cards}</div>'
        f'<p class="data">Données : <a href="{DATA}/chiffres_cles.csv">chiffres_cles.csv</a></p></section>',
        _section(
            "Entretiens par jour",
            charts.interviews_per_day(f.per_day),
            "entretiens_par_jour",
            f"Période des entretiens : du {cal.interviews_start_on:%d/%m/%Y} au {cal.interviews_end_on:%d/%m/%Y}."
            f" Taux d'absence de la campagne : {rate:.0f} %.",
        ),
        _section(
            "Places déclarées et occupées par domaine",
            charts.seats_per_domain(f.seats),
            "places_par_domaine",
            f"Domaines volontairement à court de places au départ : {_e(short)} ; les lycées d'accueil "
            f"déclarent les créneaux manquants le {recovery}.",
        ),
        _section(
            "Élèves en attente d'un entretien",
            charts.waiting(
                [(t.astimezone(campaign.tz), d, n) for t, d, n in f.waiting],
                labels,
                datetime.combine(cal.registration_deadline, datetime.min.time(), campaign.tz),
            ),
            "attente_par_domaine",
            "Quand un domaine manque de places, les élèves attendent et sont convoqués dès que des créneaux "
            "sont ajoutés, dans l'ordre de leur inscription.",
        ),
        _section("Entretiens par lycée d'accueil", charts.interviews_per_school(f.per_school), "entretiens_par_lycee"),
        '<div class="two">'
        + _section("Avis finals", charts.finals(f.finals), "avis_finals")
        + _section(
            "Délais de saisie des comptes rendus",
            charts.delays(f.delays, cal.report_delay_days),
            "delais_comptes_rendus",
            f"Au-delà de {cal.report_delay_days} jours, le lycée d'accueil reçoit une relance par courriel.",
        )
        + "</div>",
        _section(
            "Absences par collège d'origine",
            charts.no_shows(f.no_shows, scenario.no_show_rate),
            "absences_par_college",
            "Après une absence, le collège peut demander un nouvel entretien "
            "tant que la période des entretiens est ouverte.",
        ),
        '<div class="two">'
        + _section(
            "Bonus transmis à Affelnet",
            charts.bonuses(f.bonuses),
            "bonus_affelnet",
            f"Un bonus n'est transmis que si la famille a confirmé le vœu et que le collège l'a saisi dans "
            f"Affelnet au plus tard le {cal.affelnet_wish_deadline:%d/%m/%Y}.",
        )
        + "<section><h2>Courriels envoyés</h2>"
        + _table(("Type", "Nombre"), f.mails)
        + (
            f"<p>À la fin de la simulation, {_n(mails_pending)} courriels attendaient encore leur envoi : "
            "le service de notifications les envoie ensuite, ils ne sont pas comptés ici.</p>"
            if mails_pending
            else ""
        )
        + f'<p class="data">Données : <a href="{DATA}/courriels.csv">courriels.csv</a></p>'
        + f"<h2>Exemples de documents</h2><table><tbody>{example_rows}</tbody></table></section></div>",
        "<section><h2>Commandes erronées et réponses de Passpro</h2>"
        + _table(
            ("Ce que l'établissement a envoyé", "Nombre", "Réponse", "Motif", "Message à l'établissement"), f.mistakes
        )
        + f'<p class="data">Données : <a href="{DATA}/commandes_erronees.csv">'
        "commandes_erronees.csv</a></p></section>",
        "<section><h2>Refus par motif</h2>"
        + _table(("Motif", "Commandes", "Exemple de message"), f.rejections)
        + f'<p class="data">Données : <a href="{DATA}/refus_par_motif.csv">refus_par_motif.csv</a></p></section>',
    ]
    warnings = "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Passpro {_e(campaign.campaign)} – campagne simulée</title><style>{STYLE}</style></head>
<body><header><h1>Passpro post-3ème {_e(campaign.campaign)} – bilan d'une campagne simulée</h1>
<p>Académie de Créteil · du {result.first_day:%d/%m/%Y} au {result.last_day:%d/%m/%Y} (horloge simulée)</p>
</header>
<div class="banner"><b>Simulation.</b> Les élèves, collèges, référents, comptes rendus et lycées d'accueil de cette
page sont des données d'exemple, inventées : aucune ne concerne une personne réelle. Les chiffres sont ceux que
Passpro a produits en jouant cette campagne de bout en bout.</div>
<main>{"".join(parts)}{f"<section><h2>Avertissements</h2><ul>{warnings}</ul></section>" if warnings else ""}</main>
<footer>Scénario n° {scenario.seed} · {_n(len(scenario.pupils))} élèves · {len(scenario.origin_schools)} collèges
d'origine · joué en {result.seconds / 60:.1f} min le {datetime.now():%d/%m/%Y à %H:%M} · rejouer :
<code>{_e(command)}</code></footer>
</body></html>
"""
