# Developer and CI entry points. Servers are real local processes started by crm-devstack
# (libs/devstack); their data, logs and pid files live in .local/ (or $CRM_STATE_DIR).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The uv release the lock file was written with; installed through pip when uv is missing.
UV_VERSION := 0.13.8
# Before `make install` has run, uv may exist only as a module of the Python that pip used.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help sync install up down status screenshots lint fmt test fuzz backtest chaos bench bench-consumer bench-floor bench-ingest bench-rules bench-nba bench-stats bench-system-cpu

help:
	@echo "make install  install what is missing (uv, Python deps, Java/Maven, PostgreSQL, Redis, Kafka jars, nginx, wrk,"
	@echo "              Node.js/npm) and build the web console (npm ci, npm run build: console/dist)"
	@echo "make sync     install uv and the Python dependencies only"
	@echo "make up       start the whole system locally (servers, five services, gateway on :8000 with the console)"
	@echo "              REPLICAS=\"customers=2 rules=2\": processes per service (1-12, kept until make down)"
	@echo "make down     stop them (their data is kept)"
	@echo "make status   show what runs where"
	@echo "make screenshots  the console's pages at 375 and 1280 px into docs/console/ (needs make up;"
	@echo "              sends a few demo prospects to the demo account first, once a day)"
	@echo "make lint     ruff check, ruff format --check, mypy, concordance, deploy files and API documents current,"
	@echo "              the console's TypeScript (tsc)"
	@echo "make fmt      format and autofix"
	@echo "make test     run the tests (they install and start the servers they need themselves)"
	@echo "make fuzz     fuzz every service's API from its OpenAPI document, >10,000 requests (FUZZ_EXAMPLES)"
	@echo "make bench    run every benchmark and backtests at 1k and 10k contacts; one table (BENCH_ARGS)"
	@echo "make backtest replay N synthetic contacts (SEED, RATE) through the running system; check reminders, NBA and figures"
	@echo "make chaos    a backtest (CHAOS_N contacts at CHAOS_RATE events/s) while each piece is killed and restarted; recovery times"

# uv and the Python dependencies (the dev group with the developer tools included).
sync:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen

# Everything `make up` and `make bench` use: the servers' packages, the gateway's nginx, wrk, and
# the web console the gateway serves (Node.js and npm from Debian, then `npm ci` and
# `npm run build` in console/, each only when what it reads changed).
install: sync
	$(UV) run --frozen crm-devstack install

# REPLICAS="customers=2 ingest=3": that many processes of those services, sharing each service's
# port (the kernel spreads connections) and its consumer group (the replicas split the
# partitions). Counts are kept until `make down`; a plain `make up` keeps them.
REPLICAS ?=
up: install
	$(UV) run --frozen crm-devstack system up$(if $(strip $(REPLICAS)), --replicas "$(strip $(REPLICAS))")

down:
	$(UV) run --frozen crm-devstack system down
	$(UV) run --frozen crm-devstack down

status:
	$(UV) run --frozen crm-devstack status
	$(UV) run --frozen crm-devstack system status

# Against the running system (`make up`): each page of crm_devstack.console_pages, signed in as
# the demo account, photographed in Debian's headless Chromium into docs/console/.
screenshots: install
	$(UV) run --frozen python -m crm_devstack.screenshots --seed-demo-data

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen python -m crm_devstack.concordance --check
	$(UV) run --frozen python -m crm_devstack.deploy_files --check
	$(UV) run --frozen python -m crm_devstack.contract --check
	cd console && npm run --silent typecheck

fmt:
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# Python dependencies only: a test that needs a server gets it from its fixture, which installs
# and starts just that server (the launcher's on-demand path), so `make test
# PYTEST_ARGS=tests/schemas` needs no system package. CI runs `make install` first anyway.
# pytest's exit code 5 means it collected no test at all: a broken run, not a green one.
test: sync
	@status=0; $(UV) run --frozen pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "error: pytest ran no tests" >&2; exit 1; fi; \
	exit $$status

# The OpenAPI fuzz tests of the five services at a size `make test` cannot afford: FUZZ_EXAMPLES
# per operation (CI's default is 40) makes more than 10,000 requests. It prints how many were
# sent and how many got a 5xx; any 5xx fails the run.
FUZZ_EXAMPLES ?= 400
FUZZ_TESTS := $(foreach service,ingest customers rules nba stats,tests/$(service)/test_openapi_fuzz.py)
fuzz: sync
	CRM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(UV) run --frozen pytest -p no:cacheprovider \
		--timeout=3600 $(FUZZ_TESTS)

N ?= 1000
SEED ?= 7
RATE ?= 500
# Needs the system running (make up); the report is printed and written to backtest.json.
backtest: install
	$(UV) run --frozen crm-backtest run --contacts $(N) --seed $(SEED) --rate $(RATE) --report backtest.json

CHAOS_N ?= 500
CHAOS_RATE ?= 10
# The backtest again while customers, rules, nba, stats, ingest, Kafka, PostgreSQL and Redis are
# each killed (SIGKILL) mid-replay and restarted as `make up` does; checks every figure, no 500
# answered, nothing dead-lettered, and prints each piece's time to recover (also chaos.json).
# Starts the system when it is down and leaves it running; docs/benchmarks.md, "Chaos".
chaos: install
	$(UV) run --frozen crm-backtest chaos --contacts $(CHAOS_N) --seed $(SEED) --rate $(CHAOS_RATE) --report chaos.json

# Benchmarks print figures; they are not tests and assert nothing about time. Each uses the
# local servers (started if needed) and databases and topics of its own. `make bench` runs them
# all, then backtests through the whole system (brought up for them if it was down, and taken
# down again), and prints one table; it is written to .local/bench/latest.md and latest.json.
# BENCH_ARGS="--skip-backtest" or "--only ingest,nba --contacts 1000": see `crm-backtest bench --help`.
BENCH_ARGS ?=
bench: install
	$(UV) run --frozen crm-backtest bench $(BENCH_ARGS)

bench-consumer: install
	$(UV) run --frozen python -m bench.consumer_throughput --events 50000

bench-floor: install
	$(UV) run --frozen python -m bench.http_floor --seconds 10

bench-ingest: install
	$(UV) run --frozen python -m bench.ingest --seconds 10

bench-rules: install
	$(UV) run --frozen python -m bench.rules

bench-nba: install
	$(UV) run --frozen python -m bench.nba

bench-stats: install
	$(UV) run --frozen python -m bench.stats

# Against the running system (`make up`): system-wide CPU per single webhook, docs/benchmarks.md.
bench-system-cpu: install
	$(UV) run --frozen python -m bench.system_cpu --seconds 10
