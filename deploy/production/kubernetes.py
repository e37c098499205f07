"""The Kubernetes manifests: RabbitMQ as a StatefulSet of three, PostgreSQL, and a Deployment per service.

RabbitMQ is described here rather than through the RabbitMQ cluster operator: no custom resource to
install in the académie's cluster, every object reviewable in this repository and checked by its tests.
"""

from __future__ import annotations

from typing import Any

from contracts import routing
from contracts.database import role_password_variable
from deploy.production import broker, secrets, spec

CONFIG = "passpro-config"
RABBITMQ = "passpro-rabbitmq"
RABBITMQ_NODES = "passpro-rabbitmq-nodes"
"""The headless Service that gives each node its stable name."""
RABBITMQ_CONFIG = "passpro-rabbitmq-config"
POSTGRES = "passpro-postgres"
DATABASE_ROLES = "passpro-database-roles"
"""The Job that makes each service's database role and schema; the services retry their start until it is done."""
SECRET_REFS = {
    "PASSPRO_AFFELNET_TOKEN": (secrets.AFFELNET, "token"),
    "PASSPRO_SMTP_PASSWORD": (secrets.SMTP, "password"),
}
"""A secret setting -> the Secret and key holding it."""
PART_OF = {"app.kubernetes.io/part-of": "passpro"}


def _labels(component: str) -> dict[str, str]:
    """The labels that select a component's pods; stable, so they never change under a running workload."""
    return {"app.kubernetes.io/name": "passpro", "app.kubernetes.io/component": component}


def _meta(name: str, component: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "labels": {**_labels(component), **PART_OF}, **extra}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _prometheus(port: int, path: str = "/metrics") -> dict[str, str]:
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": path}


def namespace() -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.NAMESPACE, "labels": PART_OF}}]


def config() -> list[dict[str, Any]]:
    """The services' settings that are not secret; the outside systems' addresses are placeholders to replace."""
    data = {
        "PASSPRO_AMQP_URL": f"amqp://{RABBITMQ}:{broker.AMQP_PORT}/{routing.VHOST}",
        **{name: value for settings in spec.OUTSIDE.values() for name, value in settings.items()},
    }
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(CONFIG, "config"), "data": data}]


def _rabbitmq_statefulset() -> dict[str, Any]:
    labels = _labels("rabbitmq")
    domain = f"{RABBITMQ_NODES}.$(MY_POD_NAMESPACE).svc.cluster.local"
    container = {
        "name": "rabbitmq",
        "image": spec.RABBITMQ_IMAGE,
        "env": [
            {"name": "MY_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "MY_POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "RABBITMQ_USE_LONGNAME", "value": "true"},
            {"name": "RABBITMQ_NODENAME", "value": f"rabbit@$(MY_POD_NAME).{domain}"},
            {"name": "K8S_SERVICE_NAME", "value": RABBITMQ_NODES},
            {"name": "K8S_HOSTNAME_SUFFIX", "value": f".{domain}"},
        ],
        "ports": [
            {"name": "amqp", "containerPort": broker.AMQP_PORT},
            {"name": "management", "containerPort": broker.MANAGEMENT_PORT},
            {"name": "prometheus", "containerPort": broker.PROMETHEUS_PORT},
            {"name": "epmd", "containerPort": 4369},
            {"name": "cluster-links", "containerPort": 25672},
        ],
        # Ready once it takes connections, not once the cluster agrees: nodes restarted together must
        # all run to find each other again.
        "readinessProbe": {"tcpSocket": {"port": "amqp"}, "initialDelaySeconds": 10, "periodSeconds": 10},
        "livenessProbe": {
            "exec": {"command": ["rabbitmq-diagnostics", "-q", "ping"]},
            "initialDelaySeconds": 60,
            "periodSeconds": 60,
            "timeoutSeconds": 15,
        },
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/rabbitmq"},
            {"name": "config", "mountPath": broker.CONF_D, "subPath": "passpro.conf"},
            {"name": "config", "mountPath": broker.ENABLED_PLUGINS, "subPath": "enabled_plugins"},
            {"name": "definitions", "mountPath": spec.DEFINITIONS_DIR, "readOnly": True},
        ],
    }
    cookie = {
        "name": "erlang-cookie",
        "image": spec.RABBITMQ_IMAGE,
        # Erlang wants the cookie readable by its owner only, which a Secret volume cannot give.
        "command": ["sh", "-c", "install -m 0400 /run/passpro/cookie/erlang-cookie /var/lib/rabbitmq/.erlang.cookie"],
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/rabbitmq"},
            {"name": "cookie", "mountPath": "/run/passpro/cookie", "readOnly": True},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(RABBITMQ, "rabbitmq"),
        "spec": {
            "serviceName": RABBITMQ_NODES,
            "replicas": spec.RABBITMQ_NODES,
            # All nodes start together and wait for each other, as after a full restart.
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": {**labels, **PART_OF}},
                "spec": {
                    "serviceAccountName": RABBITMQ,
                    "terminationGracePeriodSeconds": 120,
                    "securityContext": {
                        "runAsUser": spec.RABBITMQ_UID,
                        "runAsGroup": spec.RABBITMQ_UID,
                        "fsGroup": spec.RABBITMQ_UID,
                        "runAsNonRoot": True,
                    },
                    "initContainers": [cookie],
                    "containers": [container],
                    "volumes": [
                        {"name": "config", "configMap": {"name": RABBITMQ_CONFIG}},
                        {
                            "name": "definitions",
                            "secret": {
                                "secretName": secrets.RABBITMQ,
                                "items": [{"key": spec.DEFINITIONS_FILE, "path": spec.DEFINITIONS_FILE}],
                            },
                        },
                        {
                            "name": "cookie",
                            "secret": {
                                "secretName": secrets.RABBITMQ,
                                "items": [{"key": secrets.COOKIE_KEY, "path": secrets.COOKIE_KEY}],
                            },
                        },
                    ],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
                }
            ],
        },
    }


