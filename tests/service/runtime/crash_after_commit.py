"""A service process that dies between its commit and handing the outbox rows to its relay (``kill -9`` there).

Run by the relay's recovery test: ``python -m tests.service.runtime.crash_after_commit <schema> <body json>``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence

from services.runtime.database import create_pool
from services.runtime.outbox import Outgoing
from tests.conftest import TEST_DATABASE_URL
from tests.service.runtime.test_consumer import consumer, delivery

DIED = 9


def die(_: Sequence[Outgoing]) -> None:
    os._exit(DIED)


async def main(schema: str, body: str) -> None:
    pool = await create_pool(TEST_DATABASE_URL, schema, 2)
    handler = consumer(pool)
    handler.hand_off = die
    await handler.deliver(await delivery("withdraw_candidacy", json.loads(body)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
