"""``python -m tools.faults``: one fault run on its own RabbitMQ and PostgreSQL; exits 1 unless nothing was lost
or duplicated and redeliveries were seen."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from tools.faults.figures import render
from tools.faults.plan import OUTAGE, SHORT, Plan
from tools.faults.run import run


def main() -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(prog="python -m tools.faults", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the test suite's short form (200 pupils, 3 kills)")
    parser.add_argument(
        "--outage",
        action="store_true",
        help="the short campaign with one 10-minute PostgreSQL outage and no other fault",
    )
    parser.add_argument(
        "--db-outage-seconds",
        type=float,
        help=f"seconds PostgreSQL stays stopped mid-campaign, 0 for none ({defaults.db_outage_seconds:.0f})",
    )
    parser.add_argument("--pupils", type=int, help=f"pupils registered (default {defaults.pupils})")
    parser.add_argument("--kills", type=int, help=f"services killed with kill -9 (default {defaults.kills})")
    parser.add_argument("--kill-every", type=float, help=f"mean seconds between kills ({defaults.kill_every:.0f})")
    parser.add_argument("--broker-restarts", type=int, choices=range(4), help="RabbitMQ restarts, 0-3 (default 1)")
    parser.add_argument("--database-restarts", type=int, choices=range(4), help="PostgreSQL restarts, 0-3 (default 1)")
    parser.add_argument("--smtp-outage", type=float, help=f"seconds without SMTP ({defaults.smtp_outage:.0f})")
    parser.add_argument(
        "--affelnet-outage", type=float, help=f"seconds without Affelnet ({defaults.affelnet_outage:.0f})"
    )
    parser.add_argument("--affelnet-503", type=int, help=f"posts answered 503 afterwards ({defaults.affelnet_503})")
    parser.add_argument("--seed", type=int, help="replays a run (printed by every run)")
    parser.add_argument("--var", type=Path, help=f"state, logs and report (default {defaults.var})")
    parser.add_argument(
        "--amqp-port",
        type=int,
        help=f"the run's RabbitMQ ({defaults.amqp_port}; management --management-port, distribution AMQP port + 20000)",
    )
    parser.add_argument("--management-port", type=int)
    parser.add_argument("--pg-port", type=int, help=f"the run's PostgreSQL ({defaults.pg_port})")
    parser.add_argument("--node", help=f"the run's RabbitMQ node name ({defaults.node})")
    parser.add_argument("--health-port", type=int, help=f"first of the five services' ports ({defaults.health_port})")
    parser.add_argument("--smtp-port", type=int)
    parser.add_argument("--affelnet-port", type=int)
    parser.add_argument("--patience", type=float, help="multiplies every deadline (default 1)")
    args = vars(parser.parse_args())
    outage, short = args.pop("outage"), args.pop("short")
    chosen = OUTAGE if outage else SHORT if short else {}
    chosen = {**chosen, **{k: v for k, v in args.items() if v is not None}}
    # The AMQP clients log every connection the run's own broker restart breaks: expected, and noise here.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    logging.getLogger("aio_pika").setLevel(logging.CRITICAL)
    figures = asyncio.run(run(Plan(**chosen)))
    print(render(figures), flush=True)
    return 0 if figures.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
