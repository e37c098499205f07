"""The production files: committed as generated, consistent with the topology, and internally coherent."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import routing
from deploy import production, topology
from deploy.production import compose, kubernetes, secrets, spec

ROOT = Path(__file__).resolve().parents[2]


def _documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((production.HERE / name).read_text()) if doc is not None]


def _manifests() -> list[dict[str, Any]]:
    return [doc for name in kubernetes.FILES for doc in _documents(f"kubernetes/{name}")]


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _manifests() if doc["kind"] == kind}


def _compose() -> dict[str, Any]:
    return _documents("compose.yaml")[0]


@pytest.fixture
def filled(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every secret of the deployment set in the environment, each to its own value."""
    values = {name: f"{name.lower()}-{i}" for i, name in enumerate(spec.secret_variables())}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _verifies(password_hash: str, password: str) -> bool:
    raw = base64.b64decode(password_hash)
    return raw[4:] == hashlib.sha256(raw[:4] + password.encode()).digest()


@pytest.mark.parametrize("name", sorted(production.files()))
def test_the_committed_file_is_the_generated_one(name: str) -> None:
    assert (production.HERE / name).read_text() == production.files()[name], "stale: run `python -m deploy.production`"


def test_no_generated_file_is_left_over_from_an_older_generator() -> None:
    generated = {Path(name) for name in production.files()}
    on_disk = {
        p.relative_to(production.HERE)
        for folder in ("kubernetes", "rabbitmq")
        for p in (production.HERE / folder).iterdir()
    }

    assert on_disk == {p for p in generated if p.parts[0] in ("kubernetes", "rabbitmq")}


def test_each_password_variable_is_the_one_the_topology_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in spec.account_names():
        monkeypatch.setenv(spec.password_env(name), f"secret-of-{name}")

    assert {a.name: a.password for a in topology.accounts()} == {n: f"secret-of-{n}" for n in spec.account_names()}


# -- the broker's definitions


def test_every_queue_of_the_definitions_is_quorum(filled: dict[str, str]) -> None:
    queues = secrets.definitions()["queues"]

    assert queues and all(q["arguments"]["x-queue-type"] == "quorum" for q in queues)
    assert {q["name"] for q in queues} == {
        n for spec_ in routing.QUEUES for n in (spec_.name, spec_.parking, *spec_.retries)
    } | {topology.EXHAUSTED_QUEUE}


def test_every_retry_queue_waits_its_delay_then_returns_to_its_own_work_queue_only(filled: dict[str, str]) -> None:
    document = secrets.definitions()
    by_name = {q["name"]: q["arguments"] for q in document["queues"]}
    fanouts = {e["name"] for e in document["exchanges"] if e["type"] == "fanout"}

    for queue in routing.QUEUES:
        for delay, retry in zip(routing.RETRY_DELAYS, queue.retries, strict=True):
            arguments = by_name[retry]
            assert arguments["x-message-ttl"] == delay * 1000
            assert arguments["x-dead-letter-strategy"] == "at-least-once"
            assert arguments["x-overflow"] == "reject-publish"
            back = arguments["x-dead-letter-exchange"]
            assert back in fanouts
            assert "x-dead-letter-routing-key" not in arguments  # the message keeps its routing key
            assert [b["destination"] for b in document["bindings"] if b["source"] == back] == [queue.name]
            into = [b for b in document["bindings"] if b["destination"] == retry]
            assert [b["source"] for b in into] == [routing.retry_exchange(queue.service)]


def test_a_service_may_write_to_its_own_retry_exchange_and_no_other(filled: dict[str, str]) -> None:
    permissions = {p["user"]: p for p in secrets.definitions()["permissions"]}

    for service in routing.SERVICES:
        write = re.compile(permissions[service]["write"])
        assert write.match(routing.retry_exchange(service))
        assert not any(write.match(routing.retry_exchange(other)) for other in routing.SERVICES if other != service)
        assert not any(write.match(routing.retry_return_exchange(q.name)) for q in routing.QUEUES)


def test_every_work_queue_has_the_delivery_limit_and_parks_past_it(filled: dict[str, str]) -> None:
    by_name = {q["name"]: q["arguments"] for q in secrets.definitions()["queues"]}

    for queue in routing.QUEUES:
        arguments = by_name[queue.name]
        assert arguments["x-delivery-limit"] == topology.DELIVERY_LIMIT
        assert (arguments["x-dead-letter-exchange"], arguments["x-dead-letter-routing-key"]) == (
            routing.PARKING_EXCHANGE,
            queue.parking,
        )
        assert arguments["x-dead-letter-strategy"] == "at-least-once"


def test_the_definitions_are_the_production_vhost_only(filled: dict[str, str]) -> None:
    document = secrets.definitions()

    assert document["vhosts"] == [{"name": routing.VHOST}]
    assert {item["vhost"] for key in ("permissions", "exchanges", "queues", "bindings") for item in document[key]} == {
        routing.VHOST
    }


