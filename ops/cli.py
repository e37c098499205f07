"""The ``passpro`` command: one entry point for operators (``passpro ops …``) and the campaign simulator."""

from __future__ import annotations

import typer

from ops import failed, funnel, planning, queues, refusals, retention
from ops.simulation.command import simulate

app = typer.Typer(
    help="Passpro: operate the post-3ème campaign.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
ops_app = typer.Typer(
    help="What operators watch and steer: queues, failed messages, the campaign's funnel.",
    no_args_is_help=True,
)
app.add_typer(ops_app, name="ops")

# Commands are wired here, one line each, so `passpro --help` reads like the operators' manual.
# -- ops commands --
ops_app.command("queues")(queues.show)
ops_app.command("failed")(failed.show)
ops_app.command("replay")(failed.replay)
ops_app.command("purge")(failed.purge)
ops_app.command("replay-mail")(refusals.replay_mail)
ops_app.command("replay-bonus")(refusals.replay_bonus)
ops_app.command("campaign")(funnel.show)
ops_app.command("planning")(planning.show)
ops_app.command("purge-campaign")(retention.purge)
# -- the campaign simulator --
app.command("simulate")(simulate)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
