"""The committed monitoring files are the generated ones, and the dashboard queries only metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from deploy import monitoring
from services.runtime import metrics

SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
ADDED_BY_PROMETHEUS = {"service"}
"""The scrape configuration labels each target with its service."""
RABBITMQ_FAMILIES = {
    "rabbitmq_detailed_queue_messages_ready": "queue_coarse_metrics",
    "rabbitmq_detailed_queue_messages_unacked": "queue_coarse_metrics",
    "rabbitmq_detailed_queue_messages": "queue_coarse_metrics",
    "rabbitmq_detailed_queue_consumers": "queue_consumer_count",
}
"""RabbitMQ 3.10's detailed series and the family of /metrics/detailed that carries each."""


def _exported() -> dict[str, set[str]]:
    """Each series name the services expose -> the labels it may carry."""
    series: dict[str, set[str]] = {}
    for wrapper in vars(metrics).values():
        if not isinstance(wrapper, MetricWrapperBase):
            continue
        for family in wrapper.describe():
            for suffix in SUFFIXES[family.type]:
                labels = set(wrapper._labelnames) | ADDED_BY_PROMETHEUS
                series[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return series


def _expressions() -> list[str]:
    return [target["expr"] for panel in monitoring.dashboard()["panels"] for target in panel["targets"]]


@pytest.mark.parametrize("name", sorted(monitoring.files()))
def test_the_committed_file_is_the_generated_one(name: str) -> None:
    committed = monitoring.HERE / name

    assert committed.read_text() == monitoring.files()[name], "stale: run `python -m deploy.monitoring`"


def test_no_generated_file_is_left_over_from_an_older_generator() -> None:
    generated = {Path(name) for name in monitoring.files()}
    on_disk = {
        p.relative_to(monitoring.HERE)
        for p in monitoring.HERE.rglob("*")
        if p.is_file() and p.suffix in (".yml", ".json")
    }

    assert on_disk == generated


@pytest.mark.parametrize("expr", _expressions())
def test_the_dashboard_queries_only_series_the_services_expose_with_their_labels(expr: str) -> None:
    exported = _exported()

    for name, matchers in re.findall(r"\b(passpro_[a-z_]+)(?:\{([^}]*)\})?", expr):
        assert name in exported, f"{name} is not a series of services/runtime/metrics.py"
        used = set(re.findall(r"([a-z_]+)\s*=~?", matchers))
        assert used <= exported[name], f"{name} has no label {used - exported[name]}"
    if "passpro_" in expr:
        grouped = {label.strip() for clause in re.findall(r"by \(([^)]*)\)", expr) for label in clause.split(",")}
        assert grouped <= set().union(*exported.values())


@pytest.mark.parametrize("expr", _expressions())
def test_the_dashboard_queries_only_rabbitmq_series_that_are_scraped(expr: str) -> None:
    scraped = {
        family
        for job in monitoring.prometheus_config()["scrape_configs"]
        for family in job.get("params", {}).get("family", [])
    }

    for name in re.findall(r"\b(rabbitmq_[a-z_]+)", expr):
        assert RABBITMQ_FAMILIES.get(name) in scraped, f"{name} is not in a scraped family"


@pytest.mark.parametrize("expr", _expressions())
def test_every_expression_is_balanced(expr: str) -> None:
    depth = {"(": 0, "{": 0, "[": 0}
    closing = {")": "(", "}": "{", "]": "["}
    for char in re.sub(r'"[^"]*"', '""', expr):
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            assert depth[closing[char]] >= 0, expr

    assert set(depth.values()) == {0}, expr


def test_the_generated_files_parse() -> None:
    for name, text in monitoring.files().items():
        document = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        assert isinstance(document, dict) and document, name