def test_each_account_gets_the_password_its_variable_holds(filled: dict[str, str]) -> None:
    users = {user["name"]: user for user in secrets.definitions()["users"]}

    assert set(users) == set(spec.account_names())
    for name, user in users.items():
        assert _verifies(user["password_hash"], filled[spec.password_env(name)]), name
        assert not _verifies(user["password_hash"], name), "the local stack's default password"


@pytest.mark.parametrize("value", [None, "", spec.PLACEHOLDER])
def test_the_definitions_are_refused_while_a_password_is_missing(
    filled: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    variable = spec.password_env(topology.PORTAL_USER)
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    with pytest.raises(secrets.MissingSecrets, match=variable) as refused:
        secrets.definitions()
    assert not any(secret in str(refused.value) for secret in filled.values())


def test_the_definitions_command_writes_a_file_the_nodes_can_read(
    filled: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "definitions" / spec.DEFINITIONS_FILE
    monkeypatch.setattr("sys.argv", ["deploy.production", "definitions", "--out", str(out)])

    runpy.run_module("deploy.production", run_name="__main__")

    assert json.loads(out.read_text())["queues"] and out.stat().st_mode & 0o044 == 0o044


# -- Kubernetes


def test_every_object_has_api_version_kind_and_name() -> None:
    for doc in _manifests():
        assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), doc


def test_the_kustomization_lists_every_manifest() -> None:
    assert _documents("kubernetes/kustomization.yaml")[0]["resources"] == list(kubernetes.FILES)


@pytest.mark.parametrize("service", routing.SERVICES)
def test_every_service_has_a_deployment_with_both_probes_and_its_broker_password_from_a_secret(service: str) -> None:
    deployment = _of_kind("Deployment")[f"passpro-{spec.dashed(service)}"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    health = {port["name"]: port["containerPort"] for port in container["ports"]}["health"]

    assert deployment["spec"]["replicas"] == spec.REPLICAS[service] >= 2
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "health"}
    assert env["PASSPRO_AMQP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": secrets.BROKER_ACCOUNTS,
        "key": service,
    }
    assert env["PASSPRO_SERVICE"]["value"] == env["PASSPRO_AMQP_USER"]["value"] == service
    assert ipaddress.ip_address(env["PASSPRO_HEALTH_HOST"]["value"]).is_unspecified
    assert int(env["PASSPRO_HEALTH_PORT"]["value"]) == health
    assert container["resources"]["requests"] and container["resources"]["limits"]


@pytest.mark.parametrize("service", routing.SERVICES)
def test_every_service_has_a_service_for_prometheus_on_its_health_port(service: str) -> None:
    target = _of_kind("Service")[f"passpro-{spec.dashed(service)}"]

    assert target["metadata"]["annotations"]["prometheus.io/port"] == str(spec.HEALTH_PORT)
    assert [p["targetPort"] for p in target["spec"]["ports"]] == ["health"]


def _workloads() -> list[dict[str, Any]]:
    return [doc for doc in _manifests() if doc["kind"] in ("Deployment", "StatefulSet")]


def test_every_workload_selects_its_own_pods() -> None:
    for workload in _workloads():
        selector = workload["spec"]["selector"]["matchLabels"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector and selector.items() <= labels.items(), workload["metadata"]["name"]


def test_every_service_and_disruption_budget_selects_the_pods_of_a_workload() -> None:
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in _workloads()]
    selectors = [s["spec"]["selector"] for s in _of_kind("Service").values()]
    selectors += [b["spec"]["selector"]["matchLabels"] for b in _of_kind("PodDisruptionBudget").values()]

    for selector in selectors:
        assert any(selector.items() <= labels.items() for labels in pod_labels), selector


def test_every_statefulset_is_governed_by_a_headless_service() -> None:
    services = _of_kind("Service")

    for statefulset in _of_kind("StatefulSet").values():
        assert services[statefulset["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    pod = workload["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_every_reference_names_an_object_that_exists(filled: dict[str, str]) -> None:
    config_maps = {name: set(doc["data"]) for name, doc in _of_kind("ConfigMap").items()}
    produced = {doc["metadata"]["name"]: set(doc["stringData"]) for doc in secrets.kubernetes()}
    for workload in _workloads():
        pod = workload["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"].get("items", [])}
                assert keys <= produced[volume["secret"]["secretName"]]
        mounts = {m["name"] for c in _containers(workload) for m in c.get("volumeMounts", [])}
        claims = {claim["metadata"]["name"] for claim in workload["spec"].get("volumeClaimTemplates", [])}
        assert mounts <= {v["name"] for v in pod.get("volumes", [])} | claims
        for container in _containers(workload):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in produced[ref["name"]], ref
        if "serviceAccountName" in pod:
            assert pod["serviceAccountName"] in _of_kind("ServiceAccount")
    for binding in _of_kind("RoleBinding").values():
        assert binding["roleRef"]["name"] in _of_kind("Role")
        assert {s["name"] for s in binding["subjects"]} <= set(_of_kind("ServiceAccount"))


def test_every_probe_and_service_port_is_a_port_its_container_names() -> None:
    for workload in _workloads():
        named = {p["name"] for c in workload["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for container in workload["spec"]["template"]["spec"]["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                action = container.get(probe, {})
                port = (action.get("httpGet") or action.get("tcpSocket") or {}).get("port")
                assert port is None or port in named, (workload["metadata"]["name"], probe)
    pods = {frozenset(w["spec"]["template"]["metadata"]["labels"].items()): w for w in _workloads()}
    for service in _of_kind("Service").values():
        [workload] = [w for labels, w in pods.items() if service["spec"]["selector"].items() <= labels]
        named = {p["name"] for c in workload["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port.get("targetPort", port["name"]) in named


def test_the_secrets_are_refused_while_one_is_missing(filled: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(spec.COOKIE_ENV, spec.PLACEHOLDER)

    with pytest.raises(secrets.MissingSecrets, match=spec.COOKIE_ENV):
        secrets.kubernetes()


def test_the_secret_definitions_hold_the_same_passwords_as_the_accounts_secret(filled: dict[str, str]) -> None:
    produced = {doc["metadata"]["name"]: doc["stringData"] for doc in secrets.kubernetes()}
    users = json.loads(produced[secrets.RABBITMQ][spec.DEFINITIONS_FILE])["users"]

    for user in users:
        assert _verifies(user["password_hash"], produced[secrets.BROKER_ACCOUNTS][user["name"]]), user["name"]


# -- compose


def test_compose_references_only_what_it_defines() -> None:
    document = _compose()
    services = document["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        assert {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])} <= set(
            document["secrets"]
        ), name
        assert {c["source"] for c in service.get("configs", [])} <= set(document["configs"]), name
        named = {v.split(":", 1)[0] for v in service.get("volumes", []) if not v.startswith((".", "/"))}
        assert named <= set(document["volumes"]), name
    for config in document["configs"].values():
        assert (production.HERE / config["file"]).is_file()
    for service in services.values():
        if "build" in service:
            assert (production.HERE / service["build"]["context"] / service["build"]["dockerfile"]).is_file()


def test_every_variable_compose_reads_is_in_the_env_example() -> None:
    text = (production.HERE / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text)) | {s["environment"] for s in _compose()["secrets"].values()}
    example = {line.split("=", 1)[0] for line in compose.env_example().splitlines() if line and line[0] != "#"}

    assert used <= example


@pytest.mark.parametrize("service", routing.SERVICES)
def test_every_service_runs_in_compose_as_replicas_checked_on_its_readiness(service: str) -> None:
    entry = _compose()["services"][spec.dashed(service)]
    environment = entry["environment"]

    assert entry["deploy"]["replicas"] == spec.REPLICAS[service]
    assert f":{spec.HEALTH_PORT}/health/ready" in " ".join(entry["healthcheck"]["test"])
    assert environment["PASSPRO_SERVICE"] == environment["PASSPRO_AMQP_USER"] == service
    assert environment["PASSPRO_AMQP_PASSWORD"].startswith("${" + spec.password_env(service) + ":?")
    assert ipaddress.ip_address(environment["PASSPRO_HEALTH_HOST"]).is_unspecified
    assert {node: {"condition": "service_healthy"} for node in ("postgres", "rabbitmq-1")}.items() <= entry[
        "depends_on"
    ].items()


def test_compose_nodes_boot_after_the_definitions_are_written() -> None:
    services = _compose()["services"]
    nodes = [name for name, s in services.items() if s.get("image") == spec.RABBITMQ_IMAGE]

    assert len(nodes) == spec.RABBITMQ_NODES
    for node in nodes:
        assert services[node]["depends_on"][compose.RENDER] == {"condition": "service_completed_successfully"}
        assert f"{compose.DEFINITIONS_VOLUME}:{spec.DEFINITIONS_DIR}:ro" in services[node]["volumes"]


# -- the image


def test_the_image_installs_the_lock_and_the_project_and_runs_the_chosen_service() -> None:
    dockerfile = (production.HERE / "Dockerfile").read_text()
    sources = [part for line in dockerfile.splitlines() if line.startswith("COPY") for part in line.split()[1:-1]]

    assert all((ROOT / source).exists() for source in sources), sources
    assert "pip install -r requirements.lock" in dockerfile and "pip install --no-deps ." in dockerfile
    assert 'python -m \\"services.${PASSPRO_SERVICE' in dockerfile
    assert all((ROOT / "services" / service / "__main__.py").is_file() for service in routing.SERVICES)


def _env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {entry["name"]: entry.get("value", entry.get("valueFrom")) for entry in container["env"]}


@pytest.mark.parametrize("service", routing.SERVICES)
def test_every_service_logs_in_to_the_database_as_its_own_role_never_the_administrator(service: str) -> None:
    variable = f"PASSPRO_{service.upper()}_DATABASE_PASSWORD"
    composed = _compose()["services"][spec.dashed(service)]["environment"]
    container = _of_kind("Deployment")[f"passpro-{spec.dashed(service)}"]["spec"]["template"]["spec"]["containers"][0]
    env = _env_of(container)

    assert composed["PASSPRO_DATABASE_URL"] == "postgresql://postgres:5432/passpro"
    assert composed[variable] == f"${{{variable}:?set {variable} in deploy/production/.env}}"
    assert env["PASSPRO_DATABASE_URL"] == f"postgresql://{kubernetes.POSTGRES}:5432/passpro"
    assert env[variable] == {"secretKeyRef": {"name": secrets.DATABASE, "key": service}}
    # The administrator's password reaches the provisioning job only.
    assert spec.DB_PASSWORD_ENV not in json.dumps(composed)
    assert {"name": secrets.DATABASE, "key": "password"} not in [
        value.get("secretKeyRef") for value in env.values() if isinstance(value, dict)
    ]
    assert "PASSPRO_DATABASE_PASSWORD" not in composed and "PASSPRO_DATABASE_PASSWORD" not in env


def test_compose_makes_the_database_roles_before_any_service_starts() -> None:
    services = _compose()["services"]
    job = services[compose.DATABASE_ROLES]

    assert job["command"] == ["python", "-m", "deploy.provision"]
    assert job["restart"] == "no"
    assert job["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert job["environment"]["PASSPRO_DATABASE_USER"] == spec.DB_USER
    assert job["environment"]["PASSPRO_DATABASE_PASSWORD"].startswith(f"${{{spec.DB_PASSWORD_ENV}:?")
    assert {f"PASSPRO_{s.upper()}_DATABASE_PASSWORD" for s in routing.SERVICES} <= set(job["environment"])
    for service in routing.SERVICES:
        assert services[spec.dashed(service)]["depends_on"][compose.DATABASE_ROLES] == {
            "condition": "service_completed_successfully"
        }


def test_kubernetes_runs_a_job_making_every_role_from_the_database_secret() -> None:
    job = _of_kind("Job")[kubernetes.DATABASE_ROLES]
    pod = job["spec"]["template"]["spec"]
    env = _env_of(pod["containers"][0])

    assert pod["containers"][0]["command"] == ["python", "-m", "deploy.provision"]
    assert pod["restartPolicy"] == "OnFailure" and pod["securityContext"]["runAsNonRoot"] is True
    assert env["PASSPRO_DATABASE_USER"] == spec.DB_USER
    assert env["PASSPRO_DATABASE_PASSWORD"] == {"secretKeyRef": {"name": secrets.DATABASE, "key": "password"}}
    for service in routing.SERVICES:
        assert env[f"PASSPRO_{service.upper()}_DATABASE_PASSWORD"] == {
            "secretKeyRef": {"name": secrets.DATABASE, "key": service}
        }


def test_the_database_secret_holds_each_roles_password_from_its_variable(filled: dict[str, str]) -> None:
    database = next(s for s in secrets.kubernetes() if s["metadata"]["name"] == secrets.DATABASE)["stringData"]

    assert database == {
        "password": filled[spec.DB_PASSWORD_ENV],
        **{s: filled[f"PASSPRO_{s.upper()}_DATABASE_PASSWORD"] for s in routing.SERVICES},
    }
    assert len(set(database.values())) == len(routing.SERVICES) + 1


def test_mail_leaves_over_starttls_with_a_login_whose_password_is_a_secret() -> None:
    composed = _compose()["services"]["notifications"]["environment"]
    container = _of_kind("Deployment")["passpro-notifications"]["spec"]["template"]["spec"]["containers"][0]
    config = _of_kind("ConfigMap")[kubernetes.CONFIG]["data"]

    assert (config["PASSPRO_SMTP_TLS"], config["PASSPRO_SMTP_PORT"]) == ("starttls", "587")
    assert composed["PASSPRO_SMTP_TLS"].startswith("${PASSPRO_SMTP_TLS:?")
    assert composed["PASSPRO_SMTP_PASSWORD"].startswith(f"${{{spec.SMTP_PASSWORD_ENV}:?")
    assert _env_of(container)["PASSPRO_SMTP_PASSWORD"] == {"secretKeyRef": {"name": secrets.SMTP, "key": "password"}}
