# DIBS-Fortnox: every target sets up what it needs (a venv from the lock file) first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
export PYTHONPATH := $(CURDIR)/plugins

.PHONY: help venv test test-fast demo sandbox airflow bench chaos lint lock clean migrate schema

help:
	@echo "make demo      sandbox + Airflow + a 14-day backfill of the demo tenant, then a summary"
	@echo "make test      the whole test suite (starts what it needs on 127.0.0.1)"
	@echo "make sandbox   the Nets Easy and Fortnox emulators and an SMTP server on 127.0.0.1 (Ctrl-C stops)"
	@echo "make airflow   the Airflow UI (airflow standalone) against the same sandbox"
	@echo "make bench     benchmarks (see BENCHMARKS.md)"
	@echo "make chaos     4 tenants x 21 days in real Airflow with faults and killed workers (~50 min on a busy 2-core VM)"
	@echo "make migrate   create or upgrade the state database (DIBS_FORTNOX_DB_URL) to the code's revision"
	@echo "make schema    regenerate include/sql/schema.sql from ledger/schema.py"

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

test: venv
	$(PY) -m pytest

test-fast: venv
	$(PY) -m pytest -m "not airflow"

demo: venv
	$(PY) -m dibs_fortnox.demo

sandbox: venv
	$(PY) -m dibs_fortnox.sandbox $(SANDBOX_ARGS)

airflow: venv
	$(PY) -m dibs_fortnox.demo --standalone

migrate: venv
	$(PY) -m dibs_fortnox.ledger.migrate upgrade

schema: venv
	$(PY) -m dibs_fortnox.ledger.migrate ddl > include/sql/schema.sql

bench: venv
	$(PY) -m benchmarks

chaos: venv
	$(PY) -m benchmarks.chaos $(CHAOS_ARGS)

lint: venv
	$(PY) -m ruff check plugins dags tests benchmarks
	$(PY) -m mypy plugins/dibs_fortnox

lock:
	$(PYTHON) -m venv /tmp/dibs-fortnox-lock && /tmp/dibs-fortnox-lock/bin/pip install -r requirements.in \
	  && /tmp/dibs-fortnox-lock/bin/pip freeze > requirements.lock

clean:
	rm -rf var .pytest_cache
