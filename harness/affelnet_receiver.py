"""A local HTTP receiver standing in for Affelnet's bonus endpoint (the local stack's, and the tests').

``POST /bonuses`` with a bearer token and an ``Idempotency-Key``: a new key is recorded and answered
201; a key already recorded is answered 409, as Affelnet does. Tests can script answers (503, 422,
slow responses) per key. ``python -m harness.affelnet_receiver --port 8090`` keeps what it receives
in ``var/affelnet/received.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Scripted:
    status: int
    delay: float = 0.0
    applied_first: bool = False
    """Record the bonus at once, then wait ``delay`` before answering: a client that times out meanwhile has had
    its bonus applied all the same (what a time-out hides)."""


@dataclass
class AffelnetReceiver:
    token: str
    journal: Path | None = None
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    script: dict[str, deque[Scripted]] = field(default_factory=lambda: defaultdict(deque))
    default_script: deque[Scripted] = field(default_factory=deque)
    latency: float = 0.0
    """Seconds every answer takes (Affelnet is not instantaneous)."""

    def answer(self, key: str, *answers: Scripted) -> None:
        """The next answers for ``key`` (or for any key when ``key`` is "*"), before normal service resumes."""
        (self.default_script if key == "*" else self.script[key]).extend(answers)

    async def bonuses(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        key = request.headers.get("idempotency-key")
        if not key:
            return JSONResponse({"error": "Idempotency-Key header required"}, status_code=400)
        self.attempts[key] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        queue = self.script[key] if self.script[key] else self.default_script
        if queue:
            scripted = queue.popleft()
            if scripted.applied_first and key not in self.accepted:
                self._record(key, await request.json())
                await asyncio.sleep(scripted.delay)
                return JSONResponse({"recorded": key}, status_code=201)
            await asyncio.sleep(scripted.delay)
            if scripted.status >= 300:
                return JSONResponse({"error": f"scripted {scripted.status}"}, status_code=scripted.status)
        if key in self.accepted:
            return JSONResponse({"error": "already recorded", "key": key}, status_code=409)
        self._record(key, await request.json())
        return JSONResponse({"recorded": key}, status_code=201)

    def _record(self, key: str, body: dict[str, Any]) -> None:
        self.accepted[key] = body
        if self.journal is not None:
            with self.journal.open("a") as out:
                out.write(json.dumps({"key": key, **body}) + "\n")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bonuses", self.bonuses, methods=["POST"])])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(receiver: AffelnetReceiver, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Runs ``receiver`` on 127.0.0.1:``port`` inside the current event loop."""
    server = _Server(
        uvicorn.Config(
            receiver.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server, task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--token", default="passpro-local")
    parser.add_argument("--journal", type=Path, default=Path("var/affelnet/received.jsonl"))
    args = parser.parse_args()
    args.journal.parent.mkdir(parents=True, exist_ok=True)
    receiver = AffelnetReceiver(args.token, args.journal)
    if args.journal.exists():  # what was recorded before a restart is still recorded
        for line in args.journal.read_text().splitlines():
            record = json.loads(line)
            receiver.accepted[record.pop("key")] = record
    uvicorn.run(receiver.app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
