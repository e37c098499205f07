"""The broker refuses a message over ``max_message_size``, and the portal that sent it learns why.

The limit is read from the configuration file at boot only, so the test starts a broker node of its own,
on other ports and under a temporary directory, configured exactly as the local stack configures its own.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
from aiormq.exceptions import ChannelPreconditionFailed

from contracts import routing
from deploy import topology
from deploy.local import cluster
from deploy.local.processes import as_user, pid_alive, read_pid, wait_for

AMQP_PORT = 5790
MANAGEMENT_PORT = 15790
SCOPED, OWN = "portal-93", "0930122C"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def node() -> Iterator[cluster.Node]:
    home = Path(tempfile.mkdtemp(prefix="passpro-limits-"))
    home.chmod(0o755)
    own = cluster.Node(9, "passpro-limits@localhost", AMQP_PORT, MANAGEMENT_PORT, home)
    cluster._start(own, seed=True, members=4)
    try:
        cluster._await(own)
        yield own
    finally:
        pid = read_pid(own.pid_file)
        subprocess.run(
            as_user("rabbitmq", [str(cluster.SBIN / "rabbitmqctl"), "-n", own.name, "stop"]),
            env=own.env(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if pid is not None:
            wait_for(lambda: not pid_alive(pid), 60, "the test's own broker node to stop")
        shutil.rmtree(home, ignore_errors=True)


def _url(account: str) -> str:
    password = next(a.password for a in topology.accounts() if a.name == account)
    return f"amqp://{account}:{quote(password, safe='')}@127.0.0.1:{AMQP_PORT}/{routing.VHOST}"


def test_the_generated_configuration_carries_the_limit(node: cluster.Node) -> None:
    assert f"max_message_size = {topology.MAX_MESSAGE_SIZE}" in (node.home / "rabbitmq.conf").read_text()


async def test_a_portal_publishing_ten_megabytes_is_refused_and_told_why(node: cluster.Node) -> None:
    connection = await aio_pika.connect(_url(SCOPED))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        commands = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)

        with pytest.raises(
            ChannelPreconditionFailed,
            match=(
                f"PRECONDITION_FAILED - message size {TEN_MB} is larger than configured max size "
                f"{topology.MAX_MESSAGE_SIZE}"
            ),
        ):
            await commands.publish(
                aio_pika.Message(b"x" * TEN_MB, message_id=str(uuid.uuid4())),
                routing_key=routing.scoped_command_key("register_candidacy", OWN),
            )

        # Nothing else is disturbed: the same connection publishes a message of ordinary size, and the
        # refused one never reached the queue.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        commands = await channel.get_exchange(routing.COMMANDS_EXCHANGE, ensure=False)
        small = str(uuid.uuid4())
        await commands.publish(
            aio_pika.Message(b"{}", message_id=small),
            routing_key=routing.scoped_command_key("register_candidacy", OWN),
            mandatory=True,
        )

    admin = await aio_pika.connect(_url(topology.ADMIN_USER))
    async with admin:
        channel = await admin.channel()
        queue = await channel.get_queue(routing.command_queue("enrollment"), ensure=False)
        first = await queue.get(no_ack=True, fail=False, timeout=5)
        assert first is not None and first.message_id == small
        assert await queue.get(no_ack=True, fail=False, timeout=5) is None
