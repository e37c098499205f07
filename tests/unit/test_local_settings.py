"""The local stack's settings: one typed value read from PASSPRO_* when first asked for, never at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.local.settings import ROOT, LocalSettings


def test_the_defaults_are_the_local_stacks_ports_and_the_checkouts_var() -> None:
    conf = LocalSettings.from_environment({})
    assert conf.var == ROOT / "var"
    assert (conf.amqp_port, conf.management_port, conf.pg_port, conf.affelnet_port, conf.mail_port) == (
        5672,
        15672,
        5432,
        8090,
        8025,
    )
    assert conf.replicas is None and conf.cluster is None and conf.smtp_host is None and conf.affelnet_url is None
    assert conf.health_ports == {
        "enrollment": 8081,
        "scheduling": 8082,
        "opinions": 8083,
        "notifications": 8084,
        "affelnet_export": 8085,
    }
    assert conf.addresses.admin_database == "postgresql://passpro:passpro@127.0.0.1:5432/passpro"


def test_every_value_comes_from_its_variable_and_an_empty_count_is_unset(tmp_path: Path) -> None:
    conf = LocalSettings.from_environment(
        {
            "PASSPRO_VAR": str(tmp_path),
            "PASSPRO_AMQP_PORT": "25672",
            "PASSPRO_PG_PORT": "25432",
            "PASSPRO_HEALTH_BASE_PORT": "18081",
            "PASSPRO_REPLICAS": "",
            "PASSPRO_CLUSTER": "3",
            "PASSPRO_MAIL_SINK": "counting",
            "PASSPRO_SMTP_HOST": "",
            "PASSPRO_CLOCK": "2013-02-04T08:00:00+01:00",
        }
    )
    assert conf.run == tmp_path / "run" and conf.rabbit == tmp_path / "rabbitmq" and conf.pg == tmp_path / "postgres"
    assert conf.addresses.amqp == "amqp://127.0.0.1:25672/passpro"
    assert conf.addresses.database == "postgresql://127.0.0.1:25432/passpro"
    assert conf.health_ports["enrollment"] == 18081
    assert conf.replicas is None and conf.cluster == 3
    # Set, even empty, a real SMTP server is configured: the stack starts no sink (as before: a presence test).
    assert conf.smtp_host == "" and conf.mail_sink == "counting" and conf.clock == "2013-02-04T08:00:00+01:00"


def test_importing_the_local_stack_reads_no_setting() -> None:
    probe = (
        "import deploy.local.stack, deploy.local.cluster, bench.cpu\n"
        "from deploy.local.settings import settings\n"
        "print(settings.cache_info().misses)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PASSPRO_AMQP_PORT": "not a number", "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "0"
