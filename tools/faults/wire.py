"""The network between the services and an outside server (SMTP, Affelnet), as a TCP relay the run can spoil.

The services connect to the relay, which connects to the real server for each connection and passes the bytes
both ways. The injector can make it:
- **slow**: every chunk waits ``delay`` seconds before it is passed on (a congested link or a slow server);
- **swallow answers**: the next ``n`` connections pass the request to the server, which acts on it, but the
  server's answer never reaches the service, whose connection stays open and silent until the service gives up
  (its time-out): Affelnet applied the bonus, the sender cannot know;
- **down**: the relay stops listening, so connections are refused.
Nothing in it knows SMTP or HTTP: the faults happen to bytes, as on a real network.
"""

from __future__ import annotations

import asyncio
import contextlib


class Wire:
    def __init__(self, listen_port: int, server_port: int) -> None:
        self.listen_port = listen_port
        self.server_port = server_port
        self.delay = 0.0
        self.swallow_next = 0
        """Connections left whose answers are swallowed."""
        self.swallowed = 0
        """Answers the server gave that never reached the service."""
        self.delayed = 0
        """Chunks held back while slow."""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.listen_port)

    async def down(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()
        self._server = None

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.server_port)
        except OSError:
            self._writers.discard(client_writer)
            client_writer.close()
            return
        self._writers.add(server_writer)
        swallowing = False

        async def requests() -> None:
            await self._pass(client_reader, server_writer)

        async def answers() -> None:
            nonlocal swallowing
            while data := await server_reader.read(65536):
                if not swallowing and self.swallow_next > 0:
                    self.swallow_next -= 1
                    self.swallowed += 1
                    swallowing = True
                if swallowing:
                    continue  # the service waits for an answer that is on its way to nowhere
                await self._hold()
                client_writer.write(data)
                await client_writer.drain()
            if not swallowing:
                client_writer.close()

        try:
            await asyncio.gather(requests(), answers(), return_exceptions=True)  # a reset ends a connection
        finally:
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.close()

    async def _pass(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._hold()
            writer.write(data)
            await writer.drain()
        writer.close()

    async def _hold(self) -> None:
        if self.delay > 0:
            self.delayed += 1
            await asyncio.sleep(self.delay)
