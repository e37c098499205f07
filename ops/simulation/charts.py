"""The report's charts as inline SVG (matplotlib, Agg backend), with French labels for school staff."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

FULL, HALF = 11.5, 5.6
"""Figure widths in inches: the page's width, half of it; the page never scales them up."""
HELD, ABSENT, PENDING, DECLARED = "#2b6cb0", "#dd6b20", "#cbd5e0", "#a0aec0"
FINAL_COLOURS = ("#276749", "#48bb78", "#ecc94b", "#ed8936", "#c53030")

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "svg.hashsalt": "passpro",
        "svg.fonttype": "path",
        "figure.dpi": 96,
    }
)


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _short(name: str, width: int = 34) -> str:
    for long, short in (
        ("Lycée professionnel ", "LP "),
        ("Lycée des métiers de l'hôtellerie et de la restauration ", "LM hôtellerie "),
        ("Lycée des métiers de ", "LM "),
        ("Lycée agricole et horticole ", "Lycée agricole "),
        ("Lycée horticole et paysager ", "Lycée horticole "),
    ):
        name = name.replace(long, short)
    return name if len(name) <= width else name[: width - 1] + "…"


def interviews_per_day(rows: Sequence[tuple[date, int, int, int]]) -> str:
    fig, ax = plt.subplots(figsize=(FULL, 3.4))
    days = [datetime.combine(d, datetime.min.time()) for d, *_ in rows]
    held = [r[1] for r in rows]
    absent = [r[2] for r in rows]
    pending = [r[3] for r in rows]
    ax.bar(days, held, width=0.8, color=HELD, label="Élève présent")
    ax.bar(days, absent, width=0.8, bottom=held, color=ABSENT, label="Élève absent")
    if any(pending):
        ax.bar(
            days,
            pending,
            width=0.8,
            bottom=[h + a for h, a in zip(held, absent, strict=True)],
            color=PENDING,
            label="Sans compte rendu",
        )
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.set_ylabel("Entretiens")
    ax.set_title("Entretiens par jour (lundis indiqués)")
    ax.legend(frameon=False, ncols=3, loc="upper right")
    return _svg(fig)


def interviews_per_school(rows: Sequence[tuple[str, str, int, int, int]]) -> str:
    rows = sorted((r for r in rows if r[2] + r[3]), key=lambda r: r[2] + r[3])
    fig, ax = plt.subplots(figsize=(FULL, 0.26 * len(rows) + 1))
    labels = [f"{_short(name)} ({uai})" for uai, name, *_ in rows]
    held = [r[2] for r in rows]
    ax.barh(labels, held, color=HELD, label="Élève présent")
    ax.barh(labels, [r[3] for r in rows], left=held, color=ABSENT, label="Élève absent")
    ax.set_xlabel("Entretiens")
    ax.set_title("Entretiens par lycée d'accueil")
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def seats_per_domain(rows: Sequence[tuple[str, str, int, int]]) -> str:
    rows = sorted(rows, key=lambda r: r[2])
    fig, ax = plt.subplots(figsize=(FULL, 0.3 * len(rows) + 1))
    positions = range(len(rows))
    ax.barh([p + 0.2 for p in positions], [r[2] for r in rows], height=0.4, color=DECLARED, label="Places déclarées")
    ax.barh([p - 0.2 for p in positions], [r[3] for r in rows], height=0.4, color=HELD, label="Places occupées")
    ax.set_yticks(list(positions), [_short(r[1], 40) for r in rows])
    ax.set_xlabel("Places d'entretien")
    ax.set_title("Places déclarées et occupées par domaine")
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def finals(rows: Sequence[tuple[str, str, int]]) -> str:
    fig, ax = plt.subplots(figsize=(HALF, 3))
    bars = ax.bar([r[1].replace(" ", "\n", 1) for r in rows], [r[2] for r in rows], color=FINAL_COLOURS[: len(rows)])
    ax.bar_label(bars, padding=2)
    ax.set_ylim(0, max([*(r[2] for r in rows), 1]) * 1.15)
    ax.set_ylabel("Candidatures")
    ax.set_title("Avis finals (croisement des deux avis)")
    return _svg(fig)


def no_shows(rows: Sequence[tuple[str, str, int, int]], reference: float) -> str:
    rates = [100 * absent / reported for _, _, reported, absent in rows]
    fig, ax = plt.subplots(figsize=(FULL, 3))
    ax.bar(range(len(rates)), rates, width=0.85, color=ABSENT)
    total = sum(r[2] for r in rows)
    overall = 100 * sum(r[3] for r in rows) / total if total else 0.0
    ax.axhline(overall, color="#1a202c", linewidth=1, label=f"Ensemble de la campagne : {overall:.0f} %")
    ax.axhline(
        100 * reference, color="#1a202c", linewidth=1, linestyle="--", label=f"Campagne 2012 : {100 * reference:.0f} %"
    )
    ax.set_xticks([])
    ax.set_ylim(0, max([*rates, 100 * reference]) * 1.3)
    ax.set_xlabel(f"{len(rows)} collèges d'origine, du plus au moins concerné")
    ax.set_ylabel("Absences (%)")
    ax.set_title("Taux d'absence aux entretiens par collège d'origine")
    ax.legend(frameon=False, loc="upper right")
    return _svg(fig)


def delays(rows: Sequence[tuple[int, int]], limit: int) -> str:
    fig, ax = plt.subplots(figsize=(HALF, 3))
    colours = [HELD if days <= limit else ABSENT for days, _ in rows]
    bars = ax.bar([str(days) for days, _ in rows], [n for _, n in rows], color=colours)
    ax.bar_label(bars, padding=2)
    ax.set_ylim(0, max([*(n for _, n in rows), 1]) * 1.15)
    ax.set_xlabel("Jours entre l'entretien et la saisie du compte rendu")
    ax.set_ylabel("Comptes rendus")
    ax.set_title(f"Délais de saisie des comptes rendus (délai : {limit} jours)")
    return _svg(fig)


def bonuses(rows: Sequence[tuple[str, str, int, int]]) -> str:
    fig, ax = plt.subplots(figsize=(HALF, 3))
    bars = ax.bar(
        [f"{label.replace(' ', chr(10), 1)}\n({points} pts)" for _, label, _, points in rows],
        [r[2] for r in rows],
        color=FINAL_COLOURS[: len(rows)],
    )
    ax.bar_label(bars, padding=2)
    ax.set_ylim(0, max([*(r[2] for r in rows), 1]) * 1.15)
    ax.set_ylabel("Bonus transmis")
    ax.set_title("Bonus transmis à Affelnet, par avis final")
    return _svg(fig)


def waiting(rows: Sequence[tuple[datetime, str, int]], labels: dict[str, str], until: datetime) -> str:
    """Each domain that ever lacked seats, from its first shortfall to ``until``."""
    series: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for instant, domain, count in rows:
        series[domain].append((instant, count))
    fig, ax = plt.subplots(figsize=(FULL, 3))
    shown = 0
    for domain, points in sorted(series.items()):
        if max(count for _, count in points) == 0:
            continue
        points = [*points, (max(until, points[-1][0]), points[-1][1])]
        ax.step([p[0] for p in points], [p[1] for p in points], where="post", label=_short(labels[domain], 40))
        shown += 1
    if not shown:
        ax.text(0.5, 0.5, "Aucun domaine n'a manqué de places", transform=ax.transAxes, ha="center")
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.set_ylabel("Élèves en attente")
    ax.set_title("Élèves en attente d'un entretien, par domaine (manque de places)")
    if shown:
        ax.legend(frameon=False, fontsize=8)
    return _svg(fig)