def rabbitmq_objects() -> list[dict[str, Any]]:
    labels = _labels("rabbitmq")
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(RABBITMQ, "rabbitmq")},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(f"{RABBITMQ}-peer-discovery", "rabbitmq"),
            "rules": [
                {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(f"{RABBITMQ}-peer-discovery", "rabbitmq"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{RABBITMQ}-peer-discovery"},
            "subjects": [{"kind": "ServiceAccount", "name": RABBITMQ}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(RABBITMQ_CONFIG, "rabbitmq"),
            "data": {
                "passpro.conf": broker.kubernetes_conf(),
                "enabled_plugins": broker.enabled_plugins(kubernetes=True),
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(RABBITMQ_NODES, "rabbitmq"),
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": labels,
                "ports": [
                    {"name": "epmd", "port": 4369},
                    {"name": "cluster-links", "port": 25672},
                    {"name": "amqp", "port": broker.AMQP_PORT},
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(RABBITMQ, "rabbitmq", annotations=_prometheus(broker.PROMETHEUS_PORT)),
            "spec": {
                "selector": labels,
                "ports": [
                    {"name": "amqp", "port": broker.AMQP_PORT, "targetPort": "amqp"},
                    {"name": "management", "port": broker.MANAGEMENT_PORT, "targetPort": "management"},
                    {"name": "prometheus", "port": broker.PROMETHEUS_PORT, "targetPort": "prometheus"},
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(RABBITMQ, "rabbitmq"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        },
        _rabbitmq_statefulset(),
    ]


def postgres_objects() -> list[dict[str, Any]]:
    labels = _labels("postgres")
    ready = ["pg_isready", "-U", spec.DB_USER, "-d", spec.DB_NAME]
    container = {
        "name": "postgres",
        "image": spec.POSTGRES_IMAGE,
        "env": [
            {"name": "POSTGRES_USER", "value": spec.DB_USER},
            {"name": "POSTGRES_DB", "value": spec.DB_NAME},
            _secret_env("POSTGRES_PASSWORD", secrets.DATABASE, "password"),
            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
        ],
        "ports": [{"name": "postgres", "containerPort": 5432}],
        "readinessProbe": {"exec": {"command": ready}, "periodSeconds": 5},
        "livenessProbe": {"exec": {"command": ready}, "initialDelaySeconds": 30, "periodSeconds": 30},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(POSTGRES, "postgres"),
            "spec": {"clusterIP": "None", "selector": labels, "ports": [{"name": "postgres", "port": 5432}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _meta(POSTGRES, "postgres"),
            "spec": {
                "serviceName": POSTGRES,
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": {**labels, **PART_OF}}, "spec": {"containers": [container]}},
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}},
                    }
                ],
            },
        },
    ]


def _deployment(service: str) -> dict[str, Any]:
    name = f"passpro-{spec.dashed(service)}"
    labels = _labels(spec.dashed(service))
    env = [
        *({"name": key, "value": value} for key, value in spec.service_environment(service).items()),
        _secret_env("PASSPRO_AMQP_PASSWORD", secrets.BROKER_ACCOUNTS, service),
        {"name": "PASSPRO_DATABASE_URL", "value": spec.database_url(POSTGRES)},
        _secret_env(role_password_variable(service), secrets.DATABASE, service),
        *(_secret_env(setting, *SECRET_REFS[setting]) for setting in spec.SECRET_SETTINGS.get(service, {})),
    ]
    probe = {"port": "health"}
    container = {
        "name": spec.dashed(service),
        "image": spec.IMAGE,
        "envFrom": [{"configMapRef": {"name": CONFIG}}],
        "env": env,
        "ports": [{"name": "health", "containerPort": spec.HEALTH_PORT}],
        "startupProbe": {"httpGet": {"path": "/health/live", **probe}, "periodSeconds": 2, "failureThreshold": 30},
        "livenessProbe": {
            "httpGet": {"path": "/health/live", **probe},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/health/ready", **probe},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, spec.dashed(service)),
        "spec": {
            "replicas": spec.REPLICAS[service],
            "selector": {"matchLabels": labels},
            # A new pod is ready before an old one stops: the queues never lose their last consumer.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": {**labels, **PART_OF, "passpro/service": service}},
                "spec": {
                    "terminationGracePeriodSeconds": spec.GRACE_SECONDS,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": spec.APP_UID,
                        "runAsGroup": spec.APP_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def database_roles_objects() -> list[dict[str, Any]]:
    """The provisioning Job: idempotent, so re-running it (a new release, a new service) is harmless."""
    env = [
        {"name": "PASSPRO_DATABASE_URL", "value": spec.database_url(POSTGRES)},
        *({"name": key, "value": value} for key, value in spec.database_roles_environment().items()),
        _secret_env("PASSPRO_DATABASE_PASSWORD", secrets.DATABASE, "password"),
        *(_secret_env(role_password_variable(service), secrets.DATABASE, service) for service in routing.SERVICES),
    ]
    container = {
        "name": "database-roles",
        "image": spec.IMAGE,
        "command": spec.DATABASE_ROLES_COMMAND,
        "envFrom": [{"configMapRef": {"name": CONFIG}}],
        "env": env,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(DATABASE_ROLES, "database-roles"),
            "spec": {
                # The database may still be starting: retried with back-off, then kept a day for its log.
                "backoffLimit": 10,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": {**_labels("database-roles"), **PART_OF}},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": spec.APP_UID,
                            "runAsGroup": spec.APP_UID,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                    },
                },
            },
        }
    ]


def _health_service(service: str) -> dict[str, Any]:
    """Prometheus scrapes ``/metrics`` through it; the ``service`` label matches the dashboard's."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(
            f"passpro-{spec.dashed(service)}", spec.dashed(service), annotations=_prometheus(spec.HEALTH_PORT)
        ),
        "spec": {
            "selector": _labels(spec.dashed(service)),
            "ports": [{"name": "health", "port": spec.HEALTH_PORT, "targetPort": "health"}],
        },
    }


def service_objects() -> list[dict[str, Any]]:
    return [obj for service in routing.SERVICES for obj in (_deployment(service), _health_service(service))]


FILES = {
    "namespace.yaml": namespace,
    "config.yaml": config,
    "rabbitmq.yaml": rabbitmq_objects,
    "postgres.yaml": postgres_objects,
    "database-roles.yaml": database_roles_objects,
    "services.yaml": service_objects,
}


def kustomization() -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": spec.NAMESPACE,
        "resources": list(FILES),
    }
