"""The RabbitMQ nodes' configuration: a cluster of three, quorum queues kept at three members, definitions at boot."""

from __future__ import annotations

from deploy import topology
from deploy.production import spec

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
PROMETHEUS_PORT = 15692
CONF_D = "/etc/rabbitmq/conf.d/20-passpro.conf"
"""After the image's own 10-defaults.conf, so these settings win."""
ENABLED_PLUGINS = "/etc/rabbitmq/enabled_plugins"


def _common() -> list[str]:
    return [
        "cluster_name = passpro",
        # The side of a split that lost the majority stops, rather than two halves accepting diverging work.
        "cluster_partition_handling = pause_minority",
        f"load_definitions = {spec.DEFINITIONS_DIR}/{spec.DEFINITIONS_FILE}",
        # Definitions may be imported before every node has joined: queues then grow to three members.
        "quorum_queue.continuous_membership_reconciliation.enabled = true",
        f"quorum_queue.continuous_membership_reconciliation.target_group_size = {spec.RABBITMQ_NODES}",
        "loopback_users.guest = true",
        # A publisher's bigger message is refused (its channel closed with the reason) before it is stored.
        f"max_message_size = {topology.MAX_MESSAGE_SIZE}",
        f"listeners.tcp.default = {AMQP_PORT}",
        f"management.tcp.port = {MANAGEMENT_PORT}",
        f"prometheus.tcp.port = {PROMETHEUS_PORT}",
        "log.console = true",
        "log.console.level = info",
    ]


def compose_node(index: int) -> str:
    """A compose node's host name, which is also its Erlang node's host."""
    return f"rabbitmq-{index}"


def compose_conf() -> str:
    """Peers named in advance: compose gives each node a fixed host name."""
    peers = [
        f"cluster_formation.classic_config.nodes.{i} = rabbit@{compose_node(i)}"
        for i in range(1, spec.RABBITMQ_NODES + 1)
    ]
    return "\n".join(
        ["cluster_formation.peer_discovery_backend = rabbit_peer_discovery_classic_config", *peers, *_common(), ""]
    )


def kubernetes_conf() -> str:
    """Peers found through the Kubernetes API; the namespace-dependent parts come from the pod's environment."""
    return "\n".join(
        [
            "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s",
            "cluster_formation.k8s.host = kubernetes.default.svc",
            "cluster_formation.k8s.address_type = hostname",
            "cluster_formation.node_cleanup.only_log_warning = true",
            *_common(),
            "",
        ]
    )


def enabled_plugins(*, kubernetes: bool) -> str:
    plugins = ["rabbitmq_management", "rabbitmq_prometheus"] + (["rabbitmq_peer_discovery_k8s"] if kubernetes else [])
    return f"[{','.join(plugins)}].\n"
