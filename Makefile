# Passpro: one command for the demo, one for the tests. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_BIN := /usr/lib/postgresql/15/bin

.PHONY: demo test up down status reset install system-deps lint asyncapi bench bench-enrollment bench-scheduling bench-affelnet unit \
	monitoring production test-cluster faults test-faults faults-outage crash-points fuzz

## install: system packages (RabbitMQ, PostgreSQL) when missing, then the virtual environment
install: system-deps $(STAMP)

system-deps:
	@missing=""; \
	[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$$missing rabbitmq-server"; \
	[ -x $(PG_BIN)/postgres ] || missing="$$missing postgresql"; \
	command -v runuser >/dev/null || missing="$$missing util-linux"; \
	if [ -n "$$missing" ]; then \
	  echo "[passpro] installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## up: REPLICAS=N processes of each service, CLUSTER=N RabbitMQ nodes (both optional; a cluster under var/ is remembered)
up: install
	$(if $(REPLICAS),PASSPRO_REPLICAS=$(REPLICAS)) $(if $(CLUSTER),PASSPRO_CLUSTER=$(CLUSTER)) $(PY) -m deploy.local up

down:
	@if [ -x $(PY) ]; then $(PY) -m deploy.local down; fi

status: install
	@$(PY) -m deploy.local status

reset:
	@if [ -x $(PY) ]; then $(PY) -m deploy.local reset; else rm -rf var; fi

## the benchmarks play the 2013 campaign on a virtual clock starting at its opening (demo starts a fresh one itself)
CAMPAIGN_START ?= 2013-02-04T08:00:00+01:00

demo: install
	$(PY) -m deploy.local infra-up
	$(VENV)/bin/passpro simulate --fresh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -q tests/unit tests/contracts

## test: lint, every level of tests against the real broker and database, a simulated campaign, the short fault run, the cluster's node loss
test: install lint
	$(PY) -m deploy.local infra-up
	$(PY) -m pytest -q -p no:cacheprovider tests --ignore=tests/cluster --ignore=tests/faults --ignore=tests/simulation \
		--ignore=tests/service/runtime/test_transient_retry.py --ignore=tests/service/runtime/test_delivery_limit.py \
		--ignore=tests/service/runtime/test_not_yet.py
	$(PY) -m pytest -q -p no:cacheprovider tests/service/runtime/test_transient_retry.py \
		tests/service/runtime/test_delivery_limit.py tests/service/runtime/test_not_yet.py
	$(PY) -m pytest -q -p no:cacheprovider tests/simulation
	$(PY) -m pytest -q -p no:cacheprovider tests/faults
	$(PY) -m pytest -q -p no:cacheprovider tests/cluster

asyncapi: install
	mkdir -p docs
	$(PY) -m contracts.asyncapi docs/asyncapi.json
	@echo "written docs/asyncapi.json"

## bench: the whole path, register → booked → convocation mailed, against the fair raw relay (as many queue
## traversals, one process per service, deep pipelines, uvloop), mails to the counting sink (BENCH_ARGS="-n 20000")
bench: install
	PASSPRO_MAIL_SINK=counting PASSPRO_CLOCK=$${PASSPRO_CLOCK:-$(CAMPAIGN_START)} $(PY) -m deploy.local up --virtual
	$(PY) -m bench.pipeline $(BENCH_ARGS)

## bench-enrollment: registrations/s through enrollment against a raw 1-hop relay, the whole stack running,
## then with the other services paused (enrollment's own capacity); BENCH_ARGS="-n 20000"
bench-enrollment: install
	PASSPRO_CLOCK=$${PASSPRO_CLOCK:-$(CAMPAIGN_START)} $(PY) -m deploy.local up --virtual
	$(PY) -m bench.enrollment $(BENCH_ARGS)
	$(PY) -m bench.enrollment --alone $(BENCH_ARGS)

## bench-affelnet: bonuses/s to an Affelnet answering in 50 ms (needs only the database)
bench-affelnet: install
	$(PY) -m deploy.local infra-up
	$(PY) -m bench.affelnet

## bench-scheduling: booking quality and speed; best on a fresh campaign (`make reset` first)
bench-scheduling: install
	PASSPRO_CLOCK=$${PASSPRO_CLOCK:-$(CAMPAIGN_START)} $(PY) -m deploy.local up --virtual
	$(PY) -m bench.scheduling --replicas 1
	$(PY) -m bench.scheduling --replicas 2 --seed 2014

## monitoring, production: regenerate the committed Prometheus/Grafana and deployment files
monitoring: install
	$(PY) -m deploy.monitoring

production: install
	$(PY) -m deploy.production

## test-cluster: a 3-node cluster of its own loses, mid-campaign, the node the services use (about 3 minutes)
test-cluster: install
	$(PY) -m pytest -q -p no:cacheprovider tests/cluster

## faults: the full fault-injection run (5,000 pupils, kills, broker and database restarts, SMTP and Affelnet outages)
faults: install
	$(PY) -m tools.faults

## faults-outage: a campaign during which PostgreSQL stays stopped 10 minutes; prints parked, lost, effects, retries
faults-outage: install
	$(PY) -m tools.faults --outage

## test-faults: its short form, on its own broker and database
test-faults: install
	$(PY) -m pytest -q -p no:cacheprovider tests/faults

## crash-points: each service crashed at an exact point (PASSPRO_CRASH_AT), restarted, counted from outside (~4 min)
crash-points: install
	$(PY) -m pytest -q -s -p no:cacheprovider tests/faults/test_crash_points.py

## fuzz: 10,000 hostile commands (PASSPRO_FUZZ_COMMANDS, PASSPRO_FUZZ_SEED) through the end-to-end stack
fuzz: install
	$(PY) -m deploy.local infra-up
	PASSPRO_FUZZ_COMMANDS=$${PASSPRO_FUZZ_COMMANDS:-10000} $(PY) -m pytest -q -s -p no:cacheprovider \
		tests/e2e/test_f_hostile_input.py -k every_hostile_command
