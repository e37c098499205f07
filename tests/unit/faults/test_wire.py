"""The run's network relay on real sockets: it passes bytes both ways, holds them back when slow, and loses the
server's answer (after the server got the request) for the connections it is told to."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from tools.faults.wire import Wire


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Echo:
    """A server that answers each line with the same line, upper-cased, and notes what it received."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            self.received.append(line)
            writer.write(line.upper())
            await writer.drain()
        writer.close()


@pytest.fixture
async def wired() -> AsyncIterator[tuple[Wire, Echo]]:
    echo, port = Echo(), _free_port()
    server = await asyncio.start_server(echo.handle, "127.0.0.1", port)
    wire = Wire(_free_port(), port)
    await wire.up()
    yield wire, echo
    await wire.down()
    server.close()


async def _ask(wire: Wire, line: bytes, timeout: float = 2.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", wire.listen_port)
    try:
        writer.write(line)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()


async def test_bytes_pass_both_ways(wired: tuple[Wire, Echo]) -> None:
    wire, echo = wired
    assert await _ask(wire, b"bonjour\n") == b"BONJOUR\n"
    assert echo.received == [b"bonjour\n"]


async def test_a_slow_link_holds_each_chunk_back(wired: tuple[Wire, Echo]) -> None:
    wire, _ = wired
    wire.delay = 0.3
    started = time.monotonic()
    assert await _ask(wire, b"lent\n") == b"LENT\n"
    assert time.monotonic() - started >= 0.6  # the request's chunk, then the answer's
    assert wire.delayed == 2


async def test_a_lost_answer_reaches_the_server_but_never_the_client_which_times_out(wired: tuple[Wire, Echo]) -> None:
    wire, echo = wired
    wire.swallow_next = 1
    with pytest.raises(TimeoutError):
        await _ask(wire, b"bonus\n", timeout=1.0)
    assert echo.received == [b"bonus\n"]  # applied
    assert (wire.swallowed, wire.swallow_next) == (1, 0)
    assert await _ask(wire, b"encore\n") == b"ENCORE\n"  # the next connection is answered


async def test_a_wire_down_refuses_connections(wired: tuple[Wire, Echo]) -> None:
    wire, _ = wired
    await wire.down()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", wire.listen_port)
    await wire.up()
    assert await _ask(wire, b"revenu\n") == b"REVENU\n"
