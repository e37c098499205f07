"""scheduling's composition root.

Today it runs the shared plumbing only (its queues, the clock, health and metrics);
its use cases arrive with its own issue.
"""

from __future__ import annotations

from pathlib import Path

from services.runtime.messaging import Service

SERVICE = Service(name="scheduling", sql_dir=Path(__file__).parent / "sql")
