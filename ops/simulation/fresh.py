"""``simulate --fresh``: the local stack's own command deletes its campaign and restarts it at the campaign's opening.

The operators' command imports nothing of the local stack: what a fresh local campaign is (which processes,
schemas, queues and files) is the stack's business, behind one command line, as ``make`` runs it.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

from contracts.campaign import Campaign

LOCAL_STACK = [sys.executable, "-m", "deploy.local"]
"""The local stack's command, run from the checkout: ``fresh --clock <ISO datetime>``."""


def opening(campaign: Campaign) -> datetime:
    """The campaign's first morning, where a fresh virtual clock starts."""
    return datetime.combine(campaign.calendar.opens_on, time(8), campaign.tz)


def fresh_local_campaign(campaign: Campaign, checkout: Path) -> None:
    command = [*LOCAL_STACK, "fresh", "--clock", opening(campaign).isoformat()]
    subprocess.run(command, check=True, cwd=checkout)  # noqa: S603
